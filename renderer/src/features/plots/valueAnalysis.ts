/**
 * Pure helpers of the value plot's analysis tools: display smoothing and the RECAP advantage band. No DOM, no store.
 */
import { toDisplay, type CurveConvention } from '../../../../app/curves'

/** The display smoothing slider's range, as a factor a (the paper smooths its figures with a = 0.2). */
export const MAX_VALUE_SMOOTHING = 0.95

export function clampSmoothing(a: number): number {
  return Number.isFinite(a) ? Math.min(MAX_VALUE_SMOOTHING, Math.max(0, a)) : 0
}

/**
 * Display-only exponential moving average (causal, as TensorBoard-style "smoothing" sliders do):
 *     s_t = a·s_{t−1} + (1 − a)·v_t,   s_0 = v_0,
 * with a in [0, 0.95] (0 = the curve as computed). Frames without a value (NaN) stay NaN and do not reset the
 * average: the next value continues from the last smoothed one, so a curve being computed smooths the same as
 * when it is complete. Metrics and the event detector always use the unsmoothed values.
 */
export function emaSmooth(values: ArrayLike<number>, a: number): Float32Array {
  const n = values.length
  const out = new Float32Array(n)
  const k = clampSmoothing(a)
  let s = Number.NaN
  for (let i = 0; i < n; i++) {
    const v = values[i] as number
    if (!Number.isFinite(v)) {
      out[i] = Number.NaN
      continue
    }
    s = Number.isNaN(s) || k === 0 ? v : k * s + (1 - k) * v
    out[i] = s
  }
  return out
}

/**
 * A curve as the value plot draws it: in the display convention (progress, higher = closer to success), smoothed by
 * the display smoothing. The plot and the exported figure both draw this, so the figure shows what the user saw.
 */
export function displayedValues(values: Float32Array, info: { convention: CurveConvention; length: number }, smoothing: number): Float32Array {
  const shown = toDisplay(values, info.convention, info.length)
  return smoothing > 0 ? emaSmooth(shown, smoothing) : shown
}

/** A run of frames [start, end] (inclusive) whose advantage indicator is 1. */
export interface BandRange {
  start: number
  end: number
}

/** Maximal runs of consecutive frames with a non-zero indicator, in frame order. */
export function bandRanges(indicators: ArrayLike<number>): BandRange[] {
  const out: BandRange[] = []
  let start = -1
  for (let i = 0; i < indicators.length; i++) {
    const on = (indicators[i] as number) !== 0
    if (on && start < 0) start = i
    else if (!on && start >= 0) {
      out.push({ start, end: i - 1 })
      start = -1
    }
  }
  if (start >= 0) out.push({ start, end: indicators.length - 1 })
  return out
}

/** Fraction of frames with indicator 1 (0 for an empty curve). */
export function positiveFraction(indicators: ArrayLike<number>): number {
  if (indicators.length === 0) return 0
  let n = 0
  for (let i = 0; i < indicators.length; i++) if ((indicators[i] as number) !== 0) n++
  return n / indicators.length
}

/**
 * The band's runs as one polygon trace: a rectangle per run from start − ½ to end + ½ (a frame's whole width),
 * separated by gaps, for a scatter trace with fill 'toself' on a 0..1 axis.
 */
export function bandPolygons(ranges: readonly BandRange[]): { x: (number | null)[]; y: (number | null)[] } {
  const x: (number | null)[] = []
  const y: (number | null)[] = []
  for (const r of ranges) {
    x.push(r.start - 0.5, r.start - 0.5, r.end + 0.5, r.end + 0.5, r.start - 0.5, null)
    y.push(0, 1, 1, 0, 0, null)
  }
  return { x, y }
}
