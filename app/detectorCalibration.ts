/**
 * Fitting the event detector to one value-curve series on annotated episodes, and judging it against chance.
 * Pure, so the app (the value-analysis panel, through main/analysis), `viva detect` and bench/detector.ts compute
 * exactly the same numbers. Matching and chance: app/detectorChance.ts; the search over settings:
 * app/detectorSearch.ts.
 *
 * Cross-validation: k-fold by episode (k = min(5, episodes), at least 2 episodes), stratified: episodes ordered by
 * whether they hold an annotated error, then by index, and dealt round-robin into folds, so failures spread over
 * the folds. Each fold's episodes are detected with the setting chosen on the other folds; the reported precision
 * and recall are those held-out suggestions against the annotations. The setting the app uses is then chosen on
 * all annotated episodes.
 */
import type { AnnotationEvent, EpisodeLabels } from './annotations'
import { seriesKey, toDisplay, type CurveInfo } from './curves'
import { DEFAULT_DETECTOR_SETTINGS, detectEvents, resolveDetectorSettings, type Candidate, type DetectorParams, type DetectorSettings, type EventKind, type TruthEvent } from './detector'
import { resolveSpan, type ResolvedSpan, type TimeSpan } from './timeSpan'
import { type DetectionScore, type DetectorChance, emptyTally, addMatch, scoreOf, chanceOf } from './detectorChance'
import { type DetectorGrid, CALIBRATION_GRID, type CalibrationEpisode, type CountTable, countSteps, choose } from './detectorSearch'

// What bench/detector.ts and the value-analysis panel read of the other two modules, with the evaluation.
export { CALIBRATION_GRID, type CalibrationEpisode } from './detectorSearch'
export type { DetectionScore } from './detectorChance'

/** ±0.5 s: the ±5 frames the issue measured at 10 fps, as a duration. */
export const DEFAULT_MATCH_TOLERANCE: TimeSpan = { seconds: 0.5 }

/** Folds of the cross-validation (fewer when there are fewer annotated episodes). */
export const CALIBRATION_FOLDS = 5

/** Annotated episodes needed to cross-validate (one to fit on, one to test on). */
export const MIN_CALIBRATION_EPISODES = 2

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
