import { describe, expect, it } from 'vitest'
import { groundTruthProgress } from '../../app/metrics'
import { advantagesFileName, buildRlinfAdvantages, buildRlinfReturns, returnsFileName } from './rlinf'
import { annotations, column, numbers, TASK } from './testing'

const episodes = [
  { index: 0, length: 4, task: TASK },
  { index: 1, length: 4, task: TASK },
]
const ann = annotations([], [
  [0, { outcome: 'success', status: 'done' }],
  [1, { outcome: 'failure', status: 'done' }],
])
const flat = (episode: number) => ({ episode, values: new Float32Array(4).fill(0.5), convention: 'progress' as const })

describe('buildRlinfReturns', () => {
  it('writes RLinf returns: -1 per step, 0 or the failure reward at the end, G_t = r_t + γ G_t+1', () => {
    const { table, stats, features } = buildRlinfReturns(episodes, ann, { failureReward: -10 })
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ['episode_index', 'int64'],
      ['frame_index', 'int64'],
      ['return', 'float32'],
      ['reward', 'float32'],
      ['prompt', 'string'],
    ])
    expect(numbers(table, 'reward')).toEqual([-1, -1, -1, 0, -1, -1, -1, -10])
    expect(numbers(table, 'return')).toEqual([-3, -2, -1, 0, -13, -12, -11, -10])
    expect(column(table, 'prompt').data).toEqual(new Array(8).fill(TASK))
    expect(stats.return.min).toBe(-13)
    expect(stats.return.max).toBe(0)
    expect(stats.reward.mean).toBeCloseTo(-16 / 8, 12)
    expect(features.prompt).toEqual({ dtype: 'string', shape: [1], names: null })
  })

  it('discounts, and counts every episode a success for sft data', () => {
    const discounted = buildRlinfReturns(episodes.slice(0, 1), ann, { failureReward: -10, gamma: 0.5 })
    expect(numbers(discounted.table, 'return')).toEqual([-1.75, -1.5, -1, 0])
    const sft = buildRlinfReturns(episodes, annotations([]), { failureReward: -10, datasetType: 'sft' })
    expect(numbers(sft.table, 'reward').slice(4)).toEqual([-1, -1, -1, 0])
  })

  it('refuses a missing failure reward and unknown outcomes', () => {
    expect(() => buildRlinfReturns(episodes, ann, { failureReward: Number.NaN })).toThrow(/failure reward must be a number/)
    expect(() => buildRlinfReturns(episodes, annotations([]), { failureReward: -10 })).toThrow(/episodes 0, 1 have no outcome/)
  })
})

describe('buildRlinfAdvantages', () => {
  const options = { k: 2, datasetName: 'demo', series: 'i:test' }

  it('carries the app RECAP advantages in RLinf columns with the top-30 % inclusive threshold', () => {
    const { table, mixture, thresholds } = buildRlinfAdvantages(episodes, ann, [flat(0), flat(1)], options)
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ['episode_index', 'int64'],
      ['frame_index', 'int64'],
      ['advantage_continuous', 'float64'],
      ['return', 'float64'],
      ['value_current', 'float64'],
      ['value_next', 'float64'],
      ['reward_sum', 'float64'],
      ['reward_sum_raw', 'float64'],
      ['num_valid_rewards', 'int64'],
      ['dataset_name', 'string'],
      ['advantage', 'bool'],
    ])
    // Hand-computed: rewards -1/4 per step, 0 (success) or -1 (failure) last; V = 2p - 2 = -1, 0 past the end.
    const a = numbers(table, 'advantage_continuous')
    ;[-0.5, -0.5, 0.75, 1, -0.5, -0.5, -0.25, 0].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6))
    // numpy.percentile(a, 70) of the 8 values: between -0.25 and 0 at 0.9 → -0.025.
    expect(mixture?.unified_threshold).toBeCloseTo(-0.025, 9)
    expect(mixture?.positive_quantile).toBe(0.3)
    expect(thresholds).toHaveLength(1)
    expect(column(table, 'advantage').data).toEqual([false, false, true, true, false, false, false, true])
    const sum = numbers(table, 'reward_sum')
    const next = numbers(table, 'value_next')
    const current = numbers(table, 'value_current')
    a.forEach((v, i) => expect(v).toBeCloseTo((sum[i] as number) + (next[i] as number) - (current[i] as number), 9))
    expect(numbers(table, 'num_valid_rewards')).toEqual([2, 2, 2, 1, 2, 2, 2, 1])
    expect(numbers(table, 'return').slice(0, 4)).toEqual([-0.75, -0.5, -0.25, 0])
    expect(column(table, 'dataset_name').data).toEqual(new Array(8).fill('demo'))
  })

  it('gives the ground-truth curve zero advantage everywhere (all positive, inclusive)', () => {
    const curves = [
      { episode: 0, values: Float32Array.from(groundTruthProgress(4, 'success')), convention: 'progress' as const },
      { episode: 1, values: Float32Array.from(groundTruthProgress(4, 'failure')), convention: 'progress' as const },
    ]
    const { table } = buildRlinfAdvantages(episodes, ann, curves, options)
    numbers(table, 'advantage_continuous').forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6))
  })

  it('refuses an episode without a curve or with a NaN, naming it', () => {
    expect(() => buildRlinfAdvantages(episodes, ann, [flat(0)], options)).toThrow(/episodes 1 have no value curve/)
    const holed = { episode: 1, values: Float32Array.from([0.1, Number.NaN, 0.2, 0.3]), convention: 'progress' as const }
    expect(() => buildRlinfAdvantages(episodes, ann, [flat(0), holed], options)).toThrow(/episode 1: advantage value curve: value at frame 1 is NaN/)
  })

  it('names files as RLinf does and refuses tags that are not file names', () => {
    expect(returnsFileName('viva')).toBe('returns_viva.parquet')
    expect(advantagesFileName(null)).toBe('advantages.parquet')
    expect(() => advantagesFileName('../x')).toThrow(/cannot be part of a file name/)
  })
})
