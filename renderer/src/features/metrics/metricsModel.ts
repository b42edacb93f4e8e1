/** Pure helpers of the metrics view: formatting, best values, sorting and grouping (unit-tested, no React). */
import type { MetricRow } from '../../../../app/metrics'
import { TRUTH_SERIES, type EpisodeMetricRow, type MetricsReport, type SeriesInfo, type TaskTable } from '../../../../app/metricsReport'
import type { EpisodeSort } from './state'

export const METRIC_COLUMNS = ['pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR'] as const
export type MetricColumn = (typeof METRIC_COLUMNS)[number]

export const COLUMN_NAMES: Record<MetricColumn, string> = {
  pearson: 'Pearson',
  spearman: 'Spearman',
  voc: 'VOC',
  MS: 'MS',
  ES: 'ES',
  MDR: 'MDR',
  ErrDR: 'ErrDR',
}

export const COLUMN_HELP: Record<MetricColumn, string> = {
  pearson: 'Pearson correlation with ground-truth progress, mean over episodes',
  spearman: 'Spearman correlation with ground-truth progress, mean over episodes',
  voc: 'Value-order correlation: Spearman between the curve and frame order, mean over episodes',
  MS: 'Milestone score: mean ERS over all milestones',
  ES: 'Error score: mean ERS over all errors (direction −1: a drop scores positive)',
  MDR: 'Milestone detection rate: fraction of milestones with ERS > 0',
  ErrDR: 'Error detection rate: fraction of errors with ERS > 0',
}

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—'
  if (Number.isNaN(v)) return 'NaN'
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞'
  return v.toFixed(3).replace(/^-/, '−')
}

/** The table's rows in display order: ground truth first (the reference), then the series in the report's order. */
export function orderedRows(table: TaskTable, series: SeriesInfo[]): TaskTable['rows'] {
  const order = new Map(series.map((s, i) => [s.key, i]))
  return [...table.rows].sort((a, b) => {
    if (a.series === TRUTH_SERIES) return -1
    if (b.series === TRUTH_SERIES) return 1
    return (order.get(a.series) ?? 1e9) - (order.get(b.series) ?? 1e9)
  })
}

/**
 * Best value of each column among the value curves (ground truth is the reference, not a contender). Higher is
 * better for every column (ES is signed by the error's direction). Null where fewer than two curves have a value:
 * a lone curve is not "best" of anything.
 */
export function bestValues(table: TaskTable): Record<MetricColumn, number | null> {
  const out = {} as Record<MetricColumn, number | null>
  for (const c of METRIC_COLUMNS) {
    const values = table.rows
      .filter((r) => r.series !== TRUTH_SERIES)
      .map((r) => r.row[c])
      .filter((v): v is number => v !== null && Number.isFinite(v))
    out[c] = values.length >= 2 ? Math.max(...values) : null
  }
  return out
}

export function isBest(best: Record<MetricColumn, number | null>, column: MetricColumn, row: MetricRow, series: string): boolean {
  const b = best[column]
  const v = row[column]
  // Compare as shown: values equal to 3 decimals are equally best.
  return series !== TRUTH_SERIES && b !== null && v !== null && Number.isFinite(v) && fmt(v) === fmt(b)
}

/** The success/failure separation columns beside the paper's (app/separation.ts). */
export const SEPARATION_COLUMNS = ['meanLevel', 'finalValue'] as const
export type SeparationColumn = (typeof SEPARATION_COLUMNS)[number]

export const SEPARATION_NAMES: Record<SeparationColumn, string> = { meanLevel: 'AUROC mean', finalValue: 'AUROC final' }

export const SEPARATION_HELP: Record<SeparationColumn, string> = {
  meanLevel:
    'Success/failure separation (not in the paper): probability that a success episode’s mean value is above a failure episode’s, ties counting one half; 0.5 = none, — = only one outcome',
  finalValue:
    'Success/failure separation (not in the paper): probability that a success episode’s last value is above a failure episode’s, ties counting one half; 0.5 = none, — = only one outcome',
}

/** Best separation per column among the value curves (as bestValues: null with fewer than two). */
export function bestSeparation(table: TaskTable): Record<SeparationColumn, number | null> {
  const out = {} as Record<SeparationColumn, number | null>
  for (const c of SEPARATION_COLUMNS) {
    const values = table.rows
      .filter((r) => r.series !== TRUTH_SERIES)
      .map((r) => r.separation[c])
      .filter((v): v is number => v !== null && Number.isFinite(v))
    out[c] = values.length >= 2 ? Math.max(...values) : null
  }
  return out
}

/** "12 / 3" with the events left out (window empty at an episode end) when there are any. */
export function eventsText(row: MetricRow): string {
  const skipped = row.skippedMilestones + row.skippedErrors
  return `${row.nMilestones} / ${row.nErrors}${skipped > 0 ? ` (skipped ${row.skippedMilestones} / ${row.skippedErrors})` : ''}`
}

/** Where a series comes from, for the source column. Model keys are `m:<model id>:<steps>:<seed>:<cameras>`. */
export function sourceText(info: SeriesInfo | undefined, _key?: string): string {
  if (!info) return ''
  if (info.source === 'truth') return 'reference (from outcomes)'
  if (info.source === 'model') {
    const steps = info.params?.steps ?? 0
    // Flow steps and seed only mean something for sampled (viva-flow) models; direct ones run with 0 steps.
    return info.params && steps > 0 ? `model · ${steps} step${steps === 1 ? '' : 's'} · seed ${info.params.seed}` : 'model'
  }
  return 'imported'
}

function sortValue(row: EpisodeMetricRow, key: EpisodeSort['key']): number | string | null {
  switch (key) {
    case 'episode':
      return row.episode
    case 'outcome':
      return row.outcome
    case 'worst':
      return row.worst ? row.worst.ers : null
    default: {
      const v = row.row[key]
      return v === null || Number.isNaN(v) ? null : v
    }
  }
}

/** Sorted copy; rows without a value go last in either direction, ties by episode. */
export function sortEpisodeRows(rows: EpisodeMetricRow[], sort: EpisodeSort): EpisodeMetricRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const va = sortValue(a, sort.key)
    const vb = sortValue(b, sort.key)
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1
    } else if (va !== vb) {
      return (typeof va === 'string' ? va.localeCompare(String(vb)) : va - (vb as number)) * sign
    }
    return a.episode - b.episode
  })
}

/** Per-episode rows of one table row. */
export function drillRows(report: MetricsReport, task: string, series: string): EpisodeMetricRow[] {
  return report.episodes.filter((e) => e.task === task && e.series === series)
}

/** Skip reasons with the episodes each applies to, most frequent first. */
export function groupSkipped(skipped: MetricsReport['skipped']): { reason: string; episodes: number[] }[] {
  const by = new Map<string, number[]>()
  for (const s of skipped) {
    const list = by.get(s.reason)
    if (list) list.push(s.episode)
    else by.set(s.reason, [s.episode])
  }
  return [...by]
    .map(([reason, episodes]) => ({ reason, episodes: [...new Set(episodes)].sort((a, b) => a - b) }))
    .sort((a, b) => b.episodes.length - a.episodes.length || a.reason.localeCompare(b.reason))
}

/** "0–3, 5, 7–9" */
export function episodeRanges(episodes: number[]): string {
  const out: string[] = []
  let i = 0
  while (i < episodes.length) {
    let j = i
    while (j + 1 < episodes.length && (episodes[j + 1] as number) === (episodes[j] as number) + 1) j++
    out.push(j > i ? `${episodes[i]}–${episodes[j]}` : String(episodes[i]))
    i = j + 1
  }
  return out.join(', ')
}

/** Value curves (not ground truth) in the report. */
export function curveSeriesCount(report: MetricsReport): number {
  return report.series.filter((s) => s.key !== TRUTH_SERIES).length
}
