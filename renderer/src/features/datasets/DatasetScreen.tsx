import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { formatDuration } from '../../../../app/dataset'
import type { DatasetSummary, DatasetWarning } from '../../../../app/dataset'
import { isTypingTarget } from '../../components/keyboard'
import { useApp } from '../../state/StoreContext'
import { currentDataset, filteredEpisodes } from '../../state/store'

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
        placeholder="Path to a LeRobot dataset folder…"
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
        <div><dt>Cameras</dt><dd>{s.cameras.map((c) => shortCameraName(c.key)).join(', ') || 'none'}</dd></div>
        <div><dt>State</dt><dd>{s.state ? `${s.state.dim}-D` : 'none'}</dd></div>
      </dl>
      <WarningList warnings={s.warnings} title="Dataset warnings" />
    </div>
  )
}

export function shortCameraName(key: string): string {
  return key.replace(/^observation\.images\./, '')
}

export function DatasetScreen(): ReactNode {
  const summary = useApp((s) => currentDataset(s))
  const datasets = useApp((s) => s.datasets)
  const taskFilter = useApp((s) => s.taskFilter)
  const textFilter = useApp((s) => s.textFilter)
  const selected = useApp((s) => s.selectedEpisode)
  const { setTaskFilter, setTextFilter, selectEpisode, openEpisode, selectDataset } = useApp((s) => s)
  const searchRef = useRef<HTMLInputElement>(null)
  const listRef = useRef<HTMLTableSectionElement>(null)

  const episodes = useMemo(
    () => (summary ? filteredEpisodes({ taskFilter, textFilter }, summary) : []),
    [summary, taskFilter, textFilter],
  )

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return
      if (e.key === '/' && !isTypingTarget(e.target)) {
        e.preventDefault()
        searchRef.current?.focus()
        return
      }
      const inSearch = e.target === searchRef.current
      if (isTypingTarget(e.target) && !inSearch) return
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        if (episodes.length === 0) return
        const at = episodes.findIndex((ep) => ep.index === selected)
        const next = e.key === 'ArrowDown' ? Math.min(episodes.length - 1, at + 1) : Math.max(0, at - 1)
        selectEpisode(episodes[next]?.index ?? null)
      } else if (e.key === 'Enter' && selected !== null) {
        e.preventDefault()
        const ep = episodes.find((x) => x.index === selected)
        if (ep?.present) void openEpisode(selected)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [episodes, selected, selectEpisode, openEpisode])

  useEffect(() => {
    listRef.current?.querySelector('tr[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [selected])

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
      </header>
      {summary ? (
        <main className="dataset-body">
          <DatasetHeader summary={summary} />
          <div className="filters">
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
            <span className="count" data-testid="episode-count">
              {episodes.length} of {summary.episodes.length} episodes
            </span>
          </div>
          <table className="episodes" aria-label="Episodes">
            <thead>
              <tr>
                <th>#</th>
                <th>Task</th>
                <th>Frames</th>
                <th>Duration</th>
                <th>Warnings</th>
              </tr>
            </thead>
            <tbody ref={listRef}>
              {episodes.map((ep) => (
                <tr
                  key={ep.index}
                  aria-selected={ep.index === selected}
                  className={ep.present ? undefined : 'absent'}
                  data-episode={ep.index}
                  onClick={() => selectEpisode(ep.index)}
                  onDoubleClick={() => ep.present && void openEpisode(ep.index)}
                >
                  <td>{ep.index}</td>
                  <td className="task">{ep.tasks.join(' · ')}</td>
                  <td>{ep.length}</td>
                  <td>{formatDuration(ep.length, summary.fps)}</td>
                  <td title={ep.warnings.map((w) => w.message).join('\n')}>
                    {ep.present ? (ep.warnings.length > 0 ? `⚠ ${ep.warnings.length}` : '') : 'missing on disk'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </main>
      ) : (
        <main className="empty">
          <p>Open a LeRobot dataset folder (v2.0, v2.1 or v3.0) to start.</p>
        </main>
      )}
    </div>
  )
}
