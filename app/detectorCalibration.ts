/**
 * Fitting the event detector to one value-curve series on annotated episodes, and judging it against chance.
 * Pure, so the app (the value-analysis panel, through main/analysis), `viva detect` and bench/detector.ts compute
 * exactly the same numbers.
 *
 * Matching. A suggestion is right when it pairs one-to-one with an annotated event of its kind within ±tolerance
 * (matchEvents, closest first); default tolerance 0.5 s (5 frames at the generated datasets' 10 fps, 15 at 30 fps).
 * Precision = matched / proposed, recall = matched / annotated, F1 = 2·matched / (proposed + annotated), all from
 * counts summed over episodes and both kinds.
 *
 * Calibration. The search grid (CALIBRATION_GRID) is in seconds and resolved at the dataset's fps (settings that
 * resolve to the same frames are tried once). For a set of training episodes the chosen setting is the one that
 * 1. obeys the count prior: for each kind, it proposes between 2/3 and 3/2 as many events as are annotated (none
 *    when none are); when no setting does, the one whose counts are closest (|ln((n+½)/(a+½))| summed over kinds);
 * 2. among those, has the highest F1;
 * 3. then the counts closest to the annotated ones, then fewer proposals, then the earlier grid point (less
 *    smoothing, shorter windows, shorter gaps, lower thresholds).
 * Milestone candidates depend only on the shared parameters and the rise threshold, errors only on them and the
 * drop threshold, so each episode is detected once per (shared point, threshold) and every pair of thresholds is
 * scored from those counts.
 *
 * Cross-validation: k-fold by episode (k = min(5, episodes), at least 2 episodes), stratified: episodes ordered by
 * whether they hold an annotated error, then by index, and dealt round-robin into folds, so failures spread over
 * the folds. Each fold's episodes are detected with the setting chosen on the other folds; the reported precision
 * and recall are those held-out suggestions against the annotations. The setting the app uses is then chosen on
 * all annotated episodes.
 *
 * Chance. The same suggestions moved at random within their episode: (a) shifted — every suggestion of an episode
 * moved by one offset drawn uniformly from [0, length), wrapping around (keeps their number and spacing); (b)
 * uniform — each suggestion put at a uniformly drawn frame (keeps their number per kind); (c) positions — each
 * suggestion put at a time drawn from where the detector puts that kind in the other episodes, as a fraction of
 * the episode (keeps their number, and the detector's habits: a long window never suggests near an episode's ends,
 * where annotated events are rare too, which (a) and (b) would count as skill). Matched the same way,
 * CHANCE_DRAWS draws from each of CHANCE_SEEDS seeds; counts averaged over all draws, and the spread of the
 * precision between seeds (sample standard deviation of the per-seed means) reported beside it.
 */
import type { AnnotationEvent, EpisodeLabels } from './annotations'
import { seriesKey, toDisplay, type CurveInfo } from './curves'
import {
  candidatesOf,
  DEFAULT_DETECTOR_SETTINGS,
  detectEvents,
  matchCounts,
  matchEvents,
  prepareCurve,
  resolveDetectorSettings,
  shiftCandidates,
  type PreparedCurve,
  type Candidate,
  type DetectorParams,
  type DetectorSettings,
  type EventKind,
  type MatchCounts,
  type TruthEvent,
} from './detector'
import { resolveSpan, type ResolvedSpan, type TimeSpan } from './timeSpan'
import { mulberry32 } from './random'

export const KINDS: readonly EventKind[] = ['milestone', 'error']

/** ±0.5 s: the ±5 frames the issue measured at 10 fps, as a duration. */
export const DEFAULT_MATCH_TOLERANCE: TimeSpan = { seconds: 0.5 }

/** Folds of the cross-validation (fewer when there are fewer annotated episodes). */
export const CALIBRATION_FOLDS = 5

/** Annotated episodes needed to cross-validate (one to fit on, one to test on). */
export const MIN_CALIBRATION_EPISODES = 2

export const CHANCE_SEEDS = 5
export const CHANCE_DRAWS = 40

/** The calibration's search space, in seconds and progress units; null threshold = that kind proposes nothing. */
export interface DetectorGrid {
  smoothingSeconds: readonly number[]
  windowSeconds: readonly number[]
  minGapSeconds: readonly number[]
  thresholds: readonly (number | null)[]
  /** Response delays tried for each kind, in order of preference on a tie (closest to 0 first). */
  delaysSeconds: readonly number[]
}

/**
 * Kept small on purpose: with the few events of a dataset (tens of errors), a larger grid fits noise. Measured with
 * bench/detector.ts-style runs of the bundled models on seeds 12–14 and 21–24: this grid beat the shifted-at-random
 * baseline on more seeds, and by more, than one with 16 thresholds, 6 windows up to 1.2 s and 4 gaps. Windows reach
 * 2 s and delays ±1.5 s because the bundled ViVa drops about a second after an error, over a second or more.
 */
export const CALIBRATION_GRID: DetectorGrid = {
  smoothingSeconds: [0, 0.2],
  windowSeconds: [0.2, 0.5, 1, 1.5, 2],
  minGapSeconds: [0.5, 1],
  thresholds: [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, null],
  delaysSeconds: [0, 0.5, -0.5, 1, -1, 1.5, -1.5],
}

/** One annotated episode of the series: its curve in the display (progress) convention and its events. */
export interface CalibrationEpisode {
  episode: number
  values: ArrayLike<number>
  truth: readonly TruthEvent[]
}

export interface KindScore extends MatchCounts {
  f1: number
}

/** Matches summed over episodes, with F1 and the numbers proposed and annotated. */
export interface DetectionScore extends KindScore {
  byKind: Record<EventKind, KindScore>
  proposed: Record<EventKind, number>
  annotated: Record<EventKind, number>
}

export interface ChanceScore extends DetectionScore {
  /** Sample standard deviation of the precision between seeds (each seed's mean over its draws). */
  precisionSpread: number
  recallSpread: number
}

export interface DetectorChance {
  /** Each episode's suggestions shifted together by a random offset, wrapping around. */
  shifted: ChanceScore
  /** Each suggestion at a random frame of its episode. */
  uniform: ChanceScore
  /**
   * Each suggestion at a random time drawn from where the same detector puts that kind in the other episodes
   * (relative to the episode's length): right as often as the detector's usual timing is, so a win over it is
   * knowing *when in this episode*, not only avoiding the episode's ends.
   */
  positions: ChanceScore
  seeds: number
  drawsPerSeed: number
}

export interface DetectorEvaluation {
  fps: number
  tolerance: ResolvedSpan
  /** Annotated episodes scored. */
  episodes: number
  /** The setting the suggestions come from (calibrated: fitted on all annotated episodes). */
  settings: DetectorSettings
  /** Those settings in frames at the dataset's fps. */
  params: DetectorParams
  /** true: `score` is of held-out folds; false: the fixed settings on every annotated episode. */
  crossValidated: boolean
  folds: number | null
  /** The setting each fold's episodes were detected with (chosen on the other folds); [] when not cross-validated. */
  foldSettings: DetectorSettings[]
  score: DetectionScore
  chance: DetectorChance
}

function f1Of(tp: number, proposed: number, annotated: number): number {
  return proposed + annotated === 0 ? 1 : (2 * tp) / (proposed + annotated)
}

function kindScore(tp: number, proposed: number, annotated: number): KindScore {
  return { ...matchCounts(tp, proposed - tp, annotated - tp), f1: f1Of(tp, proposed, annotated) }
}

interface Tally {
  tp: Record<EventKind, number>
  proposed: Record<EventKind, number>
  annotated: Record<EventKind, number>
}

const emptyTally = (): Tally => ({ tp: { milestone: 0, error: 0 }, proposed: { milestone: 0, error: 0 }, annotated: { milestone: 0, error: 0 } })

function addMatch(t: Tally, candidates: readonly Candidate[], truth: readonly TruthEvent[], tolerance: number, weight = 1): void {
  const r = matchEvents(candidates, truth, tolerance)
  for (const k of KINDS) {
    t.tp[k] += weight * r.byKind[k].tp
    t.proposed[k] += weight * (r.byKind[k].tp + r.byKind[k].fp)
    t.annotated[k] += weight * (r.byKind[k].tp + r.byKind[k].fn)
  }
}

function scoreOf(t: Tally): DetectionScore {
  const tp = t.tp.milestone + t.tp.error
  const proposed = t.proposed.milestone + t.proposed.error
  const annotated = t.annotated.milestone + t.annotated.error
  return {
    ...kindScore(tp, proposed, annotated),
    byKind: { milestone: kindScore(t.tp.milestone, t.proposed.milestone, t.annotated.milestone), error: kindScore(t.tp.error, t.proposed.error, t.annotated.error) },
    proposed: { ...t.proposed },
    annotated: { ...t.annotated },
  }
}

function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1))
}

/** The chance baselines of a set of suggestions (see the header). */
export function chanceOf(
  suggestions: readonly { candidates: readonly Candidate[]; truth: readonly TruthEvent[]; length: number }[],
  tolerance: number,
  seeds = CHANCE_SEEDS,
  draws = CHANCE_DRAWS,
): DetectorChance {
  // Where the detector puts each kind, as a fraction of the episode (for the `positions` baseline).
  const pool: Record<EventKind, { episode: number; at: number }[]> = { milestone: [], error: [] }
  suggestions.forEach((x, episode) => {
    for (const c of x.candidates) pool[c.kind].push({ episode, at: x.length > 1 ? c.frame / (x.length - 1) : 0 })
  })
  const run = (move: (c: readonly Candidate[], length: number, random: () => number, episode: number) => Candidate[]): ChanceScore => {
    const total = emptyTally()
    const perSeed: { p: number; r: number }[] = []
    for (let s = 1; s <= seeds; s++) {
      // Seeded: chance draws are reproducible.
      const random = mulberry32(s)
      const mine = emptyTally()
      for (let d = 0; d < draws; d++) {
        suggestions.forEach((x, i) => addMatch(mine, move(x.candidates, Math.max(1, x.length), random, i), x.truth, tolerance))
      }
      const sc = scoreOf(mine)
      perSeed.push({ p: sc.precision, r: sc.recall })
      for (const k of KINDS) {
        total.tp[k] += mine.tp[k]
        total.proposed[k] += mine.proposed[k]
        total.annotated[k] += mine.annotated[k]
      }
    }
    const n = seeds * draws
    for (const k of KINDS) {
      total.tp[k] /= n
      total.proposed[k] /= n
      total.annotated[k] /= n
    }
    return { ...scoreOf(total), precisionSpread: sampleSd(perSeed.map((x) => x.p)), recallSpread: sampleSd(perSeed.map((x) => x.r)) }
  }
  return {
    shifted: run((cs, length, random) => {
      const offset = Math.floor(random() * length)
      return cs.map((c) => ({ ...c, frame: (c.frame + offset) % length }))
    }),
    uniform: run((cs, length, random) => cs.map((c) => ({ ...c, frame: Math.floor(random() * length) }))),
    positions: run((cs, length, random, episode) =>
      cs.map((c) => {
        const own = pool[c.kind]
        const others = own.filter((x) => x.episode !== episode)
        const from = others.length > 0 ? others : own
        const r = (from[Math.floor(random() * from.length)] as { at: number }).at
        return { ...c, frame: Math.min(length - 1, Math.round(r * (length - 1))) }
      }),
    ),
    seeds,
    drawsPerSeed: draws,
  }
}

/** A grid point's shared parameters, as asked (seconds) and as resolved (frames). */
interface SharedPoint {
  smoothingSeconds: number
  windowSeconds: number
  minGapSeconds: number
  params: Omit<DetectorParams, 'riseThreshold' | 'dropThreshold'>
}

function sharedPoints(grid: DetectorGrid, fps: number): SharedPoint[] {
  const seen = new Set<string>()
  const out: SharedPoint[] = []
  for (const smoothingSeconds of grid.smoothingSeconds) {
    for (const windowSeconds of grid.windowSeconds) {
      for (const minGapSeconds of grid.minGapSeconds) {
        const r = resolveDetectorSettings({ ...NO_DETECTION, smoothingSeconds, window: { seconds: windowSeconds }, minGap: { seconds: minGapSeconds } }, fps)
        const key = `${r.params.smoothing}|${r.params.window}|${r.params.minGap}`
        if (seen.has(key)) continue
        seen.add(key)
        out.push({ smoothingSeconds, windowSeconds, minGapSeconds, params: { smoothing: r.params.smoothing, window: r.params.window, minGap: r.params.minGap } })
      }
    }
  }
  return out
}

/** A kind's option at a shared point: a threshold (null: none proposed) and a response delay. */
interface KindOption {
  threshold: number | null
  delaySeconds: number
}

/**
 * Per (shared point g, kind option o, kind k, episode e): matched and proposed counts, at index
 * ((g·O + o)·2 + k)·E + e.
 */
interface CountTable {
  points: SharedPoint[]
  options: KindOption[]
  episodes: number
  tp: Uint16Array
  proposed: Uint16Array
  /** Annotated events per kind and episode, at k·E + e. */
  annotated: Uint16Array
}

/** Options in grid order: every threshold with every delay, then "none" (once: a delay moves nothing). */
function kindOptions(grid: DetectorGrid): KindOption[] {
  const out: KindOption[] = []
  for (const threshold of grid.thresholds) {
    if (threshold === null) continue
    for (const delaySeconds of grid.delaysSeconds) out.push({ threshold, delaySeconds })
  }
  out.push({ threshold: null, delaySeconds: 0 })
  return out
}

const clampCount = (n: number): number => Math.min(65_535, n)

function* countSteps(episodes: readonly CalibrationEpisode[], fps: number, tolerance: number, grid: DetectorGrid): Generator<void, CountTable> {
  const points = sharedPoints(grid, fps)
  const options = kindOptions(grid)
  const O = options.length
  const E = episodes.length
  const tp = new Uint16Array(points.length * O * 2 * E)
  const proposed = new Uint16Array(points.length * O * 2 * E)
  const annotated = new Uint16Array(2 * E)
  episodes.forEach((ep, e) => {
    for (const ev of ep.truth) {
      const at = (ev.kind === 'milestone' ? 0 : 1) * E + e
      annotated[at] = clampCount((annotated[at] as number) + 1)
    }
  })
  // Options sharing a threshold share their candidates; only the delay moves them.
  const byThreshold = new Map<number, { o: number; delay: number }[]>()
  options.forEach((opt, o) => {
    if (opt.threshold === null) return
    const list = byThreshold.get(opt.threshold) ?? []
    const delay = resolveDetectorSettings({ ...NO_DETECTION, errorDelaySeconds: opt.delaySeconds }, fps).params.errorDelay ?? 0
    list.push({ o, delay })
    byThreshold.set(opt.threshold, list)
  })
  // Smoothing and window fix the scores; each threshold and gap only reads them (prepareCurve / candidatesOf).
  const prepared = new Map<string, PreparedCurve[]>()
  for (let g = 0; g < points.length; g++) {
    const point = points[g] as SharedPoint
    const key = `${point.params.smoothing}|${point.params.window}`
    let curves = prepared.get(key)
    if (!curves) {
      curves = episodes.map((ep) => prepareCurve(ep.values, point.params.smoothing, point.params.window))
      prepared.set(key, curves)
    }
    for (const [threshold, delays] of byThreshold) {
      episodes.forEach((ep, e) => {
        const prep = (curves as PreparedCurve[])[e] as PreparedCurve
        const found = candidatesOf(prep, threshold, threshold, point.params.minGap)
        for (const { o, delay } of delays) {
          const moved = delay === 0 ? found : shiftCandidates(found.map((c) => ({ ...c })), { milestone: delay, error: delay }, prep.length)
          const r = matchEvents(moved, ep.truth, tolerance)
          KINDS.forEach((k, ki) => {
            const at = ((g * O + o) * 2 + ki) * E + e
            tp[at] = clampCount(r.byKind[k].tp)
            proposed[at] = clampCount(r.byKind[k].tp + r.byKind[k].fp)
          })
        }
      })
    }
    yield
  }
  return { points, options, episodes: E, tp, proposed, annotated }
}

const NO_DETECTION: DetectorSettings = {
  smoothingSeconds: 0,
  window: { frames: 1 },
  riseThreshold: null,
  dropThreshold: null,
  minGap: { frames: 1 },
  milestoneDelaySeconds: 0,
  errorDelaySeconds: 0,
}

/** |ln((n+½)/(a+½))| when the count prior is broken (n outside [⅔a, 3/2·a]), else 0. */
function countViolation(n: number, a: number): number {
  return 3 * n >= 2 * a && 2 * n <= 3 * a ? 0 : countDistance(n, a)
}

function countDistance(n: number, a: number): number {
  return Math.abs(Math.log((n + 0.5) / (a + 0.5)))
}

/** A kind's options at one shared point, summed over a subset: for each number proposed, the best one only. */
function frontier(table: CountTable, g: number, k: number, subset: readonly number[], enabled: boolean): { o: number; n: number; tp: number }[] {
  const O = table.options.length
  const E = table.episodes
  const best = new Map<number, { o: number; n: number; tp: number }>()
  for (let o = 0; o < O; o++) {
    if (!enabled && table.options[o]?.threshold !== null) continue
    const base = ((g * O + o) * 2 + k) * E
    let tp = 0
    let n = 0
    for (const e of subset) {
      tp += table.tp[base + e] as number
      n += table.proposed[base + e] as number
    }
    // For a given count, more matches is better whatever else is compared; on a tie the earlier option, except that
    // proposing nothing is said as such (a threshold that found nothing here might find something elsewhere).
    const had = best.get(n)
    if (!had || tp > had.tp || (n === 0 && table.options[o]?.threshold === null)) best.set(n, { o, n, tp })
  }
  return [...best.values()]
}

/**
 * The setting chosen on `subset` (episode positions in the table), by the rules of the header; a kind not in
 * `enabled` proposes nothing (its threshold is null).
 */
function choose(table: CountTable, subset: readonly number[], enabled: Record<EventKind, boolean> = { milestone: true, error: true }): DetectorSettings {
  const E = table.episodes
  let aM = 0
  let aE = 0
  for (const e of subset) {
    aM += table.annotated[e] as number
    aE += table.annotated[E + e] as number
  }
  // Smaller is better, in order: count prior broken by, −F1, distance of the counts, proposals, grid order.
  let best: { v: number; f: number; dist: number; n: number; g: number; oM: number; oE: number } | null = null
  for (let g = 0; g < table.points.length; g++) {
    const ms = frontier(table, g, 0, subset, enabled.milestone)
    const es = frontier(table, g, 1, subset, enabled.error)
    for (const m of ms) {
      const vM = countViolation(m.n, aM)
      const dM = countDistance(m.n, aM)
      for (const x of es) {
        const v = vM + countViolation(x.n, aE)
        const f = -f1Of(m.tp + x.tp, m.n + x.n, aM + aE)
        const dist = dM + countDistance(x.n, aE)
        const n = m.n + x.n
        const c = { v, f, dist, n, g, oM: m.o, oE: x.o }
        if (
          !best ||
          v < best.v ||
          (v === best.v &&
            (f < best.f ||
              (f === best.f &&
                (dist < best.dist ||
                  (dist === best.dist && (n < best.n || (n === best.n && (g < best.g || (g === best.g && (m.o < best.oM || (m.o === best.oM && x.o < best.oE)))))))))))
        ) {
          best = c
        }
      }
    }
  }
  if (!best) throw new Error('empty calibration grid')
  const p = table.points[best.g] as SharedPoint
  const om = table.options[best.oM] as KindOption
  const oe = table.options[best.oE] as KindOption
  return {
    smoothingSeconds: p.smoothingSeconds,
    window: { seconds: p.windowSeconds },
    riseThreshold: om.threshold,
    dropThreshold: oe.threshold,
    minGap: { seconds: p.minGapSeconds },
    milestoneDelaySeconds: om.delaySeconds,
    errorDelaySeconds: oe.delaySeconds,
  }
}

/**
 * Folds of the given positions (default all, 0…n−1): stratified by holding an annotated error, then by episode
 * index, dealt round-robin.
 */
export function calibrationFolds(episodes: readonly CalibrationEpisode[], k = CALIBRATION_FOLDS, positions?: readonly number[]): number[][] {
  const among = positions ?? episodes.map((_, i) => i)
  const folds = Math.min(k, among.length)
  const order = among
    .map((i) => ({ i, hasError: (episodes[i] as CalibrationEpisode).truth.some((t) => t.kind === 'error'), episode: (episodes[i] as CalibrationEpisode).episode }))
    .sort((a, b) => Number(b.hasError) - Number(a.hasError) || a.episode - b.episode)
  const out: number[][] = Array.from({ length: folds }, () => [])
  order.forEach((x, j) => (out[j % folds] as number[]).push(x.i))
  return out
}

export interface CalibrationOptions {
  tolerance?: TimeSpan
  grid?: DetectorGrid
  folds?: number
}

/** The detector with fixed settings on annotated episodes, against chance. */
export function evaluateDetector(episodes: readonly CalibrationEpisode[], fps: number, settings: DetectorSettings, tolerance: TimeSpan = DEFAULT_MATCH_TOLERANCE): DetectorEvaluation {
  const tol = resolveSpan(tolerance, fps)
  const { params } = resolveDetectorSettings(settings, fps)
  const tally = emptyTally()
  const suggestions = episodes.map((ep) => {
    const candidates = detectEvents(ep.values, params)
    addMatch(tally, candidates, ep.truth, tol.frames)
    return { candidates, truth: ep.truth, length: ep.values.length }
  })
  return {
    fps,
    tolerance: tol,
    episodes: episodes.length,
    settings,
    params,
    crossValidated: false,
    folds: null,
    foldSettings: [],
    score: scoreOf(tally),
    chance: chanceOf(suggestions, tol.frames),
  }
}

/** Held-out suggestions of `positions` under `fit`, by k-fold (the procedure the outer and the inner folds share). */
function heldOut(
  episodes: readonly CalibrationEpisode[],
  positions: readonly number[],
  k: number,
  fps: number,
  fit: (train: readonly number[]) => DetectorSettings,
): { folds: number[][]; settings: DetectorSettings[]; suggestions: { position: number; candidates: Candidate[] }[] } {
  const folds = calibrationFolds(episodes, k, positions)
  const settings: DetectorSettings[] = []
  const suggestions: { position: number; candidates: Candidate[] }[] = []
  for (const test of folds) {
    const inTest = new Set(test)
    const chosen = fit(positions.filter((i) => !inTest.has(i)))
    settings.push(chosen)
    const { params } = resolveDetectorSettings(chosen, fps)
    for (const i of test) suggestions.push({ position: i, candidates: detectEvents((episodes[i] as CalibrationEpisode).values, params) })
  }
  return { folds, settings, suggestions }
}

/** Chance draws of the gate: fewer than the report's, enough to tell a kind at chance from one above it. */
const GATE_SEEDS = 2
const GATE_DRAWS = 20

/** One-sided 5 % level of the gate's test (the standard normal's 95th percentile). */
const GATE_Z = 1.645

/**
 * The kinds worth proposing on `train`: a kind stays on when its suggestions, cross-validated inside `train` (the
 * same folds and choice, both kinds on), are right significantly more often than the same suggestions moved at
 * random, shifted or at the detector's usual times (`positions`, which a long window's habit of avoiding the episode
 * ends cannot beat): with n suggestions of the kind, m of them matched and p the higher of those two chance
 * precisions, a one-sided
 * binomial test at 5 % (normal approximation): (m − n·p) / √(n·p·(1−p)) > 1.645 (with p·(1−p) at least 1/n², so a
 * chance of 0 or 1 still needs evidence). A kind the curve does not respond to is switched off rather than offered at
 * chance. With fewer than 2 training episodes there is nothing to hold out, and both kinds stay on.
 */
function kindsBeatingChance(episodes: readonly CalibrationEpisode[], table: CountTable, train: readonly number[], k: number, fps: number, tolerance: number): Record<EventKind, boolean> {
  if (train.length < MIN_CALIBRATION_EPISODES) return { milestone: true, error: true }
  const inner = heldOut(episodes, train, k, fps, (sub) => choose(table, sub))
  const tally = emptyTally()
  const shifted = inner.suggestions.map((x) => {
    const ep = episodes[x.position] as CalibrationEpisode
    addMatch(tally, x.candidates, ep.truth, tolerance)
    return { candidates: x.candidates, truth: ep.truth, length: ep.values.length }
  })
  const chance = chanceOf(shifted, tolerance, GATE_SEEDS, GATE_DRAWS)
  const p = (kind: EventKind): number => Math.max(chance.shifted.byKind[kind].precision, chance.positions.byKind[kind].precision)
  const on = (kind: EventKind): boolean => beatsChance(tally.tp[kind], tally.proposed[kind], p(kind))
  return { milestone: on('milestone'), error: on('error') }
}

/** The gate's test: m of n suggestions matched, against a chance precision p (see kindsBeatingChance). */
export function beatsChance(m: number, n: number, p: number): boolean {
  if (n === 0 || m === 0) return false
  const variance = Math.max(n * p * (1 - p), 1 / n)
  return (m - n * p) / Math.sqrt(variance) > GATE_Z
}

/**
 * Calibration as steps (one per shared grid point, then one per fold), so the main side can yield to other work
 * between them; calibrateDetector runs it at once. Needs MIN_CALIBRATION_EPISODES annotated episodes.
 *
 * Fitting on training episodes = switch off the kinds that do not beat chance there (kindsBeatingChance, an inner
 * cross-validation), then choose the setting (count prior, F1) for the kinds left. The outer folds judge that whole
 * procedure on episodes it never saw.
 */
export function* calibrationSteps(episodes: readonly CalibrationEpisode[], fps: number, options: CalibrationOptions = {}): Generator<void, DetectorEvaluation> {
  if (episodes.length < MIN_CALIBRATION_EPISODES) {
    throw new RangeError(`calibration needs at least ${MIN_CALIBRATION_EPISODES} annotated episodes to cross-validate, got ${episodes.length}`)
  }
  const tol = resolveSpan(options.tolerance ?? DEFAULT_MATCH_TOLERANCE, fps)
  const k = options.folds ?? CALIBRATION_FOLDS
  const table = yield* countSteps(episodes, fps, tol.frames, options.grid ?? CALIBRATION_GRID)
  const fit = (train: readonly number[]): DetectorSettings => choose(table, train, kindsBeatingChance(episodes, table, train, k, fps, tol.frames))
  const all = episodes.map((_, i) => i)
  const outer = heldOut(episodes, all, k, fps, fit)
  yield
  const tally = emptyTally()
  const suggestions = outer.suggestions.map((x) => {
    const ep = episodes[x.position] as CalibrationEpisode
    addMatch(tally, x.candidates, ep.truth, tol.frames)
    return { candidates: x.candidates, truth: ep.truth, length: ep.values.length }
  })
  const settings = fit(all)
  return {
    fps,
    tolerance: tol,
    episodes: episodes.length,
    settings,
    params: resolveDetectorSettings(settings, fps).params,
    crossValidated: true,
    folds: outer.folds.length,
    foldSettings: outer.settings,
    score: scoreOf(tally),
    chance: chanceOf(suggestions, tol.frames),
  }
}

export function calibrateDetector(episodes: readonly CalibrationEpisode[], fps: number, options: CalibrationOptions = {}): DetectorEvaluation {
  const steps = calibrationSteps(episodes, fps, options)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/** "P 0.62 / R 0.55 on 6 annotated episodes, cross-validated (±0.5 s); chance P 0.30 / R 0.28". */
export function describeEvaluation(ev: DetectorEvaluation): string {
  const pr = (s: { precision: number; recall: number }): string => `P ${s.precision.toFixed(2)} / R ${s.recall.toFixed(2)}`
  return (
    `${pr(ev.score)} on ${ev.episodes} annotated episode${ev.episodes === 1 ? '' : 's'}${ev.crossValidated ? `, cross-validated (${ev.folds}-fold)` : ''}` +
    ` within ±${ev.tolerance.frames} frames (${Number(ev.tolerance.seconds.toFixed(3))} s); shifted at random ${pr(ev.chance.shifted)}`
  )
}

// ---------------------------------------------------------------------------------------------------------------
// A dataset's series: what `viva detect` writes and what the value-analysis panel shows for its curve's series.

/**
 * Episodes whose annotation can judge suggestions: those with at least one annotated event, or marked done (a
 * reviewed episode without events says there is nothing to find). Episodes nobody annotated yet say nothing.
 */
export function annotatedEpisodes(events: readonly Pick<AnnotationEvent, 'episode'>[], labels: readonly Pick<EpisodeLabels, 'episode' | 'status'>[]): Set<number> {
  const out = new Set(events.map((e) => e.episode))
  for (const l of labels) if (l.status === 'done') out.add(l.episode)
  return out
}

export interface DetectInput {
  fps: number
  /** Present episodes and their lengths. */
  episodes: readonly { index: number; length: number }[]
  /** annotatedEpisodes of the project or annotation file. */
  annotated: ReadonlySet<number>
  events: readonly Pick<AnnotationEvent, 'episode' | 'frame' | 'kind'>[]
  /** Curves in their own convention, as stored or read. */
  curves: readonly {
    info: Pick<CurveInfo, 'source' | 'modelId' | 'params' | 'name' | 'convention' | 'episode' | 'length'> & { sourceId?: string | null }
    values: Float32Array
  }[]
}

export interface DetectOptions {
  /** true: cross-validated calibration; false: `settings` (default DEFAULT_DETECTOR_SETTINGS) as given. */
  calibrate: boolean
  settings?: DetectorSettings
  tolerance?: TimeSpan
  /** Only this series (seriesKey). */
  series?: string
}

export interface SeriesDetection {
  /** seriesKey of the curves. */
  series: string
  name: string
  /** Episodes with a curve of the series. */
  episodes: number
  /** null when there is nothing to judge against (see `note`). */
  evaluation: DetectorEvaluation | null
  /** The settings the suggestions come from (the evaluation's, or the given / default ones when it is null). */
  settings: DetectorSettings
  /** Why there is no evaluation, or what it leaves out. */
  note: string | null
  /** Per episode with a curve of the series: the suggestions, and whether the episode is annotated. */
  suggestions: { episode: number; annotated: boolean; candidates: Candidate[] }[]
}

/** Every series' detection, as steps (the calibration's, one series after another). */
export function* detectSteps(input: DetectInput, options: DetectOptions): Generator<void, SeriesDetection[]> {
  const lengthOf = new Map(input.episodes.map((e) => [e.index, e.length]))
  const truthOf = new Map<number, TruthEvent[]>()
  for (const ev of input.events) {
    const list = truthOf.get(ev.episode)
    if (list) list.push({ kind: ev.kind, frame: ev.frame })
    else truthOf.set(ev.episode, [{ kind: ev.kind, frame: ev.frame }])
  }
  const bySeries = new Map<string, { name: string; curves: { episode: number; values: Float32Array }[] }>()
  for (const { info, values } of input.curves) {
    const length = lengthOf.get(info.episode)
    if (length === undefined || values.length !== length) continue
    const key = seriesKey(info)
    if (options.series !== undefined && key !== options.series) continue
    let s = bySeries.get(key)
    if (!s) bySeries.set(key, (s = { name: info.name, curves: [] }))
    s.curves.push({ episode: info.episode, values: toDisplay(values, info.convention, info.length) })
  }
  const out: SeriesDetection[] = []
  for (const [key, s] of bySeries) {
    s.curves.sort((a, b) => a.episode - b.episode)
    const judged: CalibrationEpisode[] = s.curves.filter((c) => input.annotated.has(c.episode)).map((c) => ({ episode: c.episode, values: c.values, truth: truthOf.get(c.episode) ?? [] }))
    let evaluation: DetectorEvaluation | null = null
    let note: string | null = null
    let settings = options.settings ?? DEFAULT_DETECTOR_SETTINGS
    if (options.calibrate) {
      if (judged.length >= MIN_CALIBRATION_EPISODES) {
        evaluation = yield* calibrationSteps(judged, input.fps, options.tolerance === undefined ? {} : { tolerance: options.tolerance })
        settings = evaluation.settings
      } else {
        note = `not calibrated: ${judged.length} annotated episode${judged.length === 1 ? '' : 's'} with a curve of this series, ${MIN_CALIBRATION_EPISODES} needed; default settings`
      }
    } else if (judged.length > 0) {
      evaluation = evaluateDetector(judged, input.fps, settings, options.tolerance)
      yield
    } else {
      note = 'no annotated episode with a curve of this series: nothing to judge the suggestions against'
    }
    if (evaluation && evaluation.score.proposed.milestone + evaluation.score.proposed.error === 0) {
      note = 'no suggestion: the curves do not respond to either kind of event beyond chance on the annotated episodes'
    }
    const { params } = resolveDetectorSettings(settings, input.fps)
    out.push({
      series: key,
      name: s.name,
      episodes: s.curves.length,
      evaluation,
      settings,
      note,
      suggestions: s.curves.map((c) => ({ episode: c.episode, annotated: input.annotated.has(c.episode), candidates: detectEvents(c.values, params) })),
    })
  }
  return out
}

/** detectSteps run at once. */
export function detectDataset(input: DetectInput, options: DetectOptions): SeriesDetection[] {
  const steps = detectSteps(input, options)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}
