/**
 * Error triage across a dataset: every place where a value curve drops, ranked by how far it drops, so a reviewer
 * can walk the likely errors of a whole dataset from the largest down (the triage view; N / Shift+N in the player).
 *
 * A drop is the event detector's error candidate (detector.ts) with no smoothing and no response delay: at frame f
 * the mean of the curve over the `window` before f exceeds the mean over the `window` from f on by at least
 * `threshold` (progress units), sustained (the curve does not come back within the window), and it is the largest
 * such drop within a window of it (minimum gap = window). Its size is that difference of means. Ranked by size,
 * largest first (ties: episode, then frame).
 *
 * Judged against annotated errors, on annotated episodes only (detectorCalibration.annotatedEpisodes): a drop is
 * right when it pairs one-to-one with an error within ±tolerance (matchEvents); precision = right drops / drops,
 * recall = errors paired / errors.
 */
import { seriesKey, toDisplay, type CurveInfo } from './curves'
import { detectEvents, matchPairs, type Candidate } from './detector'
import { DEFAULT_MATCH_TOLERANCE, type DetectInput } from './detectorCalibration'
import { resolveSpan, type ResolvedSpan, type TimeSpan } from './timeSpan'

export interface TriageOptions {
  /** Series (seriesKey) to rank; default the first series with the most episodes. */
  series?: string
  window: TimeSpan
  threshold: number
  tolerance?: TimeSpan
}

/** Half a second each side (5 frames at 10 fps), a drop of a tenth of the progress scale. */
export const DEFAULT_TRIAGE_OPTIONS: Required<Omit<TriageOptions, 'series'>> = {
  window: { seconds: 0.5 },
  threshold: 0.1,
  tolerance: DEFAULT_MATCH_TOLERANCE,
}

export interface TriageDrop {
  episode: number
  frame: number
  /** Mean before − mean after (progress units). */
  size: number
  /** The episode is annotated and the drop pairs with an error; null when the episode is not annotated. */
  matched: boolean | null
}

export interface TriageScore {
  episodes: number
  errors: number
  drops: number
  tp: number
  precision: number
  recall: number
}

export interface TriageSeries {
  key: string
  name: string
  episodes: number
}

export interface TriageReport {
  fps: number
  window: ResolvedSpan
  threshold: number
  tolerance: ResolvedSpan
  /** Every series with complete curves; `series` is the one ranked (null when there is none). */
  seriesList: TriageSeries[]
  series: string | null
  /** Episodes of the ranked series. */
  episodes: number
  drops: TriageDrop[]
  /** Null when no episode with a curve of the series is annotated. */
  score: TriageScore | null
}

/**
 * The drops of one curve (display convention: progress), in frame order: the detector's error candidates with no
 * smoothing and no delay, a minimum gap of one window (see the header). The one definition of a drop, for the
 * triage ranking and the episode list's drop counts (episodeStats.ts).
 */
export function curveDrops(display: ArrayLike<number>, windowFrames: number, threshold: number): Candidate[] {
  return detectEvents(display, { smoothing: 0, window: windowFrames, riseThreshold: Infinity, dropThreshold: threshold, minGap: windowFrames })
}

export function triageDrops(input: DetectInput, options: TriageOptions): TriageReport {
  const window = resolveSpan(options.window, input.fps)
  const tolerance = resolveSpan(options.tolerance ?? DEFAULT_MATCH_TOLERANCE, input.fps)
  const lengthOf = new Map(input.episodes.map((e) => [e.index, e.length]))
  const bySeries = new Map<string, { name: string; curves: { info: Pick<CurveInfo, 'convention' | 'length' | 'episode'>; values: Float32Array }[] }>()
  for (const c of input.curves) {
    if (lengthOf.get(c.info.episode) !== c.values.length) continue
    const key = seriesKey(c.info)
    let s = bySeries.get(key)
    if (!s) bySeries.set(key, (s = { name: c.info.name, curves: [] }))
    s.curves.push(c)
  }
  const seriesList = [...bySeries].map(([key, s]) => ({ key, name: s.name, episodes: s.curves.length }))
  const chosen = options.series !== undefined && bySeries.has(options.series) ? options.series : ([...seriesList].sort((a, b) => b.episodes - a.episodes)[0]?.key ?? null)
  const base = { fps: input.fps, window, threshold: options.threshold, tolerance, seriesList, series: chosen }
  const curves = chosen === null ? [] : (bySeries.get(chosen)?.curves ?? [])
  const errorsOf = new Map<number, { kind: 'error'; frame: number }[]>()
  for (const ev of input.events) {
    if (ev.kind !== 'error') continue
    errorsOf.set(ev.episode, [...(errorsOf.get(ev.episode) ?? []), { kind: 'error', frame: ev.frame }])
  }
  const drops: TriageDrop[] = []
  const score = { episodes: 0, errors: 0, drops: 0, tp: 0 }
  for (const c of curves) {
    const found = curveDrops(toDisplay(c.values, c.info.convention, c.info.length), window.frames, options.threshold)
    const annotated = input.annotated.has(c.info.episode)
    const matched = new Set<number>()
    if (annotated) {
      const truth = errorsOf.get(c.info.episode) ?? []
      for (const p of matchPairs(found, truth, tolerance.frames)) matched.add(p.candidate)
      score.episodes++
      score.errors += truth.length
      score.drops += found.length
      score.tp += matched.size
    }
    found.forEach((d, i) => drops.push({ episode: c.info.episode, frame: d.frame, size: d.strength, matched: annotated ? matched.has(i) : null }))
  }
  drops.sort((a, b) => b.size - a.size || a.episode - b.episode || a.frame - b.frame)
  return {
    ...base,
    episodes: curves.length,
    drops,
    score:
      score.episodes === 0
        ? null
        : {
            ...score,
            precision: score.drops === 0 ? 1 : score.tp / score.drops,
            recall: score.errors === 0 ? 1 : score.tp / score.errors,
          },
  }
}
