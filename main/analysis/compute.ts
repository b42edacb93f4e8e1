import type { Outcome } from '../../app/annotations'
import {
  advantageThresholds,
  DEFAULT_ADVANTAGE_OPTIONS,
  defaultK,
  kStepAdvantages,
  stepRewards,
  thresholdKey,
  type ThresholdPool,
  type ThresholdScope,
} from '../../app/advantages'
import { seriesKey, toDisplay } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import type { DetectInput } from '../../app/detectorCalibration'
import type { MetricsInput } from '../../app/metricsReport'

/**
 * What every analysis reads: the dataset's present episodes, the outcomes and events of a project (the app) or an
 * annotation export (the CLI), and complete curves from the value cache (the app) or curve files (the CLI). Both
 * gather it, then call the same functions below, so the app and `viva` cannot give different numbers.
 */
export type AnalysisInput = MetricsInput & DetectInput & { curves: MetricsInput['curves'] }
export type AnalysisCurve = AnalysisInput['curves'][number]

/** The dataset's part of an AnalysisInput: fps and present episodes with their first task. */
export function analysisInput(
  summary: DatasetSummary,
  annotations: { outcomes: Map<number, Outcome>; events: AnalysisInput['events']; annotated: ReadonlySet<number> },
  curves: AnalysisCurve[],
): AnalysisInput {
  return {
    fps: summary.fps,
    episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, task: e.tasks[0] ?? '', length: e.length })),
    ...annotations,
    curves,
  }
}

export interface AdvantageSettings {
  k: number
  positiveFraction: number
  scope: ThresholdScope
}

/** The contract's optional advantage options with their defaults; K defaults to RECAP's 50 frames at 30 fps, scaled. */
export function advantageSettings(fps: number, k?: number, positiveFraction?: number, scope?: ThresholdScope): AdvantageSettings {
  return {
    k: k ?? defaultK(fps),
    positiveFraction: positiveFraction ?? DEFAULT_ADVANTAGE_OPTIONS.positiveFraction,
    scope: scope ?? DEFAULT_ADVANTAGE_OPTIONS.scope,
  }
}

export interface CurveAdvantages {
  curve: AnalysisCurve
  outcome: 'success' | 'failure'
  series: string
  task: string
  /** Per frame, from the curve shown as progress (toDisplay) and the outcome's step rewards. */
  advantages: Float64Array
}

export interface PooledAdvantages {
  items: CurveAdvantages[]
  /** Per thresholdKey(series, task, scope): the pool's threshold and counts. */
  pools: Map<string, ThresholdPool>
  /** Curves whose episode has no success/failure outcome: RECAP rewards need one. */
  leftOut: AnalysisCurve[]
}

/**
 * K-step advantages of the curves `include` keeps, pooled by (series, task) or series for the RECAP threshold.
 * The app asks for the one pool of the curve on screen; `viva advantages` for every pool.
 */
export function pooledAdvantages(
  input: AnalysisInput,
  settings: AdvantageSettings,
  include: (series: string, task: string) => boolean = () => true,
): PooledAdvantages {
  const taskOf = new Map(input.episodes.map((e) => [e.index, e.task]))
  const items: CurveAdvantages[] = []
  const leftOut: AnalysisCurve[] = []
  for (const curve of input.curves) {
    const series = seriesKey(curve.info)
    const task = taskOf.get(curve.info.episode) ?? ''
    if (!include(series, task)) continue
    const outcome = input.outcomes.get(curve.info.episode)
    if (outcome !== 'success' && outcome !== 'failure') {
      leftOut.push(curve)
      continue
    }
    const progress = toDisplay(curve.values, curve.info.convention, curve.info.length)
    items.push({ curve, outcome, series, task, advantages: kStepAdvantages(progress, stepRewards(curve.info.length, outcome), settings.k) })
  }
  return { items, pools: advantageThresholds(items, settings.positiveFraction, settings.scope), leftOut }
}

/** The pool key of one curve of `input` under `scope`. */
export function poolOf(input: AnalysisInput, curve: Pick<AnalysisCurve, 'info'>, scope: ThresholdScope): string {
  const task = input.episodes.find((e) => e.index === curve.info.episode)?.task ?? ''
  return thresholdKey(seriesKey(curve.info), task, scope)
}
