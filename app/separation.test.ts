import { describe, expect, it } from 'vitest'
import { auroc, outcomeSeparation } from './separation'

/** The definition, by brute force over every pair. */
function pairwise(pos: number[], neg: number[]): number {
  let s = 0
  for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0
  return s / (pos.length * neg.length)
}

describe('auroc', () => {
  it('is P(positive above negative) + ½ P(tie)', () => {
    expect(auroc([3, 4], [1, 2])).toBe(1)
    expect(auroc([1, 2], [3, 4])).toBe(0)
    expect(auroc([1, 1], [1, 1])).toBe(0.5)
    expect(auroc([2], [1, 2, 3])).toBe(0.5)
    expect(auroc([0.5, 0.9, 0.2], [0.3, 0.9])).toBeCloseTo(pairwise([0.5, 0.9, 0.2], [0.3, 0.9]), 12)
    let seed = 7
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 20) / 10 // many ties
    for (let t = 0; t < 50; t++) {
      const pos = Array.from({ length: 1 + (t % 7) }, rnd)
      const neg = Array.from({ length: 1 + (t % 5) }, rnd)
      expect(auroc(pos, neg)).toBeCloseTo(pairwise(pos, neg), 12)
    }
  })

  it('is null without both classes', () => {
    expect(auroc([], [1])).toBeNull()
    expect(auroc([1], [])).toBeNull()
  })
})

describe('outcomeSeparation', () => {
  it('scores the mean level and the last value of each episode, successes positive', () => {
    const s = outcomeSeparation([
      { outcome: 'success', values: [0.5, 0.7, 1] },
      { outcome: 'failure', values: [0.9, 0.95, 0.4] }, // higher on average, lower at the end
      { outcome: 'failure', values: [0.1, 0.2, 0.3] },
    ])
    expect(s).toEqual({ meanLevel: 0.5, finalValue: 1, nSuccess: 1, nFailure: 2 })
    expect(outcomeSeparation([{ outcome: 'success', values: [] }])).toEqual({ meanLevel: null, finalValue: null, nSuccess: 0, nFailure: 0 })
  })
})
