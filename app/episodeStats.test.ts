import { describe, expect, it } from 'vitest'
import type { DetectInput } from './detectorCalibration'
import { episodeStats, type CurveStats } from './episodeStats'
import { triageDrops } from './triage'

const steps = (length: number, at: [number, number][]): Float32Array =>
  Float32Array.from({ length }, (_, f) => 0.5 + at.reduce((a, [g, d]) => a + (f >= g ? d : 0), 0))

const curve = (episode: number, values: Float32Array, name = 'model', sourceId = 'file-a', convention: 'progress' | 'remaining' = 'progress') => ({
  info: { source: 'import' as const, modelId: null, params: null, name, sourceId, convention, episode, length: values.length },
  values,
})

function input(): DetectInput {
  return {
    fps: 10,
    episodes: [0, 1, 2].map((index) => ({ index, length: 100 })),
    annotated: new Set(),
    events: [],
    curves: [
      curve(2, steps(100, [[50, -0.5]])),
      curve(0, steps(100, [[42, -0.3], [80, 0.4]])),
      curve(1, steps(100, [[30, -0.15], [60, -0.2]])),
      curve(0, steps(100, []), 'other', 'file-b', 'remaining'),
      // Not as long as its episode (a run still scoring): left out.
      curve(1, steps(60, []), 'other', 'file-b'),
    ],
  }
}

describe('episodeStats', () => {
  it('gives each series its mean, final value and drop count per episode, in episode order', () => {
    const r = episodeStats(input(), { window: { seconds: 0.5 }, threshold: 0.1 })
    expect(r.window.frames).toBe(5)
    expect(r.series.map((s) => [s.key, s.name])).toEqual([
      ['i:file-a:model', 'model'],
      ['i:file-b:other', 'other'],
    ])
    const [a, b] = r.series
    expect([...a!.episodes]).toEqual([0, 1, 2])
    // Episode 0: 0.5 for 42 frames, 0.2 for 38, 0.6 for 20.
    expect(a!.mean[0]).toBeCloseTo((0.5 * 42 + 0.2 * 38 + 0.6 * 20) / 100, 5)
    expect(a!.final[0]).toBeCloseTo(0.6, 5)
    expect([...a!.drops]).toEqual([1, 2, 1])
    expect(a!.final[2]).toBeCloseTo(0, 5)
    // A "remaining" curve is shown as progress (1 − v).
    expect([...b!.episodes]).toEqual([0])
    expect(b!.mean[0]).toBeCloseTo(0.5, 5)
    expect(b!.drops[0]).toBe(0)
  })

  it('counts the drops triage ranks, with the same window and threshold', () => {
    for (const threshold of [0.1, 0.18, 0.35]) {
      const triage = triageDrops(input(), { series: 'i:file-a:model', window: { frames: 5 }, threshold })
      const stats = episodeStats(input(), { window: { frames: 5 }, threshold }).series[0]!
      const counted = [...stats.episodes].map((e, i) => [e, stats.drops[i]])
      expect(counted).toEqual([0, 1, 2].map((e) => [e, triage.drops.filter((d) => d.episode === e).length]))
    }
  })

  it('asks the memo first and tells it what it computed', () => {
    const seen = new Map<unknown, CurveStats>()
    const memo = { get: (c: unknown) => seen.get(c), set: (c: unknown, s: CurveStats) => void seen.set(c, s) }
    const data = input()
    episodeStats(data, { window: { seconds: 0.5 }, threshold: 0.1 }, memo)
    expect(seen.size).toBe(4)
    seen.set(data.curves[0], { mean: 9, final: 9, drops: 9 })
    const again = episodeStats(data, { window: { seconds: 0.5 }, threshold: 0.1 }, memo)
    expect(again.series[0]!.drops[2]).toBe(9)
  })

  it('is empty without curves', () => {
    expect(episodeStats({ ...input(), curves: [] }, { window: { seconds: 0.5 }, threshold: 0.1 }).series).toEqual([])
  })
})
