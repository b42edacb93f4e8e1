/** Contract, annotations domain: the project's events and labels, their import/export, and uploads of import files. */
import { z } from 'zod'
import type { AnnotationEvent, EpisodeLabels, Taxonomy } from '../annotations'
import { editSchema, exportFiltersSchema } from '../exchange'
import { datasetId, filePath } from './common'

/**
 * Uploads: a file the renderer holds (an import file picked in the UI) goes to the main side in chunks, never as one
 * message (MAX_RPC_MESSAGE_BYTES, app/rpc.ts). `upload.begin` names the file and its size, `upload.append` sends
 * the chunks in order, and a call that reads a file (annotations.importPreview / annotations.import) takes the
 * upload's id instead of its text. An upload belongs to the connection (or window) that began it and is freed when
 * that closes, after UPLOAD_IDLE_MS without use, by `upload.discard`, or once annotations.import has applied it.
 */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024
/** Largest file one upload may hold: the largest annotation file the app imports (the CLI reads files directly). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024
/** Uploads one connection may hold at once. */
export const MAX_UPLOADS_PER_CONNECTION = 4
/** Bytes all connections' uploads may hold together (reserved at upload.begin by the declared size). */
export const MAX_UPLOAD_BYTES_TOTAL = 4 * MAX_UPLOAD_BYTES
export const UPLOAD_IDLE_MS = 10 * 60 * 1000
/** Import text small enough to pass inline; anything larger goes by upload. */
export const MAX_INLINE_IMPORT_CHARS = 1024 * 1024

export interface UploadStarted {
  uploadId: string
  /** Bytes per upload.append. */
  chunkBytes: number
}

export const EXPORT_FORMATS = ['json', 'csv', 'lerobot'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export const IMPORT_MODES = ['merge', 'replace'] as const
export type ImportMode = (typeof IMPORT_MODES)[number]

/** Everything annotated for one dataset, as the renderer loads it. */
export interface ProjectSnapshot {
  datasetId: string
  /** Where the annotations are stored (SQLite project file). */
  projectFile: string
  /** Set when the project was made for a dataset at another path (e.g. the folder was moved). */
  identityNote: string | null
  events: AnnotationEvent[]
  episodes: EpisodeLabels[]
  taxonomies: Taxonomy[]
}

export interface ImportSummary {
  eventsAdded: number
  eventsUpdated: number
  eventsRemoved: number
  episodesChanged: number
  taxonomiesAdded: number
  /**
   * How the file's dataset identity differs from this dataset's (compareDatasetIdentity): notes, and with `force`
   * the mismatches imported anyway. Empty when the file was made for this very dataset.
   */
  identityNotes?: string[]
}

export interface ExportedText {
  filename: string
  mimeType: string
  content: string
}

const uploadId = z.string().min(1).max(100)
/** Where an import's text comes from: inline (small) or an upload; exactly one. */
export const importSource = {
  text: z
    .string()
    .max(MAX_INLINE_IMPORT_CHARS, { error: `inline text is limited to ${MAX_INLINE_IMPORT_CHARS} characters; send larger files by upload` })
    .optional(),
  uploadId: uploadId.optional(),
}
export const oneImportSource = (p: { text?: string | undefined; uploadId?: string | undefined }): boolean =>
  (p.text === undefined) !== (p.uploadId === undefined)

export const annotationMethodSchemas = {
  'annotations.load': z.object({ datasetId }).strict(),
  'annotations.apply': z
    .object({ datasetId, edits: z.array(editSchema).min(1).max(10_000), origin: z.string().max(100).optional() })
    .strict(),
  'annotations.export': z
    .object({ datasetId, format: z.enum(['json', 'csv']), filters: exportFiltersSchema })
    .strict(),
  'annotations.exportTo': z
    .object({ datasetId, format: z.enum(EXPORT_FORMATS), filters: exportFiltersSchema, outPath: filePath })
    .strict(),
  'annotations.importPreview': z
    .object({ datasetId, ...importSource, mode: z.enum(IMPORT_MODES), force: z.boolean().optional() })
    .strict()
    .refine(oneImportSource, { error: 'give either text or uploadId' }),
  'annotations.import': z
    .object({ datasetId, ...importSource, mode: z.enum(IMPORT_MODES), force: z.boolean().optional() })
    .strict()
    .refine(oneImportSource, { error: 'give either text or uploadId' }),
  'upload.begin': z.object({ name: z.string().max(1000), size: z.number().int().nonnegative() }).strict(),
  'upload.append': z
    .object({
      uploadId,
      offset: z.number().int().nonnegative(),
      data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'expected bytes (a Uint8Array)' }).refine((d) => d.byteLength <= UPLOAD_CHUNK_BYTES, {
        error: `a chunk holds at most ${UPLOAD_CHUNK_BYTES} bytes`,
      }),
    })
    .strict(),
  'upload.discard': z.object({ uploadId }).strict(),
} as const

export interface AnnotationMethodResults {
  'annotations.load': ProjectSnapshot
  /** Resolves once every edit is committed to disk (all or nothing). */
  'annotations.apply': { applied: number }
  'annotations.export': ExportedText
  'annotations.exportTo': { paths: string[] }
  'annotations.importPreview': ImportSummary
  'annotations.import': ImportSummary
  'upload.begin': UploadStarted
  /** Bytes received so far, out of the size given to upload.begin. */
  'upload.append': { received: number; size: number }
  'upload.discard': { discarded: boolean }
}
