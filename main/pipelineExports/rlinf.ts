/**
 * RLinf's RECAP inputs, written as sidecars into a LeRobot dataset's `meta/` (RLinf never changes the data files):
 *
 * `meta/returns_<tag>.parquet` (`meta/returns.parquet` without a tag). Producer it stands in for: RLinf/RLinf
 * examples/process/compute_returns.py, compute_returns_for_episode() and _process_single_parquet(): columns
 * `episode_index`, `frame_index` (int64), `return`, `reward` (float32), `prompt` (string); rewards −1 per step, the
 * last step 0 for a success and `failure_reward` for a failure (no default: RLinf refuses to run without one),
 * G_t = r_t + γ G_{t+1} in float32; "sft" datasets count every episode as a success. It also writes `return` /
 * `reward` mean, std (population), min, max into meta/stats.json and declares the three columns in info.json
 * (float32, float32, string, shape [1]). Reader: rlinf/datasets/return_loaders.py load_returns_sidecar() (per
 * episode arrays indexed by frame_index, so every frame 0..T−1 of every episode must be there).
 *
 * `meta/advantages_<tag>.parquet`. Producer: examples/process/compute_advantages.py, compute_advantages_for_dataset()
 * then save_advantages_to_dataset(): columns `episode_index`, `frame_index`, `advantage_continuous`, `return`,
 * `value_current`, `value_next`, `reward_sum`, `reward_sum_raw`, `num_valid_rewards`, `dataset_name`, `advantage`
 * in that order (floats float64, counts int64, `advantage` bool = advantage_continuous ≥ the unified threshold, all
 * true for "sft"), rows in dataset order (episode, frame); the threshold is the (1 − positive_quantile) percentile
 * of all advantages (positive_quantile 0.3: the top 30 %), recorded in mixture_config.yaml under tags.<tag>.
 * Training looks rows up by (episode_index, frame_index).
 *
 * Settled here: RLinf's advantage is normalize(Σ rewards over K steps) + γ^K V(t+K) − V(t) with V in [−1, 0] and
 * returns normalized by the datasets' global return range. The app already defines the RECAP advantage of a value
 * curve (app/advantages.ts, issue 15): rewards −1/T per step and −1 for a failure, Ṽ = 2·progress − 2, γ = 1, Ṽ = 0
 * past the end, so its numbers are exactly what the value panel shows; this file carries those numbers in RLinf's
 * columns (reward_sum_raw = reward_sum: the app has one reward scale) and RLinf's threshold rule (app/advantages.ts
 * positiveThreshold, numpy's linear percentile, inclusive), pooled over the whole dataset as RLinf does unless the
 * task scope is asked for. The returns file keeps RLinf's own reward convention, since RLinf's value training
 * normalizes it with stats.json.
 */
import { advantageThresholds, kStepAdvantages, stepRewards, thresholdKey } from '../../app/advantages'
import { RLINF_TAG_PATTERN } from '../../app/contract'
import type { ThresholdPool, ThresholdScope } from '../../app/advantages'
import { toDisplay } from '../../app/curves'
import { VivaError } from '../../app/errors'
import type { EpisodeValues } from './sarmProgress'
import { episodeOutcomes } from './successFlags'
import type { SuccessOptions } from './successFlags'
import type { Column, ExportAnnotations, ExportEpisode, Table } from './table'
import { frameKeyColumns, invalid, placeEpisodes } from './table'

export type RlinfDatasetType = 'rollout' | 'sft'

/** A tag becomes part of a file name under meta/: letters, digits, `.`, `_`, `-`, not starting with a dot. */
export function checkTag(tag: string | null): void {
  if (tag !== null && !RLINF_TAG_PATTERN.test(tag)) {
    throw invalid(`the tag "${tag}" cannot be part of a file name: use up to 64 letters, digits, ".", "_" or "-", not starting with "."`)
  }
}

export function returnsFileName(tag: string | null): string {
  checkTag(tag)
  return tag ? `returns_${tag}.parquet` : 'returns.parquet'
}

export function advantagesFileName(tag: string | null): string {
  checkTag(tag)
  return tag ? `advantages_${tag}.parquet` : 'advantages.parquet'
}

export interface RlinfReturnsOptions extends SuccessOptions {
  /** Reward of a failed episode's last step, e.g. −300 (RLinf requires it). */
  failureReward: number
  gamma?: number
  datasetType?: RlinfDatasetType
}

export interface ColumnStats {
  mean: number
  std: number
  min: number
  max: number
}

export interface RlinfReturnsResult {
  table: Table
  /** For meta/stats.json `return` and `reward`. */
  stats: { return: ColumnStats; reward: ColumnStats }
  /** For meta/info.json `features`. */
  features: Record<'return' | 'reward' | 'prompt', { dtype: string; shape: [1]; names: null }>
}

function statsOf(values: Float32Array): ColumnStats {
  let sum = 0
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    sum += v
    if (v < min) min = v
    if (v > max) max = v
  }
  const mean = sum / values.length
  let sq = 0
  for (const v of values) sq += (v - mean) * (v - mean)
  return { mean, std: Math.sqrt(sq / values.length), min, max }
}

export function buildRlinfReturns(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, options: RlinfReturnsOptions): RlinfReturnsResult {
  const gamma = options.gamma ?? 1
  if (!Number.isFinite(options.failureReward)) throw invalid(`the failure reward must be a number (RLinf uses e.g. -300), got ${options.failureReward}`)
  if (!(gamma > 0 && gamma <= 1)) throw invalid(`gamma must be within (0, 1], got ${gamma}`)
  const placed = placeEpisodes(episodes)
  const sft = (options.datasetType ?? 'rollout') === 'sft'
  const outcomes = sft ? null : episodeOutcomes(placed, annotations, options)
  const keys = frameKeyColumns(placed)
  const returns = new Float32Array(keys.index.length)
  const rewards = new Float32Array(keys.index.length)
  const prompts: string[] = []
  let row = 0
  for (const ep of placed) {
    const success = sft || outcomes?.get(ep.index) === 'success'
    const end = row + ep.length - 1
    rewards.fill(-1, row, end)
    rewards[end] = success ? 0 : options.failureReward
    returns[end] = rewards[end] as number
    // float32 at every step, as numpy computes G_t = r_t + γ G_{t+1} in a float32 array.
    for (let t = end - 1; t >= row; t--) returns[t] = Math.fround((rewards[t] as number) + Math.fround(gamma * (returns[t + 1] as number)))
    for (let f = 0; f < ep.length; f++) prompts.push(ep.task)
    row += ep.length
  }
  const columns: Column[] = [
    { name: 'episode_index', kind: 'int64', data: keys.episode },
    { name: 'frame_index', kind: 'int64', data: keys.frame },
    { name: 'return', kind: 'float32', data: returns },
    { name: 'reward', kind: 'float32', data: rewards },
    { name: 'prompt', kind: 'string', data: prompts },
  ]
  const scalar = (dtype: string): { dtype: string; shape: [1]; names: null } => ({ dtype, shape: [1], names: null })
  return {
    table: { rows: returns.length, columns, metadata: {} },
    stats: { return: statsOf(returns), reward: statsOf(rewards) },
    features: { return: scalar('float32'), reward: scalar('float32'), prompt: scalar('string') },
  }
}

export interface RlinfAdvantagesOptions extends SuccessOptions {
  /** Horizon in frames (app/advantages.ts defaultK(fps) for the paper's 50 frames at 30 fps). */
  k: number
  /** RLinf's positive_quantile: the fraction of frames labelled positive (0.3: the top 30 %). */
  positiveFraction?: number
  /** 'dataset' (RLinf's unified threshold, the default here) or one threshold per task. */
  scope?: ThresholdScope
  datasetType?: RlinfDatasetType
  /** The `dataset_name` column: RLinf writes the dataset folder's name. */
  datasetName: string
  /** The series the values belong to (app/curves.ts seriesKey); thresholds never mix series. */
  series: string
}

export interface RlinfAdvantagesResult {
  table: Table
  /** One per pool; with the dataset scope, the single unified threshold. */
  thresholds: ThresholdPool[]
  /** mixture_config.yaml `tags.<tag>` content (dataset scope), as compute_advantages.py records it. */
  mixture: { unified_threshold: number; positive_quantile: number } | null
}

export function buildRlinfAdvantages(
  episodes: readonly ExportEpisode[],
  annotations: ExportAnnotations,
  curves: readonly EpisodeValues[],
  options: RlinfAdvantagesOptions,
): RlinfAdvantagesResult {
  const placed = placeEpisodes(episodes)
  if (placed.length === 0) throw invalid('no episodes to export')
  const fraction = options.positiveFraction ?? 0.3
  const scope = options.scope ?? 'dataset'
  const sft = (options.datasetType ?? 'rollout') === 'sft'
  const outcomes = episodeOutcomes(placed, annotations, sft ? { unknown: 'failure' } : options)
  const byEpisode = new Map(curves.map((c) => [c.episode, c]))
  const missing = placed.filter((ep) => !byEpisode.has(ep.index)).map((ep) => ep.index)
  if (missing.length > 0) throw invalid(`episodes ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''} have no value curve of this series; RLinf needs every frame of every episode`)

  const perEpisode = placed.map((ep) => {
    const curve = byEpisode.get(ep.index) as EpisodeValues
    if (curve.values.length !== ep.length) throw invalid(`episode ${ep.index}: the value curve has ${curve.values.length} values for ${ep.length} frames`)
    const progress = toDisplay(curve.values, curve.convention, ep.length)
    const rewards = stepRewards(ep.length, sft ? 'success' : (outcomes.get(ep.index) as 'success' | 'failure'))
    let advantages: Float64Array
    try {
      advantages = kStepAdvantages(progress, rewards, options.k)
    } catch (e) {
      if (e instanceof VivaError) throw invalid(`episode ${ep.index}: ${e.message}`)
      throw e
    }
    return { ep, progress, rewards, advantages }
  })
  const pools = advantageThresholds(
    perEpisode.map((x) => ({ series: options.series, task: x.ep.task, advantages: x.advantages })),
    fraction,
    scope,
  )

  const keys = frameKeyColumns(placed)
  const n = keys.index.length
  const cols = {
    advantage_continuous: new Float64Array(n),
    return: new Float64Array(n),
    value_current: new Float64Array(n),
    value_next: new Float64Array(n),
    reward_sum: new Float64Array(n),
    num_valid_rewards: new BigInt64Array(n),
  }
  const positive: boolean[] = []
  let row = 0
  for (const { ep, progress, rewards, advantages } of perEpisode) {
    const threshold = (pools.get(thresholdKey(options.series, ep.task, scope)) as ThresholdPool).threshold
    const value = (i: number): number => (i >= ep.length ? 0 : 2 * (progress[i] as number) - 2)
    let toGo = 0
    const tail = new Float64Array(ep.length)
    for (let t = ep.length - 1; t >= 0; t--) tail[t] = toGo += rewards[t] as number
    for (let t = 0; t < ep.length; t++, row++) {
      const valid = Math.min(options.k, ep.length - t)
      let sum = 0
      for (let j = t; j < t + valid; j++) sum += rewards[j] as number
      cols.advantage_continuous[row] = advantages[t] as number
      cols.return[row] = tail[t] as number
      cols.value_current[row] = value(t)
      cols.value_next[row] = value(t + options.k)
      cols.reward_sum[row] = sum
      cols.num_valid_rewards[row] = BigInt(valid)
      positive.push(sft || (advantages[t] as number) >= threshold)
    }
  }
  const columns: Column[] = [
    { name: 'episode_index', kind: 'int64', data: keys.episode },
    { name: 'frame_index', kind: 'int64', data: keys.frame },
    { name: 'advantage_continuous', kind: 'float64', data: cols.advantage_continuous },
    { name: 'return', kind: 'float64', data: cols.return },
    { name: 'value_current', kind: 'float64', data: cols.value_current },
    { name: 'value_next', kind: 'float64', data: cols.value_next },
    { name: 'reward_sum', kind: 'float64', data: cols.reward_sum },
    { name: 'reward_sum_raw', kind: 'float64', data: Float64Array.from(cols.reward_sum) },
    { name: 'num_valid_rewards', kind: 'int64', data: cols.num_valid_rewards },
    { name: 'dataset_name', kind: 'string', data: new Array<string>(n).fill(options.datasetName) },
    { name: 'advantage', kind: 'bool', data: positive },
  ]
  const thresholds = [...pools.values()]
  const unified = scope === 'dataset' ? (thresholds[0] as ThresholdPool).threshold : null
  return {
    table: { rows: n, columns, metadata: {} },
    thresholds,
    mixture: unified === null ? null : { unified_threshold: unified, positive_quantile: fraction },
  }
}
