import { describe, expect, it } from 'vitest'
import { detectEvents, matchEvents, resolveDetectorSettings, sumMatches, type DetectorSettings, type EventKind, type TruthEvent } from './detector'
import { chanceOf } from './detectorChance'
import {
  beatsChance,
  calibrateDetector,
  calibrationFolds,
  describeEvaluation,
  evaluateDetector,
  type CalibrationEpisode,
} from './detectorCalibration'
import { mulberry32 } from './random'

const FPS = 10

interface Shape {
  /** Rise at each milestone (0 = the curve ignores milestones). */
  milestoneStep: number
  /** Drop at the error (0 = ignores errors). */
  errorStep: number
  noise: number
  /** Spurious steps up per episode (not annotated), of this height. */
  spurious?: { count: number; height: number }
  /** A steady rise over the episode (what a time-trained value model mostly shows). */
  drift?: number
}

/**
 * Synthetic annotated episodes: 12 s at 10 fps, milestones at 2, 4.5, 7 and 9.5 s ± 1 s, every third episode a
 * failure with an error at 5–7 s; the curve responds to the events as `shape` says.
 */
function episodes(count: number, shape: Shape, seed = 1): CalibrationEpisode[] {
  const random = mulberry32(seed)
  const out: CalibrationEpisode[] = []
  for (let e = 0; e < count; e++) {
    const length = 120
    // Stages take their time: each event lands anywhere in a ±1 s span around its usual time.
    const truth: TruthEvent[] = [20, 45, 70, 95].map((f) => ({ kind: 'milestone' as EventKind, frame: f + Math.floor(random() * 21) - 10 }))
    if (e % 3 === 2) truth.push({ kind: 'error', frame: 50 + Math.floor(random() * 21) })
    const steps: { frame: number; delta: number }[] = truth.map((t) => ({ frame: t.frame, delta: t.kind === 'milestone' ? shape.milestoneStep : -shape.errorStep }))
    for (let k = 0; k < (shape.spurious?.count ?? 0); k++) steps.push({ frame: 5 + Math.floor(random() * 110), delta: shape.spurious?.height ?? 0 })
    const values = new Float32Array(length)
    for (let i = 0; i < length; i++) {
      let v = 0.1 + (shape.drift ?? 0) * (i / length)
      for (const s of steps) if (i >= s.frame) v += s.delta
      values[i] = v + (random() - 0.5) * 2 * shape.noise
    }
    out.push({ episode: e, values, truth })
  }
  return out
}

const within = (n: number, a: number): boolean => 3 * n >= 2 * a && 2 * n <= 3 * a

describe('calibrateDetector', () => {
  it('on curves that respond to events: high cross-validated P/R, far above chance, about as many proposals as annotated', () => {
    const eps = episodes(12, { milestoneStep: 0.15, errorStep: 0.25, noise: 0.02 })
    const cal = calibrateDetector(eps, FPS)
    expect(cal.crossValidated).toBe(true)
    expect(cal.folds).toBe(5)
    expect(cal.foldSettings).toHaveLength(5)
    expect(cal.episodes).toBe(12)
    expect(cal.tolerance).toMatchObject({ frames: 5, seconds: 0.5 })
    expect(cal.score.precision).toBeGreaterThan(0.9)
    expect(cal.score.recall).toBeGreaterThan(0.9)
    expect(cal.score.byKind.error.recall).toBeGreaterThan(0.9)
    expect(cal.chance.shifted.precision).toBeLessThan(0.5)
    expect(cal.chance.uniform.precision).toBeLessThan(0.5)
    expect(cal.settings.riseThreshold).not.toBeNull()
    expect(cal.settings.dropThreshold).not.toBeNull()
    for (const k of ['milestone', 'error'] as const) expect(within(cal.score.proposed[k], cal.score.annotated[k])).toBe(true)
    // The params are the settings at the dataset's fps.
    expect(cal.params).toEqual(resolveDetectorSettings(cal.settings, FPS).params)
    expect(describeEvaluation(cal)).toMatch(/^P [01]\.\d\d \/ R [01]\.\d\d on 12 annotated episodes, cross-validated \(5-fold\) within ±5 frames \(0\.5 s\); shifted at random P 0\.\d\d \/ R 0\.\d\d$/)
  })

  it('count prior: among many spurious steps, proposes about as many events as annotated instead of every step', () => {
    // Real steps of 0.2, and more unannotated steps of 0.12: thresholds low enough to find every real one propose
    // far too many.
    const eps = episodes(12, { milestoneStep: 0.2, errorStep: 0.3, noise: 0.01, spurious: { count: 10, height: 0.12 } }, 7)
    const loose: DetectorSettings = { smoothingSeconds: 0, window: { seconds: 0.5 }, riseThreshold: 0.05, dropThreshold: 0.05, minGap: { seconds: 0.6 }, milestoneDelaySeconds: 0, errorDelaySeconds: 0 }
    const before = evaluateDetector(eps, FPS, loose)
    expect(before.score.proposed.milestone).toBeGreaterThan(1.5 * before.score.annotated.milestone)
    const cal = calibrateDetector(eps, FPS)
    const fitted = evaluateDetector(eps, FPS, cal.settings)
    for (const k of ['milestone', 'error'] as const) expect(within(fitted.score.proposed[k], fitted.score.annotated[k])).toBe(true)
    expect(cal.score.precision).toBeGreaterThan(before.score.precision)
    expect(cal.score.precision).toBeGreaterThan(cal.chance.shifted.precision + 0.3)
  })

  it('switches off a kind the curve does not respond to, and stays above chance on the other', () => {
    // A steady rise with noise and no step at milestones (as a model trained on time-linear returns), but a clear
    // drop at errors.
    const eps = episodes(15, { milestoneStep: 0, errorStep: 0.3, noise: 0.03, drift: 0.6 }, 3)
    const cal = calibrateDetector(eps, FPS)
    expect(cal.settings.riseThreshold).toBeNull()
    expect(cal.settings.dropThreshold).not.toBeNull()
    // A fold's gate may let a few through by chance (a 5 % test): far fewer than annotated.
    expect(cal.score.proposed.milestone).toBeLessThan(0.5 * cal.score.annotated.milestone)
    expect(cal.score.byKind.error.precision).toBeGreaterThan(cal.chance.shifted.byKind.error.precision + 0.3)
    expect(cal.score.precision).toBeGreaterThan(cal.chance.shifted.precision)
  })

  it('needs two annotated episodes to cross-validate', () => {
    const eps = episodes(1, { milestoneStep: 0.2, errorStep: 0.2, noise: 0.01 })
    expect(() => calibrateDetector(eps, FPS)).toThrow(/at least 2 annotated episodes.*got 1/)
    expect(calibrateDetector(episodes(2, { milestoneStep: 0.2, errorStep: 0.2, noise: 0.01 }), FPS).folds).toBe(2)
  })

  it('tolerance is a duration: ±0.5 s is 5 frames at 10 fps and 15 at 30 fps; frames stay exact', () => {
    const eps = episodes(3, { milestoneStep: 0.2, errorStep: 0.2, noise: 0.01 })
    const s: DetectorSettings = { smoothingSeconds: 0, window: { seconds: 0.3 }, riseThreshold: 0.1, dropThreshold: 0.1, minGap: { seconds: 1 }, milestoneDelaySeconds: 0, errorDelaySeconds: 0 }
    expect(evaluateDetector(eps, 10, s).tolerance.frames).toBe(5)
    expect(evaluateDetector(eps, 30, s).tolerance.frames).toBe(15)
    expect(evaluateDetector(eps, 30, s, { frames: 4 }).tolerance).toMatchObject({ frames: 4 })
  })
})

describe('evaluateDetector', () => {
  it('is the fixed setting matched on every annotated episode, summed', () => {
    const eps = episodes(6, { milestoneStep: 0.1, errorStep: 0.2, noise: 0.04 }, 11)
    const s: DetectorSettings = { smoothingSeconds: 0.1, window: { seconds: 0.3 }, riseThreshold: 0.05, dropThreshold: 0.08, minGap: { seconds: 0.6 }, milestoneDelaySeconds: 0, errorDelaySeconds: 0 }
    const ev = evaluateDetector(eps, FPS, s)
    const params = resolveDetectorSettings(s, FPS).params
    const sum = sumMatches(eps.map((e) => matchEvents(detectEvents(e.values, params), e.truth, 5)))
    expect(ev.crossValidated).toBe(false)
    expect(ev.folds).toBeNull()
    expect(ev.score).toMatchObject({ tp: sum.tp, fp: sum.fp, fn: sum.fn, precision: sum.precision, recall: sum.recall })
    expect(ev.score.f1).toBeCloseTo((2 * sum.tp) / (2 * sum.tp + sum.fp + sum.fn), 12)
    expect(ev.score.proposed.milestone + ev.score.proposed.error).toBe(sum.tp + sum.fp)
  })
})

describe('calibrationFolds', () => {
  it('deals every episode into one fold, failures spread over the folds', () => {
    const eps = episodes(10, { milestoneStep: 0.1, errorStep: 0.1, noise: 0 })
    const folds = calibrationFolds(eps, 5)
    expect(folds).toHaveLength(5)
    expect(folds.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const withError = (i: number): boolean => eps[i]!.truth.some((t) => t.kind === 'error')
    // Episodes 2, 5, 8 hold errors: each lands in another fold.
    expect(folds.map((f) => f.filter(withError).length).sort()).toEqual([0, 0, 1, 1, 1])
    expect(calibrationFolds(eps, 5)).toEqual(folds)
    expect(calibrationFolds(eps.slice(0, 3), 5)).toHaveLength(3)
  })
})

describe('chanceOf', () => {
  it('shifted at random, a perfect suggestion lands within ±t of its event (2t+1)/length of the time', () => {
    const suggestions = Array.from({ length: 10 }, () => ({
      candidates: [{ kind: 'error' as const, frame: 50, strength: 1 }],
      truth: [{ kind: 'error' as const, frame: 50 }],
      length: 100,
    }))
    const c = chanceOf(suggestions, 2)
    expect(c.seeds).toBe(5)
    expect(c.drawsPerSeed).toBe(40)
    expect(c.shifted.proposed.error).toBeCloseTo(10, 9)
    expect(c.shifted.precision).toBeGreaterThan(0.03)
    expect(c.shifted.precision).toBeLessThan(0.07)
    expect(c.uniform.precision).toBeGreaterThan(0.03)
    expect(c.uniform.precision).toBeLessThan(0.07)
    expect(c.shifted.precisionSpread).toBeGreaterThan(0)
    // Seeded: the same numbers every time.
    expect(chanceOf(suggestions, 2)).toEqual(c)
  })

  it('shifting keeps the spacing of an episode’s suggestions', () => {
    // Two suggestions 30 frames apart against two events 30 apart: a shift either matches both or (mostly) neither.
    const suggestions = [{ candidates: [0, 30].map((frame) => ({ kind: 'milestone' as const, frame, strength: 1 })), truth: [10, 40].map((frame) => ({ kind: 'milestone' as const, frame })), length: 60 }]
    const c = chanceOf(suggestions, 0, 1, 600)
    // Offsets 10 and 40 (wrapping) match both: 2/60 of draws, 2 matches each.
    expect(c.shifted.tp).toBeCloseTo((2 * 2) / 60, 1)
  })

  it('positions: suggestions at the detector\'s usual times, which suggesting the usual time of a usual event cannot beat', () => {
    const suggestions = Array.from({ length: 10 }, () => ({
      candidates: [{ kind: 'milestone' as const, frame: 50, strength: 1 }],
      truth: [{ kind: 'milestone' as const, frame: 50 }],
      length: 101,
    }))
    const c = chanceOf(suggestions, 2)
    expect(c.positions.precision).toBe(1)
    expect(c.shifted.precision).toBeLessThan(0.1)
  })
})

describe('beatsChance', () => {
  it('is a one-sided binomial test at 5 % against the chance precision', () => {
    expect(beatsChance(5, 20, 0.1)).toBe(true) // z = (5 − 2) / √1.8 = 2.24
    expect(beatsChance(4, 20, 0.1)).toBe(false) // z = 1.49
    expect(beatsChance(0, 0, 0.1)).toBe(false)
    expect(beatsChance(3, 3, 1)).toBe(false) // chance is already always right
    expect(beatsChance(2, 2, 0)).toBe(true) // chance never is: two hits are evidence
    expect(beatsChance(1, 1, 0)).toBe(false)
  })
})
