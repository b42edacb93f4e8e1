import type { AdvantageResult, DetectorCalibrationResult, ExportedText } from '../../app/contract'
import type { Outcome } from '../../app/annotations'
import { advantageIndicators, thresholdKey, type ThresholdScope } from '../../app/advantages'
import { seriesKey, type CurveInfo } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { annotatedEpisodes, detectSteps } from '../../app/detectorCalibration'
import { episodeStats, type CurveStats, type EpisodeStatsOptions, type EpisodeStatsReport } from '../../app/episodeStats'
import { buildMetricsReport, metricsReportRows, type MetricsReport, type MetricsReportOptions } from '../../app/metricsReport'
import type { TimeSpan } from '../../app/timeSpan'
import { triageDrops, type TriageOptions, type TriageReport } from '../../app/triage'
import { formatCsv } from '../formats/csv'
import type { CurveStore } from '../store/curveStore'
import type { AnnotationProjects } from '../store/projects'
import { advantageSettings, analysisInput, pooledAdvantages, poolOf, type AnalysisInput } from './compute'

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
  /**
   * Episode-list numbers of each curve already computed, for the options they were computed with: a job adds
   * curves one by one and the list asks again after each, so each curve is read and scanned once, not once per ask.
   */
  private statsMemo = { options: '', byCurve: new Map<string, CurveStats>() }

  constructor(private readonly deps: AnalysisDeps) {}

  private inputs(datasetId: string): { input: AnalysisInput; summary: DatasetSummary; complete: CurveInfo[] } {
    const summary = this.deps.summary(datasetId)
    const snapshot = this.deps.projects.snapshot(datasetId)
    const complete = this.deps.curves.listDataset(datasetId).filter((c) => c.complete)
    const input = analysisInput(
      summary,
      {
        outcomes: new Map<number, Outcome>(snapshot.episodes.map((e) => [e.episode, e.outcome])),
        events: snapshot.events,
        annotated: annotatedEpisodes(snapshot.events, snapshot.episodes),
      },
      complete.map((info) => ({ info, values: this.deps.curves.get(info.id).values })),
    )
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

  advantages(datasetId: string, curveId: string, k?: number, positiveFraction?: number, scope?: ThresholdScope): AdvantageResult {
    const { summary, input, complete } = this.inputs(datasetId)
    const target = input.curves[complete.findIndex((c) => c.id === curveId)]
    if (!target) throw new VivaError('NOT_FOUND', `No complete curve ${curveId} in ${summary.name} (advantages need every frame scored)`)
    const settings = advantageSettings(summary.fps, k, positiveFraction, scope)
    const outcome = input.outcomes.get(target.info.episode)
    if (outcome !== 'success' && outcome !== 'failure') {
      throw new VivaError('INVALID_ARGUMENT', `Episode ${target.info.episode} has no success/failure outcome; RECAP rewards need one (set it with S or F)`)
    }
    // Only the target's pool: its series, and its task unless the scope is the whole dataset.
    const series = seriesKey(target.info)
    const pool = poolOf(input, target, settings.scope)
    const { items, pools } = pooledAdvantages(input, settings, (s, task) => s === series && thresholdKey(s, task, settings.scope) === pool)
    const threshold = pools.get(pool)
    const advantages = items.find((i) => i.curve === target)?.advantages
    if (!threshold || !advantages) throw new VivaError('INTERNAL', `no advantages pooled for curve ${curveId}`)
    return {
      curveId,
      k: settings.k,
      positiveFraction: settings.positiveFraction,
      scope: settings.scope,
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

  /** Every series' mean, final value and drop count per episode (complete curves), for the episode list. */
  episodeStats(datasetId: string, options: EpisodeStatsOptions): EpisodeStatsReport {
    const summary = this.deps.summary(datasetId)
    const optionsKey = JSON.stringify([summary.fps, options])
    if (this.statsMemo.options !== optionsKey || this.statsMemo.byCurve.size > MAX_MEMO_CURVES) this.statsMemo = { options: optionsKey, byCurve: new Map() }
    const byCurve = this.statsMemo.byCurve
    const store = this.deps.curves
    // Values are read only for a curve the memo does not know (the getter runs when episodeStats computes).
    const curves = store.listDataset(datasetId).filter((c) => c.complete).map((info) => ({
      info,
      memoKey: `${info.id}\0${info.createdAt}\0${info.fileHash ?? ''}\0${info.computed}`,
      get values(): Float32Array {
        return store.get(info.id).values
      },
    }))
    const episodes = summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length }))
    return episodeStats({ fps: summary.fps, episodes, curves }, options, {
      get: (c) => byCurve.get(c.memoKey),
      set: (c, stats) => void byCurve.set(c.memoKey, stats),
    })
  }

  /** Every drop of a series' complete curves over the dataset, ranked, with P/R against annotated errors. */
  triage(datasetId: string, options: TriageOptions): TriageReport {
    return triageDrops(this.inputs(datasetId).input, options)
  }
}

/** Curves whose episode-list numbers are kept (a few MB); past it the memo starts over. */
const MAX_MEMO_CURVES = 200_000

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
