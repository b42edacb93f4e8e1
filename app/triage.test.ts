import { describe, expect, it } from 'vitest'
import type { DetectInput } from './detectorCalibration'
import { triageDrops } from './triage'

const steps = (length: number, at: [number, number][]): Float32Array => {
  // at: [frame, delta] steps over a base of 0.5.
  return Float32Array.from({ length }, (_, f) => 0.5 + at.reduce((a, [g, d]) => a + (f >= g ? d : 0), 0))
}

const curve = (episode: number, values: Float32Array, name = 'model', sourceId = 'file-a') => ({
  info: { source: 'import' as const, modelId: null, params: null, name, sourceId, convention: 'progress' as const, episode, length: values.length },
  values,
})

function input(): DetectInput {
  return {
    fps: 10,
    episodes: [0, 1, 2].map((index) => ({ index, length: 100 })),
    annotated: new Set([0, 1]),
    events: [
      { episode: 0, frame: 40, kind: 'error' },
      { episode: 0, frame: 20, kind: 'milestone' },
      { episode: 1, frame: 70, kind: 'error' },
    ],
    curves: [
      curve(0, steps(100, [[42, -0.3]])), // a drop 2 frames after the error
      curve(1, steps(100, [[30, -0.15], [60, 0.2]])), // a drop nowhere near the error at 70
      curve(2, steps(100, [[50, -0.5]])), // not annotated
      curve(0, steps(100, [[10, -0.2]]), 'other', 'file-b'),
    ],
  }
}

describe('triageDrops', () => {
  it('ranks every drop of the series over the dataset by size, and judges them against annotated errors', () => {
    const r = triageDrops(input(), { series: 'i:file-a:model', window: { seconds: 0.5 }, threshold: 0.1 })
    expect(r.window).toMatchObject({ frames: 5, seconds: 0.5 })
    expect(r.tolerance.frames).toBe(5)
    expect(r.series).toBe('i:file-a:model')
    expect(r.seriesList.map((s) => s.key).sort()).toEqual(['i:file-a:model', 'i:file-b:other'])
    expect(r.episodes).toBe(3)
    expect(r.drops).toEqual([
      { episode: 2, frame: 50, size: expect.closeTo(0.5, 6), matched: null },
      { episode: 0, frame: 42, size: expect.closeTo(0.3, 6), matched: true },
      { episode: 1, frame: 30, size: expect.closeTo(0.15, 6), matched: false },
    ])
    // Annotated episodes 0 and 1: two drops, one at an error; two errors, one found. Milestones are not errors.
    expect(r.score).toEqual({ episodes: 2, errors: 2, drops: 2, tp: 1, precision: 0.5, recall: 0.5 })
  })

  it('a larger threshold keeps the larger drops; a window in seconds scales with fps', () => {
    expect(triageDrops(input(), { series: 'i:file-a:model', window: { seconds: 0.5 }, threshold: 0.2 }).drops.map((d) => d.episode)).toEqual([2, 0])
    const at30 = triageDrops({ ...input(), fps: 30 }, { series: 'i:file-a:model', window: { seconds: 0.5 }, threshold: 0.1 })
    expect(at30.window.frames).toBe(15)
    expect(at30.tolerance.frames).toBe(15)
  })

  it('defaults to the series with the most episodes; nothing to rank without curves', () => {
    expect(triageDrops(input(), { window: { seconds: 0.5 }, threshold: 0.1 }).series).toBe('i:file-a:model')
    const none = triageDrops({ ...input(), curves: [] }, { window: { seconds: 0.5 }, threshold: 0.1 })
    expect(none).toMatchObject({ series: null, drops: [], score: null, episodes: 0 })
    const unannotated = triageDrops({ ...input(), annotated: new Set() }, { window: { seconds: 0.5 }, threshold: 0.1 })
    expect(unannotated.score).toBeNull()
    expect(unannotated.drops.every((d) => d.matched === null)).toBe(true)
  })
})
