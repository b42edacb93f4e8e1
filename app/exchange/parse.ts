import { z } from 'zod'
import { directionOf } from '../annotations'
import { VivaError } from '../errors'
import { locateJsonError } from '../jsonText'
import { taxonomyProblems } from '../taxonomy'
import { count, QUOTE_LIMIT, quoteValue, stripBom } from '../text'
import { EXPORT_SCHEMA_NAME, EXPORT_SCHEMA_VERSION, type ExportDocument, IMPORT_LIMITS, exportDocumentSchema } from './schema'

// Reading an import file: JSON, schema and consistency problems, and the checks against the open dataset.


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
