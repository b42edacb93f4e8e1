import { z } from 'zod'
import type { AnnotationEvent, Edit, EpisodeLabels, EpisodePatch, EventPatch, Taxonomy } from '../annotations'
import { EVENT_KINDS, OUTCOMES, REVIEW_STATUSES } from '../annotations'
import { ISO_TIMESTAMP_PATTERN } from '../annotationEdits'
import type { FormatVersion } from '../dataset'
import { MAX_TAXONOMY_NAME_LENGTH } from '../taxonomy'

// The format's definition: limits, zod schemas, the document types and the JSON Schema generated from them.

export const EXPORT_SCHEMA_NAME = 'viva-studio/annotations'
export const EXPORT_SCHEMA_VERSION = 1


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
export function seconds6(t: number): number {
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


/** The JSON Schema of the export format, as shipped in `app/schema/viva-annotations.v1.schema.json`. */
export function exportJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(exportDocumentSchema), null, 2)}\n`
}
