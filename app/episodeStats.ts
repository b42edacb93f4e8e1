/**
 * Per-episode numbers of every value-curve series, for the episode list's columns: the mean and the final value of
 * the curve (display convention: progress, higher = closer to success) and how many drops it has, a drop being
 * exactly what error triage ranks (triage.ts curveDrops, with the triage view's window and threshold), so the
 * list's count and the triage view's rows always agree.
 *
 * Only complete curves count (every frame scored, as long as the episode), as in triage and the metrics: a curve
 * still being scored has no final value yet.
 */
import { seriesKey, toDisplay } from './curves'
import type { DetectInput } from './detectorCalibration'
import { resolveSpan, type ResolvedSpan, type TimeSpan } from './timeSpan'
import { curveDrops } from './triage'

export interface EpisodeStatsOptions {
  window: TimeSpan
  threshold: number
}

/** One series' numbers, one entry per episode that has a complete curve of it (typed arrays: they cross as binary). */
export interface SeriesEpisodeStats {
  /** seriesKey of the series. */
  key: string
  name: string
  episodes: Int32Array
  mean: Float32Array
  final: Float32Array
  drops: Int32Array
}

export interface EpisodeStatsReport {
  window: ResolvedSpan
  threshold: number
  /** In the order the series' first curves come in the input. */
  series: SeriesEpisodeStats[]
}

/** One complete curve's numbers (display values). */
export interface CurveStats {
  mean: number
  final: number
  drops: number
}

/** Mean, final value and drop count of one curve's display values (NaN frames are left out of the mean). */
export function curveStats(display: Float32Array, windowFrames: number, threshold: number): CurveStats {
  let sum = 0
  let n = 0
  for (let i = 0; i < display.length; i++) {
    const v = display[i] as number
    if (!Number.isNaN(v)) {
      sum += v
      n++
    }
  }
  return {
    mean: n === 0 ? NaN : sum / n,
    final: display.length === 0 ? NaN : (display[display.length - 1] as number),
    drops: curveDrops(display, windowFrames, threshold).length,
  }
}

/** A curve as episodeStats reads it: `values` is read only when the memo does not know the curve. */
export type StatsCurve = DetectInput['curves'][number]

/**
 * Every series' numbers per episode. `memo` (optional) is asked first for a curve's stats and told the ones
 * computed, so a caller that keeps curves between calls (the main side, while a job adds curves one by one) reads
 * and scans each curve once.
 */
export function episodeStats<C extends StatsCurve>(
  input: { fps: number; episodes: DetectInput['episodes']; curves: readonly C[] },
  options: EpisodeStatsOptions,
  memo?: { get(curve: C): CurveStats | undefined; set(curve: C, stats: CurveStats): void },
): EpisodeStatsReport {
  const window = resolveSpan(options.window, input.fps)
  const lengthOf = new Map(input.episodes.map((e) => [e.index, e.length]))
  const bySeries = new Map<string, { name: string; rows: { episode: number; stats: CurveStats }[] }>()
  for (const c of input.curves) {
    // A complete curve has info.length values; one of another length is of another version of the episode.
    if (lengthOf.get(c.info.episode) !== c.info.length) continue
    let stats = memo?.get(c)
    if (!stats) {
      const values = c.values
      if (values.length !== c.info.length) continue
      stats = curveStats(toDisplay(values, c.info.convention, c.info.length), window.frames, options.threshold)
      memo?.set(c, stats)
    }
    const key = seriesKey(c.info)
    let s = bySeries.get(key)
    if (!s) bySeries.set(key, (s = { name: c.info.name, rows: [] }))
    s.rows.push({ episode: c.info.episode, stats })
  }
  const series = [...bySeries].map(([key, s]) => {
    const rows = [...s.rows].sort((a, b) => a.episode - b.episode)
    return {
      key,
      name: s.name,
      episodes: Int32Array.from(rows, (r) => r.episode),
      mean: Float32Array.from(rows, (r) => r.stats.mean),
      final: Float32Array.from(rows, (r) => r.stats.final),
      drops: Int32Array.from(rows, (r) => r.stats.drops),
    }
  })
  return { window, threshold: options.threshold, series }
}
