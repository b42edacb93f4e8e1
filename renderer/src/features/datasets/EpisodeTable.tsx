import { memo, type ReactNode, type RefObject } from 'react'
import { DEFAULT_EPISODE_LABELS, type EpisodeLabels } from '../../../../app/annotations'
import { formatDuration } from '../../../../app/dataset'
import type { DatasetSummary, DatasetWarning, EpisodeSummary } from '../../../../app/dataset'
import type { SeriesEpisodeStats } from '../../../../app/episodeStats'
import { STATUS_NAMES } from '../annotations/AnnotationPanel'
import { useApp } from '../../state/StoreContext'
import { episodeWarnings } from './episodeChecks'
import { BASE_COLUMNS, effectiveSort, seriesColumnKey, STAT_LABELS, STATS, statValue, type EpisodeRowContext, type SeriesStat } from './episodeColumns'
import { toggleSort, type EpisodeSort } from './episodeSort'

/**
 * An episode's warnings in the list: how many, the worst level, each message on hover; "checking…" until the
 * episode's checks (table, videos, cameras) have answered.
 */
function WarningsCell(props: { present: boolean; warnings: DatasetWarning[]; checked: boolean }): ReactNode {
  if (!props.present) return <td data-testid="episode-warnings">missing on disk</td>
  const shown = props.warnings.filter((w) => w.level !== 'info')
  const worst = shown.some((w) => w.level === 'error') ? 'error' : 'warning'
  const codes = [...new Set(shown.map((w) => w.code))]
  return (
    <td
      data-testid="episode-warnings"
      data-checked={props.checked}
      data-codes={codes.join(' ')}
      className={shown.length > 0 ? `warnings-cell warning-${worst}` : 'warnings-cell'}
      title={props.warnings.map((w) => `${w.level}: ${w.message}`).join('\n')}
    >
      {shown.length > 0 ? `${worst === 'error' ? '✖' : '⚠'} ${shown.length} ${codes.map(shortCode).join(', ')}` : props.checked ? '' : <span className="muted">checking…</span>}
    </td>
  )
}

/** CAMERA_FROZEN → camera frozen: short enough for a table cell, the full message is on hover. */
function shortCode(code: string): string {
  return code.toLowerCase().replaceAll('_', ' ')
}

/**
 * A sortable column's header, as the WAI-ARIA APG sortable table does it
 * (https://www.w3.org/WAI/ARIA/apg/patterns/table/examples/sortable-table/): the label is a button, the sorted
 * column's header has aria-sort and shows ▲ (ascending) or ▼ (descending).
 */
function SortHeader(props: { column: string; label: string; title: string; sort: EpisodeSort; onSort: (column: string) => void; className?: string }): ReactNode {
  const on = props.sort.column === props.column
  return (
    <th
      scope="col"
      className={props.className}
      aria-sort={on ? (props.sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
      data-column={props.column}
    >
      <button type="button" className="sort-header" title={`${props.title} — click to sort`} onClick={() => props.onSort(props.column)}>
        {props.label}
        <span className="sort-indicator" aria-hidden="true">
          {on ? (props.sort.direction === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </th>
  )
}

function formatStat(stat: SeriesStat, v: number | null): string {
  if (v === null || Number.isNaN(v)) return ''
  return stat === 'drops' ? String(v) : v.toFixed(3)
}

/**
 * One episode's row. Memoized on what it shows (a sort reorders, an arrow key moves the selection: only the rows
 * whose content changed render again, so lists of thousands of episodes stay quick).
 */
const EpisodeRow = memo(function EpisodeRow(props: {
  ep: EpisodeSummary
  fps: number
  selected: boolean
  /** The episode's stored labels (none: the defaults). */
  labels: Pick<EpisodeLabels, 'outcome' | 'status'> | undefined
  hasProject: boolean
  counts: { milestones: number; errors: number } | undefined
  checked: DatasetWarning[] | undefined
  series: SeriesEpisodeStats[]
}): ReactNode {
  const { ep, counts: c } = props
  const selectEpisode = useApp((s) => s.selectEpisode)
  const openEpisode = useApp((s) => s.openEpisode)
  const outcome = props.labels?.outcome ?? DEFAULT_EPISODE_LABELS.outcome
  const status = props.labels?.status ?? DEFAULT_EPISODE_LABELS.status
  return (
    <tr
      aria-selected={props.selected}
      className={ep.present ? undefined : 'absent'}
      data-episode={ep.index}
      onClick={() => selectEpisode(ep.index)}
      onDoubleClick={() => ep.present && void openEpisode(ep.index)}
    >
      <td>{ep.index}</td>
      <td className="task" title={ep.tasks.join(' · ')}>
        {ep.tasks.join(' · ')}
      </td>
      <td>{ep.length}</td>
      <td>{formatDuration(ep.length, props.fps)}</td>
      <td className={`outcome outcome-${outcome}`} data-testid="outcome">
        {props.hasProject && outcome !== 'unknown' ? outcome : ''}
      </td>
      <td data-testid="status">{props.hasProject ? STATUS_NAMES[status] : ''}</td>
      <td className="count-cell" data-testid="milestone-count">
        {c && c.milestones > 0 ? c.milestones : ''}
      </td>
      <td className="count-cell" data-testid="error-count">
        {c && c.errors > 0 ? c.errors : ''}
      </td>
      <WarningsCell present={ep.present} warnings={episodeWarnings(ep, props.checked)} checked={props.checked !== undefined} />
      {props.series.flatMap((s) =>
        STATS.map((stat) => (
          <td key={`${s.key}:${stat}`} className="stat" data-column={seriesColumnKey(s.key, stat)}>
            {formatStat(stat, statValue(s, stat, ep.index))}
          </td>
        )),
      )}
    </tr>
  )
})

/** One array for no series, so that memoized rows see the same prop while there are none. */
const NO_SERIES: SeriesEpisodeStats[] = []

/** The episode list: a sortable column per episode fact, annotation count and value-curve series statistic. */
export function EpisodeTable(props: {
  summary: DatasetSummary
  episodes: EpisodeSummary[]
  ctx: EpisodeRowContext
  hidden: boolean
  listRef: RefObject<HTMLTableSectionElement | null>
  onClearFilters: () => void
}): ReactNode {
  const { summary, episodes, ctx } = props
  const selected = useApp((s) => s.selectedEpisode)
  const stored = useApp((s) => s.episodeSort)
  const setEpisodeSort = useApp((s) => s.setEpisodeSort)
  const sort = effectiveSort(stored, ctx)
  const onSort = (column: string): void => setEpisodeSort(toggleSort(sort, column))
  const series = ctx.stats?.series ?? NO_SERIES
  const columnCount = BASE_COLUMNS.length + series.length * STATS.length
  return (
    <table className="episodes" aria-label="Episodes" hidden={props.hidden} data-sort={`${sort.column} ${sort.direction}`}>
      <thead>
        {series.length > 0 ? (
          <tr className="series-groups">
            <th colSpan={BASE_COLUMNS.length} />
            {series.map((s) => (
              <th key={s.key} colSpan={STATS.length} scope="colgroup" className="series-group" title={s.name} data-series={s.key}>
                {s.name}
              </th>
            ))}
          </tr>
        ) : null}
        <tr>
          {BASE_COLUMNS.map((c) => (
            <SortHeader key={c.key} column={c.key} label={c.label} title={c.title} sort={sort} onSort={onSort} />
          ))}
          {series.flatMap((s) =>
            STATS.map((stat) => (
              <SortHeader
                key={`${s.key}:${stat}`}
                column={seriesColumnKey(s.key, stat)}
                label={STAT_LABELS[stat].label}
                title={`${s.name}: ${STAT_LABELS[stat].title}`}
                sort={sort}
                onSort={onSort}
                className="stat"
              />
            )),
          )}
        </tr>
      </thead>
      <tbody ref={props.listRef}>
        {episodes.length === 0 && summary.episodes.length > 0 ? (
          <tr className="no-match">
            <td colSpan={columnCount} data-testid="no-episodes-match">
              No episodes match the filters.{' '}
              <button type="button" className="link" onClick={props.onClearFilters}>
                Clear filters
              </button>
            </td>
          </tr>
        ) : null}
        {episodes.map((ep) => (
          <EpisodeRow
            key={ep.index}
            ep={ep}
            fps={summary.fps}
            selected={ep.index === selected}
            labels={ctx.project?.episodes.get(ep.index)}
            hasProject={ctx.project !== null}
            counts={ctx.counts.get(ep.index)}
            checked={ctx.checks?.[ep.index]}
            series={series}
          />
        ))}
      </tbody>
    </table>
  )
}
