/**
 * The ViVa paper's value-curve metrics (arXiv 2604.08168v2, section 4.2), in the app's *progress* convention
 * (higher = closer to success; see app/curves.ts). Pure: no Node, no DOM. The numpy reference is
 * models/viva/viva/evaluate.py; app/testing/fixtures/metrics-reference.json (made by
 * models/viva/make_metric_fixtures.py) pins this module to it.
 *
 * - Pearson / Spearman: correlation of an episode's curve with its ground-truth progress (1 − G/2, G from eq. 2),
 *   averaged over episodes. Spearman is Pearson of average ranks (ties share the mean of the ranks they span).
 *   A constant input (or fewer than 2 frames) has correlation 0 by definition here.
 * - VOC (value-order correlation): Spearman between the curve and the frame order, averaged over episodes.
 * - ERS (eq. 3): for an annotated event at frame k with direction d (+1 milestone, −1 error),
 *   V_before = mean of the w frames before k and V_after = mean of the w frames after k; the event frame itself is
 *   in neither window, windows are clipped at the episode ends, and an event whose window is empty (at the first or
 *   the last frame) has no score: it is skipped and counted. w is a parameter (the paper does not state it).
 * - MS / ES: mean ERS over all milestones / errors of all episodes (not a mean of per-episode means);
 *   MDR / ErrDR (eq. 4): fraction of those events with ERS > 0.
 *
 * Relative versus absolute ERS.
 * The paper's ERS is relative: ERS = d · (V_after − V_before) / (V_before + ε). Dividing by V_before makes it
 * depend on where the curve sits, not only on how it moves, and that misbehaves in three ways:
 * 1. V_before near 0: the same small change becomes a huge score. In the progress convention this happens at the
 *    start of every episode (ground-truth progress of a failure starts at 1/(2T)), and in a cost-to-go convention
 *    (the paper's G) near the end of every success. A single such event can dominate MS / ES, which are plain means.
 * 2. V_before < −ε (curves that go negative, e.g. raw model outputs or other conventions): the denominator is
 *    negative, so a rise counts as a drop and vice versa. The sign flips, and with it the detection in MDR / ErrDR.
 *    At V_before = −ε exactly the score is undefined (±Infinity, or NaN when nothing changed; NaN is not > 0, so it
 *    counts as not detected).
 * 3. Offsets matter: adding a constant to a curve, or expressing it in another convention (1 − remaining, or
 *    failures in (0, 0.5] against successes in (0.5, 1]), changes every score although the curve moves the same.
 *    A jump of 0.05 scores 1.0 at V_before = 0.05 and 0.055 at V_before = 0.9.
 * The absolute variant, ERS_abs = d · (V_after − V_before), is the signed jump of the curve across the event in the
 * curve's own units (for progress: a fraction of the whole 0..1 scale), positive when the curve moves the expected
 * way. It is unaffected by offsets, so MS / ES become "mean height of the jump at milestones / errors", comparable
 * across episodes, outcomes and models. Whenever V_before + ε > 0 the two variants have the same sign, so MDR and
 * ErrDR agree between them; they differ only where the relative form's sign is unreliable.
 */
import { VivaError } from './errors'

export type ErsVariant = 'relative' | 'absolute'

export const ERS_VARIANTS: readonly ErsVariant[] = ['relative', 'absolute']

/** ε of eq. 3 unless given. */
export const DEFAULT_EPS = 1e-6

export interface MetricOptions {
  /** ERS window w in frames, an integer ≥ 1. */
  window: number
  variant: ErsVariant
  /** ε of eq. 3 (relative variant only), > 0; default 1e-6. */
  eps?: number
}

/** Outcomes with a ground truth ('unknown' episodes have none). */
export type EpisodeOutcome = 'success' | 'failure'

/** Pearson correlations whose denominator is at most this are 0 (as evaluate.py). */
const DEGENERATE = 1e-15

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', message)
}

function isCount(n: number, min: number): boolean {
  return Number.isInteger(n) && n >= min
}

/** Throws INVALID_ARGUMENT naming the first frame whose value is NaN or infinite. */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number
    if (!Number.isFinite(v)) throw invalid(`${what}: value at frame ${i} is ${String(v)}`)
  }
}

/**
 * Ground-truth progress of an episode of `length` frames: 1 − G/2 with the paper's return (eq. 2) at frame
 * i = t − 1: G(i) = (T − 1 − i)/T for a success, + 1 for a failure. Successes rise from 1/2 + 1/(2T) to 1,
 * failures from 1/(2T) to 1/2.
 */
export function groundTruthProgress(length: number, outcome: EpisodeOutcome): Float64Array {
  if (!isCount(length, 1)) throw invalid(`episode length must be a positive integer, got ${length}`)
  if (outcome !== 'success' && outcome !== 'failure') throw invalid(`unknown outcome ${String(outcome)}`)
  const out = new Float64Array(length)
  for (let i = 0; i < length; i++) {
    let g = (length - 1 - i) / length
    if (outcome === 'failure') g += 1
    out[i] = 1 - g / 2
  }
  return out
}

/** 1-based ranks; tied values all get the mean of the ranks they span (scipy's 'average'). */
export function rankAverage(x: ArrayLike<number>): Float64Array {
  checkFinite(x, 'rank')
  const n = x.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number))
  const ranks = new Float64Array(n)
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && x[order[j + 1] as number] === x[order[i] as number]) j++
    const r = 0.5 * (i + j) + 1
    for (let m = i; m <= j; m++) ranks[order[m] as number] = r
    i = j + 1
  }
  return ranks
}

function isConstant(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return false
  return true
}

function mean(x: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] as number
  return s / x.length
}

/** Pearson correlation; 0 when either input is constant or has fewer than 2 elements. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw invalid(`correlation of curves of different lengths (${a.length} and ${b.length})`)
  checkFinite(a, 'correlation (first curve)')
  checkFinite(b, 'correlation (second curve)')
  const n = a.length
  if (n < 2 || isConstant(a) || isConstant(b)) return 0
  const ma = mean(a)
  const mb = mean(b)
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma
    const db = (b[i] as number) - mb
    sab += da * db
    saa += da * da
    sbb += db * db
  }
  const den = Math.sqrt(saa * sbb)
  if (den <= DEGENERATE) return 0
  return Math.min(1, Math.max(-1, sab / den))
}

/** Spearman rank correlation = Pearson of average ranks; 0 when either input is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw invalid(`correlation of curves of different lengths (${a.length} and ${b.length})`)
  return pearson(rankAverage(a), rankAverage(b))
}

/** Value-order correlation: Spearman between the values and the frame order; 0 for a constant curve. */
export function voc(values: ArrayLike<number>): number {
  const order = new Float64Array(values.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  return spearman(values, order)
}

function checkEventFrame(length: number, frame: number, what: string): void {
  if (!Number.isInteger(frame) || frame < 0 || frame >= length) {
    throw invalid(`${what} at frame ${frame} is outside the episode (frames 0–${length - 1})`)
  }
}

function checkWindow(window: number): void {
  if (!isCount(window, 1)) throw invalid(`the ERS window must be an integer ≥ 1, got ${window}`)
}

/**
 * V_before / V_after of eq. 3: the means of values[frame − w .. frame − 1] and values[frame + 1 .. frame + w],
 * clipped at the episode ends; null for an empty window (an event at the first / last frame).
 */
export function eventWindows(
  values: ArrayLike<number>,
  frame: number,
  window: number,
): { before: number | null; after: number | null } {
  checkEventFrame(values.length, frame, 'event')
  checkWindow(window)
  const windowMean = (from: number, to: number): number | null => {
    if (to <= from) return null
    let s = 0
    for (let i = from; i < to; i++) {
      const v = values[i] as number
      if (!Number.isFinite(v)) throw invalid(`ERS window: value at frame ${i} is ${String(v)}`)
      s += v
    }
    return s / (to - from)
  }
  return {
    before: windowMean(Math.max(0, frame - window), frame),
    after: windowMean(frame + 1, Math.min(values.length, frame + 1 + window)),
  }
}

function checkOptions(options: MetricOptions): number {
  checkWindow(options.window)
  if (!ERS_VARIANTS.includes(options.variant)) throw invalid(`unknown ERS variant ${String(options.variant)}`)
  const eps = options.eps ?? DEFAULT_EPS
  if (!Number.isFinite(eps) || eps <= 0) throw invalid(`ε must be a finite positive number, got ${eps}`)
  return eps
}

function ersFrom(before: number | null, after: number | null, direction: 1 | -1, variant: ErsVariant, eps: number): number | null {
  if (before === null || after === null) return null
  return variant === 'relative' ? (direction * (after - before)) / (before + eps) : direction * (after - before)
}

/**
 * Event Response Score (eq. 3) of the event at `frame` with expected direction `direction` (+1 milestone,
 * −1 error): relative d·(V_after − V_before)/(V_before + ε) or absolute d·(V_after − V_before); null when a window
 * is empty.
 */
export function ers(values: ArrayLike<number>, frame: number, direction: 1 | -1, options: MetricOptions): number | null {
  const eps = checkOptions(options)
  if (direction !== 1 && direction !== -1) throw invalid(`ERS direction must be +1 or −1, got ${String(direction)}`)
  const { before, after } = eventWindows(values, frame, options.window)
  return ersFrom(before, after, direction, options.variant, eps)
}

export interface EpisodeCurve {
  episode: number
  task: string
  outcome: EpisodeOutcome
  /** One value per frame, progress convention (higher = closer to success). */
  values: ArrayLike<number>
  /** Frames of the milestones (d = +1) and errors (d = −1). */
  milestones: number[]
  errors: number[]
}

export interface EventScore {
  episode: number
  frame: number
  kind: 'milestone' | 'error'
  /** null when a window is empty (skipped). */
  ers: number | null
  before: number | null
  after: number | null
}

export interface MetricRow {
  episodes: number
  /** Means over episodes; null without episodes. */
  pearson: number | null
  spearman: number | null
  voc: number | null
  /** Means / detection rates over all scored events; null without any. */
  MS: number | null
  ES: number | null
  MDR: number | null
  ErrDR: number | null
  /** Scored events (those with both windows); the skipped ones are counted apart. */
  nMilestones: number
  nErrors: number
  skippedMilestones: number
  skippedErrors: number
  variant: ErsVariant
  window: number
}

/** One episode's scores, computed once and reused for its own row and for every table it is pooled into. */
export interface CurveStats {
  pearson: number
  spearman: number
  voc: number
  events: EventScore[]
}

function scoreCurve(curve: EpisodeCurve, options: MetricOptions, eps: number): CurveStats {
  const what = `episode ${curve.episode}`
  const { values } = curve
  if (values.length < 1) throw invalid(`${what}: the value curve is empty`)
  checkFinite(values, `${what} value curve`)
  const truth = groundTruthProgress(values.length, curve.outcome)
  const events: EventScore[] = []
  const kinds: ['milestone' | 'error', number[], 1 | -1][] = [
    ['milestone', curve.milestones, 1],
    ['error', curve.errors, -1],
  ]
  for (const [kind, frames, direction] of kinds) {
    for (const frame of frames) {
      checkEventFrame(values.length, frame, `${what}: ${kind}`)
      const { before, after } = eventWindows(values, frame, options.window)
      events.push({ episode: curve.episode, frame, kind, ers: ersFrom(before, after, direction, options.variant, eps), before, after })
    }
  }
  // Ground-truth progress strictly increases with the frame index, so its ranks are the frame order's and the
  // Spearman correlation against it is exactly the VOC: one rank pass instead of two.
  const order = voc(values)
  return { pearson: pearson(values, truth), spearman: order, voc: order, events }
}

/** Score one episode (correlations and every event's ERS); see rowFromStats. */
export function scoreEpisode(curve: EpisodeCurve, options: MetricOptions): CurveStats {
  return scoreCurve(curve, options, checkOptions(options))
}

/** The table row for episodes already scored with scoreEpisode (same as aggregateMetrics on their curves). */
export function rowFromStats(stats: CurveStats[], options: MetricOptions): MetricRow {
  checkOptions(options)
  return buildRow(stats, options)
}

function meanOrNull(x: number[]): number | null {
  return x.length === 0 ? null : x.reduce((s, v) => s + v, 0) / x.length
}

function buildRow(stats: CurveStats[], options: MetricOptions): MetricRow {
  const scored = { milestone: [] as number[], error: [] as number[] }
  const skipped = { milestone: 0, error: 0 }
  for (const s of stats) {
    for (const e of s.events) {
      if (e.ers === null) skipped[e.kind]++
      else scored[e.kind].push(e.ers)
    }
  }
  const rate = (x: number[]): number | null => (x.length === 0 ? null : x.filter((v) => v > 0).length / x.length)
  return {
    episodes: stats.length,
    pearson: meanOrNull(stats.map((s) => s.pearson)),
    spearman: meanOrNull(stats.map((s) => s.spearman)),
    voc: meanOrNull(stats.map((s) => s.voc)),
    MS: meanOrNull(scored.milestone),
    ES: meanOrNull(scored.error),
    MDR: rate(scored.milestone),
    ErrDR: rate(scored.error),
    nMilestones: scored.milestone.length,
    nErrors: scored.error.length,
    skippedMilestones: skipped.milestone,
    skippedErrors: skipped.error,
    variant: options.variant,
    window: options.window,
  }
}

/**
 * One episode's metrics and its event scores (milestones in the given order, then errors). Throws
 * INVALID_ARGUMENT for an empty curve, a non-finite value, or an event outside the episode.
 */
export function episodeMetrics(curve: EpisodeCurve, options: MetricOptions): { row: MetricRow; events: EventScore[] } {
  const eps = checkOptions(options)
  const stats = scoreCurve(curve, options, eps)
  return { row: buildRow([stats], options), events: stats.events }
}

/**
 * The paper's table row for a set of episodes: MS / ES / MDR / ErrDR over all events of all episodes; Pearson,
 * Spearman (against ground-truth progress) and VOC averaged over episodes.
 */
export function aggregateMetrics(curves: EpisodeCurve[], options: MetricOptions): MetricRow {
  const eps = checkOptions(options)
  return buildRow(
    curves.map((c) => scoreCurve(c, options, eps)),
    options,
  )
}

/** aggregateMetrics per task, tasks in sorted order. */
export function metricsByTask(curves: EpisodeCurve[], options: MetricOptions): Map<string, MetricRow> {
  checkOptions(options)
  const groups = new Map<string, EpisodeCurve[]>()
  for (const c of curves) {
    const g = groups.get(c.task)
    if (g) g.push(c)
    else groups.set(c.task, [c])
  }
  const out = new Map<string, MetricRow>()
  for (const task of [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.set(task, aggregateMetrics(groups.get(task) as EpisodeCurve[], options))
  }
  return out
}
