/**
 * The episode list's columns, what each sorts by, and the list as shown (filtered, then sorted). The player's
 * PageUp / PageDown walk this same list, so "next episode" is the next row the user sees.
 */
import { DEFAULT_EPISODE_LABELS, OUTCOMES, REVIEW_STATUSES, type EpisodeLabels, type ProjectState } from '../../../../app/annotations'
import type { DatasetSummary, DatasetWarning, EpisodeSummary } from '../../../../app/dataset'
import type { EpisodeStatsReport, SeriesEpisodeStats } from '../../../../app/episodeStats'
import { episodeWarnings } from './episodeChecks'
import { DEFAULT_SORT, sortRows, type EpisodeSort, type SortValue } from './episodeSort'
import { eventCounts, filteredEpisodes, type EpisodeFilterState } from './state'

export const STATS = ['mean', 'final', 'drops'] as const
export type SeriesStat = (typeof STATS)[number]

export const STAT_LABELS: Record<SeriesStat, { label: string; title: string }> = {
  mean: { label: 'mean', title: 'mean value over the episode (as progress: higher = closer to success)' },
  final: { label: 'final', title: 'value at the last frame (as progress)' },
  drops: { label: 'drops', title: 'drops, as error triage finds them (its window and threshold)' },
}

/** The columns every dataset has, in order; `key` is what a sort names. */
export const BASE_COLUMNS = [
  { key: 'index', label: '#', title: 'episode index' },
  { key: 'task', label: 'Task', title: 'task text' },
  { key: 'length', label: 'Frames', title: 'frames in the episode' },
  { key: 'duration', label: 'Duration', title: 'frames / fps' },
  { key: 'outcome', label: 'Outcome', title: 'annotated outcome (success, failure; unknown last)' },
  { key: 'status', label: 'Status', title: 'review status' },
  { key: 'milestones', label: '▲ Milestones', title: 'annotated milestones' },
  { key: 'errors', label: '▼ Errors', title: 'annotated errors' },
  { key: 'warnings', label: 'Warnings', title: 'warnings found in the episode (table, videos, cameras)' },
] as const
export type BaseColumn = (typeof BASE_COLUMNS)[number]['key']

/** A series column's key: the stat, then the series key (which may hold any character, so it comes last). */
export function seriesColumnKey(series: string, stat: SeriesStat): string {
  return `series:${stat}:${series}`
}

/** What the row values of a list are computed from. */
export interface EpisodeRowContext {
  project: ProjectState | null
  counts: ReadonlyMap<number, { milestones: number; errors: number }>
  /** Per episode: what the background checks found (absent: not checked yet). */
  checks: Readonly<Record<number, DatasetWarning[]>> | undefined
  stats: EpisodeStatsReport | null
}

const positions = new WeakMap<SeriesEpisodeStats, Map<number, number>>()

/** Where an episode is in a series' arrays, or −1 (no complete curve of the series for it). */
export function statIndex(series: SeriesEpisodeStats, episode: number): number {
  let at = positions.get(series)
  if (!at) {
    at = new Map()
    for (let i = 0; i < series.episodes.length; i++) at.set(series.episodes[i] as number, i)
    positions.set(series, at)
  }
  return at.get(episode) ?? -1
}

/** A series' stat for an episode, or null. */
export function statValue(series: SeriesEpisodeStats, stat: SeriesStat, episode: number): number | null {
  const i = statIndex(series, episode)
  return i < 0 ? null : (series[stat][i] as number)
}

/** Warnings the list counts for an episode (info-level ones are not shown). */
export function shownWarnings(ep: EpisodeSummary, checked: readonly DatasetWarning[] | undefined): DatasetWarning[] {
  return episodeWarnings(ep, checked).filter((w) => w.level !== 'info')
}

/** How the rows of `column` compare, or null when the list has no such column (then it sorts by episode). */
export function sortValueOf(column: string, ctx: EpisodeRowContext): ((ep: EpisodeSummary) => SortValue) | null {
  // The stored labels, or none (the defaults: unknown, to do), as episodeLabels reads them, without a default
  // object per row (a sort reads every row of lists of 100,000).
  const labels = (ep: EpisodeSummary): Pick<EpisodeLabels, 'outcome' | 'status'> | undefined => ctx.project?.episodes.get(ep.index)
  switch (column) {
    case 'index':
      return (ep) => ep.index
    case 'task':
      return (ep) => ep.tasks.join(' · ')
    case 'length':
    case 'duration':
      return (ep) => ep.length
    case 'outcome':
      // success, failure, then the unknown ones (no outcome is not a value).
      return (ep) => {
        const o = labels(ep)?.outcome ?? DEFAULT_EPISODE_LABELS.outcome
        return o === 'unknown' ? null : OUTCOMES.indexOf(o)
      }
    case 'status':
      return (ep) => REVIEW_STATUSES.indexOf(labels(ep)?.status ?? DEFAULT_EPISODE_LABELS.status)
    case 'milestones':
      return (ep) => ctx.counts.get(ep.index)?.milestones ?? 0
    case 'errors':
      return (ep) => ctx.counts.get(ep.index)?.errors ?? 0
    case 'warnings':
      return (ep) => (ep.present ? shownWarnings(ep, ctx.checks?.[ep.index]).length : null)
  }
  const m = /^series:(mean|final|drops):(.*)$/s.exec(column)
  const series = m ? ctx.stats?.series.find((s) => s.key === m[2]) : undefined
  if (!m || !series) return null
  const stat = m[1] as SeriesStat
  return (ep) => statValue(series, stat, ep.index)
}

/** The sort that applies: `sort`, or the episode order when the list has no such column (another dataset's series). */
export function effectiveSort(sort: EpisodeSort, ctx: EpisodeRowContext): EpisodeSort {
  return sortValueOf(sort.column, ctx) ? sort : DEFAULT_SORT
}

/** `episodes` (in dataset order) sorted as `sort` says. */
export function sortEpisodes(episodes: readonly EpisodeSummary[], sort: EpisodeSort, ctx: EpisodeRowContext): EpisodeSummary[] {
  const applied = effectiveSort(sort, ctx)
  if (applied.column === 'index' && applied.direction === 'asc') return [...episodes]
  return sortRows(episodes, applied, sortValueOf(applied.column, ctx) ?? ((ep) => ep.index))
}

export type ListedEpisodesState = EpisodeFilterState & {
  episodeSort: EpisodeSort
  currentDatasetId: string | null
  episodeChecks: Record<string, Record<number, DatasetWarning[]>>
  episodeStats: { datasetId: string; report: EpisodeStatsReport } | null
}

/**
 * The row context of a dataset: its project (and its event counts: pass them to keep the same object while the
 * project is the same), its episodes' checks, and the per-series numbers if they are its own.
 */
export function rowContext(
  datasetId: string | null,
  project: ProjectState | null,
  checks: Readonly<Record<number, DatasetWarning[]>> | undefined,
  stats: ListedEpisodesState['episodeStats'],
  counts: EpisodeRowContext['counts'] = eventCounts(project),
): EpisodeRowContext {
  return { project, counts, checks, stats: stats && stats.datasetId === datasetId ? stats.report : null }
}

/** The list as the dataset screen shows it: filtered, then sorted. */
export function listedEpisodes(s: ListedEpisodesState, summary: DatasetSummary): EpisodeSummary[] {
  const id = s.currentDatasetId
  const ctx = rowContext(id, s.project, id === null ? undefined : s.episodeChecks[id], s.episodeStats)
  return sortEpisodes(filteredEpisodes(s, summary), s.episodeSort, ctx)
}
