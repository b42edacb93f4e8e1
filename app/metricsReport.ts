/**
 * The metrics view and `viva metrics`: the paper's tables (one row per value curve series per task, like Tables
 * 1–3) with per-episode drill-down, from value curves, episode outcomes and annotated events. Pure, so the main
 * side, the CLI and tests compute exactly the same numbers.
 */
import type { AnnotationEvent, Outcome } from './annotations'
import type { CurveConvention, CurveInfo, CurveSource, ScoreParams } from './curves'
import { seriesKey, toDisplay } from './curves'
import { checkFinite, groundTruthProgress, rowFromStats, scoreEpisode, type CurveStats, type EpisodeCurve, type MetricOptions, type MetricRow } from './metrics'
import { outcomeSeparation, type OutcomeSeparation } from './separation'
import { DEFAULT_ERS_WINDOW, describeSpan, formatSeconds, resolveSpan, type TimeSpan } from './timeSpan'

/** Curves of one model run setting (or one imported file's curve) across episodes: one row of a table. */
export interface SeriesInfo {
  key: string
  /** Display name; runs of one model that differ only in seed or cameras get them appended so names stay unique. */
  name: string
  source: CurveSource | 'truth'
  convention: CurveConvention
  modelId: string | null
  params: ScoreParams | null
}

export const TRUTH_SERIES = 'truth'

export { seriesKey }

export interface MetricsInput {
  /** The dataset's frame rate: windows given in seconds become frames with it. */
  fps: number
  episodes: { index: number; task: string; length: number }[]
  outcomes: Map<number, Outcome>
  events: Pick<AnnotationEvent, 'episode' | 'frame' | 'kind' | 'label'>[]
  /** Complete curves (values in their own convention, as stored). */
  curves: {
    /** sourceId tells imported series apart (two files may give curves of one name); hand-made inputs may omit it. */
    info: Pick<CurveInfo, 'source' | 'modelId' | 'params' | 'name' | 'convention' | 'episode' | 'length'> & { sourceId?: string | null }
    values: Float32Array
  }[]
}

export interface WorstEvent {
  frame: number
  kind: 'milestone' | 'error'
  label: string
  ers: number
}

export interface EpisodeMetricRow {
  series: string
  episode: number
  task: string
  outcome: 'success' | 'failure'
  row: MetricRow
  /** The event the curve handles worst (lowest ERS), where the drill-down opens the episode. */
  worst: WorstEvent | null
}

export interface TaskTable {
  task: string
  /** Episodes with a success/failure outcome (the ones ground truth exists for). */
  episodes: number
  /** The paper's metrics, and beside them how well the series' level separates successes from failures. */
  rows: { series: string; row: MetricRow; separation: OutcomeSeparation }[]
  errorTypes: { label: string; count: number }[]
}

/** Like MetricOptions, with the ERS window as a duration or a frame count (app/timeSpan.ts); default 1/6 s. */
export interface MetricsReportOptions {
  window?: TimeSpan
  variant: MetricOptions['variant']
  eps?: number
}

export interface MetricsReport {
  /** ERS window w used, in frames. */
  window: number
  /** The time those frames cover at the dataset's fps (window / fps). */
  windowSeconds: number
  fps: number
  /** The window as asked for (seconds, scaled by fps, or exact frames). */
  windowRequested: TimeSpan
  variant: MetricOptions['variant']
  eps: number
  series: SeriesInfo[]
  tasks: TaskTable[]
  episodes: EpisodeMetricRow[]
  /** Why some episodes or curves are left out. */
  skipped: { episode: number; reason: string }[]
}

export function buildMetricsReport(input: MetricsInput, reportOptions: MetricsReportOptions): MetricsReport {
  const span = resolveSpan(reportOptions.window ?? DEFAULT_ERS_WINDOW, input.fps)
  const options: MetricOptions = { window: span.frames, variant: reportOptions.variant, ...(reportOptions.eps === undefined ? {} : { eps: reportOptions.eps }) }
  const eps = options.eps ?? 1e-6
  const skipped: MetricsReport['skipped'] = []
  const usable = new Map<number, { task: string; length: number; outcome: 'success' | 'failure' }>()
  for (const e of input.episodes) {
    const outcome = input.outcomes.get(e.index)
    if (outcome !== 'success' && outcome !== 'failure') {
      skipped.push({ episode: e.index, reason: 'no success/failure outcome, so no ground-truth progress' })
      continue
    }
    usable.set(e.index, { task: e.task, length: e.length, outcome })
  }
  const eventsOf = new Map<number, { milestones: number[]; errors: number[]; labels: Map<number, string> }>()
  for (const ev of input.events) {
    if (!usable.has(ev.episode)) continue
    let slot = eventsOf.get(ev.episode)
    if (!slot) eventsOf.set(ev.episode, (slot = { milestones: [], errors: [], labels: new Map() }))
    ;(ev.kind === 'milestone' ? slot.milestones : slot.errors).push(ev.frame)
    slot.labels.set(ev.frame * 2 + (ev.kind === 'milestone' ? 0 : 1), ev.label)
  }

  const series = new Map<string, SeriesInfo>()
  const bySeries = new Map<string, EpisodeCurve[]>()
  const add = (key: string, curve: EpisodeCurve): void => {
    const list = bySeries.get(key)
    if (list) list.push(curve)
    else bySeries.set(key, [curve])
  }
  const curveFor = (episode: number, values: ArrayLike<number>): EpisodeCurve | null => {
    const ep = usable.get(episode)
    if (!ep) return null
    const ev = eventsOf.get(episode)
    return { episode, task: ep.task, outcome: ep.outcome, values, milestones: ev?.milestones ?? [], errors: ev?.errors ?? [] }
  }
  series.set(TRUTH_SERIES, { key: TRUTH_SERIES, name: 'ground truth', source: 'truth', convention: 'progress', modelId: null, params: null })
  for (const [episode, ep] of usable) {
    const c = curveFor(episode, groundTruthProgress(ep.length, ep.outcome))
    if (c) add(TRUTH_SERIES, c)
  }
  for (const { info, values } of input.curves) {
    const ep = usable.get(info.episode)
    if (!ep) continue
    if (values.length !== ep.length) {
      skipped.push({ episode: info.episode, reason: `${info.name}: ${values.length} values for ${ep.length} frames` })
      continue
    }
    // A curve with gaps (an import that skipped frames) cannot be scored; it is listed, the others still are.
    const shown = toDisplay(values, info.convention, info.length)
    try {
      checkFinite(shown, `${info.name}, episode ${info.episode}`)
    } catch (err) {
      skipped.push({ episode: info.episode, reason: (err as Error).message })
      continue
    }
    const key = seriesKey(info)
    if (!series.has(key)) series.set(key, { key, name: info.name, source: info.source, convention: info.convention, modelId: info.modelId, params: info.params })
    const c = curveFor(info.episode, shown)
    if (c) add(key, c)
  }

  // Each episode is scored once; its own row and every pooled table row reuse the scores.
  const episodes: EpisodeMetricRow[] = []
  const stats = new Map<string, { curve: EpisodeCurve; stats: CurveStats }[]>()
  for (const [key, curves] of bySeries) {
    const scored = curves.map((curve) => ({ curve, stats: scoreEpisode(curve, options) }))
    stats.set(key, scored)
    for (const { curve: c, stats: s } of scored) {
      let worst: WorstEvent | null = null
      for (const e of s.events) {
        if (e.ers === null) continue
        if (!worst || e.ers < worst.ers) {
          const label = eventsOf.get(c.episode)?.labels.get(e.frame * 2 + (e.kind === 'milestone' ? 0 : 1)) ?? ''
          worst = { frame: e.frame, kind: e.kind, label, ers: e.ers }
        }
      }
      episodes.push({ series: key, episode: c.episode, task: c.task, outcome: c.outcome as 'success' | 'failure', row: rowFromStats([s], options), worst })
    }
  }

  const tasks = [...new Set([...usable.values()].map((e) => e.task))].sort()
  const tables: TaskTable[] = tasks.map((task) => {
    const rows: TaskTable['rows'] = []
    for (const [key, scored] of stats) {
      const mine = scored.filter((x) => x.curve.task === task)
      if (mine.length === 0) continue
      rows.push({
        series: key,
        row: rowFromStats(
          mine.map((x) => x.stats),
          options,
        ),
        separation: outcomeSeparation(mine.map((x) => ({ outcome: x.curve.outcome as 'success' | 'failure', values: x.curve.values }))),
      })
    }
    const counts = new Map<string, number>()
    for (const ev of input.events) {
      if (ev.kind !== 'error' || usable.get(ev.episode)?.task !== task) continue
      counts.set(ev.label, (counts.get(ev.label) ?? 0) + 1)
    }
    return {
      task,
      episodes: [...usable.values()].filter((e) => e.task === task).length,
      rows,
      errorTypes: [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
    }
  })
  const list = [...series.values()]
  const original = list.map((s) => s.name)
  list.forEach((s, i) => {
    const twins = list.filter((_, j) => original[j] === original[i])
    if (twins.length < 2 || !s.params) return
    const seeds = new Set(twins.map((o) => o.params?.seed))
    s.name = seeds.size > 1 ? `${original[i]} · seed ${s.params.seed}` : `${original[i]} · ${s.params.cameras.join('+')}`
  })
  return {
    window: span.frames,
    windowSeconds: span.seconds,
    fps: span.fps,
    windowRequested: span.requested,
    variant: options.variant,
    eps,
    series: list,
    tasks: tables,
    episodes,
    skipped,
  }
}

const COLUMNS = ['pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR'] as const

/** What the two separation columns are (app/separation.ts), printed under the tables. */
export const SEPARATION_NOTE =
  'AUROC mean / final: success/failure separation, not in the paper: the probability that a success episode’s curve sits ' +
  'above a failure episode’s (mean over its frames / value at its last frame), ties counting one half; 0.5 = no separation, ' +
  '— = only one outcome.'


/**
 * The per-task tables as CSV rows, header first (one row per task × series); the variant and the window (frames
 * used, the time they cover, the dataset's fps) are columns, so files compare. main/formats/csv.ts encodes them.
 */
export function metricsReportRows(report: MetricsReport): (string | number | null)[][] {
  const names = new Map(report.series.map((s) => [s.key, s.name]))
  const head = ['task', 'series', 'episodes', ...COLUMNS, 'auroc_mean', 'auroc_final', 'n_success', 'n_failure', 'n_milestones', 'n_errors', 'skipped_milestones', 'skipped_errors', 'variant', 'window_frames', 'window_seconds', 'fps']
  const rows: (string | number | null)[][] = [head]
  for (const t of report.tasks) {
    for (const { series, row, separation: sep } of t.rows) {
      rows.push([t.task, names.get(series) ?? series, row.episodes, ...COLUMNS.map((c) => row[c]), sep.meanLevel, sep.finalValue, sep.nSuccess, sep.nFailure, row.nMilestones, row.nErrors, row.skippedMilestones, row.skippedErrors, report.variant, report.window, formatSeconds(report.windowSeconds), report.fps])
    }
  }
  return rows
}

/** Fixed-width text tables for the terminal (`viva metrics`). */
export function metricsReportText(report: MetricsReport): string {
  const names = new Map(report.series.map((s) => [s.key, s.name]))
  const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(3))
  const span = { frames: report.window, seconds: report.windowSeconds, fps: report.fps, requested: report.windowRequested }
  const out: string[] = [`ERS variant: ${report.variant} (window ${describeSpan(span)}, eps ${report.eps})`]
  for (const t of report.tasks) {
    out.push('', `${t.task} — ${t.episodes} episodes`)
    const rows = t.rows.map(({ series, row, separation: sep }) => [
      names.get(series) ?? series,
      ...COLUMNS.map((c) => fmt(row[c])),
      `${row.nMilestones}/${row.nErrors}`,
      fmt(sep.meanLevel),
      fmt(sep.finalValue),
    ])
    const header = ['series', ...COLUMNS, 'events m/e', 'AUROC mean', 'AUROC final']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')
    out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line))
    if (t.errorTypes.length > 0) out.push(`error types: ${t.errorTypes.map((e) => `${e.label} ${e.count}`).join(', ')}`)
  }
  out.push('', SEPARATION_NOTE)
  if (report.skipped.length > 0) out.push('', `left out: ${report.skipped.length} (${report.skipped.slice(0, 3).map((s) => `episode ${s.episode}: ${s.reason}`).join('; ')}${report.skipped.length > 3 ? '; …' : ''})`)
  return `${out.join('\n')}\n`
}
