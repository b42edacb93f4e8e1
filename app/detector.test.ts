import { describe, expect, it } from 'vitest'
import type { Candidate, DetectorParams, DetectorSettings, TruthEvent } from './detector'
import {
  candidatesOf,
  DEFAULT_DETECTOR_SETTINGS,
  describeDetectorSettings,
  detectEvents,
  matchCounts,
  matchEvents,
  prepareCurve,
  resolveDetectorSettings,
  smoothCurve,
  smoothingFactor,
  sumMatches,
} from './detector'

/** The default settings in frames at 30 fps. */
const DEFAULT_PARAMS_30 = resolveDetectorSettings(DEFAULT_DETECTOR_SETTINGS, 30).params

/** Seeded uniform noise in [−amp, amp]. */
function noise(seed: number, amp: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0
    return (a / 4294967296 - 0.5) * 2 * amp
  }
}

/** A piecewise-constant curve: `levels[k]` from `at[k]` on (at[0] = 0), plus noise. */
function steps(length: number, at: number[], levels: number[], amp = 0, seed = 1): Float32Array {
  const rnd = noise(seed, amp)
  const v = new Float32Array(length)
  let k = 0
  for (let i = 0; i < length; i++) {
    while (k + 1 < at.length && i >= (at[k + 1] as number)) k++
    v[i] = (levels[k] as number) + rnd()
  }
  return v
}

const P: DetectorParams = { smoothing: 0.3, window: 5, riseThreshold: 0.1, dropThreshold: 0.1, minGap: 5 }
const of = (cs: Candidate[], kind: Candidate['kind']): number[] => cs.filter((c) => c.kind === kind).map((c) => c.frame)

describe('detectEvents', () => {
  it('finds a noisy plateau-then-step once, at the step (±1), for any smoothing', () => {
    for (const smoothing of [0, 0.3, 0.6, 0.8]) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const c = detectEvents(steps(200, [0, 100], [0.2, 0.5], 0.02, seed), { ...P, smoothing })
        expect(of(c, 'error')).toEqual([])
        const m = of(c, 'milestone')
        expect(m).toHaveLength(1)
        expect(Math.abs((m[0] as number) - 100)).toBeLessThanOrEqual(1)
      }
    }
  })

  it('puts a clean step exactly on its first new frame with its height as strength, for every window', () => {
    for (let window = 1; window <= 12; window++) {
      const c = detectEvents(steps(80, [0, 40], [0.3, 0.55]), { ...P, smoothing: 0, window })
      expect(c).toHaveLength(1)
      expect(c[0]).toMatchObject({ kind: 'milestone', frame: 40 })
      expect(c[0]!.strength).toBeCloseTo(0.25, 6)
    }
  })

  it('finds a staircase with a drop, sorted by frame', () => {
    const v = steps(300, [0, 50, 120, 160, 200], [0.1, 0.3, 0.5, 0.3, 0.6], 0.015, 7)
    const c = detectEvents(v, P)
    const frames = c.map((x) => x.frame)
    expect(frames).toEqual([...frames].sort((a, b) => a - b))
    const m = of(c, 'milestone')
    const e = of(c, 'error')
    expect(m).toHaveLength(3)
    ;[50, 120, 200].forEach((f, i) => expect(Math.abs((m[i] as number) - f)).toBeLessThanOrEqual(1))
    expect(e).toHaveLength(1)
    expect(Math.abs((e[0] as number) - 160)).toBeLessThanOrEqual(1)
    for (const x of c) expect(x.strength).toBeGreaterThan(0.15)
  })

  it('finds a sharp noisy drop as one error (±1) and no milestone', () => {
    for (const seed of [11, 12, 13]) {
      const c = detectEvents(steps(150, [0, 70], [0.6, 0.35], 0.02, seed), P)
      expect(of(c, 'milestone')).toEqual([])
      const e = of(c, 'error')
      expect(e).toHaveLength(1)
      expect(Math.abs((e[0] as number) - 70)).toBeLessThanOrEqual(1)
    }
  })

  it('proposes nothing on a steady ramp with slope below threshold / window, rising or falling', () => {
    for (const smoothing of [0, 0.5, 0.9]) {
      for (const window of [1, 3, 5, 10]) {
        const params = { ...P, smoothing, window, minGap: 1 }
        const slope = (0.999 * params.riseThreshold) / window
        const up = Float64Array.from({ length: 2000 }, (_, i) => slope * i)
        expect(detectEvents(up, params)).toEqual([])
        const down = up.map((x) => 10 - x)
        expect(detectEvents(down, { ...params, dropThreshold: params.riseThreshold })).toEqual([])
      }
    }
  })

  it('ignores a spike that falls back within the window, but not a rise that stays', () => {
    const v = new Float32Array(100).fill(0.4)
    v[50] = 1
    v[51] = 1
    const p = { ...P, smoothing: 0 }
    expect(detectEvents(v, p)).toEqual([])
    const dip = v.map((x) => (x === 1 ? 0 : x))
    expect(detectEvents(dip, p)).toEqual([])
    // A bump as wide as two windows is a rise then a drop.
    const bump = new Float32Array(100).fill(0.4)
    bump.fill(0.8, 40, 52)
    expect(detectEvents(bump, p).map((c) => [c.kind, c.frame])).toEqual([['milestone', 40], ['error', 52]])
  })

  it('merges candidates of a kind closer than minGap, keeping the stronger one', () => {
    const v = steps(100, [0, 40, 44], [0.1, 0.25, 0.55])
    const p = { ...P, smoothing: 0, window: 2 }
    expect(of(detectEvents(v, { ...p, minGap: 1 }), 'milestone')).toEqual([40, 44])
    expect(of(detectEvents(v, { ...p, minGap: 4 }), 'milestone')).toEqual([40, 44])
    expect(of(detectEvents(v, { ...p, minGap: 5 }), 'milestone')).toEqual([44])
    expect(of(detectEvents(v, { ...p, minGap: 50 }), 'milestone')).toEqual([44])
    // A milestone and an error close together do not suppress each other.
    const w = steps(100, [0, 40, 44], [0.1, 0.4, 0.1])
    expect(detectEvents(w, { ...p, minGap: 10 }).map((c) => c.kind)).toEqual(['milestone', 'error'])
  })

  it('keeps every same-kind pair at least minGap apart on noise', () => {
    const rnd = noise(99, 0.1)
    const v = Float32Array.from({ length: 5000 }, () => 0.5 + rnd())
    for (const minGap of [2, 3, 7, 20]) {
      const c = detectEvents(v, { smoothing: 0, window: 2, riseThreshold: 0.02, dropThreshold: 0.02, minGap })
      expect(c.length).toBeGreaterThan(10)
      for (const kind of ['milestone', 'error'] as const) {
        const f = of(c, kind)
        for (let i = 1; i < f.length; i++) expect((f[i] as number) - (f[i - 1] as number)).toBeGreaterThanOrEqual(minGap)
      }
    }
  })

  it('ignores NaN frames: a NaN tail gives the candidates of the computed prefix', () => {
    const full = steps(200, [0, 60, 130], [0.2, 0.4, 0.2], 0.01, 3)
    const partial = full.slice()
    partial.fill(Number.NaN, 150)
    expect(detectEvents(partial, P)).toEqual(detectEvents(full.subarray(0, 150), P))
    expect(of(detectEvents(partial, P), 'error')).toHaveLength(1)
    // Computed only up to before the rise: nothing yet.
    const early = full.slice()
    early.fill(Number.NaN, 55)
    expect(detectEvents(early, P)).toEqual([])
    // A NaN gap inside is skipped; frames stay the curve's own.
    const gap = steps(100, [0, 50], [0.2, 0.5])
    gap.fill(Number.NaN, 20, 30)
    expect(detectEvents(gap, { ...P, smoothing: 0 })).toEqual([{ kind: 'milestone', frame: 50, strength: expect.closeTo(0.3, 6) }])
    expect(detectEvents(new Float32Array(50).fill(Number.NaN), P)).toEqual([])
    expect(detectEvents([Number.NaN, 0.1, Infinity, 0.1], P)).toEqual([])
  })

  it('copes with empty, single-frame and short curves', () => {
    expect(detectEvents([], P)).toEqual([])
    expect(detectEvents(new Float32Array(0), DEFAULT_PARAMS_30)).toEqual([])
    expect(detectEvents([0.5], P)).toEqual([])
    expect(detectEvents([0.5, 0.5, 0.5], P)).toEqual([])
    const p = { ...P, smoothing: 0 }
    expect(detectEvents([0, 1], p)).toEqual([{ kind: 'milestone', frame: 1, strength: 1 }])
    expect(detectEvents([1, 0], p)).toEqual([{ kind: 'error', frame: 1, strength: 1 }])
    expect(detectEvents([0.2, 0.2, 0.6, 0.6], p)).toEqual([{ kind: 'milestone', frame: 2, strength: expect.closeTo(0.4, 6) }])
  })

  it('sanitizes out-of-range parameters instead of failing', () => {
    const v = steps(60, [0, 30], [0.2, 0.6])
    for (const bad of [{ window: 0 }, { window: -3 }, { window: 2.4 }, { smoothing: -1 }, { smoothing: Number.NaN }, { minGap: -5 }, { minGap: Number.NaN }]) {
      expect(detectEvents(v, { ...P, ...bad })).toEqual([{ kind: 'milestone', frame: 30, strength: expect.any(Number) }])
    }
    // Clamped to the curve's length and to 0.99.
    expect(detectEvents(v, { ...P, smoothing: 0, window: 1e9 })).toEqual([{ kind: 'milestone', frame: 30, strength: expect.closeTo(0.4, 6) }])
    const loose = { ...P, riseThreshold: 0.001, dropThreshold: 0.001 }
    expect(detectEvents(v, { ...loose, smoothing: 5 })).toEqual(detectEvents(v, { ...loose, smoothing: 0.99 }))
    expect(detectEvents(v, { ...loose, smoothing: 1 }).map((c) => c.kind)).toEqual(['milestone'])
    expect(detectEvents(v, { ...P, riseThreshold: Number.NaN, dropThreshold: Number.NaN })).toEqual([])
  })

  it('defaults find a 0.1 step in mild noise', () => {
    const c = detectEvents(steps(120, [0, 60], [0.4, 0.5], 0.005, 2), DEFAULT_PARAMS_30)
    expect(c).toHaveLength(1)
    expect(c[0]!.kind).toBe('milestone')
    expect(Math.abs(c[0]!.frame - 60)).toBeLessThanOrEqual(1)
  })

  it('finds every step of a long 18,000-frame staircase (speed is measured in bench/detector.ts)', () => {
    const rnd = noise(5, 0.003)
    const v = Float32Array.from({ length: 18_000 }, (_, i) => 0.05 + 0.1 * Math.floor(i / 2000) + rnd())
    const found = detectEvents(v, DEFAULT_PARAMS_30)
    expect(found.map((c) => c.kind)).toEqual(Array(8).fill('milestone'))
    found.forEach((c, k) => expect(Math.abs(c.frame - 2000 * (k + 1))).toBeLessThanOrEqual(1))
  })
})

describe('detector settings in seconds', () => {
  const S: DetectorSettings = { smoothingSeconds: 0.2, window: { seconds: 0.5 }, riseThreshold: 0.1, dropThreshold: 0.1, minGap: { seconds: 1 }, milestoneDelaySeconds: 0, errorDelaySeconds: 0 }

  it('resolve to frames at each frame rate: windows and gaps scale with fps, smoothing keeps its time constant', () => {
    const at10 = resolveDetectorSettings(S, 10)
    const at30 = resolveDetectorSettings(S, 30)
    expect(at10.params).toMatchObject({ window: 5, minGap: 10, riseThreshold: 0.1, dropThreshold: 0.1 })
    expect(at30.params).toMatchObject({ window: 15, minGap: 30 })
    expect(at10.params.smoothing).toBeCloseTo(Math.exp(-1 / 2), 12)
    expect(at30.params.smoothing).toBeCloseTo(Math.exp(-1 / 6), 12)
    // After τ seconds the filter has forgotten a factor e at any rate.
    expect(at10.params.smoothing ** 2).toBeCloseTo(at30.params.smoothing ** 6, 12)
    expect(smoothingFactor(0, 30)).toBe(0)
    // Exact frames stay exact.
    expect(resolveDetectorSettings({ ...S, window: { frames: 3 } }, 50).params.window).toBe(3)
    expect(describeDetectorSettings(S, 10)).toBe('smoothing τ 0.2 s · window 5 frames = 0.5 s at 10 fps · rise ≥ 0.1 · drop ≥ 0.1 · min gap 10 frames = 1 s at 10 fps')
    expect(describeDetectorSettings({ ...S, riseThreshold: null }, 10)).toContain('rise ≥ off')
    expect(() => resolveDetectorSettings({ ...S, window: { seconds: 0 } }, 10)).toThrow(/window in seconds/)
  })

  it('find the same events at the same times on one curve sampled at 10 and at 30 fps', () => {
    // Steps at 2.0 s (up), 4.5 s (up), 6.0 s (down), 0.2 apart in value, 0.04 of noise.
    const at = (fps: number): Float32Array => {
      const rnd = noise(fps, 0.02)
      return Float32Array.from({ length: 9 * fps }, (_, i) => {
        const t = i / fps
        return (t >= 2 ? 0.2 : 0) + (t >= 4.5 ? 0.2 : 0) - (t >= 6 ? 0.2 : 0) + 0.1 + rnd()
      })
    }
    const times = (fps: number): [string, number][] =>
      detectEvents(at(fps), resolveDetectorSettings(S, fps).params).map((c) => [c.kind, Math.round((c.frame / fps) * 10) / 10])
    expect(times(10)).toEqual([['milestone', 2], ['milestone', 4.5], ['error', 6]])
    for (const fps of [30, 50]) {
      const t = times(fps)
      expect(t.map((x) => x[0])).toEqual(['milestone', 'milestone', 'error'])
      t.forEach(([, s], i) => expect(Math.abs(s - ([2, 4.5, 6][i] as number))).toBeLessThanOrEqual(0.1))
    }
  })

  it('a null threshold switches a kind off', () => {
    const v = steps(100, [0, 30, 60], [0.2, 0.6, 0.2])
    const off = resolveDetectorSettings({ ...S, smoothingSeconds: 0, riseThreshold: null }, 10).params
    expect(detectEvents(v, off).map((c) => c.kind)).toEqual(['error'])
    const none = resolveDetectorSettings({ ...S, riseThreshold: null, dropThreshold: null }, 10).params
    expect(detectEvents(v, none)).toEqual([])
  })

  it('prepareCurve + candidatesOf is detectEvents, for any thresholds and gap', () => {
    const rnd = noise(3, 0.05)
    const v = Float32Array.from({ length: 400 }, (_, i) => 0.3 + 0.2 * Math.sin(i / 17) + rnd())
    v[100] = Number.NaN
    for (const window of [1, 3, 8]) {
      const p = prepareCurve(v, 0.3, window)
      for (const thr of [0.01, 0.05, 0.2]) {
        for (const minGap of [0, 5, 40]) {
          expect(candidatesOf(p, thr, thr * 1.5, minGap)).toEqual(detectEvents(v, { smoothing: 0.3, window, riseThreshold: thr, dropThreshold: thr * 1.5, minGap }))
        }
      }
    }
  })
})

describe('smoothCurve', () => {
  it('is the identity at 0 and a symmetric (lag-free) filter otherwise', () => {
    const v = steps(41, [0, 20], [0, 1])
    expect(Array.from(smoothCurve(v, 0))).toEqual(Array.from(v))
    const s = smoothCurve(new Float32Array(41).fill(0).fill(1, 20, 21), 0.5)
    // An impulse in the middle spreads equally both ways.
    for (let k = 1; k < 10; k++) expect(s[20 - k]).toBeCloseTo(s[20 + k] as number, 9)
    expect(s[20]).toBeGreaterThan(s[19] as number)
    // Forward then backward pass, by the documented formula.
    const x = [1, 3, 2, 5]
    const a = 0.4
    const f = [1]
    for (let i = 1; i < 4; i++) f.push(a * (f[i - 1] as number) + (1 - a) * (x[i] as number))
    const z = [0, 0, 0, f[3] as number]
    for (let i = 2; i >= 0; i--) z[i] = a * (z[i + 1] as number) + (1 - a) * (f[i] as number)
    Array.from(smoothCurve(x, a)).forEach((y, i) => expect(y).toBeCloseTo(z[i] as number, 12))
  })
})

describe('matchEvents', () => {
  const c = (kind: Candidate['kind'], frame: number, strength = 0.1): Candidate => ({ kind, frame, strength })
  const t = (kind: TruthEvent['kind'], frame: number): TruthEvent => ({ kind, frame })

  it('matches one-to-one within tolerance, same kind only, and does the arithmetic', () => {
    const r = matchEvents(
      [c('milestone', 10), c('milestone', 20), c('milestone', 50), c('error', 30), c('error', 80)],
      [t('milestone', 12), t('milestone', 19), t('milestone', 80), t('error', 33), t('error', 60)],
      3,
    )
    expect(r.byKind.milestone).toEqual({ tp: 2, fp: 1, fn: 1, precision: 2 / 3, recall: 2 / 3 })
    // The error candidate at 80 is 0 frames from a milestone: kinds never match across.
    expect(r.byKind.error).toEqual({ tp: 1, fp: 1, fn: 1, precision: 0.5, recall: 0.5 })
    expect(r).toMatchObject({ tp: 3, fp: 2, fn: 2, precision: 0.6, recall: 0.6 })
  })

  it('tolerance is inclusive; each truth matches at most one candidate and vice versa', () => {
    expect(matchEvents([c('milestone', 15)], [t('milestone', 10)], 5).tp).toBe(1)
    expect(matchEvents([c('milestone', 16)], [t('milestone', 10)], 5).tp).toBe(0)
    const many = matchEvents([c('milestone', 9), c('milestone', 10), c('milestone', 11)], [t('milestone', 10)], 5)
    expect(many.byKind.milestone).toMatchObject({ tp: 1, fp: 2, fn: 0 })
    const crowd = matchEvents([c('error', 10)], [t('error', 8), t('error', 11)], 5)
    expect(crowd.byKind.error).toMatchObject({ tp: 1, fp: 0, fn: 1 })
  })

  it('pairs closest first, earlier frames first on a tie (greedy, not a maximum matching)', () => {
    // The closest pair (13, 12) goes first; 10–12 and 13–16 would have matched both.
    expect(matchEvents([c('milestone', 10), c('milestone', 13)], [t('milestone', 12), t('milestone', 16)], 3).tp).toBe(1)
    expect(matchEvents([c('milestone', 10), c('milestone', 14)], [t('milestone', 12), t('milestone', 16)], 3).tp).toBe(2)
    // All three pairs are 2 apart: 8–10 first, then 12–14.
    expect(matchEvents([c('milestone', 8, 0.1), c('milestone', 12, 0.9)], [t('milestone', 10), t('milestone', 14)], 2).tp).toBe(2)
  })

  it('0/0 counts as 1: no proposals means precision 1, nothing to find means recall 1', () => {
    expect(matchEvents([], [], 5)).toEqual({
      tp: 0, fp: 0, fn: 0, precision: 1, recall: 1,
      byKind: { milestone: matchCounts(0, 0, 0), error: matchCounts(0, 0, 0) },
    })
    expect(matchEvents([], [t('error', 3)], 5).byKind.error).toEqual({ tp: 0, fp: 0, fn: 1, precision: 1, recall: 0 })
    expect(matchEvents([c('error', 3)], [], 5).byKind.error).toEqual({ tp: 0, fp: 1, fn: 0, precision: 0, recall: 1 })
  })

  it('sums per-episode results from the counts', () => {
    const a = matchEvents([c('milestone', 1)], [t('milestone', 1)], 0)
    const b = matchEvents([c('milestone', 5), c('error', 9)], [t('milestone', 50)], 0)
    const s = sumMatches([a, b])
    expect(s.byKind.milestone).toEqual({ tp: 1, fp: 1, fn: 1, precision: 0.5, recall: 0.5 })
    expect(s.byKind.error).toEqual({ tp: 0, fp: 1, fn: 0, precision: 0, recall: 1 })
    expect(s).toMatchObject({ tp: 1, fp: 2, fn: 1 })
  })
})
