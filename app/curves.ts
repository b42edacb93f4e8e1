/**
 * Value curves: per-frame values of one episode, from the app's own model runs or imported from elsewhere. Each
 * curve keeps its own convention; the display maps every convention onto progress (higher = closer to success).
 */

/**
 * - progress: in [0, 1], higher = closer to success (the app's own convention).
 * - remaining: remaining progress in [0, 1] (1 at the start, 0 at success), e.g. the ViVa reference `prediction`.
 * - remaining-frames: frames left until the end of the episode, e.g. the ViVa reference `model_prediction`.
 */
export const CURVE_CONVENTIONS = ['progress', 'remaining', 'remaining-frames'] as const
export type CurveConvention = (typeof CURVE_CONVENTIONS)[number]

export type CurveSource = 'model' | 'import'

/** How a model run was made; part of the cache key of its results. */
export interface ScoreParams {
  /** Flow-matching Euler steps (viva-flow); 0 for direct models. */
  steps: number
  /** Seed of the initial noise of the target frames (viva-flow). */
  seed: number
  /** Dataset camera key feeding each model camera slot, in slot order. */
  cameras: string[]
  /**
   * The state map (app/modelMapping.ts, canonical form) that made the model's state from the dataset's; absent when
   * the state went in unchanged.
   */
  stateMap?: string
  /** The dataset feature the state came from, when it is not `observation.state` (the user can choose another). */
  stateKey?: string
}

export interface CurveInfo {
  /** Stable id: the cache key of a model run, or the id given to an imported curve. */
  id: string
  datasetId: string
  episode: number
  name: string
  source: CurveSource
  convention: CurveConvention
  /** Episode length in frames; values has this length. */
  length: number
  /** Frames that have a value (a running or interrupted model run has fewer than `length`). */
  computed: number
  complete: boolean
  /** Model package id (content hash) for model curves. */
  modelId: string | null
  modelName: string | null
  params: ScoreParams | null
  /** Predicted future state q̂(t+K) per frame (viva-flow): its dimension, joint names and K; 0 / [] when none. */
  futureDim: number
  futureNames: string[]
  futureOffset: number
  /** The file an imported curve came from. */
  file: string | null
  /**
   * Why these values may not mean what they should: the model's input was out of its distribution (a state far
   * outside its training range, other units). Shown beside the curve; empty when nothing was noticed.
   */
  warnings: string[]
  createdAt: string
}

export interface CurveData {
  info: CurveInfo
  /** length values in the curve's own convention; NaN where not (yet) computed. */
  values: Float32Array
  /** length × futureDim, row-major, NaN where not computed; null when the curve has no future state. */
  future: Float32Array | null
}

/** A contiguous run of new values of a curve, pushed while a model computes it. */
export interface CurveChunk {
  jobId: string
  datasetId: string
  episode: number
  curveId: string
  /** Frame index of values[0]. */
  start: number
  values: Float32Array
  /** values.length × futureDim, or null. */
  future: Float32Array | null
}

/**
 * One value in the display convention (progress, higher = better). `length` is the episode length; remaining
 * frames count down to 0 at the last frame, so they are scaled by length − 1.
 */
export function displayValue(value: number, convention: CurveConvention, length: number): number {
  switch (convention) {
    case 'progress':
      return value
    case 'remaining':
      return 1 - value
    case 'remaining-frames':
      return length > 1 ? 1 - value / (length - 1) : 1 - value
  }
}

/** A whole curve in the display convention; NaN (not computed) stays NaN. */
export function toDisplay(values: Float32Array, convention: CurveConvention, length: number): Float32Array {
  const out = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = displayValue(values[i] as number, convention, length)
  return out
}

/** Number of leading frames with a value: how far a sequential run got. */
export function computedPrefix(values: Float32Array): number {
  let i = 0
  while (i < values.length && !Number.isNaN(values[i])) i++
  return i
}
