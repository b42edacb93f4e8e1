/**
 * Candidate events from a value curve: milestones where the curve rises and stays up, errors where it drops sharply
 * (what a good value model does at task stages and execution errors, ViVa §4.2). Pure and O(n), so the UI can rerun
 * it on every slider move: a few passes over the curve and a sort of the (few) peaks above threshold.
 *
 * Values are in the progress convention (higher = closer to success; `toDisplay` in curves.ts maps the others).
 *
 * Algorithm, on the frames that have a finite value (NaN / ±Infinity frames are skipped, so a curve still being
 * computed is read as its computed frames; the frames around a gap are treated as neighbours, so windows count
 * computed frames, while candidate frames and minGap are in the curve's own frame indices):
 *
 * 1. Smooth with a zero-phase exponential filter: a forward pass
 *      f[0] = x[0],       f[i] = a·f[i−1] + (1−a)·x[i]
 *    then the same backward over f
 *      s[n−1] = f[n−1],   s[i] = a·s[i+1] + (1−a)·f[i]
 *    with a = `smoothing` (0 = no smoothing: s = x). The combined kernel is symmetric (∝ a^|k|), so a step is
 *    blurred but not delayed, unlike a one-pass (causal) EMA.
 * 2. At every frame i, with `w` = `window`: before = mean of s over the w frames before i (i−w … i−1), after = mean
 *    over the w frames from i (i … i+w−1), both cut short at the ends of the curve (at least one frame each).
 *    rise = after − before, the ERS-style before/after difference of the paper. For a step it peaks exactly at the
 *    step's first new frame (the response is a triangle centred there); for a linear ramp of slope m it is m·w, so
 *    a ramp with slope below riseThreshold / w never yields a milestone.
 * 3. Sustained: a milestone at i also needs the lowest frame of the after-window above the before-mean, and the
 *    after-mean above the highest frame of the before-window, each by at least half the threshold:
 *      min(s[i … i+w−1]) − before ≥ riseThreshold / 2   and   after − max(s[i−w … i−1]) ≥ riseThreshold / 2.
 *    So a bump narrower than the window (a spike that falls back within it) yields neither a milestone nor, on its
 *    way down, an error, however high it is; a gradual rise still counts, at its middle. Errors mirror it: drop =
 *    before − after ≥ dropThreshold, with before − max(after-window) and min(before-window) − after each
 *    ≥ dropThreshold / 2 (a dip that recovers within the window is no error). A frame failing the check scores −∞.
 * 4. Candidates: local maxima of each score (the middle frame of a flat top) with score ≥ its threshold (and > 0),
 *    then greedy non-maximum suppression: strongest first, a candidate is dropped when one of the same kind already
 *    kept lies less than `minGap` frames away. Candidate frame = i, the first frame of the after-window.
 * 5. Delay: each candidate is moved back by its kind's response delay (DetectorParams.milestoneDelay / errorDelay,
 *    0 by default), clamped into the curve: a curve that drops a second after an error suggests the error itself.
 */

import { describeSpan, formatSeconds, framesForSeconds, resolveSpan, type ResolvedSpan, type TimeSpan } from './timeSpan'

export interface DetectorParams {
  /**
   * Zero-phase exponential smoothing factor a in [0, 1): forward f[i] = a·f[i−1] + (1−a)·x[i], then backward
   * s[i] = a·s[i+1] + (1−a)·f[i] (f[0] = x[0], s[n−1] = f[n−1]). 0 = no smoothing; larger = smoother. Values
   * outside [0, 0.99] are clamped into it.
   */
  smoothing: number
  /** Frames on each side of a frame over which a rise or drop is measured (rounded, at least 1). */
  window: number
  /** Minimum sustained rise of the smoothed curve (progress units) for a milestone. */
  riseThreshold: number
  /** Minimum drop of the smoothed curve (progress units) for an error. */
  dropThreshold: number
  /** Minimum distance in frames between two candidates of the same kind (≤ 1: no suppression). */
  minGap: number
  /**
   * How many frames after a milestone (an error) the curve responds: a rise (drop) found at frame f is suggested at
   * f − delay, kept inside the episode. Negative: the curve moves before the event (a model that anticipates).
   * Rounded; 0 when absent.
   */
  milestoneDelay?: number
  errorDelay?: number
}

/**
 * The detector's parameters as durations, so that they mean the same at every frame rate (frames are what
 * detectEvents computes in; resolveDetectorSettings turns these into frames with the dataset's fps, nearest frame,
 * as app/timeSpan.ts does for every window).
 */
export interface DetectorSettings {
  /**
   * Time constant τ of the zero-phase exponential smoothing, in seconds (0 = none). Per frame a = exp(−1 / (τ·fps)):
   * the filter forgets a factor e every τ seconds whatever the frame rate.
   */
  smoothingSeconds: number
  /** Time on each side of a frame over which a rise or drop is measured. */
  window: TimeSpan
  /** Minimum sustained rise of the smoothed curve (progress units) for a milestone; null = propose no milestones. */
  riseThreshold: number | null
  /** Minimum drop of the smoothed curve (progress units) for an error; null = propose no errors. */
  dropThreshold: number | null
  /** Minimum time between two candidates of the same kind (one frame or less: no suppression). */
  minGap: TimeSpan
  /**
   * Response delay of the curve to a milestone / an error in seconds (negative: it moves before the event). A value
   * model may react a second after an error becomes visible, or rise ahead of a stage it foresees; suggestions are
   * put back at the event (see DetectorParams). At most MAX_DELAY_SECONDS either way.
   */
  milestoneDelaySeconds: number
  errorDelaySeconds: number
}

export const MAX_DELAY_SECONDS = 60

/**
 * Defaults for a curve of a series that has no annotated episodes to calibrate on (with annotations the app and
 * `viva detect --calibrate` fit their own, see detectorCalibration.ts). Chosen by `npx tsx bench/detector.ts --tune`
 * on generated task datasets (seeds 12 and 13, failure rate 0.4, and 14, failure rate 1.0; 20 episodes each at
 * 10 fps) scored with both bundled models: among settings without delay that find an ideal event-step curve's
 * events (F1 ≥ 0.9 at ±0.2 s) and propose nothing on the time-linear training target, the one proposing between 2/3
 * and 3/2 as many events of each kind as annotated there, with the highest F1 at ±0.5 s (0.21: those two models'
 * curves barely move at events; about 3 suggestions per episode for about 4.5 annotated events).
 */
export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  smoothingSeconds: 0,
  window: { seconds: 0.3 },
  riseThreshold: 0.08,
  dropThreshold: 0.1,
  minGap: { seconds: 0.3 },
  milestoneDelaySeconds: 0,
  errorDelaySeconds: 0,
}

/** Largest smoothing time constant accepted (a minute-long filter is a typo). */
export const MAX_SMOOTHING_SECONDS = 60

/** What the settings are at one frame rate: the frames detectEvents uses, and the time they cover. */
export interface ResolvedDetectorSettings {
  params: DetectorParams
  window: ResolvedSpan
  minGap: ResolvedSpan
}

/** Per-frame smoothing factor of a time constant: a = exp(−1/(τ·fps)), 0 for τ = 0. */
export function smoothingFactor(seconds: number, fps: number): number {
  if (!(seconds > 0) || !(fps > 0)) return 0
  return Math.exp(-1 / (Math.min(seconds, MAX_SMOOTHING_SECONDS) * fps))
}

/** The settings in frames at `fps` (throws INVALID_ARGUMENT, naming the field, for a span timeSpan refuses). */
export function resolveDetectorSettings(settings: DetectorSettings, fps: number): ResolvedDetectorSettings {
  const window = resolveSpan(settings.window, fps)
  const minGap = resolveSpan(settings.minGap, fps)
  return {
    params: {
      smoothing: smoothingFactor(settings.smoothingSeconds, fps),
      window: window.frames,
      riseThreshold: settings.riseThreshold ?? Infinity,
      dropThreshold: settings.dropThreshold ?? Infinity,
      minGap: minGap.frames,
      milestoneDelay: delayFrames(settings.milestoneDelaySeconds, fps),
      errorDelay: delayFrames(settings.errorDelaySeconds, fps),
    },
    window,
    minGap,
  }
}

/** A delay in whole frames (nearest, halves away from 0), within ±MAX_DELAY_SECONDS. */
function delayFrames(seconds: number, fps: number): number {
  if (!Number.isFinite(seconds) || seconds === 0) return 0
  const frames = framesForSeconds(Math.min(Math.abs(seconds), MAX_DELAY_SECONDS), fps)
  return seconds < 0 ? -frames : frames
}

function formatSigned(seconds: number): string {
  return seconds < 0 ? `−${formatSeconds(-seconds)}` : formatSeconds(seconds)
}

/** "τ 0.2 s · window 5 frames = 0.5 s at 10 fps · rise ≥ 0.06 · drop ≥ 0.06 · min gap 10 frames = 1 s at 10 fps". */
export function describeDetectorSettings(settings: DetectorSettings, fps: number): string {
  const r = resolveDetectorSettings(settings, fps)
  const thr = (x: number | null): string => (x === null ? 'off' : String(Number(x.toFixed(4))))
  return (
    `smoothing τ ${formatSeconds(settings.smoothingSeconds)} s · window ${describeSpan(r.window)} · rise ≥ ${thr(settings.riseThreshold)} · ` +
    `drop ≥ ${thr(settings.dropThreshold)} · min gap ${describeSpan(r.minGap)}` +
    (settings.milestoneDelaySeconds !== 0 || settings.errorDelaySeconds !== 0
      ? ` · delay ${formatSigned(settings.milestoneDelaySeconds)} s after milestones, ${formatSigned(settings.errorDelaySeconds)} s after errors`
      : '')
  )
}

export type EventKind = 'milestone' | 'error'

export interface Candidate {
  kind: EventKind
  /** Frame index in the curve (NaN frames count: it is the index into `values`). */
  frame: number
  /** Size of the rise (milestone) or drop (error) of the smoothed curve, after − before (step 2), in progress units. */
  strength: number
}

export interface TruthEvent {
  kind: EventKind
  frame: number
}

export interface MatchCounts {
  tp: number
  fp: number
  fn: number
  /** tp / (tp + fp); 1 when nothing was proposed (no wrong proposal). */
  precision: number
  /** tp / (tp + fn); 1 when there was nothing to find. */
  recall: number
}

export interface MatchResult extends MatchCounts {
  byKind: Record<EventKind, MatchCounts>
}

function clamp(x: number, lo: number, hi: number): number {
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : lo
}

/** The smoothed curve of step 1 over the given values (no NaN handling: pass finite values). */
export function smoothCurve(values: ArrayLike<number>, smoothing: number): Float64Array {
  const n = values.length
  const s = new Float64Array(n)
  for (let i = 0; i < n; i++) s[i] = values[i] as number
  const a = clamp(smoothing, 0, 0.99)
  if (a === 0 || n < 2) return s
  const b = 1 - a
  for (let i = 1; i < n; i++) s[i] = a * (s[i - 1] as number) + b * (s[i] as number)
  for (let i = n - 2; i >= 0; i--) s[i] = a * (s[i + 1] as number) + b * (s[i] as number)
  return s
}

/**
 * Local maxima of score[1 … m−1] at or above threshold (and > 0): a flat top counts once, at its middle. Returns
 * compacted indices.
 */
function peaks(score: Float64Array, m: number, threshold: number): number[] {
  const out: number[] = []
  let i = 1
  while (i < m) {
    const v = score[i] as number
    if (!(v >= threshold && v > 0)) {
      i++
      continue
    }
    let j = i
    while (j + 1 < m && score[j + 1] === v) j++
    const left = i > 1 ? (score[i - 1] as number) : -Infinity
    const right = j + 1 < m ? (score[j + 1] as number) : -Infinity
    if (left < v && right < v) out.push((i + j) >> 1)
    i = j + 1
  }
  return out
}

/** Greedy NMS: strongest first; keeps a peak only if no kept one lies within minGap − 1 frames. O(k log k). */
function suppress(kind: EventKind, idx: number[], score: Float64Array, frames: Int32Array, minGap: number, last: number): Candidate[] {
  const order = idx.slice().sort((p, q) => (score[q] as number) - (score[p] as number) || p - q)
  const kept: Candidate[] = []
  if (minGap <= 1) {
    for (const p of order) kept.push({ kind, frame: frames[p] as number, strength: score[p] as number })
    return kept
  }
  // Kept frames are ≥ minGap apart, so a bucket of width minGap holds at most one; a conflict is in a neighbouring bucket.
  const buckets = new Int32Array(Math.floor(last / minGap) + 1).fill(-1)
  for (const p of order) {
    const f = frames[p] as number
    const b = Math.floor(f / minGap)
    let clear = true
    for (let c = Math.max(0, b - 1); c <= Math.min(buckets.length - 1, b + 1) && clear; c++) {
      const g = buckets[c] as number
      if (g >= 0 && Math.abs(g - f) < minGap) clear = false
    }
    if (!clear) continue
    buckets[b] = f
    kept.push({ kind, frame: f, strength: score[p] as number })
  }
  return kept
}

/**
 * For every i, the min (sign −1) or max (sign +1) of s over the after-window [i, i+w−1] (ahead) or the
 * before-window [i−w, i−1] (behind), cut at the ends (NaN where empty: behind at i = 0). A monotonic deque: O(m).
 */
function windowExtreme(s: Float64Array, m: number, w: number, sign: 1 | -1, ahead: boolean): Float64Array {
  const out = new Float64Array(m).fill(Number.NaN)
  const deque = new Int32Array(m)
  let head = 0
  let tail = 0
  for (let k = 0; k < m; k++) {
    // Scan backwards for windows ahead, forwards for windows behind; j is the newest frame the window takes in.
    const j = ahead ? m - 1 - k : k
    const v = sign * (s[j] as number)
    while (tail > head && sign * (s[deque[tail - 1] as number] as number) <= v) tail--
    deque[tail++] = j
    while (Math.abs((deque[head] as number) - j) > w - 1) head++
    const at = ahead ? j : j + 1
    if (at < m) out[at] = s[deque[head] as number] as number
  }
  return out
}

/**
 * A curve's rise and drop scores (steps 1–3) for one smoothing and window, before any threshold: what detectEvents
 * computes once per curve, and what the calibration reuses for every threshold and minimum gap.
 */
export interface PreparedCurve {
  /** The curve's length in frames (NaN frames included). */
  length: number
  /** Finite frames, compacted: m of them, frames[j] their frame index. */
  m: number
  frames: Int32Array
  /** after − before at compacted frame j (j ≥ 1). */
  rise: Float64Array
  /** min(lowest after − before, after − highest before): a milestone needs this ≥ riseThreshold / 2. */
  riseHold: Float64Array
  /** before − after. */
  drop: Float64Array
  /** min(before − highest after, lowest before − after): an error needs this ≥ dropThreshold / 2. */
  dropHold: Float64Array
}

/** Steps 1–2 and the sustain measures of step 3 (see the header). */
export function prepareCurve(values: ArrayLike<number>, smoothing: number, window: number): PreparedCurve {
  const n = values.length
  // Compact the finite frames, keeping their frame index.
  const frames = new Int32Array(n)
  const x = new Float64Array(n)
  let m = 0
  for (let i = 0; i < n; i++) {
    const v = values[i] as number
    if (Number.isFinite(v)) {
      frames[m] = i
      x[m++] = v
    }
  }
  const rise = new Float64Array(m).fill(-Infinity)
  const riseHold = new Float64Array(m).fill(-Infinity)
  const drop = new Float64Array(m).fill(-Infinity)
  const dropHold = new Float64Array(m).fill(-Infinity)
  const prepared = { length: n, m, frames, rise, riseHold, drop, dropHold }
  if (m < 2) return prepared
  const s = smoothCurve(x.subarray(0, m), smoothing)
  const w = Math.max(1, Math.round(clamp(window, 1, m)))
  const prefix = new Float64Array(m + 1)
  for (let i = 0; i < m; i++) prefix[i + 1] = (prefix[i] as number) + (s[i] as number)
  // Lowest / highest value of the after-window [i, i+w−1] and of the before-window [i−w, i−1].
  const lowAfter = windowExtreme(s, m, w, -1, true)
  const highAfter = windowExtreme(s, m, w, 1, true)
  const lowBefore = windowExtreme(s, m, w, -1, false)
  const highBefore = windowExtreme(s, m, w, 1, false)
  for (let i = 1; i < m; i++) {
    const nb = Math.min(w, i)
    const na = Math.min(w, m - i)
    const before = ((prefix[i] as number) - (prefix[i - nb] as number)) / nb
    const after = ((prefix[i + na] as number) - (prefix[i] as number)) / na
    rise[i] = after - before
    riseHold[i] = Math.min((lowAfter[i] as number) - before, after - (highBefore[i] as number))
    drop[i] = before - after
    dropHold[i] = Math.min(before - (highAfter[i] as number), (lowBefore[i] as number) - after)
  }
  return prepared
}

/** A score where the sustain check passes, −∞ elsewhere (step 3), into `out`. */
function held(score: Float64Array, hold: Float64Array, m: number, threshold: number, out: Float64Array): Float64Array {
  const half = threshold / 2
  out[0] = -Infinity
  for (let i = 1; i < m; i++) out[i] = (hold[i] as number) >= half ? (score[i] as number) : -Infinity
  return out
}

/**
 * Step 4 on a prepared curve: candidates at these thresholds (progress units) and minimum gap (frames), each moved
 * back by its kind's delay (frames; see DetectorParams).
 */
export function candidatesOf(p: PreparedCurve, riseThreshold: number, dropThreshold: number, minGap: number, delay: { milestone?: number; error?: number } = {}): Candidate[] {
  const { m, frames } = p
  if (m < 2) return []
  const gap = Math.round(clamp(minGap, 0, p.length))
  const last = frames[m - 1] as number
  const scratch = new Float64Array(m)
  const out: Candidate[] = []
  if (riseThreshold <= Number.MAX_VALUE) {
    const rise = held(p.rise, p.riseHold, m, riseThreshold, scratch)
    out.push(...suppress('milestone', peaks(rise, m, riseThreshold), rise, frames, gap, last))
  }
  if (dropThreshold <= Number.MAX_VALUE) {
    const drop = held(p.drop, p.dropHold, m, dropThreshold, scratch)
    out.push(...suppress('error', peaks(drop, m, dropThreshold), drop, frames, gap, last))
  }
  shiftCandidates(out, delay, p.length)
  out.sort((a, b) => a.frame - b.frame || (a.kind === b.kind ? 0 : a.kind === 'milestone' ? -1 : 1))
  return out
}

/** Moves each candidate back by its kind's delay (rounded frames), clamped to [0, length − 1]; in place. */
export function shiftCandidates(list: Candidate[], delay: { milestone?: number; error?: number }, length: number): Candidate[] {
  const dm = Math.round(Number.isFinite(delay.milestone) ? (delay.milestone as number) : 0)
  const de = Math.round(Number.isFinite(delay.error) ? (delay.error as number) : 0)
  if (dm === 0 && de === 0) return list
  for (const c of list) {
    const d = c.kind === 'milestone' ? dm : de
    if (d !== 0) c.frame = Math.min(length - 1, Math.max(0, c.frame - d))
  }
  return list
}

/** Milestone and error candidates of a curve (progress convention), sorted by frame (milestone first on a tie). */
export function detectEvents(values: ArrayLike<number>, params: DetectorParams): Candidate[] {
  return candidatesOf(prepareCurve(values, params.smoothing, params.window), params.riseThreshold, params.dropThreshold, params.minGap, {
    ...(params.milestoneDelay !== undefined ? { milestone: params.milestoneDelay } : {}),
    ...(params.errorDelay !== undefined ? { error: params.errorDelay } : {}),
  })
}

/** Counts with precision and recall (0/0 is 1: nothing proposed is no wrong proposal, nothing to find is none missed). */
export function matchCounts(tp: number, fp: number, fn: number): MatchCounts {
  return { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) }
}

/** Sum several results (e.g. one per episode) into one, recomputing precision and recall from the summed counts. */
export function sumMatches(results: readonly MatchResult[]): MatchResult {
  const add = (kind: EventKind | null): MatchCounts => {
    let tp = 0
    let fp = 0
    let fn = 0
    for (const r of results) {
      const c = kind ? r.byKind[kind] : r
      tp += c.tp
      fp += c.fp
      fn += c.fn
    }
    return matchCounts(tp, fp, fn)
  }
  return { ...add(null), byKind: { milestone: add('milestone'), error: add('error') } }
}

/**
 * One-to-one matching of candidates to true events of the same kind within ±tolerance frames: greedy over all
 * admissible pairs, closest first (then the earlier candidate, then the earlier true event). Within one episode.
 * Greedy is not a maximum matching: candidates 10 and 13 against events 12 and 16 at ±3 match once (13–12).
 * Returns the pairs as indices into `candidates` and `truth`.
 */
export function matchPairs(candidates: readonly Pick<Candidate, 'kind' | 'frame'>[], truth: readonly TruthEvent[], tolerance: number): { candidate: number; truth: number }[] {
  const out: { candidate: number; truth: number }[] = []
  for (const kind of ['milestone', 'error'] as const) {
    const cs: number[] = []
    const ts: number[] = []
    candidates.forEach((c, i) => c.kind === kind && cs.push(i))
    truth.forEach((t, i) => t.kind === kind && ts.push(i))
    const frameC = (i: number): number => (candidates[i] as Candidate).frame
    const frameT = (i: number): number => (truth[i] as TruthEvent).frame
    const pairs: { c: number; t: number; d: number }[] = []
    for (const c of cs) {
      for (const t of ts) {
        const d = Math.abs(frameC(c) - frameT(t))
        if (d <= tolerance) pairs.push({ c, t, d })
      }
    }
    pairs.sort((p, q) => p.d - q.d || frameC(p.c) - frameC(q.c) || frameT(p.t) - frameT(q.t))
    const usedC = new Set<number>()
    const usedT = new Set<number>()
    for (const p of pairs) {
      if (usedC.has(p.c) || usedT.has(p.t)) continue
      usedC.add(p.c)
      usedT.add(p.t)
      out.push({ candidate: p.c, truth: p.t })
    }
  }
  return out
}

/** Counts of matchPairs, per kind and in all. */
export function matchEvents(candidates: readonly Pick<Candidate, 'kind' | 'frame'>[], truth: readonly TruthEvent[], tolerance: number): MatchResult {
  const pairs = matchPairs(candidates, truth, tolerance)
  const byKind = {} as Record<EventKind, MatchCounts>
  for (const kind of ['milestone', 'error'] as const) {
    const tp = pairs.filter((p) => (candidates[p.candidate] as Candidate).kind === kind).length
    const nc = candidates.filter((c) => c.kind === kind).length
    const nt = truth.filter((t) => t.kind === kind).length
    byKind[kind] = matchCounts(tp, nc - tp, nt - tp)
  }
  const total = matchCounts(byKind.milestone.tp + byKind.error.tp, byKind.milestone.fp + byKind.error.fp, byKind.milestone.fn + byKind.error.fn)
  return { ...total, byKind }
}
