import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { OUTCOMES, REVIEW_STATUSES, type Outcome, type ReviewStatus } from '../../../../app/annotations'
import { shortCameraName } from '../../../../app/dataset'
import type { DatasetSummary, DatasetWarning } from '../../../../app/dataset'
import { STATUS_NAMES } from '../annotations/AnnotationPanel'
import { ExportImportDialog } from '../annotations/ExportImportDialog'
import { TaskOverview } from '../annotations/TaskOverview'
import { MetricsView } from '../metrics/MetricsView'
import { TriageView } from '../triage/TriageView'
import { isTypingTarget } from '../../components/keyboard'
import { matchShortcut } from '../../../../app/shortcuts'
import { ThemeSelect } from '../../components/ThemeSelect'
import { useApp } from '../../state/StoreContext'
import { currentDataset, EVENT_FILTERS, eventCounts, filteredEpisodes, type EventFilter } from './state'
import { rowContext, sortEpisodes } from './episodeColumns'
import { EpisodeTable } from './EpisodeTable'

function OpenDatasetForm(): ReactNode {
  const openDataset = useApp((s) => s.openDataset)
  const opening = useApp((s) => s.opening)
  const [path, setPath] = useState('')
  return (
    <form
      className="open-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (path.trim()) void openDataset(path.trim())
      }}
    >
      <input
        aria-label="Dataset folder"
        placeholder="LeRobot dataset folder, or a Hugging Face repo id (org/name) from the local cache…"
        value={path}
        onChange={(e) => setPath(e.target.value)}
      />
      <button type="submit" disabled={opening || path.trim() === ''}>
        {opening ? 'Opening…' : 'Open'}
      </button>
    </form>
  )
}

export function WarningList(props: { warnings: DatasetWarning[]; title: string }): ReactNode {
  if (props.warnings.length === 0) return null
  return (
    <details className="warnings" open={props.warnings.some((w) => w.level === 'error')}>
      <summary>
        {props.title} ({props.warnings.length})
      </summary>
      <ul>
        {props.warnings.map((w, i) => (
          <li key={i} className={`warning-${w.level}`} data-code={w.code}>
            <span className="warning-level">{w.level}</span> {w.message}
            {w.file ? <code className="warning-file">{w.file}</code> : null}
          </li>
        ))}
      </ul>
    </details>
  )
}

function DatasetHeader(props: { summary: DatasetSummary }): ReactNode {
  const s = props.summary
  const present = s.episodes.filter((e) => e.present).length
  return (
    <div className="dataset-header">
      <h2 title={s.root}>{s.name}</h2>
      <dl className="facts">
        <div><dt>Format</dt><dd>LeRobot {s.format}</dd></div>
        <div><dt>FPS</dt><dd>{s.fps}</dd></div>
        <div><dt>Episodes</dt><dd>{present === s.episodes.length ? present : `${present} of ${s.episodes.length}`}</dd></div>
        <div>
          <dt>Cameras</dt>
          <dd>
            {s.cameras.map((c) => shortCameraName(c.key)).join(', ') || 'none'}
            {(s.missingCameras ?? []).map((c) => (
              <span key={c.key} className="warning-warning" title={c.message} data-testid="missing-camera">
                {' '}
                · {shortCameraName(c.key)} (no video files)
              </span>
            ))}
          </dd>
        </div>
        <div><dt>State</dt><dd>{s.state ? `${s.state.dim}-D` : 'none'}</dd></div>
      </dl>
      <WarningList warnings={s.warnings} title="Dataset warnings" />
    </div>
  )
}

/**
 * This dataset's annotations are in the project of another path (the folder was moved or renamed): until the user
 * chooses, nothing is written for it, so there is never a silent empty twin beside them.
 */
function ReattachBanner(props: { summary: DatasetSummary }): ReactNode {
  const resolveReattach = useApp((s) => s.resolveReattach)
  const [busy, setBusy] = useState(false)
  const offer = props.summary.reattach
  if (!offer) return null
  const choose = (action: 'reattach' | 'fresh'): void => {
    setBusy(true)
    void resolveReattach(action).finally(() => setBusy(false))
  }
  const events = `${offer.annotationCount} event${offer.annotationCount === 1 ? '' : 's'}`
  return (
    <div className="reattach-banner" role="region" aria-label="Annotations found elsewhere">
      <p>
        This dataset&apos;s annotations were found at <code>{offer.previousPath}</code> ({events})
      </p>
      <p className="reattach-detail">
        Project file <code>{offer.projectPath}</code>. Re-attach copies it to this dataset and keeps the file as it is;
        Start fresh leaves it untouched. Nothing is saved for this dataset until you choose.
      </p>
      <div className="reattach-actions">
        <button type="button" disabled={busy} onClick={() => choose('reattach')}>Re-attach</button>
        <button type="button" disabled={busy} onClick={() => choose('fresh')}>Start fresh</button>
      </div>
    </div>
  )
}

const EVENT_FILTER_NAMES: Record<EventFilter, string> = {
  any: 'Any events',
  none: 'No events yet',
  events: 'With events',
  milestones: 'With milestones',
  errors: 'With errors',
}

export function DatasetScreen(): ReactNode {
  const summary = useApp((s) => currentDataset(s))
  const datasets = useApp((s) => s.datasets)
  const taskFilter = useApp((s) => s.taskFilter)
  const textFilter = useApp((s) => s.textFilter)
  const selected = useApp((s) => s.selectedEpisode)
  const outcomeFilter = useApp((s) => s.outcomeFilter)
  const statusFilter = useApp((s) => s.statusFilter)
  const eventFilter = useApp((s) => s.eventFilter)
  const setEventFilter = useApp((s) => s.setEventFilter)
  const project = useApp((s) => s.project)
  const view = useApp((s) => s.screenView)
  const checks = useApp((s) => (s.currentDatasetId === null ? undefined : s.episodeChecks[s.currentDatasetId]))
  const checkEpisodes = useApp((s) => s.checkEpisodes)
  const stopEpisodeChecks = useApp((s) => s.stopEpisodeChecks)
  const { setTaskFilter, setTextFilter, selectEpisode, openEpisode, selectDataset, setOutcomeFilter, setStatusFilter, setScreenView, clearFilters } =
    useApp((s) => s)
  const [dialogOpen, setDialogOpen] = useState(false)
  const searchRef = useRef<HTMLInputElement>(null)
  const listRef = useRef<HTMLTableSectionElement>(null)

  const episodeSort = useApp((s) => s.episodeSort)
  const stats = useApp((s) => s.episodeStats)
  const statsError = useApp((s) => s.episodeStatsError)
  const currentId = summary?.id ?? null
  // Counts change with the project only: rows showing the same counts are not rendered again when checks arrive.
  const counts = useMemo(() => eventCounts(project), [project])
  const ctx = useMemo(() => rowContext(currentId, project, checks, stats, counts), [currentId, project, checks, stats, counts])
  const filtered = useMemo(
    () => (summary ? filteredEpisodes({ taskFilter, textFilter, outcomeFilter, statusFilter, eventFilter, project }, summary) : []),
    [summary, taskFilter, textFilter, outcomeFilter, statusFilter, eventFilter, project],
  )
  const episodes = useMemo(() => sortEpisodes(filtered, episodeSort, ctx), [filtered, episodeSort, ctx])

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || dialogOpen || view !== 'episodes') return
      const id = matchShortcut(e, 'episodes')
      if (id === null) return
      if (id === 'list.filter') {
        if (isTypingTarget(e.target)) return
        e.preventDefault()
        searchRef.current?.focus()
        return
      }
      if (isTypingTarget(e.target) && e.target !== searchRef.current) return
      if (id === 'list.open') {
        if (selected === null) return
        e.preventDefault()
        const ep = episodes.find((x) => x.index === selected)
        if (ep?.present) void openEpisode(selected)
        return
      }
      e.preventDefault()
      if (episodes.length === 0) return
      const at = episodes.findIndex((ep) => ep.index === selected)
      const next = id === 'list.down' ? Math.min(episodes.length - 1, at + 1) : Math.max(0, at - 1)
      selectEpisode(episodes[next]?.index ?? null)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [episodes, selected, selectEpisode, openEpisode, dialogOpen, view])

  useEffect(() => {
    listRef.current?.querySelector('tr[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [selected])

  // Per-episode checks (table, videos, black or frozen cameras) fill the Warnings column in the background, the
  // rows shown first; they stop while the player is open (this screen unmounts) and resume, skipping what is done.
  // Read when a run starts, which is once per dataset: filter changes do not restart it.
  const latest = useRef({ shown: episodes, summary })
  latest.current = { shown: episodes, summary }
  const datasetKey = summary?.id ?? null
  useEffect(() => {
    const { shown, summary: current } = latest.current
    if (datasetKey === null || !current) return
    const first = shown.filter((e) => e.present).map((e) => e.index)
    const seen = new Set(first)
    const rest = current.episodes.filter((e) => e.present && !seen.has(e.index)).map((e) => e.index)
    void checkEpisodes(datasetKey, [...first, ...rest])
    return () => stopEpisodeChecks()
  }, [datasetKey, checkEpisodes, stopEpisodeChecks])

  // The value-curve columns follow the dataset's curves while the list is up, with error triage's drop settings.
  const watchEpisodeStats = useApp((s) => s.watchEpisodeStats)
  const triageWindow = useApp((s) => s.triage.windowSeconds)
  const triageThreshold = useApp((s) => s.triage.threshold)
  useEffect(() => {
    if (datasetKey === null) return
    return watchEpisodeStats(datasetKey, { window: { seconds: triageWindow }, threshold: triageThreshold })
  }, [datasetKey, watchEpisodeStats, triageWindow, triageThreshold])

  return (
    <div className="dataset-screen">
      <header className="topbar">
        <h1>ViVa Studio</h1>
        {datasets.length > 1 ? (
          <select
            aria-label="Dataset"
            value={summary?.id ?? ''}
            onChange={(e) => {
              selectDataset(e.target.value)
              e.target.blur()
            }}
          >
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        ) : null}
        <OpenDatasetForm />
        <ThemeSelect />
      </header>
      {dialogOpen && summary ? <ExportImportDialog summary={summary} onClose={() => setDialogOpen(false)} /> : null}
      {summary ? (
        <main className="dataset-body">
          <DatasetHeader summary={summary} />
          <ReattachBanner summary={summary} />
          <div className="view-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={view === 'episodes'} onClick={() => setScreenView('episodes')}>
              Episodes
            </button>
            <button type="button" role="tab" aria-selected={view === 'overview'} onClick={() => setScreenView('overview')}>
              Overview by task
            </button>
            <button type="button" role="tab" aria-selected={view === 'metrics'} data-testid="metrics-open" onClick={() => setScreenView('metrics')}>
              Metrics
            </button>
            <button type="button" role="tab" aria-selected={view === 'triage'} data-testid="triage-open" onClick={() => setScreenView('triage')}>
              Triage
            </button>
            <button type="button" className="tab-action" onClick={() => setDialogOpen(true)}>
              Export / import…
            </button>
          </div>
          {view === 'overview' ? <TaskOverview summary={summary} /> : null}
          {view === 'metrics' ? <MetricsView /> : null}
          {view === 'triage' ? <TriageView /> : null}
          <div className="filters" hidden={view !== 'episodes'}>
            <input
              ref={searchRef}
              type="search"
              aria-label="Filter episodes"
              placeholder="Filter by episode number or task text  ( / )"
              value={textFilter}
              onChange={(e) => setTextFilter(e.target.value)}
            />
            <select
              aria-label="Task filter"
              value={taskFilter ?? ''}
              onChange={(e) => {
                setTaskFilter(e.target.value === '' ? null : e.target.value)
                // Arrows move through the episode list again once a task is picked.
                e.target.blur()
              }}
            >
              <option value="">All tasks ({summary.tasks.length})</option>
              {summary.tasks.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            <select
              aria-label="Outcome filter"
              value={outcomeFilter ?? ''}
              onChange={(e) => {
                setOutcomeFilter(e.target.value === '' ? null : (e.target.value as Outcome))
                e.target.blur()
              }}
            >
              <option value="">Any outcome</option>
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
            <select
              aria-label="Status filter"
              value={statusFilter ?? ''}
              onChange={(e) => {
                setStatusFilter(e.target.value === '' ? null : (e.target.value as ReviewStatus))
                e.target.blur()
              }}
            >
              <option value="">Any status</option>
              {REVIEW_STATUSES.map((st) => (
                <option key={st} value={st}>
                  {STATUS_NAMES[st]}
                </option>
              ))}
            </select>
            <select
              aria-label="Event filter"
              value={eventFilter}
              onChange={(e) => {
                setEventFilter(e.target.value as EventFilter)
                e.target.blur()
              }}
            >
              {EVENT_FILTERS.map((f) => (
                <option key={f} value={f}>
                  {EVENT_FILTER_NAMES[f]}
                </option>
              ))}
            </select>
            <span className="count" data-testid="episode-count">
              {episodes.length} of {summary.episodes.length} episodes
            </span>
          </div>
          <EpisodeTable
            summary={summary}
            episodes={episodes}
            ctx={ctx}
            hidden={view !== 'episodes'}
            listRef={listRef}
            onClearFilters={clearFilters}
          />
          {view === 'episodes' && statsError ? <p className="muted small">Value-curve columns unavailable: {statsError}</p> : null}
        </main>
      ) : (
        <main className="empty">
          <p>Open a LeRobot dataset folder (v2.0, v2.1 or v3.0) to start.</p>
        </main>
      )}
    </div>
  )
}
