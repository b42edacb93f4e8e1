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
 */

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
}

/**
 * Tuned by `npx tsx bench/detector.ts --tune` on generated task datasets (seeds 12 and 13, failure rate 0.4, and
 * seed 14, failure rate 1.0; 20 episodes each at 10 fps) scored with the bundled viva-reference and
 * baseline-reference models: mean F1 at ±5 frames over both models and both kinds, subject to recovering an ideal
 * event-step curve (F1 ≥ 0.9 at ±2 frames) and proposing nothing on the time-linear training target; among
 * settings within 0.01 of the best, the one proposing the fewest candidates. Measured on another seed (11) in
 * bench/results/detector.json: exact on the ideal curve, but on those two models' curves no better than chance,
 * since they barely respond to events. Window and minGap are in frames, tuned at 10 fps (events 0.3 s apart):
 * scale them with the frame rate.
 */
export const DEFAULT_DETECTOR_PARAMS: DetectorParams = {
  smoothing: 0,
  window: 2,
  riseThreshold: 0.06,
  dropThreshold: 0.025,
  minGap: 3,
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

/** Milestone and error candidates of a curve (progress convention), sorted by frame (milestone first on a tie). */
export function detectEvents(values: ArrayLike<number>, params: DetectorParams): Candidate[] {
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
  if (m < 2) return []
  const s = smoothCurve(x.subarray(0, m), params.smoothing)
  const w = Math.max(1, Math.round(clamp(params.window, 1, m)))
  const minGap = Math.round(clamp(params.minGap, 0, n))

  const prefix = new Float64Array(m + 1)
  for (let i = 0; i < m; i++) prefix[i + 1] = (prefix[i] as number) + (s[i] as number)
  // Lowest / highest value of the after-window [i, i+w−1] and of the before-window [i−w, i−1].
  const lowAfter = windowExtreme(s, m, w, -1, true)
  const highAfter = windowExtreme(s, m, w, 1, true)
  const lowBefore = windowExtreme(s, m, w, -1, false)
  const highBefore = windowExtreme(s, m, w, 1, false)
  const rise = new Float64Array(m).fill(-Infinity)
  const drop = new Float64Array(m).fill(-Infinity)
  for (let i = 1; i < m; i++) {
    const nb = Math.min(w, i)
    const na = Math.min(w, m - i)
    const before = ((prefix[i] as number) - (prefix[i - nb] as number)) / nb
    const after = ((prefix[i + na] as number) - (prefix[i] as number)) / na
    const halfRise = params.riseThreshold / 2
    const halfDrop = params.dropThreshold / 2
    if ((lowAfter[i] as number) - before >= halfRise && after - (highBefore[i] as number) >= halfRise) rise[i] = after - before
    if (before - (highAfter[i] as number) >= halfDrop && (lowBefore[i] as number) - after >= halfDrop) drop[i] = before - after
  }

  const last = frames[m - 1] as number
  const out = [
    ...suppress('milestone', peaks(rise, m, params.riseThreshold), rise, frames, minGap, last),
    ...suppress('error', peaks(drop, m, params.dropThreshold), drop, frames, minGap, last),
  ]
  out.sort((p, q) => p.frame - q.frame || (p.kind === q.kind ? 0 : p.kind === 'milestone' ? -1 : 1))
  return out
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
 */
export function matchEvents(candidates: readonly Candidate[], truth: readonly TruthEvent[], tolerance: number): MatchResult {
  const byKind = {} as Record<EventKind, MatchCounts>
  for (const kind of ['milestone', 'error'] as const) {
    const cs = candidates.filter((c) => c.kind === kind)
    const ts = truth.filter((t) => t.kind === kind)
    const pairs: { c: number; t: number; d: number }[] = []
    for (let ci = 0; ci < cs.length; ci++) {
      for (let ti = 0; ti < ts.length; ti++) {
        const d = Math.abs((cs[ci] as Candidate).frame - (ts[ti] as TruthEvent).frame)
        if (d <= tolerance) pairs.push({ c: ci, t: ti, d })
      }
    }
    pairs.sort(
      (p, q) =>
        p.d - q.d ||
        (cs[p.c] as Candidate).frame - (cs[q.c] as Candidate).frame ||
        (ts[p.t] as TruthEvent).frame - (ts[q.t] as TruthEvent).frame,
    )
    const usedC = new Uint8Array(cs.length)
    const usedT = new Uint8Array(ts.length)
    let tp = 0
    for (const p of pairs) {
      if (usedC[p.c] || usedT[p.t]) continue
      usedC[p.c] = 1
      usedT[p.t] = 1
      tp++
    }
    byKind[kind] = matchCounts(tp, cs.length - tp, ts.length - tp)
  }
  const total = matchCounts(byKind.milestone.tp + byKind.error.tp, byKind.milestone.fp + byKind.error.fp, byKind.milestone.fn + byKind.error.fn)
  return { ...total, byKind }
}
