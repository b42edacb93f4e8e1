import { useEffect, useState, type ReactNode } from 'react'
import { PROVIDERS, type CameraMatch, type JobInfo, type ModelInfo, type ProviderRequest } from '../../../../app/contract'
import type { CurveImportResult } from '../../../../app/contract'
import { parseEpisodeList } from '../../../../app/episodeList'
import type { WireError } from '../../../../app/errors'
import { toWireError } from '../../../../app/errors'
import { jobActive } from '../jobs/state'
import { useApp } from '../../state/StoreContext'
import { currentDataset } from '../datasets/state'
import { shortCameraName } from '../datasets/DatasetScreen'
import { MissingCameras } from './MissingCameras'

/** Buttons keep the keyboard with the player (Space, arrows) instead of taking focus. */
const keepFocus = (e: React.MouseEvent): void => e.preventDefault()

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

function ModelRow(props: { model: ModelInfo; selected: boolean; onSelect: () => void }): ReactNode {
  const { model } = props
  const invalid = model.error !== null
  return (
    <li
      className={`model-row${invalid ? ' invalid' : ''}`}
      role="option"
      data-testid={`model-row-${model.name}`}
      data-model-id={model.id}
      aria-selected={props.selected}
      aria-disabled={invalid}
      title={model.dir}
      onMouseDown={keepFocus}
      onClick={() => {
        if (!invalid) props.onSelect()
      }}
    >
      <div className="model-title">
        <span className="model-name">{model.name}</span>
        <span className="tag">{model.kind ?? 'invalid'}</span>
        <span className="tag tag-muted">{model.source}</span>
      </div>
      {invalid ? (
        <p className="form-error small">{model.error?.message}</p>
      ) : (
        <p className="muted small">
          {model.cameras.length} camera{model.cameras.length === 1 ? '' : 's'} · {model.stateDim}-D state · {model.imageSize[0]}×
          {model.imageSize[1]} px{model.kind === 'viva-flow' ? ` · horizon ${model.horizon}` : ''}
        </p>
      )}
    </li>
  )
}

function AddModelFolder(): ReactNode {
  const addModelFolder = useApp((s) => s.addModelFolder)
  const [path, setPath] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<WireError | null>(null)
  return (
    <form
      className="add-model"
      onSubmit={(e) => {
        e.preventDefault()
        const p = path.trim()
        if (p === '' || busy) return
        setBusy(true)
        setError(null)
        void addModelFolder(p).then((err) => {
          setBusy(false)
          setError(err)
          if (!err) setPath('')
        })
      }}
    >
      <div className="row">
        <input
          aria-label="Model folder"
          placeholder="Add model folder… (path, Enter)"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') (e.target as HTMLInputElement).blur()
          }}
        />
        <button type="submit" disabled={busy || path.trim() === ''}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
      {error ? (
        <p className="form-error small" data-testid="add-model-error">
          {error.message}
        </p>
      ) : null}
    </form>
  )
}

/** Value curves computed elsewhere (ViVa reference parquet, LeRobot *_progress.parquet, CSV/JSON). */
function ImportCurves(): ReactNode {
  const importCurves = useApp((s) => s.importCurves)
  const datasetId = useApp((s) => s.currentDatasetId)
  const [path, setPath] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ ok: true; result: CurveImportResult } | { ok: false; error: WireError } | null>(null)
  return (
    <form
      className="add-model"
      data-testid="import-curves"
      onSubmit={(e) => {
        e.preventDefault()
        const p = path.trim()
        if (p === '' || busy || datasetId === null) return
        setBusy(true)
        setOutcome(null)
        void importCurves(p).then((r) => {
          setBusy(false)
          setOutcome(r)
          if (r.ok) setPath('')
        })
      }}
    >
      <div className="row">
        <input
          aria-label="Curve file"
          placeholder="Import curves… (.parquet/.csv/.json path, Enter)"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') (e.target as HTMLInputElement).blur()
          }}
        />
        <button type="submit" disabled={busy || path.trim() === '' || datasetId === null}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </div>
      {outcome && !outcome.ok ? (
        <p className="form-error small" data-testid="import-curves-error">
          {outcome.error.message}
        </p>
      ) : null}
      {outcome && outcome.ok ? (
        <div className="muted small" data-testid="import-curves-result">
          Imported {outcome.result.curves.length} curve{outcome.result.curves.length === 1 ? '' : 's'} (
          {new Set(outcome.result.curves.map((c) => c.episode)).size} episodes)
          {outcome.result.warnings.length > 0 ? (
            <ul className="warnings">
              {outcome.result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  )
}

/** How a slot's camera was chosen, in words; a guess by position is one to check. */
const MATCH_TEXT: Record<CameraMatch, string> = { saved: 'your choice', name: 'by name', position: 'by position: check', none: 'none' }

function CameraMappingEditor(props: { model: ModelInfo; cameras: string[] }): ReactNode {
  const map = useApp((s) => s.cameraMap)
  const setCameraSlot = useApp((s) => s.setCameraSlot)
  if (!map || map.modelId !== props.model.id) return <p className="muted small">Loading camera mapping…</p>
  const unmapped = props.model.cameras.filter((slot) => (map.slots[slot] ?? null) === null)
  return (
    <div className="camera-map">
      <div className="muted small">Cameras {map.guessed ? '(guessed: by name where a dataset camera is named like the slot, else by position; change to keep)' : ''}</div>
      {props.model.cameras.map((slot) => {
        const value = map.slots[slot] ?? null
        const how = map.how[slot] ?? 'none'
        return (
          <label key={slot} className={`camera-slot${value === null ? ' unmapped' : ''}`}>
            <span className="slot-name">{slot}</span>
            <select
              aria-label={`Camera for ${slot}`}
              data-slot={slot}
              value={value ?? ''}
              onChange={(e) => {
                void setCameraSlot(slot, e.target.value === '' ? null : e.target.value)
                e.target.blur()
              }}
            >
              <option value="">— none —</option>
              {props.cameras.map((c) => (
                <option key={c} value={c}>
                  {shortCameraName(c)}
                </option>
              ))}
            </select>
            <span className={`tag camera-match camera-match-${how}`} data-testid={`camera-match-${slot}`} data-match={how}>
              {MATCH_TEXT[how]}
            </span>
          </label>
        )
      })}
      {unmapped.length > 0 ? (
        <p className="warning-inline" data-testid="camera-map-warning">
          No dataset camera for {unmapped.join(', ')}: pick one before scoring.
        </p>
      ) : null}
    </div>
  )
}

/** The state map for this dataset and model (grammar in app/modelMapping.ts), saved on Enter, cleared when emptied. */
function StateMapEditor(props: { model: ModelInfo }): ReactNode {
  const check = useApp((s) => (s.modelCheck?.modelId === props.model.id ? s.modelCheck : null))
  const setStateMap = useApp((s) => s.setStateMap)
  const saved = check?.stateMap ?? ''
  const [text, setText] = useState(saved)
  const [error, setError] = useState<WireError | null>(null)
  useEffect(() => setText(saved), [saved])
  if (!check) return null
  const differs = check.datasetStateDim !== check.modelStateDim
  if (!differs && saved === '' && text === '') {
    return (
      <p className="muted small" data-testid="state-map-none">
        State: {check.datasetStateDim} joints in, as the model expects.{' '}
        <button type="button" className="link" onMouseDown={keepFocus} onClick={() => setText(`0-${check.datasetStateDim - 1}`)}>
          Map joints…
        </button>
      </p>
    )
  }
  const commit = (): void => {
    void setStateMap(text).then(setError)
  }
  return (
    <div className="state-map">
      <label className="field">
        <span className="muted small">
          State map ({check.datasetStateDim} → {check.modelStateDim} joints)
        </span>
        <input
          aria-label="State map"
          data-testid="state-map-input"
          placeholder={check.suggestedStateMap ?? 'e.g. 0-5,7,pad:0'}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit()
            if (e.key === 'Escape') (e.target as HTMLInputElement).blur()
          }}
          title="Dataset joints for the model's, in order: N, A-B, joint names, pad:V (a number, or min/max/mid of the model's range). Enter saves; empty clears."
        />
      </label>
      {check.suggestedStateMap && text === '' ? (
        <button type="button" className="link small" data-testid="state-map-suggest" onMouseDown={keepFocus} onClick={() => setText(check.suggestedStateMap ?? '')}>
          Use {check.suggestedStateMap}
        </button>
      ) : null}
      {error ? (
        <p className="form-error small" data-testid="state-map-error">
          {error.message}
        </p>
      ) : null}
    </div>
  )
}

/** What models.check found: errors block Start, warnings and notes are said before scoring. */
function CompatibilityList(props: { model: ModelInfo }): ReactNode {
  const check = useApp((s) => (s.modelCheck?.modelId === props.model.id ? s.modelCheck : null))
  if (!check || check.issues.length === 0) return null
  return (
    <ul className="model-check" data-testid="model-check" data-ok={check.ok} aria-label="Compatibility with this dataset">
      {check.issues.map((i) => (
        <li key={`${i.code}:${i.message}`} className={`check-${i.level} small`} data-level={i.level} data-code={i.code}>
          {i.level === 'error' ? 'Cannot score: ' : i.level === 'warning' ? 'Warning: ' : ''}
          {i.message}
        </li>
      ))}
    </ul>
  )
}

function ScoreSettings(props: { model: ModelInfo }): ReactNode {
  const { model } = props
  const provider = useApp((s) => s.provider)
  const setProvider = useApp((s) => s.setProvider)
  const steps = useApp((s) => s.scoreSteps[model.id] ?? model.defaultSteps)
  const setScoreSteps = useApp((s) => s.setScoreSteps)
  const startScore = useApp((s) => s.startScore)
  const episode = useApp((s) => s.episode)
  const datasetId = useApp((s) => s.currentDatasetId)
  const summary = useApp((s) => currentDataset(s))
  const unmapped = useApp((s) => (s.cameraMap?.modelId === model.id ? model.cameras.some((c) => (s.cameraMap?.slots[c] ?? null) === null) : true))
  // Refused up front when the check found an error (the main side refuses it too: score.start runs the same check).
  const incompatible = useApp((s) => s.modelCheck?.modelId === model.id && !s.modelCheck.ok)
  const refused = useApp((s) => s.scoreRefused)
  const [stepsText, setStepsText] = useState(String(steps))
  const threads = useApp((s) => s.threads)
  const setThreads = useApp((s) => s.setThreads)
  const [threadsText, setThreadsText] = useState(threads === null ? '' : String(threads))
  const [episodesText, setEpisodesText] = useState('')
  const [episodesError, setEpisodesError] = useState<string | null>(null)
  const scoreSelected = (): void => {
    try {
      const list = parseEpisodeList(episodesText, 'Episodes')
      setEpisodesError(null)
      void startScore(list)
    } catch (err) {
      setEpisodesError(toWireError(err).message)
    }
  }
  useEffect(() => setStepsText(String(steps)), [steps])
  const present = summary?.episodes.filter((e) => e.present).length ?? 0
  const canScore = datasetId !== null && !unmapped && !incompatible
  const commitSteps = (): void => {
    const n = Number(stepsText)
    if (Number.isInteger(n) && n >= 1 && n <= 100) setScoreSteps(model.id, n)
    else setStepsText(String(steps))
  }
  return (
    <section className="score-settings" aria-label={`Score with ${model.name}`}>
      <div className="row">
        <label className="field">
          <span className="muted">Provider</span>
          <select
            aria-label="Execution provider"
            value={provider}
            onChange={(e) => {
              setProvider(e.target.value as ProviderRequest)
              e.target.blur()
            }}
          >
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="muted">Threads</span>
          <input
            aria-label="Threads per session"
            className="steps"
            inputMode="numeric"
            placeholder="auto"
            value={threadsText}
            onChange={(e) => setThreadsText(e.target.value.replace(/[^0-9]/g, ''))}
            onBlur={() => {
              const n = Number(threadsText)
              if (threadsText === '') setThreads(null)
              else if (Number.isInteger(n) && n >= 1 && n <= 256) setThreads(n)
              else setThreadsText(threads === null ? '' : String(threads))
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLInputElement).blur()
            }}
          />
        </label>
        {model.kind === 'viva-flow' ? (
          <label className="field">
            <span className="muted">Steps</span>
            <input
              aria-label="Flow steps"
              className="steps"
              inputMode="numeric"
              value={stepsText}
              onChange={(e) => setStepsText(e.target.value.replace(/[^0-9]/g, ''))}
              onBlur={commitSteps}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLInputElement).blur()
              }}
            />
          </label>
        ) : null}
      </div>
      <CameraMappingEditor model={model} cameras={summary?.cameras.map((c) => c.key) ?? []} />
      <MissingCameras summary={summary} />
      <StateMapEditor model={model} />
      <CompatibilityList model={model} />
      <div className="row score-buttons">
        <span className="muted">Score</span>
        <button
          type="button"
          data-testid="score-episode"
          disabled={!canScore || !episode}
          onMouseDown={keepFocus}
          onClick={() => void startScore('episode')}
          title="Score the open episode"
        >
          This episode{episode ? ` (${episode.index})` : ''}
        </button>
        <button
          type="button"
          data-testid="score-all"
          disabled={!canScore}
          onMouseDown={keepFocus}
          onClick={() => void startScore('all')}
          title="Score every present episode of the dataset"
        >
          All episodes ({present})
        </button>
      </div>
      <div className="row score-buttons">
        <input
          aria-label="Episodes to score"
          data-testid="score-episodes-input"
          placeholder="Episodes, e.g. 0,3-7"
          value={episodesText}
          onChange={(e) => setEpisodesText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') scoreSelected()
            if (e.key === 'Escape') (e.target as HTMLInputElement).blur()
          }}
        />
        <button
          type="button"
          data-testid="score-selected"
          disabled={!canScore || episodesText.trim() === ''}
          onMouseDown={keepFocus}
          onClick={scoreSelected}
          title="Score the listed episodes"
        >
          Selected episodes
        </button>
      </div>
      {episodesError ? <p className="form-error small">{episodesError}</p> : null}
      {refused ? (
        <p className="form-error small" data-testid="score-refused">
          {refused.message}
        </p>
      ) : null}
    </section>
  )
}

function JobRow(props: { job: JobInfo; datasetName: string | null }): ReactNode {
  const { job } = props
  const pauseJob = useApp((s) => s.pauseJob)
  const cancelJob = useApp((s) => s.cancelJob)
  const active = jobActive(job)
  const fraction = job.framesTotal > 0 ? job.framesDone / job.framesTotal : 0
  const scope = job.episodes.length === 1 ? `episode ${job.episodes[0]}` : `${job.episodes.length === 0 ? 'all' : job.episodes.length} episodes`
  return (
    <li className={`job-row job-${job.state}`} data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <div className="row">
        <span className="model-name">{job.modelName}</span>
        <span className={`tag job-state job-state-${job.state}`}>{job.state}</span>
        <span className="muted small grow">
          {scope}
          {props.datasetName ? ` · ${props.datasetName}` : ''}
          {job.episode !== null && job.episodes.length !== 1 ? ` · now ${job.episode} (${job.episodesDone}/${job.episodes.length || '…'} done)` : ''}
        </span>
      </div>
      <div className="row">
        <progress max={1} value={fraction} aria-label="Job progress" />
        <span className="job-progress" data-testid="job-progress">
          {job.framesDone}/{job.framesTotal}
        </span>
      </div>
      <div className="row muted small">
        <span>{job.framesPerSecond.toFixed(1)} frames/s</span>
        <span>ETA {active ? formatEta(job.etaSeconds) : '—'}</span>
        {job.framesResumed > 0 ? <span>{job.framesResumed} reused</span> : null}
        <span className="grow">
          {job.provider ? `on ${job.provider.active}${job.provider.threads > 0 ? ` · ${job.provider.threads} thread${job.provider.threads === 1 ? '' : 's'}` : ''}` : ''}
        </span>
        <span>
          {job.steps > 0 ? `${job.steps} steps · ` : ''}seed {job.seed}
        </span>
      </div>
      {job.provider?.fallbackReason ? (
        <p className="warning-inline" data-testid="job-fallback">
          Asked for {job.provider.requested}, running on {job.provider.active}: {job.provider.fallbackReason}
        </p>
      ) : null}
      {job.warnings.length > 0 ? (
        <ul className="warning-inline job-warnings" data-testid="job-warnings">
          {job.warnings.map((w) => (
            <li key={w} className="small">
              {w}
            </li>
          ))}
        </ul>
      ) : null}
      {job.error ? (
        <p className="form-error small" data-testid="job-error">
          {job.error.message}
        </p>
      ) : null}
      {job.episodeErrors.length > 0 ? (
        <details className="episode-errors">
          <summary className="form-error small">
            {job.episodeErrors.length} episode{job.episodeErrors.length === 1 ? '' : 's'} failed
          </summary>
          <ul>
            {job.episodeErrors.map((e) => (
              <li key={e.episode} className="small">
                episode {e.episode}: {e.error.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {active ? (
        <div className="row job-buttons">
          <button
            type="button"
            data-testid="job-pause"
            onMouseDown={keepFocus}
            onClick={() => void pauseJob(job.id, job.state !== 'paused')}
          >
            {job.state === 'paused' ? 'Resume' : 'Pause'}
          </button>
          <button type="button" data-testid="job-cancel" onMouseDown={keepFocus} onClick={() => void cancelJob(job.id)}>
            Cancel
          </button>
        </div>
      ) : null}
    </li>
  )
}

function JobList(): ReactNode {
  const jobs = useApp((s) => s.jobs)
  const datasets = useApp((s) => s.datasets)
  const currentId = useApp((s) => s.currentDatasetId)
  if (jobs.length === 0) return <p className="muted small">No scoring jobs yet.</p>
  return (
    <ol className="job-list" aria-label="Scoring jobs">
      {[...jobs].reverse().map((job) => (
        <JobRow
          key={job.id}
          job={job}
          datasetName={job.datasetId === currentId ? null : (datasets.find((d) => d.id === job.datasetId)?.name ?? job.datasetId)}
        />
      ))}
    </ol>
  )
}

/** Model packages, scoring settings for the selected one, and the jobs running or done. */
export function ModelsPanel(): ReactNode {
  const models = useApp((s) => s.models)
  const loaded = useApp((s) => s.modelsLoaded)
  const selectedId = useApp((s) => s.selectedModelId)
  const selectModel = useApp((s) => s.selectModel)
  const loadModels = useApp((s) => s.loadModels)
  const loadJobs = useApp((s) => s.loadJobs)
  const loadCameraMap = useApp((s) => s.loadCameraMap)
  const datasetId = useApp((s) => s.currentDatasetId)
  const mapDatasetId = useApp((s) => s.cameraMap?.datasetId ?? null)

  useEffect(() => {
    void loadModels()
    void loadJobs()
  }, [loadModels, loadJobs])

  // Mappings are per dataset: follow the dataset the player shows.
  useEffect(() => {
    if (loaded && mapDatasetId !== null && mapDatasetId !== datasetId) void loadCameraMap()
  }, [datasetId, mapDatasetId, loaded, loadCameraMap])

  const selected = models.find((m) => m.id === selectedId && m.error === null) ?? null
  return (
    <aside className="models-panel" data-testid="models-panel" aria-label="Models">
      <section>
        <h3>Models</h3>
        {!loaded ? <p className="muted small">Loading models…</p> : null}
        {loaded && models.length === 0 ? <p className="muted small">No model packages found.</p> : null}
        <ul className="model-list" role="listbox" aria-label="Model packages">
          {models.map((m) => (
            <ModelRow key={`${m.dir}|${m.id}`} model={m} selected={m.id === selectedId && m.error === null} onSelect={() => selectModel(m.id)} />
          ))}
        </ul>
        <AddModelFolder />
      </section>
      {selected ? <ScoreSettings model={selected} /> : null}
      <section>
        <h3>Curves from elsewhere</h3>
        <ImportCurves />
      </section>
      <section>
        <h3>Jobs</h3>
        <JobList />
      </section>
    </aside>
  )
}
