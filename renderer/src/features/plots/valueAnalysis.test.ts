import { describe, expect, it } from 'vitest'
import { bandPolygons, bandRanges, clampSmoothing, emaSmooth, positiveFraction } from './valueAnalysis'
import { relayoutXRange } from './useLivePlot'

describe('display smoothing (EMA)', () => {
  it('is the identity at 0', () => {
    const v = [0.1, 0.5, 0.2, 0.9]
    expect(Array.from(emaSmooth(v, 0))).toEqual(Array.from(Float32Array.from(v)))
  })

  it('follows s_t = a·s_{t−1} + (1−a)·v_t with s_0 = v_0', () => {
    const v = [1, 0, 0, 1]
    const a = 0.2
    const s0 = 1
    const s1 = a * s0 + (1 - a) * 0
    const s2 = a * s1
    const s3 = a * s2 + (1 - a) * 1
    const out = emaSmooth(v, a)
    expect(out[0]).toBeCloseTo(s0, 6)
    expect(out[1]).toBeCloseTo(s1, 6)
    expect(out[2]).toBeCloseTo(s2, 6)
    expect(out[3]).toBeCloseTo(s3, 6)
  })

  it('leaves frames without a value empty and continues across them', () => {
    const out = emaSmooth([NaN, 1, NaN, 0, NaN], 0.5)
    expect(Number.isNaN(out[0])).toBe(true)
    expect(out[1]).toBe(1)
    expect(Number.isNaN(out[2])).toBe(true)
    expect(out[3]).toBeCloseTo(0.5, 6) // continues from s = 1, not restarted at 0
    expect(Number.isNaN(out[4])).toBe(true)
  })

  it('keeps a constant curve constant and delays a step (causal)', () => {
    expect(Array.from(emaSmooth([0.3, 0.3, 0.3], 0.9)).every((x) => Math.abs(x - 0.3) < 1e-6)).toBe(true)
    const step = emaSmooth([0, 0, 1, 1, 1], 0.5)
    expect(Array.from(step)).toEqual([0, 0, 0.5, 0.75, 0.875])
  })

  it('clamps the factor to 0..0.95', () => {
    expect(clampSmoothing(-1)).toBe(0)
    expect(clampSmoothing(2)).toBe(0.95)
    expect(clampSmoothing(NaN)).toBe(0)
    expect(Array.from(emaSmooth([0, 1], 5))).toEqual(Array.from(emaSmooth([0, 1], 0.95)))
  })
})

describe('advantage band', () => {
  it('finds maximal runs of positive frames, inclusive', () => {
    expect(bandRanges(new Uint8Array([]))).toEqual([])
    expect(bandRanges(new Uint8Array([0, 0, 0]))).toEqual([])
    expect(bandRanges(new Uint8Array([1, 1, 1]))).toEqual([{ start: 0, end: 2 }])
    expect(bandRanges(new Uint8Array([1, 0, 1, 1, 0, 0, 1]))).toEqual([
      { start: 0, end: 0 },
      { start: 2, end: 3 },
      { start: 6, end: 6 },
    ])
    expect(bandRanges(new Uint8Array([0, 1, 1, 0]))).toEqual([{ start: 1, end: 2 }])
  })

  it('covers exactly the positive frames', () => {
    const ind = new Uint8Array(200)
    let seed = 7
    for (let i = 0; i < ind.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      ind[i] = seed % 3 === 0 ? 0 : 1
    }
    const covered = new Uint8Array(ind.length)
    const ranges = bandRanges(ind)
    for (const r of ranges) for (let f = r.start; f <= r.end; f++) covered[f] = 1
    expect(Array.from(covered)).toEqual(Array.from(ind))
    // Runs are separated by at least one negative frame.
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThan(ranges[i - 1]!.end + 1)
    expect(positiveFraction(ind)).toBeCloseTo(ind.reduce((a, b) => a + b, 0) / ind.length)
  })

  it('draws one rectangle per run, a whole frame wide, separated by gaps', () => {
    const { x, y } = bandPolygons([
      { start: 2, end: 3 },
      { start: 7, end: 7 },
    ])
    expect(x).toEqual([1.5, 1.5, 3.5, 3.5, 1.5, null, 6.5, 6.5, 7.5, 7.5, 6.5, null])
    expect(y).toEqual([0, 1, 1, 0, 0, null, 0, 1, 1, 0, 0, null])
    expect(positiveFraction(new Uint8Array(0))).toBe(0)
  })
})

describe('shared zoom', () => {
  it('reads the x range of a Plotly relayout event', () => {
    expect(relayoutXRange({ 'xaxis.range[0]': 10, 'xaxis.range[1]': 50 })).toEqual([10, 50])
    expect(relayoutXRange({ 'xaxis.range': [3, 9] })).toEqual([3, 9])
    expect(relayoutXRange({ 'xaxis.autorange': true })).toBe('auto')
    expect(relayoutXRange({ 'yaxis.range[0]': 0, 'yaxis.range[1]': 1 })).toBeNull()
    expect(relayoutXRange({ shapes: [] })).toBeNull()
  })
})
