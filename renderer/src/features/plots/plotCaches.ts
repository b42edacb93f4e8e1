/**
 * What the plots compute once and reuse across redraws (stable arrays, so Plotly sees the same data and the renderer
 * does not recompute per frame). One set per store (PlotFeaturesSlice.plotCaches), so two app instances or two tests
 * never share them.
 */
import type { Data } from 'plotly.js'
import type { AdvantageResult, EpisodeState } from '../../../../app/contract'
import type { Candidate } from '../../../../app/detector'
import type { EpisodeOutcome } from '../../../../app/metrics'
import type { CurveEntry } from '../curves/curves'

export interface PlotCaches {
  /** Display arrays of each curve, kept while the curve's values, convention and smoothing stay the same. */
  display: Map<string, { entry: CurveEntry; smoothing: number; y: Float32Array }>
  groundTruth: { length: number; outcome: EpisodeOutcome; y: Float64Array } | null
  candidates: { list: readonly Candidate[]; trace: Data } | null
  band: { result: AdvantageResult; trace: Data } | null
  /** 0, 1, …, n − 1 for the last n asked (see plotShared.frames). */
  frameAxis: Float32Array
  /** Per-joint value arrays of a feature, made once per episode. */
  joints: WeakMap<EpisodeState, { length: number; ys: Float32Array[] }>
}

export function createPlotCaches(): PlotCaches {
  return { display: new Map(), groundTruth: null, candidates: null, band: null, frameAxis: new Float32Array(0), joints: new WeakMap() }
}
