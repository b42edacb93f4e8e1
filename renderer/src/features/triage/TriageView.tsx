import { useEffect, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react'
import type { TriageReport } from '../../../../app/triage'
import { describeSpan, formatSeconds } from '../../../../app/timeSpan'
import { matchShortcut } from '../../../../app/shortcuts'
import { isTypingTarget } from '../../components/keyboard'
import { useApp, useAppStore, useClient } from '../../state/StoreContext'
import { currentDrop, shownTriage } from './state'
import './triage.css'
import { useRefreshOnChange } from '../../components/useRefreshOnChange'
import { SeriesOptions } from '../../components/SeriesOptions'

/** Recompute this long after the last change of curves or annotations (as the metrics view). */
/** Rows drawn at once; the rest are counted (N still walks through all of them). */
const MAX_ROWS = 500

/**
 * Error triage: every drop of a value-curve series over the dataset, largest first, each marked against the
 * annotated errors; a click (or N / Shift+N, here and in the player) opens the episode at the drop.
 */
export function TriageView(): ReactNode {
  const store = useAppStore()
  const client = useClient()
  const datasetId = useApp((s) => s.currentDatasetId)
  const report = useApp(shownTriage)
  const loading = useApp((s) => s.triage.loading)
  const error = useApp((s) => s.triage.error)
  const cursor = useApp((s) => s.triage.cursor)
  const openDrop = useApp((s) => s.openDrop)

  useEffect(() => {
    if (datasetId !== null) void store.getState().loadTriage()
  }, [datasetId, store])
  useRefreshOnChange(client, datasetId, () => void store.getState().loadTriage())

  // N / Shift+N open the next / previous drop in the player, as they do there.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || isTypingTarget(e.target)) return
      const id = matchShortcut(e, 'triage')
      if (id === null) return
      e.preventDefault()
      void store.getState().jumpDrop(id === 'drop.prev' ? -1 : 1)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [store])

  return (
    <section className="triage-view" data-testid="triage-view" aria-label="Error triage" aria-busy={loading} data-loading={loading ? 'true' : 'false'}>
      <TriageControls report={report} loading={loading} />
      {error ? (
        <p className="form-error" role="alert" data-testid="triage-error">
          Triage could not be computed: {error}
        </p>
      ) : null}
      {report ? <TriageSummary report={report} /> : <p className="muted">{loading ? 'Ranking drops…' : ''}</p>}
      {report && report.drops.length > 0 ? (
        <table className="triage-table" data-testid="triage-table" aria-label="Drops, largest first">
          <thead>
            <tr>
              <th className="num">#</th>
              <th className="num">Episode</th>
              <th className="num">Frame</th>
              <th className="num">Time</th>
              <th className="num" title="Mean before − mean after, in progress units">
                Drop
              </th>
              <th title="Whether an annotated error lies within the tolerance (— : episode not annotated)">Annotated error</th>
            </tr>
          </thead>
          <tbody>
            {report.drops.slice(0, MAX_ROWS).map((d, i) => (
              <tr
                key={`${d.episode}:${d.frame}`}
                data-testid={`triage-row-${i}`}
                data-episode={d.episode}
                data-frame={d.frame}
                data-matched={d.matched === null ? '' : String(d.matched)}
                aria-selected={i === cursor}
                tabIndex={0}
                title={`Open episode ${d.episode} at frame ${d.frame}`}
                onClick={() => void openDrop(i)}
                onKeyDown={(e: ReactKeyboardEvent) => {
                  if (e.key === 'Enter') {
                    e.preventDefault()
                    void openDrop(i)
                  }
                }}
              >
                <td className="num">{i + 1}</td>
                <td className="num">{d.episode}</td>
                <td className="num">{d.frame}</td>
                <td className="num">{formatSeconds(d.frame / report.fps)} s</td>
                <td className="num">{d.size.toFixed(3)}</td>
                <td className={d.matched === null ? 'muted' : d.matched ? 'triage-hit' : 'triage-miss'}>{d.matched === null ? '—' : d.matched ? '✓ error' : '✗ none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report && report.drops.length > MAX_ROWS ? (
        <p className="muted">
          Showing the largest {MAX_ROWS} of {report.drops.length} drops; N walks through all of them.
        </p>
      ) : null}
    </section>
  )
}

function TriageControls(props: { report: TriageReport | null; loading: boolean }): ReactNode {
  const t = useApp((s) => s.triage)
  const setOptions = useApp((s) => s.setTriageOptions)
  const load = useApp((s) => s.loadTriage)
  const [windowText, setWindowText] = useState(formatSeconds(t.windowSeconds))
  const [thresholdText, setThresholdText] = useState(String(t.threshold))
  const seriesList = props.report?.seriesList ?? []
  return (
    <div className="triage-controls">
      <label className="field">
        Series
        <select
          data-testid="triage-series"
          aria-label="Series to rank"
          value={props.report?.series ?? t.series ?? ''}
          onChange={(e) => {
            setOptions({ series: e.target.value === '' ? null : e.target.value })
            e.target.blur()
          }}
        >
          {seriesList.length === 0 ? <option value="">(no complete curves)</option> : null}
          <SeriesOptions series={seriesList} />
        </select>
      </label>
      <label className="field" title="Time before and after a frame over which the fall of the curve's mean is measured (frames at the dataset's fps)">
        window
        <input
          type="number"
          data-testid="triage-window"
          aria-label="Drop window in seconds"
          min={0.01}
          step={0.1}
          value={windowText}
          onChange={(e) => {
            setWindowText(e.target.value)
            const n = Number(e.target.value)
            if (e.target.value.trim() !== '' && n > 0) setOptions({ windowSeconds: n })
          }}
        />
        s
      </label>
      <label className="field" title="Smallest fall of the curve's mean (progress units) that counts as a drop">
        drop ≥
        <input
          type="number"
          data-testid="triage-threshold"
          aria-label="Smallest drop"
          min={0.005}
          step={0.01}
          value={thresholdText}
          onChange={(e) => {
            setThresholdText(e.target.value)
            const n = Number(e.target.value)
            if (e.target.value.trim() !== '' && n > 0) setOptions({ threshold: n })
          }}
        />
      </label>
      <button type="button" data-testid="triage-refresh" onClick={() => void load()} disabled={props.loading}>
        {props.loading ? 'Ranking…' : 'Refresh'}
      </button>
      <span className="muted small">
        <kbd>N</kbd> / <kbd>Shift</kbd>+<kbd>N</kbd>: next / previous drop in the player
      </span>
    </div>
  )
}

function TriageSummary(props: { report: TriageReport }): ReactNode {
  const r = props.report
  const name = r.seriesList.find((s) => s.key === r.series)?.name ?? '—'
  const episodes = new Set(r.drops.map((d) => d.episode)).size
  return (
    <p className="triage-summary" data-testid="triage-summary">
      <strong>{r.drops.length}</strong> drop{r.drops.length === 1 ? '' : 's'} in {episodes} of {r.episodes} episodes of <strong>{name}</strong> (window{' '}
      {describeSpan(r.window)}, drop ≥ {r.threshold}).{' '}
      {r.score ? (
        <span data-testid="triage-score" data-precision={r.score.precision} data-recall={r.score.recall}>
          Against annotated errors: <strong>P {r.score.precision.toFixed(2)} / R {r.score.recall.toFixed(2)}</strong> on {r.score.episodes} annotated episode
          {r.score.episodes === 1 ? '' : 's'} ({r.score.tp} of {r.score.drops} drops at one of {r.score.errors} errors, ±{r.tolerance.frames} frames ={' '}
          {formatSeconds(r.tolerance.seconds)} s).
        </span>
      ) : (
        <span className="muted">No annotated episode to judge the drops against.</span>
      )}
    </p>
  )
}

/** In the player's header while a triage ranking exists: which drop this is, and the keys. */
export function TriageBadge(): ReactNode {
  const report = useApp(shownTriage)
  const cursor = useApp((s) => s.triage.cursor)
  const drop = useApp(currentDrop)
  if (!report || report.drops.length === 0) return null
  return (
    <span className="triage-badge muted" data-testid="triage-badge" title="Error triage: N / Shift+N open the next / previous drop">
      drop {cursor >= 0 ? cursor + 1 : '–'}/{report.drops.length}
      {drop ? ` (episode ${drop.episode}, frame ${drop.frame})` : ''} · <kbd>N</kbd>
    </span>
  )
}
