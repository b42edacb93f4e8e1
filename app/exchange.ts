/**
 * The canonical export/import format for annotations (`viva-studio/annotations`, version 1) and the CSV view of
 * its events. The zod schemas here are the definition of the format: the shipped JSON Schema
 * (`app/schema/viva-annotations.v1.schema.json`) is generated from them, and RPC parameters carrying edits are
 * validated with `editSchema`.
 *
 * An export is deterministic (episodes by index, events by episode, frame and id, taxonomies by task and version;
 * fixed key order), so export → import → export reproduces the file byte for byte.
 */
import { z } from 'zod'
import type { AnnotationEvent, Edit, EpisodeLabels, EpisodePatch, EventPatch, Outcome, ProjectState, ReviewStatus, Taxonomy } from './annotations'
import { DEFAULT_EPISODE_LABELS, directionOf, EVENT_KINDS, OUTCOMES, REVIEW_STATUSES } from './annotations'
import { applyEdits, eventDifferences, ISO_TIMESTAMP_PATTERN, isIsoTimestamp, sameTaxonomy } from './annotationEdits'
import type { FormatVersion } from './dataset'
import { VivaError } from './errors'
import { locateJsonError } from './jsonText'
import { MAX_TAXONOMY_NAME_LENGTH, taxonomyProblems } from './taxonomy'
import { count, QUOTE_LIMIT, quoteValue, stripBom } from './text'

export const EXPORT_SCHEMA_NAME = 'viva-studio/annotations'
export const EXPORT_SCHEMA_VERSION = 1

// ---------------------------------------------------------------------------------------------------------------
// Limits

/**
 * What one import may hold. Each is far above what annotating produces and low enough that an import cannot make the
 * app unusable (30,000 events on one episode made stepping a frame take 19 s):
 * - a person marks a few milestones and errors per episode; 1,000 on one episode is an event every 18 frames of a
 *   10-minute 30 fps episode, and more cannot be reviewed on one timeline;
 * - 100,000 events in a file is 100 events on each of 1,000 episodes (the large-data benchmark's size);
 * - labels are taxonomy names (MAX_TAXONOMY_NAME_LENGTH); a note is a remark, 10,000 characters is four pages;
 * - 64 MiB of text is the RPC's own limit on an import (app/contract.ts) and a few times the largest file the
 *   limits above allow in practice.
 */
export const IMPORT_LIMITS = {
  textChars: 64 * 1024 * 1024,
  events: 100_000,
  eventsPerEpisode: 1_000,
  note: 10_000,
  id: 200,
  annotator: 200,
  /** Task strings are the dataset's natural-language instructions. */
  task: 10_000,
  /** Episodes of the dataset (and labelled episodes) listed in one file. */
  episodes: 10_000_000,
  taxonomyVersions: 10_000,
  taxonomyNames: 1_000,
} as const

/** Bytes of an annotations file read from disk: the same as the characters of its text. */
export const MAX_IMPORT_BYTES = IMPORT_LIMITS.textChars

// ---------------------------------------------------------------------------------------------------------------
// Schemas

const timestamp = z
  .string()
  .regex(ISO_TIMESTAMP_PATTERN, { error: 'expected an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z' })
  .meta({ description: 'ISO 8601 date-time with a zone.' })
// The custom type message survives into import errors ("expected integer, got …"), where zod would say "number".
const index = z.int({ error: 'expected integer' }).min(0)
const label = z.string().max(MAX_TAXONOMY_NAME_LENGTH).regex(/\S/, { error: 'must not be blank' })
const note = z.string().max(IMPORT_LIMITS.note)
const annotator = z.string().max(IMPORT_LIMITS.annotator)
const task = z.string().max(IMPORT_LIMITS.task)
const kind = z.enum(EVENT_KINDS)
const outcome = z.enum(OUTCOMES)
const status = z.enum(REVIEW_STATUSES)
const taxonomyVersion = z.int({ error: 'expected integer' }).min(1).meta({ description: 'Version of the task taxonomy the label was chosen from.' })

const eventFields = {
  id: z.string().min(1).max(IMPORT_LIMITS.id).meta({ description: 'Stable id (UUID), unique in the project.' }),
  episode: index.meta({ description: 'Episode index in the dataset.' }),
  frame: index.meta({ description: 'Frame index within the episode (the unit of time).' }),
  kind,
}
const eventTail = {
  label: label.meta({ description: 'A milestone name or an error type of the taxonomy version `taxonomyVersion`.' }),
  note,
  annotator,
  taxonomyVersion,
  createdAt: timestamp,
  updatedAt: timestamp,
}

export const annotationEventSchema = z.strictObject({ ...eventFields, ...eventTail })

/** As exported: with the event's direction (+1 milestone, −1 error) for consumers computing ERS-style metrics. */
export const exportedEventSchema = z.strictObject({
  ...eventFields,
  direction: z.literal([1, -1]).meta({ description: 'Derived: +1 for milestones, −1 for errors. Must match `kind`.' }),
  timestamp: z
    .number()
    .nullable()
    .optional()
    .meta({
      description:
        "Informative: the frame's recorded timestamp (seconds) from the episode table's `timestamp` column, as LeRobot names it; null when the table has none. Ignored on import.",
    }),
  time_from_frame_s: z
    .number()
    .optional()
    .meta({ description: 'Informative: frame / fps in seconds, which recorded timestamps may drift from. Ignored on import.' }),
  ...eventTail,
})

export const taxonomySchema = z.strictObject({
  task: task.min(1).meta({ description: 'The task string, exactly as the dataset names it.' }),
  version: z.int({ error: 'expected integer' }).min(1),
  milestones: z.array(z.string()).max(IMPORT_LIMITS.taxonomyNames).meta({ description: 'Ordered stages of the task.' }),
  errorTypes: z.array(z.string()).max(IMPORT_LIMITS.taxonomyNames),
  preset: z.string().max(200).nullable(),
  createdAt: timestamp,
})

export const episodeLabelsSchema = z.strictObject({
  episode: index,
  outcome,
  status,
  note,
  updatedAt: timestamp,
})

const eventPatchSchema = z.strictObject({
  frame: index.optional(),
  kind: kind.optional(),
  label: label.optional(),
  note: note.optional(),
  taxonomyVersion: taxonomyVersion.optional(),
})

const episodePatchSchema = z.strictObject({
  outcome: outcome.optional(),
  status: status.optional(),
  note: note.optional(),
})

/** The whole `Edit` union, strict (unknown fields rejected). */
export const editSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('event.add'), event: annotationEventSchema }),
  z.strictObject({ op: z.literal('event.delete'), event: annotationEventSchema }),
  z.strictObject({
    op: z.literal('event.update'),
    id: z.string().min(1),
    episode: index,
    before: eventPatchSchema,
    after: eventPatchSchema,
    at: timestamp,
    beforeAt: timestamp.optional(),
  }),
  z.strictObject({
    op: z.literal('episode.update'),
    episode: index,
    before: episodePatchSchema,
    after: episodePatchSchema,
    at: timestamp,
    beforeAt: timestamp.optional(),
  }),
  z.strictObject({ op: z.literal('taxonomy.save'), before: taxonomySchema.nullable(), after: taxonomySchema }),
  z.strictObject({ op: z.literal('taxonomy.delete'), taxonomy: taxonomySchema, previous: taxonomySchema.nullable() }),
])

export const exportFiltersSchema = z.strictObject({
  tasks: z.array(z.string()).optional().meta({ description: 'Episodes having at least one of these tasks.' }),
  outcomes: z.array(outcome).optional(),
  statuses: z.array(status).optional(),
  episodeRange: z.tuple([index, index]).optional().meta({ description: 'First and last episode index, inclusive.' }),
})

const FORMAT_VERSIONS = ['v2.0', 'v2.1', 'v3.0'] as const satisfies readonly FormatVersion[]

export const exportDocumentSchema = z
  .strictObject({
    schema: z.literal(EXPORT_SCHEMA_NAME),
    version: z.literal(EXPORT_SCHEMA_VERSION),
    exportedAt: timestamp,
    dataset: z.strictObject({
      name: z.string().max(1_000),
      root: z.string().max(4_096).meta({ description: 'Dataset folder on the exporting machine (informative).' }),
      format: z.enum(FORMAT_VERSIONS).meta({ description: 'LeRobot dataset format version.' }),
      fingerprint: z
        .string()
        .max(200)
        .optional()
        .meta({ description: 'Content identity of the dataset (a hash of meta/info.json and the episode table); an import checks it.' }),
      fps: z.number().positive(),
      episodes: z
        .array(z.strictObject({ index, length: index.meta({ description: 'Number of frames.' }), tasks: z.array(task).max(1_000) }))
        .max(IMPORT_LIMITS.episodes)
        .meta({ description: 'The exported episodes (those matching the filters).' }),
    }),
    filters: exportFiltersSchema.meta({ description: 'The filters that selected the episodes; absent keys did not filter.' }),
    taxonomies: z.array(taxonomySchema).max(IMPORT_LIMITS.taxonomyVersions).meta({ description: "Every version of the exported episodes' task taxonomies." }),
    episodes: z
      .array(episodeLabelsSchema)
      .max(IMPORT_LIMITS.episodes)
      .meta({ description: 'Episode labels; episodes absent here have outcome "unknown", status "todo", no note.' }),
    events: z
      .array(exportedEventSchema)
      .max(IMPORT_LIMITS.events)
      .meta({ description: `At most ${IMPORT_LIMITS.eventsPerEpisode.toLocaleString('en-US')} events per episode are imported.` }),
  })
  .meta({
    title: 'ViVa Studio annotations',
    description: 'Milestone and error annotations of a LeRobot dataset, with episode labels and task taxonomies.',
  })

export type ExportDocument = z.infer<typeof exportDocumentSchema>
export type ExportedEvent = z.infer<typeof exportedEventSchema>
export type ExportFilters = z.infer<typeof exportFiltersSchema>

/** What an export needs to know about the dataset (a DatasetSummary fits). */
export interface ExportDataset {
  name: string
  root: string
  format: FormatVersion
  /** Content identity (datasetFingerprint), written so an import can tell another dataset from this one. */
  fingerprint?: string
  fps: number
  episodes: readonly { index: number; length: number; tasks: readonly string[] }[]
  /** A frame's recorded timestamp (the episode table's `timestamp`), null when unknown; absent: none known. */
  timestampOf?: (episode: number, frame: number) => number | null
}

/** Seconds as exported: 6 decimals (microseconds), enough for any frame rate and free of float32 noise. */
function seconds6(t: number): number {
  return Number(t.toFixed(6))
}

// The schemas and the model types must describe the same values; a drift in either fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const _schemasMatchModel: [
  Same<z.infer<typeof annotationEventSchema>, AnnotationEvent>,
  Same<z.infer<typeof editSchema>, Edit>,
  Same<z.infer<typeof taxonomySchema>, Taxonomy>,
  Same<z.infer<typeof episodeLabelsSchema>, EpisodeLabels>,
  Same<z.infer<typeof eventPatchSchema>, EventPatch>,
  Same<z.infer<typeof episodePatchSchema>, EpisodePatch>,
] = [true, true, true, true, true, true]

// ---------------------------------------------------------------------------------------------------------------
// Export

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Empty lists do not filter (nothing ticked = everything); lists are deduplicated and put in a fixed order. */
function normalizeFilters(filters: ExportFilters): ExportFilters {
  const out: ExportFilters = {}
  if (filters.tasks && filters.tasks.length > 0) out.tasks = [...new Set(filters.tasks)].sort(byText)
  if (filters.outcomes && filters.outcomes.length > 0) out.outcomes = OUTCOMES.filter((o) => filters.outcomes?.includes(o))
  if (filters.statuses && filters.statuses.length > 0) out.statuses = REVIEW_STATUSES.filter((s) => filters.statuses?.includes(s))
  if (filters.episodeRange) {
    const [from, to] = filters.episodeRange
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
      throw new VivaError('INVALID_ARGUMENT', `episode range [${from}, ${to}] must be two episode indexes, the first not after the last`)
    }
    out.episodeRange = [from, to]
  }
  return out
}

function labelsOf(state: ProjectState, episode: number): { outcome: Outcome; status: ReviewStatus } {
  return state.episodes.get(episode) ?? DEFAULT_EPISODE_LABELS
}

function toExportedEvent(e: AnnotationEvent, dataset: ExportDataset): ExportedEvent {
  const recorded = dataset.timestampOf?.(e.episode, e.frame) ?? null
  // Times only when the exporter could read the tables (the app, the CLI); a document built without them has none.
  const times = dataset.timestampOf
    ? { timestamp: recorded !== null && Number.isFinite(recorded) ? seconds6(recorded) : null, time_from_frame_s: seconds6(e.frame / dataset.fps) }
    : {}
  return {
    id: e.id,
    episode: e.episode,
    frame: e.frame,
    kind: e.kind,
    direction: directionOf(e.kind),
    ...times,
    label: e.label,
    note: e.note,
    annotator: e.annotator,
    taxonomyVersion: e.taxonomyVersion,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  }
}

function compareExported(a: { episode: number; frame: number; id: string }, b: { episode: number; frame: number; id: string }): number {
  return a.episode - b.episode || a.frame - b.frame || byText(a.id, b.id)
}

/**
 * The episodes of `dataset` matching `filters` (outcome and status as labelled, defaults where unlabelled), with
 * their labels, their events, and every taxonomy version of their tasks.
 */
export function buildExportDocument(state: ProjectState, dataset: ExportDataset, filters: ExportFilters, exportedAt: string): ExportDocument {
  if (!isIsoTimestamp(exportedAt)) throw new VivaError('INVALID_ARGUMENT', `exportedAt must be an ISO 8601 timestamp, got ${JSON.stringify(exportedAt)}`)
  const f = normalizeFilters(filters)
  const selected = dataset.episodes
    .filter((ep) => {
      const labels = labelsOf(state, ep.index)
      return (
        (!f.tasks || ep.tasks.some((t) => f.tasks?.includes(t))) &&
        (!f.outcomes || f.outcomes.includes(labels.outcome)) &&
        (!f.statuses || f.statuses.includes(labels.status)) &&
        (!f.episodeRange || (ep.index >= f.episodeRange[0] && ep.index <= f.episodeRange[1]))
      )
    })
    .sort((a, b) => a.index - b.index)
  const indexes = new Set(selected.map((ep) => ep.index))
  const tasks = [...new Set(selected.flatMap((ep) => ep.tasks))].sort(byText)
  return {
    schema: EXPORT_SCHEMA_NAME,
    version: EXPORT_SCHEMA_VERSION,
    exportedAt,
    dataset: {
      name: dataset.name,
      root: dataset.root,
      format: dataset.format,
      ...(dataset.fingerprint !== undefined ? { fingerprint: dataset.fingerprint } : {}),
      fps: dataset.fps,
      episodes: selected.map((ep) => ({ index: ep.index, length: ep.length, tasks: [...ep.tasks] })),
    },
    filters: f,
    taxonomies: tasks.flatMap((task) =>
      (state.taxonomies.get(task) ?? []).map((t) => ({
        task: t.task,
        version: t.version,
        milestones: [...t.milestones],
        errorTypes: [...t.errorTypes],
        preset: t.preset,
        createdAt: t.createdAt,
      })),
    ),
    episodes: [...state.episodes.values()]
      .filter((l) => indexes.has(l.episode))
      .sort((a, b) => a.episode - b.episode)
      .map((l) => ({ episode: l.episode, outcome: l.outcome, status: l.status, note: l.note, updatedAt: l.updatedAt })),
    events: [...state.events.values()]
      .filter((e) => indexes.has(e.episode))
      .sort(compareExported)
      .map((e) => toExportedEvent(e, dataset)),
  }
}

/** The file's text: two-space JSON and a final newline. */
export function serializeExport(doc: ExportDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

// ---------------------------------------------------------------------------------------------------------------
// Import: parse and check

const MAX_LISTED_PROBLEMS = 10

function importInvalid(problems: readonly string[]): never {
  if (problems.length === 1) throw new VivaError('IMPORT_INVALID', problems[0] ?? '')
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `- ${p}`)
  const more = problems.length > MAX_LISTED_PROBLEMS ? [`- … and ${problems.length - MAX_LISTED_PROBLEMS} more`] : []
  throw new VivaError('IMPORT_INVALID', [`${problems.length} problems in the file:`, ...shown, ...more].join('\n'))
}

/** `events[3].frame`, `dataset.episodes[0]`, `["odd key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else if (typeof key === 'string' && key.length <= QUOTE_LIMIT && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`
    else out += `[${quoteValue(String(key))}]`
  }
  return out === '' ? '(top level)' : out
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return quoteValue(value)
  return String(value)
}

const EXPECTED_NAMES: Record<string, string> = { int: 'integer', array: 'a list', object: 'an object', string: 'text', number: 'number' }

function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.message.startsWith('expected ') ? issue.message.slice('expected '.length) : (EXPECTED_NAMES[issue.expected] ?? issue.expected)
      if (issue.input === undefined) return `required field is missing (expected ${expected})`
      return `expected ${expected}, got ${describeValue(issue.input)}`
    }
    case 'too_small': {
      if (issue.origin === 'string') return `must not be empty`
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`
      return `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, got ${describeValue(issue.input)}`
    }
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters, got ${describeValue(issue.input)}`
      if (issue.origin === 'array') return `must have at most ${count(Number(issue.maximum))} items, got ${count(Array.isArray(issue.input) ? issue.input.length : 0)}`
      return `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${describeValue(issue.input)}`
    case 'invalid_value':
      return `expected ${issue.values.map((v) => (typeof v === 'string' ? quoteValue(v) : String(v))).join(' or ')}, got ${describeValue(issue.input)}`
    case 'invalid_format':
      return `${issue.message}, got ${describeValue(issue.input)}`
    default:
      return issue.message
  }
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field`)
      : [`${formatPath(issue.path)}: ${issueText(issue)}`],
  )
}

function parseJson(input: string): unknown {
  if (input.length > IMPORT_LIMITS.textChars) {
    throw new VivaError('IMPORT_INVALID', `the file holds ${count(input.length)} characters; at most ${count(IMPORT_LIMITS.textChars)} are imported`)
  }
  const text = stripBom(input)
  if (text.trim() === '') throw new VivaError('IMPORT_INVALID', 'the file is empty')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    const located = locateJsonError(text)
    if (located === null) throw new VivaError('IMPORT_INVALID', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
    const at = `line ${located.line}, column ${located.column}`
    if (located.atEnd) throw new VivaError('IMPORT_INVALID', `not valid JSON: the text ends too early at ${at} (truncated file?): ${located.problem}`)
    const near = JSON.stringify(text.slice(Math.max(0, located.position - 20), located.position + 20))
    throw new VivaError('IMPORT_INVALID', `not valid JSON at ${at} (position ${located.position}, near ${near}): ${located.problem}`)
  }
}

/**
 * Reads a `viva-studio/annotations` file. Throws IMPORT_INVALID saying what is wrong and where (JSON position,
 * field path), listing up to ten problems. Checks the document on its own; `checkAgainstDataset` checks it
 * against the dataset it is imported into.
 */
export function parseImportDocument(text: string): ExportDocument {
  const raw = parseJson(text)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new VivaError('IMPORT_INVALID', `expected a JSON object at the top level, got ${describeValue(raw)}`)
  }
  const head = raw as { schema?: unknown; version?: unknown }
  if (head.schema !== EXPORT_SCHEMA_NAME) {
    throw new VivaError(
      'IMPORT_INVALID',
      head.schema === undefined
        ? `not a ViVa Studio annotations file: it has no "schema" field (expected "${EXPORT_SCHEMA_NAME}")`
        : `not a ViVa Studio annotations file: schema is ${describeValue(head.schema)}, expected "${EXPORT_SCHEMA_NAME}"`,
    )
  }
  if (typeof head.version === 'number' && head.version !== EXPORT_SCHEMA_VERSION) {
    throw new VivaError('IMPORT_INVALID', `schema version ${head.version} is not supported; this app reads version ${EXPORT_SCHEMA_VERSION}`)
  }
  // Counted before the schema checks each element: a file of millions of events is refused in one step.
  const events = (raw as { events?: unknown }).events
  if (Array.isArray(events) && events.length > IMPORT_LIMITS.events) {
    throw new VivaError(
      'IMPORT_INVALID',
      `events: the file holds ${count(events.length)} events; at most ${count(IMPORT_LIMITS.events)} are imported from one file (split it, or filter the export)`,
    )
  }
  const parsed = exportDocumentSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) importInvalid(zodProblems(parsed.error))
  const doc = parsed.data
  const problems = documentProblems(doc)
  if (problems.length > 0) importInvalid(problems)
  return doc
}

/** What the schema cannot say: uniqueness, derived fields, taxonomy rules. */
function documentProblems(doc: ExportDocument): string[] {
  const problems: string[] = []
  const firstAt = <K>(items: readonly K[], key: (item: K) => string | number, report: (i: number, first: number, k: string | number) => string): void => {
    const seen = new Map<string | number, number>()
    items.forEach((item, i) => {
      const k = key(item)
      const first = seen.get(k)
      if (first === undefined) seen.set(k, i)
      else problems.push(report(i, first, k))
    })
  }
  firstAt(doc.dataset.episodes, (e) => e.index, (i, first, k) => `dataset.episodes[${i}].index ${k} duplicates dataset.episodes[${first}]`)
  firstAt(doc.episodes, (e) => e.episode, (i, first, k) => `episodes[${i}].episode ${k} duplicates episodes[${first}]`)
  firstAt(doc.events, (e) => e.id, (i, first, k) => `events[${i}].id ${quoteValue(String(k))} duplicates events[${first}]`)
  const perEpisode = new Map<number, number>()
  for (const e of doc.events) perEpisode.set(e.episode, (perEpisode.get(e.episode) ?? 0) + 1)
  for (const [episode, n] of [...perEpisode].sort((a, b) => a[0] - b[0])) {
    if (n > IMPORT_LIMITS.eventsPerEpisode) {
      problems.push(
        `events: episode ${episode} has ${count(n)} events; at most ${count(IMPORT_LIMITS.eventsPerEpisode)} per episode are imported (more cannot be reviewed on one timeline)`,
      )
    }
  }
  doc.events.forEach((e, i) => {
    if (e.direction !== directionOf(e.kind)) problems.push(`events[${i}].direction is ${e.direction} but a ${e.kind} has direction ${directionOf(e.kind)}`)
  })
  firstAt(doc.taxonomies, (t) => JSON.stringify([t.task, t.version]), (i, first) => {
    const t = doc.taxonomies[i]
    return `taxonomies[${i}] (task ${quoteValue(t?.task ?? '')} version ${t?.version}) duplicates taxonomies[${first}]`
  })
  doc.taxonomies.forEach((t, i) => {
    const lists = taxonomyProblems(t.milestones, t.errorTypes)
    if (lists.length > 0) problems.push(`taxonomies[${i}] (task ${quoteValue(t.task)} version ${t.version}): ${lists.join(' ')}`)
  })
  const versions = new Map<string, number[]>()
  for (const t of doc.taxonomies) versions.set(t.task, [...(versions.get(t.task) ?? []), t.version])
  for (const [task, list] of versions) {
    const sorted = [...new Set(list)].sort((a, b) => a - b)
    if (sorted.some((v, i) => v !== i + 1)) {
      problems.push(`taxonomies: task ${quoteValue(task)} has versions ${sorted.join(', ')}; a file holds every version from 1 up, without gaps`)
    }
  }
  const range = doc.filters.episodeRange
  if (range && range[0] > range[1]) problems.push(`filters.episodeRange [${range[0]}, ${range[1]}] starts after it ends`)
  return problems
}

export interface DatasetShape {
  episodes: readonly { index: number; length: number; tasks: readonly string[] }[]
}

/** What an import compares the file's `dataset` with: the identity of the dataset it goes into. */
export interface DatasetIdentityShape extends DatasetShape {
  name: string
  root: string
  fps: number
  fingerprint?: string
}

export interface IdentityCheck {
  /** Differences that make the file's frames mean other moments here: the import is refused unless forced. */
  mismatches: string[]
  /** Differences that leave frames lining up (a moved, renamed or re-encoded copy): said, not refused. */
  notes: string[]
}

/**
 * Is the file about this dataset? Frames are the unit of time, so what must agree is what gives a frame index its
 * moment: the frame rate and the length of every episode the file lists. Those differing is a mismatch; a
 * different fingerprint (info.json or the episode table changed: another copy, re-encoded videos, edited metadata)
 * or name with the same lengths is a note, since the annotations still land on the same frames. A file from before
 * fingerprints were exported is judged by lengths and fps alone.
 */
export function compareDatasetIdentity(file: ExportDocument['dataset'], here: DatasetIdentityShape): IdentityCheck {
  const mismatches: string[] = []
  const notes: string[] = []
  const from = `the file was exported from ${quoteValue(file.name)} (${file.root})`
  if (file.fps !== here.fps) mismatches.push(`${from} at ${file.fps} fps; this dataset runs at ${here.fps} fps`)
  const lengths = new Map(here.episodes.map((e) => [e.index, e.length]))
  const differ = file.episodes.filter((e) => lengths.has(e.index) && lengths.get(e.index) !== e.length)
  if (differ.length > 0) {
    const shown = differ
      .slice(0, 5)
      .map((e) => `episode ${e.index} has ${e.length} frames there, ${lengths.get(e.index)} here`)
      .join('; ')
    mismatches.push(`${from}: ${differ.length} of its episodes have other lengths (${shown}${differ.length > 5 ? '; …' : ''})`)
  }
  const absent = file.episodes.filter((e) => !lengths.has(e.index)).length
  if (absent > 0) notes.push(`${absent} episode${absent === 1 ? '' : 's'} the file lists ${absent === 1 ? 'is' : 'are'} not in this dataset`)
  if (mismatches.length === 0) {
    if (file.fingerprint !== undefined && here.fingerprint !== undefined && file.fingerprint !== here.fingerprint) {
      notes.push(`${from}, whose content (meta/info.json or the episode table) differs from this dataset's; fps and episode lengths agree, so frames line up`)
    } else if (file.name !== here.name && file.fingerprint === undefined) {
      notes.push(`${from}, not ${quoteValue(here.name)}; it has no fingerprint to compare, but fps and episode lengths agree`)
    }
  }
  return { mismatches, notes }
}

/**
 * Checks a parsed document against the dataset it is imported into: every event and episode label on an
 * episode of the dataset, every frame inside its episode, every label in the taxonomy version it claims.
 * Throws IMPORT_INVALID listing the first problems.
 */
export function checkAgainstDataset(doc: ExportDocument, dataset: DatasetShape): void {
  const problems: string[] = []
  const episodes = new Map(dataset.episodes.map((e) => [e.index, e]))
  const taxonomies = new Map(doc.taxonomies.map((t) => [JSON.stringify([t.task, t.version]), t]))
  doc.episodes.forEach((l, i) => {
    if (!episodes.has(l.episode)) problems.push(`episodes[${i}].episode ${l.episode} is not in this dataset`)
  })
  doc.events.forEach((e, i) => {
    const ep = episodes.get(e.episode)
    if (!ep) {
      problems.push(`events[${i}].episode ${e.episode} is not in this dataset`)
      return
    }
    if (e.frame >= ep.length) {
      problems.push(
        ep.length === 0
          ? `events[${i}].frame ${e.frame}: episode ${e.episode} has no frames`
          : `events[${i}].frame ${e.frame} is beyond episode ${e.episode}'s last frame ${ep.length - 1}`,
      )
    }
    if (ep.tasks.length === 0) {
      problems.push(`events[${i}]: episode ${e.episode} has no task, so no taxonomy can hold label ${quoteValue(e.label)}`)
      return
    }
    const candidates = ep.tasks.flatMap((task) => taxonomies.get(JSON.stringify([task, e.taxonomyVersion])) ?? [])
    const tasks = ep.tasks.map((t) => quoteValue(t)).join(' or ')
    if (candidates.length === 0) {
      problems.push(`events[${i}].taxonomyVersion ${e.taxonomyVersion}: the file has no version ${e.taxonomyVersion} of the taxonomy of ${tasks}`)
      return
    }
    const inList = candidates.some((t) => (e.kind === 'milestone' ? t.milestones : t.errorTypes).includes(e.label))
    if (!inList) {
      const what = e.kind === 'milestone' ? 'a milestone' : 'an error type'
      problems.push(`events[${i}].label ${quoteValue(e.label)} is not ${what} of ${tasks} version ${e.taxonomyVersion}`)
    }
  })
  if (problems.length > 0) importInvalid(problems)
}

// ---------------------------------------------------------------------------------------------------------------
// Import: plan

export type ImportMode = 'merge' | 'replace'

export interface ImportPlanSummary {
  eventsAdded: number
  eventsUpdated: number
  eventsRemoved: number
  episodesChanged: number
  taxonomiesAdded: number
  taxonomiesRemoved: number
}

export interface ImportPlan {
  edits: Edit[]
  summary: ImportPlanSummary
}

function fromExported(e: ExportedEvent): AnnotationEvent {
  return {
    id: e.id,
    episode: e.episode,
    frame: e.frame,
    kind: e.kind,
    label: e.label,
    note: e.note,
    annotator: e.annotator,
    taxonomyVersion: e.taxonomyVersion,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  }
}

const PATCHABLE = ['frame', 'kind', 'label', 'note', 'taxonomyVersion'] as const
const EPISODE_FIELDS = ['outcome', 'status', 'note'] as const

/**
 * The edits that bring `state` to the file's content, in an order `applyEdits` accepts, so a store can apply them
 * in one transaction.
 * - merge: events by id (new ones added, changed ones take the file's version, others kept); episode labels in the
 *   file win; taxonomy versions missing from the project are added. A version present on both sides with other
 *   milestones or error types is a conflict (IMPORT_INVALID), since events of both sides point at it.
 * - replace: afterwards the project holds exactly what the file holds; everything else is removed.
 * `at` stamps the labels reset by replace; everything else keeps the file's own timestamps.
 */
export function planImport(state: ProjectState, doc: ExportDocument, mode: ImportMode, at: string): ImportPlan {
  if (!isIsoTimestamp(at)) throw new VivaError('INVALID_ARGUMENT', `at must be an ISO 8601 timestamp, got ${JSON.stringify(at)}`)
  const edits: Edit[] = []
  const summary: ImportPlanSummary = { eventsAdded: 0, eventsUpdated: 0, eventsRemoved: 0, episodesChanged: 0, taxonomiesAdded: 0, taxonomiesRemoved: 0 }

  // Taxonomies: versions can only be appended or removed from the top, so each task is handled as a stack.
  const fileVersions = new Map<string, Taxonomy[]>()
  for (const t of doc.taxonomies) fileVersions.set(t.task, [...(fileVersions.get(t.task) ?? []), t])
  const tasks = new Set(fileVersions.keys())
  if (mode === 'replace') for (const task of state.taxonomies.keys()) tasks.add(task)
  for (const task of [...tasks].sort(byText)) {
    const have = state.taxonomies.get(task) ?? []
    const want = [...(fileVersions.get(task) ?? [])].sort((a, b) => a.version - b.version)
    let keep: number
    if (mode === 'merge') {
      keep = have.length
      for (let v = 0; v < Math.min(have.length, want.length); v++) {
        const h = have[v]
        const w = want[v]
        if (h && w && (!sameNames(h.milestones, w.milestones) || !sameNames(h.errorTypes, w.errorTypes))) {
          throw new VivaError(
            'IMPORT_INVALID',
            `taxonomy ${quoteValue(task)} version ${w.version} in the file has other milestones or error types than the project's version ${h.version}; import with "replace" to take the file's, or rename one of them`,
          )
        }
      }
    } else {
      keep = 0
      while (keep < have.length && keep < want.length && sameTaxonomy(have[keep] as Taxonomy, want[keep] as Taxonomy)) keep++
      for (let v = have.length - 1; v >= keep; v--) {
        edits.push({ op: 'taxonomy.delete', taxonomy: have[v] as Taxonomy, previous: have[v - 1] ?? null })
        summary.taxonomiesRemoved++
      }
    }
    let latest = have[keep - 1] ?? null
    for (let v = keep; v < want.length; v++) {
      const after = want[v] as Taxonomy
      edits.push({ op: 'taxonomy.save', before: latest, after })
      latest = after
      summary.taxonomiesAdded++
    }
  }

  // Events.
  const fileEvents = new Map(doc.events.map((e) => [e.id, fromExported(e)]))
  if (mode === 'replace') {
    for (const current of [...state.events.values()].sort((a, b) => byText(a.id, b.id))) {
      if (fileEvents.has(current.id)) continue
      edits.push({ op: 'event.delete', event: current })
      summary.eventsRemoved++
    }
  }
  for (const target of [...fileEvents.values()].sort((a, b) => byText(a.id, b.id))) {
    const current = state.events.get(target.id)
    if (!current) {
      edits.push({ op: 'event.add', event: target })
      summary.eventsAdded++
      continue
    }
    const diffs = eventDifferences(current, target)
    if (diffs.length === 0) continue
    summary.eventsUpdated++
    if (diffs.some((k) => k === 'episode' || k === 'annotator' || k === 'createdAt')) {
      // Not patchable (an update names the event by id and episode and keeps its origin): replace it whole.
      edits.push({ op: 'event.delete', event: current }, { op: 'event.add', event: target })
      continue
    }
    const before: EventPatch = {}
    const after: EventPatch = {}
    for (const key of PATCHABLE) {
      if (current[key] === target[key]) continue
      Object.assign(before, { [key]: current[key] })
      Object.assign(after, { [key]: target[key] })
    }
    edits.push({ op: 'event.update', id: target.id, episode: target.episode, before, after, at: target.updatedAt, beforeAt: current.updatedAt })
  }

  // Episode labels.
  const fileLabels = new Map(doc.episodes.map((l) => [l.episode, l]))
  const labelTargets: { episode: number; target: Omit<EpisodeLabels, 'episode'> }[] = [...fileLabels.values()].map((l) => ({ episode: l.episode, target: l }))
  if (mode === 'replace') {
    for (const episode of state.episodes.keys()) {
      if (!fileLabels.has(episode)) labelTargets.push({ episode, target: { ...DEFAULT_EPISODE_LABELS, updatedAt: at } })
    }
  }
  for (const { episode, target } of labelTargets.sort((a, b) => a.episode - b.episode)) {
    const stored = state.episodes.get(episode)
    const current = stored ?? { ...DEFAULT_EPISODE_LABELS, updatedAt: null }
    const isDefault = EPISODE_FIELDS.every((k) => target[k] === DEFAULT_EPISODE_LABELS[k])
    // Default labels are not stored, so "no entry" and "defaults" are the same state whatever the timestamps.
    if (!stored && isDefault) continue
    const changed = EPISODE_FIELDS.filter((k) => current[k] !== target[k])
    if (changed.length === 0 && current.updatedAt === target.updatedAt) continue
    const before: EpisodePatch = {}
    const after: EpisodePatch = {}
    for (const key of changed) {
      Object.assign(before, { [key]: current[key] })
      Object.assign(after, { [key]: target[key] })
    }
    const edit: Edit = stored
      ? { op: 'episode.update', episode, before, after, at: target.updatedAt, beforeAt: stored.updatedAt }
      : { op: 'episode.update', episode, before, after, at: target.updatedAt }
    edits.push(edit)
    summary.episodesChanged++
  }

  // A dry run on a copy: a plan that does not apply is a bad file, reported before anything is written.
  let result: ProjectState
  try {
    result = applyEdits(state, edits)
  } catch (err) {
    if (err instanceof VivaError) throw new VivaError('IMPORT_INVALID', `the file cannot be applied to this project: ${err.message}`)
    throw err
  }
  // A merge adds to what the project has: the per-episode limit holds for the result, on the episodes the file touches.
  const touched = new Set(doc.events.map((e) => e.episode))
  const perEpisode = new Map<number, number>()
  for (const e of result.events.values()) if (touched.has(e.episode)) perEpisode.set(e.episode, (perEpisode.get(e.episode) ?? 0) + 1)
  for (const [episode, n] of [...perEpisode].sort((a, b) => a[0] - b[0])) {
    if (n > IMPORT_LIMITS.eventsPerEpisode) {
      throw new VivaError(
        'IMPORT_INVALID',
        `events: after this ${mode}, episode ${episode} would have ${count(n)} events; at most ${count(IMPORT_LIMITS.eventsPerEpisode)} per episode are imported (more cannot be reviewed on one timeline)`,
      )
    }
  }
  return { edits, summary }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

/** One row per event; episode and frame under LeRobot's names, as in the LeRobot sidecar's annotations.parquet. */
export const CSV_HEADER = ['episode_index', 'frame_index', 'timestamp', 'time_from_frame_s', 'kind', 'direction', 'label', 'note', 'annotator'] as const

/**
 * The CSV export's rows, header first: one row per event, ordered as in the JSON. Times are informative (frame is
 * the unit of time), in seconds with 6 decimals: `timestamp` is the frame's recorded timestamp from the episode
 * table, as LeRobot names that column (empty when the table has none), `time_from_frame_s` is frame / fps. The two
 * differ where a recording's timestamps start late or drift. main/formats/csv.ts encodes them (RFC 4180, CRLF):
 * the renderer never builds CSV, so one encoder in main serves every export.
 */
export function eventsCsvRows(doc: ExportDocument, fps: number = doc.dataset.fps): (string | number | null)[][] {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new VivaError('INVALID_ARGUMENT', `fps must be a positive number, got ${fps}`)
  const rows = [...doc.events]
    .sort(compareExported)
    .map((e) => [e.episode, e.frame, e.timestamp == null ? '' : e.timestamp.toFixed(6), (e.frame / fps).toFixed(6), e.kind, e.direction, e.label, e.note, e.annotator])
  return [[...CSV_HEADER], ...rows]
}

// ---------------------------------------------------------------------------------------------------------------
// JSON Schema

/** The JSON Schema of the export format, as shipped in `app/schema/viva-annotations.v1.schema.json`. */
export function exportJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(exportDocumentSchema), null, 2)}\n`
}
