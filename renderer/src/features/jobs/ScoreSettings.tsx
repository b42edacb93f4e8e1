import { useEffect, useState, type ReactNode } from 'react'
import { PROVIDERS, type ModelInfo, type ProviderRequest } from '../../../../app/contract'
import { parseEpisodeList } from '../../../../app/episodeList'
import { toWireError } from '../../../../app/errors'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { currentDataset } from '../datasets/state'
import { MissingCameras } from '../models/MissingCameras'
import { CameraMappingEditor, CompatibilityList, StateMapEditor } from '../models/ModelFit'

export function ScoreSettings(props: { model: ModelInfo }): ReactNode {
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
