import { useEffect, useState, type ReactNode } from 'react'
import type { ModelInfo } from '../../../../app/contract'
import type { WireError } from '../../../../app/errors'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { ImportCurves } from '../curves/ImportCurves'
import { JobList } from '../jobs/JobList'
import { ScoreSettings } from '../jobs/ScoreSettings'

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
        <span className="model-name" title={model.name}>{model.name}</span>
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
