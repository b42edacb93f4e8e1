import { Fragment, useEffect, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react'
import { ERS_VARIANTS, type ErsVariant } from '../../../../app/metrics'
import { SEPARATION_NOTE, TRUTH_SERIES, type EpisodeMetricRow, type MetricsReport, type SeriesInfo, type TaskTable } from '../../../../app/metricsReport'
import { describeSpan, formatSeconds, MAX_SPAN_SECONDS } from '../../../../app/timeSpan'
import { useApp, useAppStore, useClient } from '../../state/StoreContext'
import { validWindowSeconds, type EpisodeSortKey } from './state'
import { downloadText } from '../../components/download'
import {
  bestSeparation,
  bestValues,
  COLUMN_HELP,
  COLUMN_NAMES,
  curveSeriesCount,
  drillRows,
  episodeRanges,
  eventsText,
  fmt,
  groupSkipped,
  isBest,
  METRIC_COLUMNS,
  orderedRows,
  SEPARATION_COLUMNS,
  SEPARATION_HELP,
  SEPARATION_NAMES,
  sortEpisodeRows,
  sourceText,
} from './metricsModel'
import './metrics.css'
import { useRefreshOnChange } from '../../components/useRefreshOnChange'

export const VARIANT_EXPLANATION =
  'relative divides by V_before and misbehaves when V_before is near 0 or negative; absolute is V_after − V_before.'

const VARIANT_NAMES: Record<ErsVariant, string> = {
  relative: 'relative (the paper’s)',
  absolute: 'absolute',
}

/** Recompute this long after the last change of curves or annotations (scoring jobs change curves often). */

/**
 * The paper's metrics for the current dataset (Tables 1–3): per task, one row per value curve series plus ground
 * truth, best values marked, error-type distribution, and per-episode rows that open the player at the event the
 * curve handles worst.
 */
export function MetricsView(): ReactNode {
  const store = useAppStore()
  const client = useClient()
  const datasetId = useApp((s) => s.currentDatasetId)
  const report = useApp((s) => (s.metricsDatasetId === s.currentDatasetId ? s.metricsReport : null))
  const loading = useApp((s) => s.metricsLoading)
  const error = useApp((s) => s.metricsError)
  const computeMetrics = useApp((s) => s.computeMetrics)

  // Fresh numbers whenever the view opens or the dataset changes ...
  useEffect(() => {
    if (datasetId !== null) void computeMetrics()
  }, [datasetId, computeMetrics])

  // ... and shortly after its curves or annotations change (a scoring job finishing, an import, another window).
  useRefreshOnChange(client, datasetId, () => void store.getState().computeMetrics())

  return (
    <section
      className="metrics-view"
      data-testid="metrics-view"
      aria-label="Metrics"
      aria-busy={loading}
      data-loading={loading ? 'true' : 'false'}
      data-variant={report?.variant ?? ''}
      data-window={report?.window ?? ''}
    >
      <MetricsControls report={report} loading={loading} />
      {error ? (
        <p className="form-error" role="alert" data-testid="metrics-error">
          Metrics could not be computed: {error.message}
        </p>
      ) : null}
      {report ? <MetricsBody report={report} /> : <p className="muted">{loading ? 'Computing metrics…' : ''}</p>}
    </section>
  )
}

function MetricsControls(props: { report: MetricsReport | null; loading: boolean }): ReactNode {
  const win = useApp((s) => s.metricsWindowSeconds)
  const variant = useApp((s) => s.metricsVariant)
  const setMetricsWindowSeconds = useApp((s) => s.setMetricsWindowSeconds)
  const setMetricsVariant = useApp((s) => s.setMetricsVariant)
  const computeMetrics = useApp((s) => s.computeMetrics)
  const exportMetrics = useApp((s) => s.exportMetrics)
  const [typed, setTyped] = useState(formatSeconds(win))
  const [message, setMessage] = useState<string | null>(null)
  const typedValid = validWindowSeconds(Number(typed)) && typed.trim() !== ''
  const shown = props.report
  const shownRequest = shown?.windowRequested
  const shownSeconds = shownRequest && 'seconds' in shownRequest ? shownRequest.seconds : null

  useEffect(() => {
    // The store's window changed elsewhere (e.g. another view): show it unless the user is mid-edit of it.
    setTyped((t) => (Number(t) === win || formatSeconds(Number(t)) === formatSeconds(win) ? t : formatSeconds(win)))
  }, [win])

  const exportAs = (format: 'csv' | 'json'): void => {
    setMessage(null)
    void exportMetrics(format).then((r) => {
      if (!r) return
      downloadText(r.filename, r.mimeType, r.content)
      setMessage(`Downloaded ${r.filename}`)
    })
  }

  return (
    <>
      <div className="metrics-controls">
        <label
          className="field"
          title="ERS window: the time averaged before and after each event (eq. 3), as frames at the dataset's frame rate (nearest frame, at least 1). Default 0.167 s: 5 frames at 30 fps (the paper does not state w)"
        >
          ERS window w
          <input
            type="number"
            data-testid="metrics-window"
            aria-label="ERS window in seconds"
            aria-invalid={!typedValid}
            min={0.001}
            max={MAX_SPAN_SECONDS}
            step={0.01}
            value={typed}
            onChange={(e) => {
              setTyped(e.target.value)
              const n = Number(e.target.value)
              if (e.target.value.trim() !== '' && validWindowSeconds(n)) setMetricsWindowSeconds(n)
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLInputElement).blur()
            }}
          />
          s
        </label>
        <label className="field">
          ERS variant
          <select
            data-testid="metrics-variant"
            aria-label="ERS variant"
            value={variant}
            onChange={(e) => {
              setMetricsVariant(e.target.value as ErsVariant)
              e.target.blur()
            }}
          >
            {ERS_VARIANTS.map((v) => (
              <option key={v} value={v}>
                {VARIANT_NAMES[v]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="metrics-recompute" onClick={() => void computeMetrics()} disabled={props.loading} title="Compute again from the stored curves and annotations">
          {props.loading ? 'Computing…' : 'Recompute'}
        </button>
        <span className="grow" />
        <button type="button" data-testid="metrics-export-csv" onClick={() => exportAs('csv')} title="One line per task × series">
          Export CSV
        </button>
        <button type="button" data-testid="metrics-export-json" onClick={() => exportAs('json')} title="The whole report, per-episode rows included">
          Export JSON
        </button>
      </div>
      {!typedValid ? (
        <p className="form-error" role="alert">
          The window must be a positive number of seconds, at most {MAX_SPAN_SECONDS}.
        </p>
      ) : null}
      <p className="metrics-variant-label" data-testid="metrics-variant-label">
        Showing <strong>{shown?.variant ?? variant}</strong> ERS, window w ={' '}
        <span data-testid="metrics-window-frames">
          {shown ? describeSpan({ frames: shown.window, seconds: shown.windowSeconds, fps: shown.fps, requested: shown.windowRequested }) : `${formatSeconds(win)} s`}
        </span>
        {shown && (shown.variant !== variant || shownSeconds !== win) ? ' (updating…)' : ''}.{' '}
        <span className="muted">{VARIANT_EXPLANATION}</span>
      </p>
      {message ? (
        <p className="muted" role="status" data-testid="metrics-export-status">
          {message}
        </p>
      ) : null}
    </>
  )
}

function MetricsBody(props: { report: MetricsReport }): ReactNode {
  const { report } = props
  const seriesInfo = useMemo(() => new Map(report.series.map((s) => [s.key, s])), [report])
  const skipped = useMemo(() => groupSkipped(report.skipped), [report])
  const noCurves = curveSeriesCount(report) === 0
  const empty = report.tasks.length === 0 || noCurves
  return (
    <>
      {empty ? (
        <div className="metrics-empty" data-testid="metrics-empty">
          <p>
            <strong>{report.tasks.length === 0 ? 'No episode has a success/failure outcome yet.' : 'No value curves to compare yet.'}</strong>
          </p>
          <p>
            Metrics compare each complete value curve with the ground-truth progress that follows from its episode’s outcome, and with
            the episode’s annotated milestones and errors. Score the episodes with a model (open an episode → Models → Score all) or
            import a curve file, and give the episodes an outcome (S / F in the player, or import annotations). Only complete curves
            count.
          </p>
        </div>
      ) : null}
      {report.tasks.map((t, i) => (
        <TaskMetrics key={t.task} index={i} table={t} report={report} seriesInfo={seriesInfo} />
      ))}
      {skipped.length > 0 ? (
        <details className="metrics-skipped" data-testid="metrics-skipped" open={empty}>
          <summary>Left out ({report.skipped.length})</summary>
          <ul>
            {skipped.map((s) => (
              <li key={s.reason}>
                {s.reason}: episode{s.episodes.length === 1 ? '' : 's'} {episodeRanges(s.episodes)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  )
}

function TaskMetrics(props: { index: number; table: TaskTable; report: MetricsReport; seriesInfo: Map<string, SeriesInfo> }): ReactNode {
  const { table, report, seriesInfo } = props
  const drill = useApp((s) => s.metricsDrill)
  const toggleDrill = useApp((s) => s.toggleMetricsDrill)
  const rows = useMemo(() => orderedRows(table, report.series), [table, report.series])
  const best = useMemo(() => bestValues(table), [table])
  const bestSep = useMemo(() => bestSeparation(table), [table])
  const columns = 3 + METRIC_COLUMNS.length + SEPARATION_COLUMNS.length

  return (
    <section className="metrics-task" data-task={table.task}>
      <h3>
        {table.task || '(no task)'}{' '}
        <span className="muted">
          · {table.episodes} episode{table.episodes === 1 ? '' : 's'} with an outcome
        </span>
      </h3>
      <div className="metrics-task-body">
        <table className="metrics-table" data-testid={`metrics-table-${props.index}`} aria-label={`Metrics for ${table.task}`}>
          <thead>
            <tr>
              <th>Series</th>
              <th>Source</th>
              {METRIC_COLUMNS.map((c) => (
                <th key={c} className="num" title={COLUMN_HELP[c]}>
                  {COLUMN_NAMES[c]}
                </th>
              ))}
              <th className="num" title="Scored milestones / errors; events whose window is empty (at an episode end) are skipped">
                Events m / e
              </th>
              {SEPARATION_COLUMNS.map((c) => (
                <th key={c} className="num separation" title={SEPARATION_HELP[c]}>
                  {SEPARATION_NAMES[c]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ series, row, separation }) => {
              const info = seriesInfo.get(series)
              const truth = series === TRUTH_SERIES
              const open = drill?.task === table.task && drill.series === series
              const toggle = (): void => toggleDrill(table.task, series)
              return (
                <Fragment key={series}>
                  <tr
                    className={`metrics-row${truth ? ' truth' : ''}${open ? ' open' : ''}`}
                    data-testid={`metrics-row-${series}`}
                    data-series={series}
                    data-source={info?.source ?? ''}
                    aria-expanded={open}
                    tabIndex={0}
                    title={open ? 'Hide the episodes' : 'Show the episodes of this series'}
                    onClick={toggle}
                    onKeyDown={(e: KeyboardEvent) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault()
                        toggle()
                      }
                    }}
                  >
                    <td className="series-name">
                      <span className="disclosure" aria-hidden>
                        {open ? '▾' : '▸'}
                      </span>{' '}
                      {info?.name ?? series}
                      {truth ? <span className="tag tag-muted">reference</span> : null}
                    </td>
                    <td className="muted">{sourceText(info, series)}</td>
                    {METRIC_COLUMNS.map((c) => {
                      const b = isBest(best, c, row, series)
                      return (
                        <td key={c} className={`num${b ? ' best' : ''}`} data-column={c} title={b ? 'best among the value curves' : undefined}>
                          {fmt(row[c])}
                        </td>
                      )
                    })}
                    <td className="num" data-column="events">
                      {eventsText(row)}
                    </td>
                    {SEPARATION_COLUMNS.map((c) => {
                      const v = separation[c]
                      const b = series !== TRUTH_SERIES && bestSep[c] !== null && v !== null && fmt(v) === fmt(bestSep[c])
                      return (
                        <td
                          key={c}
                          className={`num separation${b ? ' best' : ''}`}
                          data-column={c}
                          title={`${separation.nSuccess} success / ${separation.nFailure} failure episodes${b ? ' · best among the value curves' : ''}`}
                        >
                          {fmt(v)}
                        </td>
                      )
                    })}
                  </tr>
                  {open ? (
                    <tr className="metrics-drill-row">
                      <td colSpan={columns}>
                        <EpisodeRows rows={drillRows(report, table.task, series)} title={`${info?.name ?? series} — ${table.task}`} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              )
            })}
          </tbody>
        </table>
        <ErrorTypes types={table.errorTypes} />
      </div>
      {props.index === 0 ? (
        <p className="muted small metrics-separation-note" data-testid="metrics-separation-note">
          {SEPARATION_NOTE}
        </p>
      ) : null}
    </section>
  )
}

const EPISODE_HEADERS: { key: EpisodeSortKey; label: string; num: boolean }[] = [
  { key: 'episode', label: 'Episode', num: true },
  { key: 'outcome', label: 'Outcome', num: false },
  ...METRIC_COLUMNS.map((c) => ({ key: c, label: COLUMN_NAMES[c], num: true })),
  { key: 'worst', label: 'Worst event', num: false },
]

function worstText(row: EpisodeMetricRow): string {
  const w = row.worst
  if (!w) return '—'
  return `${w.kind === 'milestone' ? '▲' : '▼'} ${w.label || w.kind} · frame ${w.frame} · ERS ${fmt(w.ers)}`
}

/** The per-episode rows of one series in one task, sortable; a click opens the episode at its worst event. */
function EpisodeRows(props: { rows: EpisodeMetricRow[]; title: string }): ReactNode {
  const sort = useApp((s) => s.metricsSort)
  const setSort = useApp((s) => s.setMetricsSort)
  const openEpisodeAt = useApp((s) => s.openEpisodeAt)
  const rows = useMemo(() => sortEpisodeRows(props.rows, sort), [props.rows, sort])
  if (rows.length === 0) return <p className="muted">No episodes.</p>
  const open = (r: EpisodeMetricRow): void => void openEpisodeAt(r.episode, r.worst?.frame ?? 0, r.worst?.kind ?? null)
  return (
    <table className="metrics-episodes" aria-label={`Episodes: ${props.title}`} data-testid="metrics-episodes">
      <thead>
        <tr>
          {EPISODE_HEADERS.map((h) => {
            const active = sort.key === h.key
            return (
              <th key={h.key} className={h.num ? 'num' : undefined} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                <button type="button" className="sort" data-testid={`metrics-sort-${h.key}`} onClick={() => setSort(h.key)}>
                  {h.label}
                  {active ? (sort.dir === 'asc' ? ' ↑' : ' ↓') : ''}
                </button>
              </th>
            )
          })}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={r.episode}
            data-testid={`metrics-episode-row-${r.episode}`}
            data-episode={r.episode}
            data-worst-frame={r.worst?.frame ?? ''}
            tabIndex={0}
            title={r.worst ? `Open episode ${r.episode} at frame ${r.worst.frame} (the event this curve handles worst)` : `Open episode ${r.episode}`}
            onClick={() => open(r)}
            onKeyDown={(e: KeyboardEvent) => {
              if (e.key === 'Enter') {
                e.preventDefault()
                open(r)
              }
            }}
          >
            <td className="num">{r.episode}</td>
            <td className={`outcome-${r.outcome}`}>{r.outcome}</td>
            {METRIC_COLUMNS.map((c) => (
              <td key={c} className="num" data-column={c}>
                {fmt(r.row[c])}
              </td>
            ))}
            <td className="worst">{worstText(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The task's error-type distribution as a small bar list. */
function ErrorTypes(props: { types: TaskTable['errorTypes'] }): ReactNode {
  const max = Math.max(1, ...props.types.map((t) => t.count))
  const total = props.types.reduce((a, t) => a + t.count, 0)
  return (
    <div className="metrics-error-types" data-testid="error-types">
      <h4>Error types</h4>
      {props.types.length === 0 ? (
        <p className="muted">No errors annotated in these episodes.</p>
      ) : (
        <ul>
          {props.types.map((t) => (
            <li key={t.label} data-label={t.label} title={`${t.count} of ${total} errors`}>
              <span className="error-label">{t.label}</span>
              <span className="error-bar">
                <span style={{ width: `${(100 * t.count) / max}%` }} />
              </span>
              <span className="error-count">{t.count}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
