/** Contract, analysis domain: metrics, RECAP advantages, the event detector's calibration and error triage. */
import { z } from 'zod'
import type { ThresholdScope } from '../advantages'
import { MAX_DELAY_SECONDS, MAX_SMOOTHING_SECONDS } from '../detector'
import type { SeriesDetection } from '../detectorCalibration'
import type { MetricsReport } from '../metricsReport'
import type { EpisodeStatsReport } from '../episodeStats'
import type { TriageReport } from '../triage'
import type { ExportedText } from './annotations'
import { curveId, datasetId, timeSpan } from './common'

/** RECAP advantages of one curve (per frame) and the threshold that makes them binary. */
export interface AdvantageResult {
  curveId: string
  k: number
  /** Fraction of the pool's frames labelled positive (the highest advantages), in (0, 1]. */
  positiveFraction: number
  /** The pool: the frames of the curve's series in its task ('task') or in the whole dataset ('dataset'). */
  scope: ThresholdScope
  /** The pool's (1 − positiveFraction) quantile (app/advantages.ts). */
  threshold: number
  episodesInThreshold: number
  /** Frames in the pool and how many of them are at or above the threshold. */
  framesInThreshold: number
  positivesInThreshold: number
  advantages: Float32Array
  /** 1 where the advantage is at or above the threshold ("advantage positive"). */
  indicators: Uint8Array
}

export type DetectorCalibrationResult = Omit<SeriesDetection, 'suggestions'>

const metricOptions = {
  /** The ERS window; default the paper's 5 frames at 30 fps as a duration (DEFAULT_ERS_WINDOW). */
  window: timeSpan.optional(),
  variant: z.enum(['relative', 'absolute']),
}
/** The event detector's settings (app/detector.ts DetectorSettings); the CLI checks its options with it too. */
export const detectorSettingsSchema = z
  .object({
    smoothingSeconds: z.number().min(0).max(MAX_SMOOTHING_SECONDS),
    window: timeSpan,
    riseThreshold: z.number().min(0).max(10).nullable(),
    dropThreshold: z.number().min(0).max(10).nullable(),
    minGap: timeSpan,
    milestoneDelaySeconds: z.number().min(-MAX_DELAY_SECONDS).max(MAX_DELAY_SECONDS),
    errorDelaySeconds: z.number().min(-MAX_DELAY_SECONDS).max(MAX_DELAY_SECONDS),
  })
  .strict()
/** How far a suggestion may be from an annotated event and still count as found. */
export const matchToleranceSchema = timeSpan
/** What triage calls a drop: a fall of the curve's mean across `window` of at least `threshold` (app/triage.ts). */
export const triageOptionsSchema = {
  window: timeSpan,
  threshold: z.number().gt(0).max(10),
  tolerance: timeSpan.optional(),
}

export const analysisMethodSchemas = {
  'metrics.compute': z.object({ datasetId, ...metricOptions }).strict(),
  'metrics.export': z.object({ datasetId, ...metricOptions, format: z.enum(['csv', 'json']) }).strict(),
  'advantages.compute': z
    .object({
      datasetId,
      curveId,
      k: z.number().int().min(1).max(100_000).optional(),
      positiveFraction: z.number().gt(0).max(1).optional(),
      scope: z.enum(['task', 'dataset']).optional(),
    })
    .strict(),
  /** Calibrate the event detector for the series of `curveId` on the dataset's annotated episodes (cross-validated). */
  'detector.calibrate': z.object({ datasetId, curveId, tolerance: timeSpan.optional() }).strict(),
  /** Every drop of a series' curves over the dataset, ranked (error triage). */
  'triage.drops': z.object({ datasetId, series: z.string().min(1).max(2000).optional(), ...triageOptionsSchema }).strict(),
  /** Every series' mean, final value and drop count per episode (the episode list's columns; app/episodeStats.ts). */
  'triage.episodeStats': z.object({ datasetId, window: triageOptionsSchema.window, threshold: triageOptionsSchema.threshold }).strict(),
} as const

export interface AnalysisMethodResults {
  'metrics.compute': MetricsReport
  'metrics.export': ExportedText
  'advantages.compute': AdvantageResult
  /** The series' calibration (no per-episode suggestions: the renderer detects on the episode it shows). */
  'detector.calibrate': DetectorCalibrationResult
  'triage.drops': TriageReport
  'triage.episodeStats': EpisodeStatsReport
}
