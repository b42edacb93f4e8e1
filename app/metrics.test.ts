import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { EpisodeCurve, ErsVariant, MetricOptions, MetricRow } from './metrics'
import {
  aggregateMetrics,
  checkFinite,
  episodeMetrics,
  ers,
  eventWindows,
  groundTruthProgress,
  metricsByTask,
  pearson,
  rankAverage,
  spearman,
  voc,
} from './metrics'
import { thrown } from './testing/thrown'

const EPS = 1e-6
const rel = (window: number): MetricOptions => ({ window, variant: 'relative', eps: EPS })
const abs = (window: number): MetricOptions => ({ window, variant: 'absolute' })

function curve(values: number[], extra: Partial<EpisodeCurve> = {}): EpisodeCurve {
  return { episode: 0, task: 't', outcome: 'success', values, milestones: [], errors: [], ...extra }
}

describe('ground-truth progress (1 − G/2, eq. 2)', () => {
  it('rises to 1 for a success and to 0.5 for a failure', () => {
    // T = 4, success: G(i) = (3 − i)/4 = 0.75, 0.5, 0.25, 0 → 1 − G/2 = 0.625, 0.75, 0.875, 1.
    expect([...groundTruthProgress(4, 'success')]).toEqual([0.625, 0.75, 0.875, 1])
    // failure: G + 1 = 1.75, 1.5, 1.25, 1 → 0.125, 0.25, 0.375, 0.5.
    expect([...groundTruthProgress(4, 'failure')]).toEqual([0.125, 0.25, 0.375, 0.5])
    // T = 1: G = 0 (success) or 1 (failure).
    expect([...groundTruthProgress(1, 'success')]).toEqual([1])
    expect([...groundTruthProgress(1, 'failure')]).toEqual([0.5])
  })

  it('rejects a length that is not a positive integer', () => {
    expect(thrown(() => groundTruthProgress(0, 'success')).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => groundTruthProgress(2.5, 'failure')).code).toBe('INVALID_ARGUMENT')
  })
})

describe('ranks and correlations', () => {
  it('averages the ranks of ties', () => {
    // sorted: 5 (rank 1), 10 (2), 20, 20 (ranks 3 and 4 → 3.5 each)
    expect([...rankAverage([10, 20, 20, 5])]).toEqual([2, 3.5, 3.5, 1])
    // all tied: ranks 1, 2, 3 → 2 each
    expect([...rankAverage([7, 7, 7])]).toEqual([2, 2, 2])
    expect([...rankAverage([])]).toEqual([])
  })

  it('computes Pearson by hand', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15)
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15)
    // means 2.5; deviations a: −1.5 −0.5 0.5 1.5, b: −1.5 0.5 −0.5 1.5;
    // Σab = 2.25 − 0.25 − 0.25 + 2.25 = 4, Σa² = Σb² = 5 → 4/5
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 15)
  })

  it('is 0 for constant inputs and fewer than 2 elements', () => {
    expect(pearson([0.3, 0.3, 0.3], [1, 2, 3])).toBe(0)
    expect(pearson([1, 2, 3], [0.1, 0.1, 0.1])).toBe(0)
    expect(pearson([5], [6])).toBe(0)
    expect(pearson([], [])).toBe(0)
    expect(spearman([2, 2, 2, 2], [1, 2, 3, 4])).toBe(0)
    expect(voc(new Float64Array(500).fill(0.1))).toBe(0)
    expect(voc([0.4])).toBe(0)
  })

  it('computes Spearman with ties by hand', () => {
    // ranks a = 1, 2.5, 2.5, 4 and b = 1, 3, 2, 4; means 2.5; deviations a: −1.5 0 0 1.5, b: −1.5 0.5 −0.5 1.5
    // Σab = 2.25 + 2.25 = 4.5, Σa² = 4.5, Σb² = 5 → 4.5/√22.5 = √0.9
    expect(spearman([1, 2, 2, 4], [10, 30, 20, 40])).toBeCloseTo(Math.sqrt(0.9), 14)
  })

  it('computes VOC by hand', () => {
    expect(voc([0.1, 0.2, 0.3])).toBeCloseTo(1, 15)
    expect(voc([3, 2, 1])).toBeCloseTo(-1, 15)
    // ranks 1.5 3.5 1.5 3.5 (deviations −1 1 −1 1) vs frames 1..4 (deviations −1.5 −0.5 0.5 1.5):
    // Σab = 1.5 − 0.5 − 0.5 + 1.5 = 2, Σa² = 4, Σb² = 5 → 2/√20 = 1/√5
    expect(voc([0, 1, 0, 1])).toBeCloseTo(1 / Math.sqrt(5), 14)
  })

  it('rejects curves of different lengths and non-finite values', () => {
    expect(thrown(() => pearson([1, 2], [1, 2, 3])).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => spearman([1, 2], [1])).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => voc([0.1, Number.NaN])).message).toContain('value at frame 1 is NaN')
  })
})

describe('ERS windows and scores (eq. 3)', () => {
  const v = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]

  it('excludes the event frame and clips at the ends', () => {
    // frame 2, w = 2: before = mean(0.1, 0.2) = 0.15, after = mean(0.4, 0.5) = 0.45
    const a = eventWindows(v, 2, 2)
    expect(a.before).toBeCloseTo(0.15, 15)
    expect(a.after).toBeCloseTo(0.45, 15)
    // frame 1, w = 3: before clipped to [0.1], after = mean(0.3, 0.4, 0.5) = 0.4
    const b = eventWindows(v, 1, 3)
    expect(b.before).toBeCloseTo(0.1, 15)
    expect(b.after).toBeCloseTo(0.4, 15)
    // first / last frame: an empty window
    expect(eventWindows(v, 0, 3)).toEqual({ before: null, after: expect.closeTo(0.3, 15) })
    expect(eventWindows(v, 5, 1)).toEqual({ before: 0.5, after: null })
  })

  it('scores relative and absolute ERS by hand', () => {
    // rise 0.45 − 0.15 = 0.3: relative 0.3/(0.15 + 1e-6), absolute 0.3; an error (d = −1) flips both
    expect(ers(v, 2, 1, rel(2))).toBeCloseTo(0.3 / 0.150001, 12)
    expect(ers(v, 2, 1, abs(2))).toBeCloseTo(0.3, 15)
    expect(ers(v, 2, -1, rel(2))).toBeCloseTo(-0.3 / 0.150001, 12)
    expect(ers(v, 2, -1, abs(2))).toBeCloseTo(-0.3, 15)
    // ε defaults to 1e-6
    expect(ers(v, 2, 1, { window: 2, variant: 'relative' })).toBe(ers(v, 2, 1, rel(2)))
    // empty window → null
    expect(ers(v, 0, 1, rel(2))).toBeNull()
    expect(ers(v, 5, -1, abs(2))).toBeNull()
  })

  it('shows why the relative form misbehaves near 0 and below 0', () => {
    // V_before = 0, V_after = 0.01: relative 0.01/1e-6 = 10000, absolute 0.01
    const flat = [0, 0, 0, 0.01, 0.01]
    expect(ers(flat, 2, 1, rel(2))).toBeCloseTo(10000, 6)
    expect(ers(flat, 2, 1, abs(2))).toBeCloseTo(0.01, 15)
    // negative curve rising from −0.4 to −0.2 at a milestone: absolute +0.2 (detected), but relative
    // 0.2/(−0.4 + 1e-6) ≈ −0.5 (a rise scored as a drop)
    const neg = [-0.4, -0.4, -0.3, -0.2, -0.2]
    expect(ers(neg, 2, 1, abs(2))).toBeCloseTo(0.2, 15)
    expect(ers(neg, 2, 1, rel(2))).toBeCloseTo(0.2 / (-0.4 + 1e-6), 12)
    // constant curve: 0 in both variants, not detected
    expect(ers([0.3, 0.3, 0.3], 1, 1, rel(1))).toBe(0)
    expect(ers([0.3, 0.3, 0.3], 1, -1, abs(1))).toBe(-0)
  })

  it('rejects events outside the episode, bad windows and bad options', () => {
    expect(thrown(() => eventWindows(v, 6, 1)).message).toContain('outside the episode')
    expect(thrown(() => eventWindows(v, -1, 1)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => eventWindows(v, 1.5, 1)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => eventWindows(v, 2, 0)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => ers(v, 2, 1, { window: 1.5, variant: 'absolute' })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => ers(v, 2, 1, { window: 1, variant: 'ratio' as ErsVariant })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => ers(v, 2, 1, { window: 1, variant: 'relative', eps: 0 })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => ers(v, 2, 0 as 1, rel(1))).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => ers([0.1, Number.NaN, 0.3], 2, 1, rel(1))).message).toContain('value at frame 1 is NaN')
  })
})

describe('episode and aggregate metrics', () => {
  // success, T = 6: ground truth (7 + i)/12 is linear in i, so Pearson vs it = Pearson vs frame order.
  const values = [0.1, 0.1, 0.2, 0.5, 0.5, 0.6]
  const ep = curve(values, { episode: 3, milestones: [2, 0], errors: [4, 5] })

  it('scores one episode by hand (w = 1)', () => {
    const { row, events } = episodeMetrics(ep, rel(1))
    // milestone 2: before 0.1, after 0.5 → rel 0.4/(0.1 + 1e-6); milestone 0: no before window → skipped
    // error 4: before 0.5, after 0.6 → rel −0.1/(0.5 + 1e-6) (wrong way: not detected); error 5: skipped
    expect(events.map((e) => [e.kind, e.frame, e.before, e.after])).toEqual([
      ['milestone', 2, 0.1, 0.5],
      ['milestone', 0, null, 0.1],
      ['error', 4, 0.5, 0.6],
      ['error', 5, 0.5, null],
    ])
    expect(events[0]?.ers).toBeCloseTo(0.4 / 0.100001, 12)
    expect(events[1]?.ers).toBeNull()
    expect(events[2]?.ers).toBeCloseTo(-0.1 / 0.500001, 12)
    expect(events[3]?.ers).toBeNull()
    expect(row).toMatchObject({ episodes: 1, nMilestones: 1, nErrors: 1, skippedMilestones: 1, skippedErrors: 1, MDR: 1, ErrDR: 0 })
    expect(row.MS).toBeCloseTo(0.4 / 0.100001, 12)
    expect(row.ES).toBeCloseTo(-0.1 / 0.500001, 12)
    // Pearson: values × 30 = 3 3 6 15 15 18 (mean 10, deviations −7 −7 −4 5 5 8, Σ² = 228);
    // 2 × (frame − 2.5) = −5 −3 −1 1 3 5 (Σ² = 70); Σ products = 35 + 21 + 4 + 5 + 15 + 40 = 120
    expect(row.pearson).toBeCloseTo(120 / Math.sqrt(228 * 70), 14)
    // Spearman = VOC: ranks 1.5 1.5 3 4.5 4.5 6 (deviations −2 −2 −0.5 1 1 2.5, Σ² = 16.5) vs 1..6
    // (deviations −2.5 −1.5 −0.5 0.5 1.5 2.5, Σ² = 17.5); Σ products = 5 + 3 + 0.25 + 0.5 + 1.5 + 6.25 = 16.5
    expect(row.spearman).toBeCloseTo(Math.sqrt(16.5 / 17.5), 14)
    expect(row.voc).toBeCloseTo(Math.sqrt(16.5 / 17.5), 14)
    expect(row.variant).toBe('relative')
    expect(row.window).toBe(1)
  })

  it('has the absolute variant agree in sign here (all V_before > 0)', () => {
    const { row, events } = episodeMetrics(ep, abs(1))
    expect(events[0]?.ers).toBeCloseTo(0.4, 15)
    expect(events[2]?.ers).toBeCloseTo(-0.1, 15)
    expect(row).toMatchObject({ MDR: 1, ErrDR: 0, variant: 'absolute' })
  })

  it('pools events over episodes rather than averaging per-episode means', () => {
    // A: one milestone with a jump of 0.4; B: three milestones with a jump of 0.1 each (w = 1; the event frame is
    // in neither window: frame 1: 0 → 0.1, frame 2: 0.1 → 0.2, frame 3: 0.1 → 0.2)
    const a = curve([0.1, 0.1, 0.5], { episode: 1, milestones: [1] })
    const b = curve([0, 0.1, 0.1, 0.2, 0.2], { episode: 2, task: 'u', milestones: [1, 2, 3], outcome: 'failure' })
    const row = aggregateMetrics([a, b], abs(1))
    // (0.4 + 3 × 0.1)/4 = 0.175, not (0.4 + 0.1)/2
    expect(row.MS).toBeCloseTo(0.175, 15)
    expect(row).toMatchObject({ episodes: 2, nMilestones: 4, MDR: 1, ES: null, ErrDR: null, nErrors: 0 })
    // correlations are means over episodes
    const up = curve([0.1, 0.2, 0.3], { episode: 5 })
    const down = curve([0.3, 0.2, 0.1], { episode: 6 })
    const two = aggregateMetrics([up, down], rel(3))
    expect(two.pearson).toBeCloseTo(0, 15)
    expect(two.voc).toBeCloseTo(0, 15)
    // by task: sorted keys, each the aggregate of its episodes
    const byTask = metricsByTask([b, up, a], abs(1))
    expect([...byTask.keys()]).toEqual(['t', 'u'])
    expect(byTask.get('t')).toEqual(aggregateMetrics([up, a], abs(1)))
    expect(byTask.get('u')).toEqual(aggregateMetrics([b], abs(1)))
  })

  it('has no numbers without episodes or events', () => {
    expect(aggregateMetrics([], rel(5))).toEqual({
      episodes: 0, pearson: null, spearman: null, voc: null, MS: null, ES: null, MDR: null, ErrDR: null,
      nMilestones: 0, nErrors: 0, skippedMilestones: 0, skippedErrors: 0, variant: 'relative', window: 5,
    } satisfies MetricRow)
    // a one-frame episode: every event is skipped
    const one = episodeMetrics(curve([0.7], { milestones: [0], errors: [0] }), rel(3))
    expect(one.row).toMatchObject({ pearson: 0, spearman: 0, voc: 0, MS: null, MDR: null, skippedMilestones: 1, skippedErrors: 1 })
  })

  it('rejects NaN in a curve with the frame, and events outside the episode', () => {
    const nan = thrown(() => episodeMetrics(curve([0.1, Number.NaN, 0.3], { episode: 7 }), rel(1)))
    expect(nan.code).toBe('INVALID_ARGUMENT')
    expect(nan.message).toBe('episode 7 value curve: value at frame 1 is NaN')
    expect(thrown(() => aggregateMetrics([ep, curve([0.2, 0.3, Number.NaN], { episode: 9 })], abs(1))).message).toBe(
      'episode 9 value curve: value at frame 2 is NaN',
    )
    expect(thrown(() => episodeMetrics(curve(values, { milestones: [6] }), rel(1))).message).toBe(
      'episode 0: milestone at frame 6 is outside the episode (frames 0–5)',
    )
    expect(thrown(() => episodeMetrics(curve(values, { errors: [-1] }), rel(1))).message).toContain('error at frame -1')
    expect(thrown(() => episodeMetrics(curve([]), rel(1))).message).toContain('empty')
    expect(thrown(() => checkFinite([0, Number.POSITIVE_INFINITY], 'x')).message).toBe('x: value at frame 1 is Infinity')
    expect(() => checkFinite(new Float32Array([0, 1]), 'x')).not.toThrow()
  })
})

// ------------------------------------------------------------------------------------------------------------------
// Equality with the numpy reference (models/viva/make_metric_fixtures.py → models/viva/viva/evaluate.py)
// ------------------------------------------------------------------------------------------------------------------

interface RefEvent {
  frame: number
  kind: 'milestone' | 'error'
  before: number | null
  after: number | null
  relative: number | null
  absolute: number | null
}
type RefRow = Omit<MetricRow, 'variant'> & { variant: ErsVariant }
interface RefCase {
  episode: number
  task: string
  kind: string
  outcome: 'success' | 'failure'
  values: number[]
  milestones: number[]
  errors: number[]
  window: number
  groundTruth: number[]
  ranks: number[]
  pearson: number
  spearman: number
  voc: number
  events: RefEvent[]
  row: Record<ErsVariant, RefRow>
}
interface Reference {
  eps: number
  cases: RefCase[]
  aggregates: Record<string, Record<ErsVariant, RefRow>>
  byTaskWindow: number
  byTask: Record<string, Record<ErsVariant, RefRow>>
}

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'fixtures', 'metrics-reference.json')
const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference
const VARIANTS: ErsVariant[] = ['relative', 'absolute']

/** Equal to 1e-9 (relative to the magnitude above 1); null only against null. Counts what it compares. */
let compared = 0
function near(actual: number | null | undefined, expected: number | null, what: string): void {
  compared++
  if (expected === null) {
    expect(actual, what).toBeNull()
    return
  }
  expect(typeof actual, what).toBe('number')
  const tol = 1e-9 * Math.max(1, Math.abs(expected))
  if (!(Math.abs((actual as number) - expected) <= tol)) expect.fail(`${what}: ${actual} ≠ ${expected}`)
}
function nearAll(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length)
  expected.forEach((e, i) => near(actual[i], e, `${what}[${i}]`))
}
function sameRow(actual: MetricRow, expected: RefRow, what: string): void {
  for (const key of ['episodes', 'nMilestones', 'nErrors', 'skippedMilestones', 'skippedErrors', 'window', 'variant'] as const) {
    expect(actual[key], `${what}.${key}`).toBe(expected[key])
  }
  for (const key of ['pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR'] as const) {
    near(actual[key], expected[key], `${what}.${key}`)
  }
}
const toCurve = (c: RefCase): EpisodeCurve => ({
  episode: c.episode,
  task: c.task,
  outcome: c.outcome,
  values: c.values,
  milestones: c.milestones,
  errors: c.errors,
})

describe('numpy reference fixture', () => {
  it('covers the cases it should', () => {
    expect(ref.eps).toBe(1e-6)
    expect(ref.cases.length).toBeGreaterThanOrEqual(30)
    const kinds = new Set(ref.cases.map((c) => c.kind))
    for (const k of ['constant', 'negative', 'truth', 'coarse', 'steps', 'walk', 'noisy']) expect(kinds).toContain(k)
    expect(new Set(ref.cases.map((c) => c.window))).toEqual(new Set([1, 3, 5, 10]))
    expect(new Set(ref.cases.map((c) => c.outcome))).toEqual(new Set(['success', 'failure']))
    expect(ref.cases.some((c) => c.events.some((e) => e.frame === 0 && e.relative === null))).toBe(true)
    expect(ref.cases.some((c) => c.events.some((e) => e.frame === c.values.length - 1 && e.relative === null))).toBe(true)
    expect(ref.cases.some((c) => c.values.length === 1)).toBe(true)
  })

  it.each(ref.cases.map((c) => [c.episode, c.kind, c] as const))('case %i (%s)', (_ep, _kind, c) => {
    const what = `case ${c.episode}`
    nearAll(groundTruthProgress(c.values.length, c.outcome), c.groundTruth, `${what} groundTruth`)
    nearAll(rankAverage(c.values), c.ranks, `${what} ranks`)
    near(pearson(c.values, c.groundTruth), c.pearson, `${what} pearson`)
    near(spearman(c.values, c.groundTruth), c.spearman, `${what} spearman`)
    near(voc(c.values), c.voc, `${what} voc`)
    for (const variant of VARIANTS) {
      const options: MetricOptions = { window: c.window, variant, eps: ref.eps }
      const { row, events } = episodeMetrics(toCurve(c), options)
      expect(events.length).toBe(c.events.length)
      c.events.forEach((e, i) => {
        const got = events[i]
        expect(got?.frame).toBe(e.frame)
        expect(got?.kind).toBe(e.kind)
        near(got?.before, e.before, `${what} event ${i} before`)
        near(got?.after, e.after, `${what} event ${i} after`)
        near(got?.ers, e[variant], `${what} event ${i} ${variant}`)
        near(ers(c.values, e.frame, e.kind === 'milestone' ? 1 : -1, options), e[variant], `${what} ers() ${i}`)
      })
      sameRow(row, c.row[variant], `${what} row ${variant}`)
    }
  })

  it('aggregates over all episodes as evaluate.py, for every window and variant', () => {
    const curves = ref.cases.map(toCurve)
    for (const [w, rows] of Object.entries(ref.aggregates)) {
      for (const variant of VARIANTS) {
        sameRow(aggregateMetrics(curves, { window: Number(w), variant, eps: ref.eps }), rows[variant], `w=${w} ${variant}`)
      }
    }
    for (const variant of VARIANTS) {
      const byTask = metricsByTask(curves, { window: ref.byTaskWindow, variant, eps: ref.eps })
      expect([...byTask.keys()]).toEqual(Object.keys(ref.byTask).sort())
      for (const [task, rows] of Object.entries(ref.byTask)) {
        sameRow(byTask.get(task) as MetricRow, rows[variant], `${task} ${variant}`)
      }
    }
    // every number of the fixture's metrics was compared (≈ thousands)
    expect(compared).toBeGreaterThan(2000)
  })
})
