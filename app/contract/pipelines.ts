/**
 * Contract, training pipelines domain: files that LeRobot, RLinf and Label Studio read as they are, written from the
 * project's annotations and a value series (main/pipelineExports/; research and sources in its PLAN.md), and Label
 * Studio timelines read back as milestones. The CLI (`viva export --format …`, `viva import --format label-studio`)
 * checks its options with these schemas and calls the same service.
 */
import { z } from 'zod'
import { exportFiltersSchema } from '../exchange'
import { analysisMethodSchemas } from './analysis'
import { IMPORT_MODES, importSource, oneImportSource, type ImportMode } from './annotations'
import { datasetId, filePath } from './common'

export const PIPELINE_FORMATS = ['lerobot-progress', 'success-flags', 'rlinf', 'label-studio', 'lerobot-language', 'lerobot-sarm'] as const
export type PipelineFormat = (typeof PIPELINE_FORMATS)[number]

/** What each format is for, as the dialog and `viva export --help` say it. */
export const PIPELINE_FORMAT_NAMES: Record<PipelineFormat, string> = {
  'lerobot-progress': 'LeRobot RA-BC progress (sarm_progress.parquet)',
  'success-flags': 'Success flags (next.success / is_success)',
  rlinf: 'RLinf returns and advantages (meta/*_<tag>.parquet)',
  'label-studio': 'Label Studio TimelineLabels (JSON)',
  'lerobot-language': 'LeRobot subtask language (language_persistent)',
  'lerobot-sarm': 'LeRobot SARM subtask annotations (train SARM on the milestones)',
}

/** An RLinf tag becomes part of file names under meta/: letters, digits, `.`, `_`, `-`, not starting with a dot. */
export const RLINF_TAG_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/

const advantage = analysisMethodSchemas['advantages.compute'].shape
/** A value series (app/curves.ts seriesKey) among the dataset's complete curves. */
const series = z.string().min(1).max(2000)
/** An episode whose outcome is unknown: refuse the export (default) or count it as failed (what RLinf does). */
const unknownOutcome = z.enum(['error', 'failure'])
const filters = exportFiltersSchema.optional()
const common = {
  datasetId,
  out: filePath,
  filters,
  /** Echoed in pipelines.progress so a window can tell its export from another's. */
  token: z.string().max(64).optional(),
}

export const pipelineExportSchema = z.discriminatedUnion('format', [
  z
    .object({
      ...common,
      format: z.literal('lerobot-progress'),
      /** The series for progress_dense; absent: only progress_sparse (from the annotations). */
      series: series.optional(),
      /** SARM stage breakpoints: the annotated durations (SARM's default) or equal stages. */
      proportions: z.enum(['dataset', 'uniform']).optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      format: z.literal('success-flags'),
      /** A copy of the dataset whose data files carry the flags, instead of a sidecar parquet. */
      copy: z.boolean().optional(),
      unknown: unknownOutcome.optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      format: z.literal('rlinf'),
      series,
      tag: z.string().regex(RLINF_TAG_PATTERN, { error: 'a tag is up to 64 letters, digits, ".", "_" or "-", not starting with "."' }),
      k: advantage.k,
      positiveFraction: advantage.positiveFraction,
      scope: advantage.scope,
      /** Reward of a failed episode's last step (RLinf has no default; e.g. -300). */
      failureReward: z.number().min(-1_000_000).max(1_000_000),
      gamma: z.number().gt(0).max(1).optional(),
      datasetType: z.enum(['rollout', 'sft']).optional(),
      unknown: unknownOutcome.optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      format: z.literal('label-studio'),
      /** The video URL of each task, with `{episode}` for the episode index (default: a local-files path). */
      videoUrl: z.string().min(1).max(2000).optional(),
    })
    .strict(),
  z.object({ ...common, format: z.literal('lerobot-language') }).strict(),
  z
    .object({
      ...common,
      format: z.literal('lerobot-sarm'),
      /** SARM's temporal proportions: the annotated durations (its eq. 1) or equal stages. */
      proportions: z.enum(['dataset', 'uniform']).optional(),
    })
    .strict(),
])
export type PipelineExportRequest = z.infer<typeof pipelineExportSchema>

export interface PipelineExportResult {
  format: PipelineFormat
  /** Files written, or the dataset copy's folder. */
  paths: string[]
  episodes: number
  frames: number
  /** What the user should know about the content: unannotated episodes, frames without a value, thresholds. */
  notes: string[]
  /** How a training run reads the output. */
  usage: string
}

/** Files of a dataset copy (rlinf, lerobot-language, success flags as a copy) written so far. */
export interface PipelineProgress {
  token: string | null
  done: number
  total: number
}

/** A value series with complete curves in the dataset, for the export's series picker. */
export interface PipelineSeries {
  key: string
  name: string
  /** Episodes with a complete curve of the series. */
  episodes: number
}

export interface LabelStudioImportSummary {
  dryRun: boolean
  mode: ImportMode
  /** Episodes of the file with a submitted annotation. */
  episodes: number
  milestonesAdded: number
  milestonesRemoved: number
  /** Milestones the project already had at the same frame with the same label (merge). */
  milestonesKept: number
  /** Labels that are not milestones of their task's taxonomy: imported as written, listed here. */
  unknownLabels: string[]
  /** Result entries of other types (choices, rectangles…) skipped. */
  ignoredResults: number
  unannotatedTasks: number
}

/** SARM subtask annotations of the dataset read back as milestones (pipelines.importSarm). */
export interface SarmImportSummary extends LabelStudioImportSummary {
  /** The head read: dense when the dataset has one, else sparse (or the one asked for). */
  head: 'dense' | 'sparse'
  /** The subtask names in stage order. */
  stages: string[]
  /** Tasks that had no taxonomy and get one with `stages` as milestones. */
  taxonomiesCreated: string[]
}

export const pipelineMethodSchemas = {
  'pipelines.series': z.object({ datasetId }).strict(),
  'pipelines.export': pipelineExportSchema,
  /** A Label Studio JSON export of TimelineLabels as milestones (dry run: what it would change). */
  'pipelines.importLabelStudio': z
    .object({ datasetId, ...importSource, name: z.string().min(1).max(1000), mode: z.enum(IMPORT_MODES), dryRun: z.boolean().optional() })
    .strict()
    .refine(oneImportSource, { error: 'give either text or uploadId' }),
  /** The dataset's own SARM subtask annotations (meta/episodes) as milestones (dry run: what it would change). */
  'pipelines.importSarm': z
    .object({ datasetId, mode: z.enum(IMPORT_MODES), dryRun: z.boolean().optional(), head: z.enum(['dense', 'sparse']).optional() })
    .strict(),
} as const

export interface PipelineMethodResults {
  'pipelines.series': PipelineSeries[]
  'pipelines.export': PipelineExportResult
  'pipelines.importLabelStudio': LabelStudioImportSummary
  'pipelines.importSarm': SarmImportSummary
}
