/**
 * RECAP advantages (advantage-conditioned policies, π*0.6; the ViVa paper plugs its value model into RECAP with
 * horizon K = 50 at 30 fps) from a value curve in the app's progress convention. Pure: no Node, no DOM. The numpy
 * reference (an independent implementation) is in models/viva/make_metric_fixtures.py.
 *
 * Rewards. The paper (eq. 1, steps t = 1..T) uses *costs*: r_t = 1/T for t < T, and at t = T 0 for a success,
 * 1 for a failure, so that G_t = Σ_{k=t..T} r_k = (T − t)/T (+ 1 for a failure) (eq. 2) is a cost to go: lower is
 * better. An advantage must be positive for a better-than-expected transition, so this module negates both:
 *     r̃ = −r,   Ṽ = −G.
 * With frame index i = t − 1 (0..T−1), stepRewards is
 *     r̃(i) = −1/T for i < T − 1,   r̃(T − 1) = 0 (success) or −1 (failure),
 * and Σ_{k=i..T−1} r̃(k) = −(T − 1 − i)/T (− 1 for a failure) = −G(i), exactly the negated training target of
 * models/viva/viva/model.py value_targets. (This is π*0.6's reward, −1 per step and a failure penalty, with steps
 * measured in episode lengths and a failure penalty of one whole episode.) The app's progress is p = 1 − G/2
 * (app/metrics.ts groundTruthProgress), so the value in the reward's units is
 *     Ṽ(i) = −G(i) = 2 p(i) − 2.
 *
 * K-step advantage (frame t, horizon K):
 *     A(t) = Σ_{k=t..min(t+K, T)−1} r̃(k) + Ṽ(t + K) − Ṽ(t),   with Ṽ(j) = 0 for j ≥ T.
 * Truncation: past the last frame the episode is over and nothing more is collected (an absorbing terminal state
 * with value 0); the outcome itself is already in the last reward. So within K frames of the end the advantage is
 * the Monte Carlo return minus the value, Σ_{k=t..T−1} r̃(k) − Ṽ(t). (Using the curve's own last value instead
 * would count a failure's penalty twice or not at all, depending on what the model predicts at the last frame.)
 * Away from the end, in progress units: A(t) = −K/T + 2 (p(t + K) − p(t)): positive when the curve rises faster
 * than the ground truth's 1/(2T) per frame. The ground-truth curve itself has A ≡ 0 (up to rounding).
 *
 * Indicators. RECAP conditions the policy on "advantage positive" I_t = [A(t) ≥ ε], with ε chosen so that a given
 * fraction f of the training frames, the ones with the highest advantages, is positive: f = 0.3 labels the top 30 %.
 * This is RLinf's RECAP pipeline (RLinf/RLinf, examples/process/compute_advantages.py, main(): `positive_quantile
 * = cfg.advantage.get("positive_quantile", 0.3)`, `unified_threshold = float(np.percentile(combined_advantages,
 * (1 - positive_quantile) * 100))`; save_advantages_to_dataset(): `save_df["advantage_continuous"] >= threshold`;
 * its docs: "positive_quantile 0.3 表示优势值 top 30% 的样本标记为正", the top 30 % are positive). So ε is the
 * (1 − f) quantile with numpy's default 'linear' interpolation (quantile below) and the comparison is inclusive.
 * Pools: RLinf pools every frame it labels; here a pool never mixes series (two models, or two imported files,
 * are labelled each against its own advantages) and is per task by default ('task' scope: a task's advantages
 * have their own scale, since T and the value model's calibration differ per task) or per series over the whole
 * dataset ('dataset' scope, RLinf's unified threshold).
 */
import { VivaError } from './errors'
import { checkFinite } from './metrics'
import type { EpisodeOutcome } from './metrics'
import { framesForSeconds, PAPER_FPS } from './timeSpan'

/** Which frames one threshold is taken over (always within one series): each task's, or all of the dataset's. */
export type ThresholdScope = 'task' | 'dataset'
export const THRESHOLD_SCOPES: readonly ThresholdScope[] = ['task', 'dataset']

export interface AdvantageOptions {
  /** Horizon K in frames; 50 at 30 fps (callers scale by fps, see defaultK). */
  k: number
  /** Fraction of the frames labelled "advantage positive" (the highest advantages), in (0, 1]; RLinf's 0.3. */
  positiveFraction: number
  scope: ThresholdScope
}

export const DEFAULT_ADVANTAGE_OPTIONS: AdvantageOptions = { k: 50, positiveFraction: 0.3, scope: 'task' }

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', message)
}

/** Per-frame rewards r̃ (higher = better) whose sums to the end are −G of eq. 2; see the header. */
export function stepRewards(length: number, outcome: EpisodeOutcome): Float64Array {
  if (!Number.isInteger(length) || length < 1) throw invalid(`episode length must be a positive integer, got ${length}`)
  if (outcome !== 'success' && outcome !== 'failure') throw invalid(`unknown outcome ${String(outcome)}`)
  const r = new Float64Array(length).fill(-1 / length)
  r[length - 1] = outcome === 'success' ? 0 : -1
  return r
}

/**
 * A(t) = Σ_{k=t..min(t+K,T)−1} rewards[k] + Ṽ(t + K) − Ṽ(t), Ṽ = 2·progress − 2 and Ṽ = 0 past the last frame.
 * `progress` is the value curve in the progress convention, `rewards` from stepRewards (same length).
 */
export function kStepAdvantages(progress: ArrayLike<number>, rewards: ArrayLike<number>, k: number): Float64Array {
  const n = progress.length
  if (rewards.length !== n) throw invalid(`${n} values but ${rewards.length} rewards`)
  if (!Number.isInteger(k) || k < 1) throw invalid(`the advantage horizon K must be an integer ≥ 1, got ${k}`)
  checkFinite(progress, 'advantage value curve')
  checkFinite(rewards, 'advantage rewards')
  const value = (i: number): number => (i >= n ? 0 : 2 * (progress[i] as number) - 2)
  const out = new Float64Array(n)
  for (let t = 0; t < n; t++) {
    const end = Math.min(t + k, n)
    let sum = 0
    for (let j = t; j < end; j++) sum += rewards[j] as number
    out[t] = sum + value(t + k) - value(t)
  }
  return out
}

/**
 * The q-quantile (0..1) of all values of all arrays together, interpolated linearly between the two nearest order
 * statistics: numpy.quantile's default method ('linear'), including its way of interpolating.
 */
export function quantile(values: ArrayLike<number>[], q: number): number {
  if (!Number.isFinite(q) || q < 0 || q > 1) throw invalid(`the quantile must be within 0..1, got ${q}`)
  const pool: number[] = []
  values.forEach((v, i) => {
    checkFinite(v, `advantages (${i})`)
    for (let j = 0; j < v.length; j++) pool.push(v[j] as number)
  })
  if (pool.length === 0) throw invalid('no values to take a quantile of')
  pool.sort((a, b) => a - b)
  const n = pool.length
  const virtual = (n - 1) * q
  const lo = Math.min(Math.max(Math.floor(virtual), 0), n - 1)
  const hi = Math.min(lo + 1, n - 1)
  const gamma = virtual - Math.floor(virtual)
  const a = pool[lo] as number
  const b = pool[hi] as number
  const diff = b - a
  // numpy's _lerp: from the nearer end, so that gamma = 1 gives b exactly.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
}

function checkFraction(positiveFraction: number): void {
  if (!Number.isFinite(positiveFraction) || positiveFraction <= 0 || positiveFraction > 1) {
    throw invalid(`the positive fraction must be within (0, 1], got ${positiveFraction}`)
  }
}

/** RECAP's ε: the (1 − positiveFraction) quantile of the pooled advantages (see the header). */
export function positiveThreshold(values: ArrayLike<number>[], positiveFraction: number): number {
  checkFraction(positiveFraction)
  return quantile(values, 1 - positiveFraction)
}

/** 1 where A(t) ≥ threshold ("advantage positive", inclusive as RECAP), else 0. */
export function advantageIndicators(advantages: ArrayLike<number>, threshold: number): Uint8Array {
  if (Number.isNaN(threshold)) throw invalid('the advantage threshold is NaN')
  checkFinite(advantages, 'advantages')
  const out = new Uint8Array(advantages.length)
  for (let i = 0; i < advantages.length; i++) out[i] = (advantages[i] as number) >= threshold ? 1 : 0
  return out
}

/** The pool an episode's frames join: its series, and its task unless the scope is the whole dataset. */
export function thresholdKey(series: string, task: string, scope: ThresholdScope): string {
  return scope === 'task' ? `${series}\u0000${task}` : series
}

export interface ThresholdPool {
  series: string
  /** null for the 'dataset' scope. */
  task: string | null
  threshold: number
  frames: number
  /** Frames at or above the threshold. */
  positives: number
  episodes: number
}

/** One episode's advantages, of one series. */
export interface EpisodeAdvantages {
  series: string
  task: string
  advantages: ArrayLike<number>
}

/** The threshold of every pool (see thresholdKey), with how many frames it labels positive. */
export function advantageThresholds(items: EpisodeAdvantages[], positiveFraction: number, scope: ThresholdScope): Map<string, ThresholdPool> {
  checkFraction(positiveFraction)
  if (!THRESHOLD_SCOPES.includes(scope)) throw invalid(`the threshold scope must be task or dataset, got ${String(scope)}`)
  const groups = new Map<string, EpisodeAdvantages[]>()
  for (const item of items) {
    const key = thresholdKey(item.series, item.task, scope)
    const list = groups.get(key)
    if (list) list.push(item)
    else groups.set(key, [item])
  }
  const out = new Map<string, ThresholdPool>()
  for (const [key, list] of groups) {
    const threshold = positiveThreshold(
      list.map((x) => x.advantages),
      positiveFraction,
    )
    let frames = 0
    let positives = 0
    for (const { advantages } of list) {
      frames += advantages.length
      for (let i = 0; i < advantages.length; i++) if ((advantages[i] as number) >= threshold) positives++
    }
    const first = list[0] as EpisodeAdvantages
    out.set(key, { series: first.series, task: scope === 'task' ? first.task : null, threshold, frames, positives, episodes: list.length })
  }
  return out
}

/** The paper's K = 50 frames at 30 fps as a duration, in frames at `fps` (rounded as every window: timeSpan.ts). */
export function defaultK(fps: number): number {
  if (!Number.isFinite(fps) || fps <= 0) throw invalid(`fps must be a positive number, got ${fps}`)
  return framesForSeconds(DEFAULT_ADVANTAGE_OPTIONS.k / PAPER_FPS, fps)
}
