import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_ADVANTAGE_OPTIONS,
  advantageIndicators,
  advantageThresholds,
  defaultK,
  kStepAdvantages,
  positiveThreshold,
  quantile,
  stepRewards,
  thresholdKey,
} from './advantages'
import { groundTruthProgress } from './metrics'
import { thrown } from './testing/thrown'

const close = (actual: ArrayLike<number>, expected: number[], digits = 14): void => {
  expect(actual.length).toBe(expected.length)
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits))
}

describe('rewards (negated eq. 1)', () => {
  it('are −1/T per step and 0 / −1 at the last frame', () => {
    // T = 4: −1/4 for frames 0..2; last frame 0 (success) or −1 (failure)
    expect([...stepRewards(4, 'success')]).toEqual([-0.25, -0.25, -0.25, 0])
    expect([...stepRewards(4, 'failure')]).toEqual([-0.25, -0.25, -0.25, -1])
    expect([...stepRewards(1, 'failure')]).toEqual([-1])
    expect([...stepRewards(1, 'success')]).toEqual([0])
  })

  it('sum to the end to −G = 2·progress − 2 of the ground truth', () => {
    for (const outcome of ['success', 'failure'] as const) {
      for (const T of [1, 2, 7, 50]) {
        const r = stepRewards(T, outcome)
        const p = groundTruthProgress(T, outcome)
        let toGo = 0
        for (let i = T - 1; i >= 0; i--) {
          toGo += r[i] as number
          expect(toGo).toBeCloseTo(2 * (p[i] as number) - 2, 13)
        }
      }
    }
  })

  it('rejects bad lengths', () => {
    expect(thrown(() => stepRewards(0, 'success')).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => stepRewards(3.5, 'failure')).code).toBe('INVALID_ARGUMENT')
  })
})

describe('K-step advantages', () => {
  it('are 0 for the ground-truth curve, for every K', () => {
    for (const outcome of ['success', 'failure'] as const) {
      const T = 23
      const p = groundTruthProgress(T, outcome)
      const r = stepRewards(T, outcome)
      for (const k of [1, 2, 5, 22, 23, 24, 100]) {
        for (const a of kStepAdvantages(p, r, k)) expect(Math.abs(a)).toBeLessThan(1e-12)
      }
    }
  })

  it('computes a success by hand', () => {
    // T = 4, progress 0.5 0.5 0.9 1 → V = 2p − 2 = −1 −1 −0.2 0 (and 0 past the end); r = −¼ −¼ −¼ 0
    const p = [0.5, 0.5, 0.9, 1]
    const r = stepRewards(4, 'success')
    // K = 1: A0 = −¼ + V1 − V0 = −0.25 (stalled: worse than expected)
    //        A1 = −¼ + V2 − V1 = −0.25 − 0.2 + 1 = 0.55 (the jump: better than expected)
    //        A2 = −¼ + V3 − V2 = −0.25 + 0.2 = −0.05;  A3 = 0 + V4 − V3 = 0
    close(kStepAdvantages(p, r, 1), [-0.25, 0.55, -0.05, 0])
    // K = 2: A0 = −½ + V2 − V0 = −0.5 − 0.2 + 1 = 0.3;  A1 = −½ + V3 − V1 = −0.5 + 1 = 0.5
    //        A2 = (−¼ + 0) + V4 − V2 = −0.25 + 0.2 = −0.05 (truncated);  A3 = 0 − 0 = 0
    close(kStepAdvantages(p, r, 2), [0.3, 0.5, -0.05, 0])
  })

  it('computes a failure the model thought a success by hand', () => {
    // T = 2, progress 0.7 1 → V = −0.6 0; r = −½ −1; K = 5 runs past the end (V = 0 there):
    // A0 = (−0.5 − 1) + 0 − (−0.6) = −0.9;  A1 = −1 + 0 − 0 = −1
    close(kStepAdvantages([0.7, 1], stepRewards(2, 'failure'), 5), [-0.9, -1])
  })

  it('rejects NaN, mismatched lengths and bad K', () => {
    const nan = thrown(() => kStepAdvantages([0.1, Number.NaN, 0.3], stepRewards(3, 'success'), 2))
    expect(nan.code).toBe('INVALID_ARGUMENT')
    expect(nan.message).toBe('advantage value curve: value at frame 1 is NaN')
    expect(thrown(() => kStepAdvantages([0.1, 0.2], stepRewards(3, 'success'), 2)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => kStepAdvantages([0.1], stepRewards(1, 'success'), 0)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => kStepAdvantages([0.1], stepRewards(1, 'success'), 1.5)).code).toBe('INVALID_ARGUMENT')
  })
})

describe('thresholds and indicators', () => {
  it('interpolates quantiles linearly like numpy', () => {
    // sorted 1 2 3 4: position (4 − 1)·0.5 = 1.5 → 2.5
    expect(quantile([[1, 2, 3, 4]], 0.5)).toBe(2.5)
    // pooled over arrays: position 3·0.3 = 0.9 → 1 + 0.9·(2 − 1) = 1.9
    expect(quantile([[4, 1], new Float64Array([3, 2])], 0.3)).toBeCloseTo(1.9, 14)
    expect(quantile([[4, 1], [3, 2]], 0)).toBe(1)
    expect(quantile([[4, 1], [3, 2]], 1)).toBe(4)
    expect(quantile([[], [0.5]], 0.73)).toBe(0.5)
    // ties: 0 0 0 1 → position 3·0.5 = 1.5 → 0
    expect(quantile([[0, 1, 0, 0]], 0.5)).toBe(0)
  })

  it('puts the RECAP threshold at the (1 − fraction) quantile: the top 30 % of the frames are positive', () => {
    const a = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000) // 0..999, shuffled
    const thr = positiveThreshold([a], 0.3)
    expect(thr).toBeCloseTo(699.3, 9) // position 999 · 0.7 = 699.3
    const ind = advantageIndicators(a, thr)
    expect(ind.reduce((s, v) => s + v, 0)).toBe(300)
    for (let i = 0; i < a.length; i++) expect(ind[i]).toBe((a[i] as number) >= 699.3 ? 1 : 0)
    // fraction 1: every frame (threshold = the minimum, inclusive)
    expect(advantageIndicators(a, positiveThreshold([a], 1)).every((v) => v === 1)).toBe(true)
  })

  it('rejects empty pools, NaN and fractions outside (0, 1]', () => {
    expect(thrown(() => positiveThreshold([], 0.3)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => positiveThreshold([[]], 0.3)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => positiveThreshold([[1]], 0)).message).toBe('the positive fraction must be within (0, 1], got 0')
    expect(thrown(() => positiveThreshold([[1]], 1.01)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => positiveThreshold([[1]], 30)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => quantile([[1]], -0.1)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => positiveThreshold([[1, Number.NaN]], 0.3)).message).toContain('value at frame 1 is NaN')
  })

  it('marks advantages at or above the threshold (inclusive, as RECAP)', () => {
    expect([...advantageIndicators([-1, 0, 0.5, 2], 0)]).toEqual([0, 1, 1, 1])
    expect([...advantageIndicators([], 0)]).toEqual([])
    expect(thrown(() => advantageIndicators([1], Number.NaN)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => advantageIndicators([Number.NaN], 0)).code).toBe('INVALID_ARGUMENT')
  })

  it('pools thresholds per (series, task) or per series over the dataset, never across series', () => {
    const items = [
      { series: 'a', task: 't1', advantages: [1, 2, 3, 4] },
      { series: 'a', task: 't2', advantages: [10, 20] },
      { series: 'b', task: 't1', advantages: [100, 200, 300, 400] },
    ]
    const byTask = advantageThresholds(items, 0.5, 'task')
    expect([...byTask.keys()].sort()).toEqual([thresholdKey('a', 't1', 'task'), thresholdKey('a', 't2', 'task'), thresholdKey('b', 't1', 'task')].sort())
    expect(byTask.get(thresholdKey('a', 't1', 'task'))).toEqual({ series: 'a', task: 't1', threshold: 2.5, frames: 4, positives: 2, episodes: 1 })
    expect(byTask.get(thresholdKey('b', 't1', 'task'))?.threshold).toBe(250)
    const byDataset = advantageThresholds(items, 0.5, 'dataset')
    expect(byDataset.size).toBe(2)
    expect(byDataset.get(thresholdKey('a', 't2', 'dataset'))).toEqual({ series: 'a', task: null, threshold: 3.5, frames: 6, positives: 3, episodes: 2 })
    expect(thresholdKey('a', 't1', 'dataset')).toBe(thresholdKey('a', 't2', 'dataset'))
  })

  it('scales the default K by fps', () => {
    expect(DEFAULT_ADVANTAGE_OPTIONS).toEqual({ k: 50, positiveFraction: 0.3, scope: 'task' })
    expect(defaultK(30)).toBe(50)
    expect(defaultK(15)).toBe(25)
    expect(defaultK(10)).toBe(17) // 16.67
    expect(defaultK(50)).toBe(83) // 83.33
    expect(defaultK(0.1)).toBe(1) // 0.17 → at least 1
    expect(thrown(() => defaultK(0)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => defaultK(Number.NaN)).code).toBe('INVALID_ARGUMENT')
  })
})

// ------------------------------------------------------------------------------------------------------------------
// Equality with the independent numpy implementation in models/viva/make_metric_fixtures.py
// ------------------------------------------------------------------------------------------------------------------

interface RefCase {
  episode: number
  outcome: 'success' | 'failure'
  values: number[]
  k: number
  rewards: number[]
  advantages: number[]
  task: string
  positiveFraction: number
  threshold: number
  indicators: string
}
interface RecapPool {
  threshold: number
  frames: number
  positives: number
}
interface Reference {
  cases: RefCase[]
  pooledThresholds: { positiveFraction: number; threshold: number }[]
  recap: { positiveFraction: number; task: Record<string, RecapPool>; dataset: RecapPool }
}

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'fixtures', 'metrics-reference.json')
const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference
const TOL = 1e-9
/** Indicators compared with the fixture's (checked at the end: the comparison must not be vacuous). */
let decidedTotal = 0

function near(actual: number | undefined, expected: number, what: string): void {
  if (!(Math.abs((actual as number) - expected) <= TOL * Math.max(1, Math.abs(expected)))) {
    expect.fail(`${what}: ${actual} ≠ ${expected}`)
  }
}

describe('numpy reference fixture', () => {
  it('covers K past the episode end and K = 1', () => {
    expect(ref.cases.some((c) => c.k >= c.values.length)).toBe(true)
    expect(ref.cases.some((c) => c.k === 1)).toBe(true)
  })

  it.each(ref.cases.map((c) => [c.episode, c] as const))('case %i', (_ep, c) => {
    const T = c.values.length
    const r = stepRewards(T, c.outcome)
    c.rewards.forEach((e, i) => near(r[i], e, `reward ${i}`))
    const a = kStepAdvantages(c.values, r, c.k)
    expect(a.length).toBe(T)
    c.advantages.forEach((e, i) => near(a[i], e, `advantage ${i}`))
    const thr = positiveThreshold([a], c.positiveFraction)
    near(thr, c.threshold, 'threshold')
    // indicators agree wherever the advantage is not within rounding of the threshold
    const ind = advantageIndicators(a, thr)
    for (let i = 0; i < T; i++) {
      if (Math.abs((a[i] as number) - thr) > TOL) {
        decidedTotal++
        expect(String(ind[i]), `indicator ${i}`).toBe(c.indicators[i])
      }
    }
  })

  it('pools thresholds over episodes like np.quantile', () => {
    const all = ref.cases.map((c) => kStepAdvantages(c.values, stepRewards(c.values.length, c.outcome), c.k))
    for (const { positiveFraction, threshold } of ref.pooledThresholds) {
      near(positiveThreshold(all, positiveFraction), threshold, `pooled ${positiveFraction}`)
    }
    expect(decidedTotal).toBeGreaterThan(1000)
  })

  it('labels the top 30 % of each task (and of the dataset) as numpy does', () => {
    const items = ref.cases.map((c) => ({ series: 's', task: c.task, advantages: kStepAdvantages(c.values, stepRewards(c.values.length, c.outcome), c.k) }))
    const f = ref.recap.positiveFraction
    const check = (got: RecapPool | undefined, want: RecapPool, what: string, task: string | null): void => {
      near(got?.threshold, want.threshold, `${what} threshold`)
      expect(got?.frames, what).toBe(want.frames)
      // Frames within rounding of the threshold (ground-truth-like curves tie there) may fall either way.
      let ambiguous = 0
      for (const it of items) {
        if (task !== null && it.task !== task) continue
        for (const a of it.advantages) if (Math.abs(a - want.threshold) <= TOL) ambiguous++
      }
      expect(Math.abs((got?.positives ?? -1) - want.positives), `${what}: positives`).toBeLessThanOrEqual(ambiguous)
      expect(want.positives / want.frames, what).toBeGreaterThanOrEqual(0.3)
    }
    const byTask = advantageThresholds(items, f, 'task')
    for (const [task, want] of Object.entries(ref.recap.task)) check(byTask.get(thresholdKey('s', task, 'task')), want, task, task)
    check(advantageThresholds(items, f, 'dataset').get(thresholdKey('s', '', 'dataset')), ref.recap.dataset, 'dataset', null)
  })
})
