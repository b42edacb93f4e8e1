import type { AdvantageResult, DetectorCalibrationResult, ExportedText } from '../../app/contract'
import type { Outcome } from '../../app/annotations'
import { DEFAULT_ADVANTAGE_OPTIONS, advantageIndicators, advantageThresholds, defaultK, kStepAdvantages, stepRewards, thresholdKey, type ThresholdScope } from '../../app/advantages'
import { toDisplay, type CurveInfo } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { annotatedEpisodes, detectSteps, type DetectInput } from '../../app/detectorCalibration'
import { buildMetricsReport, metricsReportRows, seriesKey, type MetricsInput, type MetricsReport, type MetricsReportOptions } from '../../app/metricsReport'
import type { TimeSpan } from '../../app/timeSpan'
import { triageDrops, type TriageOptions, type TriageReport } from '../../app/triage'
import { formatCsv } from '../formats/csv'
import type { CurveStore } from '../store/curveStore'
import type { AnnotationProjects } from '../store/projects'

export interface AnalysisDeps {
  summary: (datasetId: string) => DatasetSummary
  projects: AnnotationProjects
  curves: CurveStore
}

/**
 * Metrics and RECAP advantages over a dataset: the stored complete curves against the project's outcomes and
 * events. The arithmetic is in app/ (metrics.ts, metricsReport.ts, advantages.ts); this gathers the inputs.
 */
export class AnalysisService {
  constructor(private readonly deps: AnalysisDeps) {}

  private inputs(datasetId: string): { input: MetricsInput & DetectInput; summary: DatasetSummary; complete: CurveInfo[] } {
    const summary = this.deps.summary(datasetId)
    const snapshot = this.deps.projects.snapshot(datasetId)
    const outcomes = new Map<number, Outcome>(snapshot.episodes.map((e) => [e.episode, e.outcome]))
    const complete = this.deps.curves.listDataset(datasetId).filter((c) => c.complete)
    const input: MetricsInput & DetectInput = {
      fps: summary.fps,
      episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, task: e.tasks[0] ?? '', length: e.length })),
      outcomes,
      annotated: annotatedEpisodes(snapshot.events, snapshot.episodes),
      events: snapshot.events,
      curves: complete.map((info) => ({ info, values: this.deps.curves.get(info.id).values })),
    }
    return { input, summary, complete }
  }

  report(datasetId: string, options: MetricsReportOptions): MetricsReport {
    return buildMetricsReport(this.inputs(datasetId).input, options)
  }

  exportText(datasetId: string, options: MetricsReportOptions, format: 'csv' | 'json'): ExportedText {
    const { summary, input } = this.inputs(datasetId)
    const report = buildMetricsReport(input, options)
    const base = `${summary.name}-metrics-${options.variant}-w${report.window}`
    return format === 'csv'
      ? { filename: `${base}.csv`, mimeType: 'text/csv', content: formatCsv(metricsReportRows(report)) }
      : { filename: `${base}.json`, mimeType: 'application/json', content: `${JSON.stringify({ dataset: summary.name, ...report }, null, 2)}\n` }
  }

  advantages(
    datasetId: string,
    curveId: string,
    k?: number,
    positiveFraction = DEFAULT_ADVANTAGE_OPTIONS.positiveFraction,
    scope: ThresholdScope = DEFAULT_ADVANTAGE_OPTIONS.scope,
  ): AdvantageResult {
    const { summary, input, complete } = this.inputs(datasetId)
    const target = complete.find((c) => c.id === curveId)
    if (!target) throw new VivaError('NOT_FOUND', `No complete curve ${curveId} in ${summary.name} (advantages need every frame scored)`)
    const K = k ?? defaultK(summary.fps)
    const taskOf = new Map(input.episodes.map((e) => [e.index, e.task]))
    const outcome = input.outcomes.get(target.episode)
    if (outcome !== 'success' && outcome !== 'failure') {
      throw new VivaError('INVALID_ARGUMENT', `Episode ${target.episode} has no success/failure outcome; RECAP rewards need one (set it with S or F)`)
    }
    const series = seriesKey(target)
    const pool = thresholdKey(series, taskOf.get(target.episode) ?? '', scope)
    const advantagesOf = (info: CurveInfo, o: 'success' | 'failure'): Float64Array =>
      kStepAdvantages(toDisplay(this.deps.curves.get(info.id).values, info.convention, info.length), stepRewards(info.length, o), K)
    const items = []
    for (const c of complete) {
      const o = input.outcomes.get(c.episode)
      const task = taskOf.get(c.episode) ?? ''
      if (o !== 'success' && o !== 'failure') continue
      if (seriesKey(c) !== series || thresholdKey(series, task, scope) !== pool) continue
      items.push({ series, task, advantages: advantagesOf(c, o) })
    }
    const threshold = advantageThresholds(items, positiveFraction, scope).get(pool)
    if (!threshold) throw new VivaError('INTERNAL', `no advantages pooled for curve ${curveId}`)
    const advantages = advantagesOf(target, outcome)
    return {
      curveId,
      k: K,
      positiveFraction,
      scope,
      threshold: threshold.threshold,
      episodesInThreshold: threshold.episodes,
      framesInThreshold: threshold.frames,
      positivesInThreshold: threshold.positives,
      advantages: Float32Array.from(advantages),
      indicators: advantageIndicators(advantages, threshold.threshold),
    }
  }

  /**
   * The event detector calibrated for the series of `curveId` on the dataset's annotated episodes (cross-validated,
   * with the chance baseline; app/detectorCalibration.ts). Runs in steps, yielding to other calls between them.
   */
  async calibrateDetector(datasetId: string, curveId: string, tolerance: TimeSpan | undefined, signal: AbortSignal): Promise<DetectorCalibrationResult> {
    const { summary, input, complete } = this.inputs(datasetId)
    const info = complete.find((c) => c.id === curveId) ?? this.deps.curves.info(curveId)
    if (!info || info.datasetId !== datasetId) throw new VivaError('NOT_FOUND', `No curve ${curveId} in ${summary.name}`)
    const series = seriesKey(info)
    const done = await runSteps(detectSteps(input, { calibrate: true, series, ...(tolerance ? { tolerance } : {}) }), signal)
    const found = done[0]
    if (!found) {
      throw new VivaError('INVALID_ARGUMENT', `No complete curve of ${info.name} in ${summary.name} yet: calibration needs curves with every frame scored`)
    }
    const { suggestions: _suggestions, ...result } = found
    return result
  }

  /** Every drop of a series' complete curves over the dataset, ranked, with P/R against annotated errors. */
  triage(datasetId: string, options: TriageOptions): TriageReport {
    return triageDrops(this.inputs(datasetId).input, options)
  }
}

/** Time one step of a long pure computation may hold the event loop before the others get a turn. */
const SLICE_MS = 20

/** Runs a step generator to its end, yielding to the event loop every SLICE_MS; stops with CANCELLED on `signal`. */
export async function runSteps<T>(steps: Generator<void, T>, signal: AbortSignal): Promise<T> {
  let started = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    if (performance.now() - started >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (signal.aborted) throw new VivaError('CANCELLED', 'Calibration cancelled')
      started = performance.now()
    }
  }
}
