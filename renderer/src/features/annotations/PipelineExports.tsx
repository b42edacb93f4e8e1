/**
 * The export dialog's *Training pipelines* section: the files LeRobot, RLinf and Label Studio read as they are
 * (pipelines.export, the service `viva export --format …` runs too), and a Label Studio timeline imported back as
 * milestones (pipelines.importLabelStudio, previewed by a dry run first).
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'
import {
  IMPORT_MODES,
  MAX_INLINE_IMPORT_CHARS,
  PIPELINE_FORMAT_NAMES,
  PIPELINE_FORMATS,
  type ExportFilters,
  type ImportMode,
  type LabelStudioImportSummary,
  type PipelineExportRequest,
  type PipelineExportResult,
  type PipelineFormat,
  type PipelineProgress,
  type PipelineSeries,
  type SarmImportSummary,
} from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { toWireError } from '../../../../app/errors'
import { uploadFile } from '../../../../app/upload'
import { useClient } from '../../state/StoreContext'
import { SeriesOptions } from '../../components/SeriesOptions'
import { newId } from '../../state/newId'

/** Formats whose output is a copy of the dataset: every episode goes in, the filters do not apply. */
const COPIES: ReadonlySet<PipelineFormat> = new Set(['rlinf', 'lerobot-language', 'lerobot-sarm'])

function defaultOut(root: string, format: PipelineFormat, copy: boolean): string {
  switch (format) {
    case 'lerobot-progress':
      return `${root}-progress`
    case 'success-flags':
      return copy ? `${root}-with-success` : `${root}-success`
    case 'rlinf':
      return `${root}-rlinf`
    case 'label-studio':
      return `${root}-label-studio.json`
    case 'lerobot-language':
      return `${root}-language`
    case 'lerobot-sarm':
      return `${root}-sarm`
  }
}


/** The error as the main side gave it: its code and message. */
function errorText(err: unknown): string {
  const wire = toWireError(err)
  return `${wire.code}: ${wire.message}`
}

function importSummaryText(s: LabelStudioImportSummary): string {
  const parts = [`${s.milestonesAdded} milestones added, ${s.milestonesRemoved} removed, ${s.milestonesKept} already there in ${s.episodes} episodes`]
  if (s.unknownLabels.length > 0) parts.push(`labels not in the taxonomy (imported as written): ${s.unknownLabels.join(', ')}`)
  if (s.ignoredResults > 0) parts.push(`${s.ignoredResults} results of other types skipped`)
  if (s.unannotatedTasks > 0) parts.push(`${s.unannotatedTasks} tasks without an annotation skipped`)
  return parts.join('; ')
}

export function PipelineExports(props: { summary: DatasetSummary; filters: () => ExportFilters }): ReactNode {
  const client = useClient()
  const datasetId = props.summary.id
  const [format, setFormat] = useState<PipelineFormat>('lerobot-progress')
  const [seriesList, setSeriesList] = useState<PipelineSeries[]>([])
  const [series, setSeries] = useState('')
  const [proportions, setProportions] = useState<'dataset' | 'uniform'>('dataset')
  const [copy, setCopy] = useState(false)
  const [unknownAsFailure, setUnknownAsFailure] = useState(false)
  const [tag, setTag] = useState('viva')
  const [kText, setKText] = useState('')
  const [percentText, setPercentText] = useState('30')
  const [scope, setScope] = useState<'dataset' | 'task'>('dataset')
  const [failureReward, setFailureReward] = useState('')
  const [sft, setSft] = useState(false)
  const [videoUrl, setVideoUrl] = useState('')
  const [out, setOut] = useState(defaultOut(props.summary.root, 'lerobot-progress', false))
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<PipelineExportResult | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [cancelled, setCancelled] = useState<string | null>(null)
  /** The running export: its token (to pick its own progress events) and how to cancel it. */
  const running = useRef<{ token: string; abort: AbortController } | null>(null)
  const [progress, setProgress] = useState<PipelineProgress | null>(null)

  useEffect(
    () =>
      client.on('pipelines.progress', (p) => {
        if (running.current !== null && p.token === running.current.token) setProgress(p)
      }),
    [client],
  )
  // Closing the dialog while a copy runs cancels it: nothing would show its end.
  useEffect(() => () => running.current?.abort.abort(), [])

  useEffect(() => {
    let live = true
    void client
      .call('pipelines.series', { datasetId })
      .then((list) => {
        if (!live) return
        setSeriesList(list)
        setSeries((s) => (s === '' && list[0] ? list[0].key : s))
      })
      .catch((err: unknown) => live && setError(errorText(err)))
    return () => {
      live = false
    }
  }, [client, datasetId])

  const choose = (next: PipelineFormat, nextCopy = copy): void => {
    setFormat(next)
    setCopy(nextCopy)
    setOut(defaultOut(props.summary.root, next, nextCopy))
    setResult(null)
    setError(null)
  }

  const request = (): PipelineExportRequest => {
    const filtered = !COPIES.has(format) && !(format === 'success-flags' && copy)
    const base = { datasetId, out, ...(filtered ? { filters: props.filters() } : {}) }
    const unknown = unknownAsFailure ? ('failure' as const) : ('error' as const)
    switch (format) {
      case 'lerobot-progress':
        return { ...base, format, proportions, ...(series !== '' ? { series } : {}) }
      case 'success-flags':
        return { ...base, format, copy, unknown }
      case 'rlinf':
        return {
          ...base,
          format,
          series,
          tag,
          failureReward: Number(failureReward),
          scope,
          positiveFraction: Number(percentText) / 100,
          datasetType: sft ? 'sft' : 'rollout',
          unknown,
          ...(kText !== '' ? { k: Number(kText) } : {}),
        }
      case 'label-studio':
        return { ...base, format, ...(videoUrl.trim() !== '' ? { videoUrl: videoUrl.trim() } : {}) }
      case 'lerobot-language':
        return { ...base, format }
      case 'lerobot-sarm':
        return { ...base, format, proportions }
    }
  }

  const runExport = (): void => {
    setResult(null)
    setCancelled(null)
    if (format === 'rlinf' && !Number.isFinite(Number(failureReward.trim() === '' ? Number.NaN : failureReward))) {
      setError('INVALID_ARGUMENT: enter the failure reward, the reward of a failed episode\'s last step (RLinf has no default; e.g. -300)')
      return
    }
    const token = newId()
    const abort = new AbortController()
    running.current = { token, abort }
    setBusy(true)
    setError(null)
    setProgress(null)
    const mine = (): boolean => running.current?.token === token
    void client
      .call('pipelines.export', { ...request(), token }, abort.signal)
      .then((r) => mine() && setResult(r))
      .catch((err: unknown) => {
        if (!mine()) return
        const wire = toWireError(err)
        // The user asked for it: said as what happened, not as an error.
        if (wire.code === 'CANCELLED' || abort.signal.aborted) setCancelled(wire.code === 'CANCELLED' ? wire.message : `Cancelled; nothing was written to ${out}`)
        else setError(errorText(err))
      })
      .finally(() => {
        if (!mine()) return
        running.current = null
        setBusy(false)
        setProgress(null)
      })
  }

  const cancelExport = (): void => running.current?.abort.abort()

  const needsSeries = format === 'rlinf' || format === 'lerobot-progress'
  return (
    <section aria-label="Training pipelines" data-testid="pipeline-exports">
      <h2>Training pipelines</h2>
      <div className="row">
        <select aria-label="Pipeline format" data-testid="pipeline-format" value={format} onChange={(e) => choose(e.target.value as PipelineFormat)}>
          {PIPELINE_FORMATS.map((f) => (
            <option key={f} value={f}>
              {PIPELINE_FORMAT_NAMES[f]}
            </option>
          ))}
        </select>
        {needsSeries ? (
          <label>
            Values{' '}
            <select aria-label="Value series" data-testid="pipeline-series" value={series} onChange={(e) => setSeries(e.target.value)}>
              {format === 'lerobot-progress' ? <option value="">none (annotations only)</option> : null}
              {seriesList.length === 0 && format === 'rlinf' ? <option value="">(no complete curves: score or import first)</option> : null}
              <SeriesOptions series={seriesList} />
            </select>
          </label>
        ) : null}
      </div>
      <div className="row">
        {format === 'lerobot-progress' || format === 'lerobot-sarm' ? (
          <label>
            Stage proportions{' '}
            <select aria-label="Stage proportions" value={proportions} onChange={(e) => setProportions(e.target.value as 'dataset' | 'uniform')}>
              <option value="dataset">from the annotated durations</option>
              <option value="uniform">equal</option>
            </select>
          </label>
        ) : null}
        {format === 'success-flags' ? (
          <label className="check">
            <input type="checkbox" checked={copy} onChange={(e) => choose(format, e.target.checked)} /> Copy of the dataset with the flags in its data files
          </label>
        ) : null}
        {format === 'rlinf' ? (
          <>
            <label>
              Tag <input aria-label="RLinf tag" value={tag} size={10} onChange={(e) => setTag(e.target.value)} />
            </label>
            <label>
              K <input aria-label="Advantage horizon K (frames)" inputMode="numeric" placeholder="auto" size={5} value={kText} onChange={(e) => setKText(e.target.value.replace(/\D/g, ''))} />
            </label>
            <label>
              top % <input aria-label="Advantage-positive share (percent)" inputMode="decimal" size={4} value={percentText} onChange={(e) => setPercentText(e.target.value)} />
            </label>
            <select aria-label="Threshold scope" value={scope} onChange={(e) => setScope(e.target.value as 'dataset' | 'task')}>
              <option value="dataset">one threshold (RLinf)</option>
              <option value="task">per task</option>
            </select>
            <label>
              Failure reward <input aria-label="Failure reward" placeholder="e.g. -300" size={6} value={failureReward} onChange={(e) => setFailureReward(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={sft} onChange={(e) => setSft(e.target.checked)} /> SFT (all successes)
            </label>
          </>
        ) : null}
        {format === 'success-flags' || format === 'rlinf' ? (
          <label className="check">
            <input type="checkbox" checked={unknownAsFailure} onChange={(e) => setUnknownAsFailure(e.target.checked)} /> Count unknown outcomes as failures
          </label>
        ) : null}
        {format === 'label-studio' ? (
          <input aria-label="Video URL template" className="grow" placeholder="/data/local-files/?d=episode_{episode6}.mp4" value={videoUrl} onChange={(e) => setVideoUrl(e.target.value)} />
        ) : null}
      </div>
      {COPIES.has(format) || (format === 'success-flags' && copy) ? <p className="muted">A copy of the dataset with every episode: the filters above do not apply.</p> : null}
      <div className="row">
        <input aria-label="Pipeline output path" data-testid="pipeline-out" className="grow" value={out} onChange={(e) => setOut(e.target.value)} />
        <button type="button" className="primary" data-testid="pipeline-export" disabled={busy || out.trim() === ''} onClick={runExport}>
          {busy ? 'Writing…' : 'Export'}
        </button>
        {busy ? (
          <button type="button" data-testid="pipeline-cancel" onClick={cancelExport}>
            Cancel
          </button>
        ) : null}
      </div>
      {busy && progress && progress.total > 0 ? (
        <div className="row">
          <progress className="grow" max={progress.total} value={progress.done} aria-label="Export progress" />
          <span data-testid="pipeline-progress">
            {progress.done}/{progress.total} files
          </span>
          <span className="muted">(closing this dialog cancels the copy)</span>
        </div>
      ) : null}
      {cancelled ? (
        <p role="status" className="muted" data-testid="pipeline-cancelled">
          {cancelled}
        </p>
      ) : null}
      {result ? (
        <div role="status" data-testid="pipeline-result">
          <p>
            Wrote {result.paths.join(', ')} ({result.episodes} episodes, {result.frames} frames)
          </p>
          {result.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
          <p className="muted">{result.usage}</p>
        </div>
      ) : null}
      {error ? (
        <p className="form-error" role="alert" data-testid="pipeline-error">
          {error}
        </p>
      ) : null}
      <LabelStudioImport datasetId={datasetId} />
      <SarmImport datasetId={datasetId} />
    </section>
  )
}

/**
 * Check (a dry run), then import: the state both milestone imports share. `run` calls the main side; `done` says
 * what an import changed.
 */
function useCheckThenImport<S>(run: (dryRun: boolean) => Promise<S>, done: (s: S) => string) {
  const [preview, setPreview] = useState<S | null>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const act = (dryRun: boolean): void => {
    setError(null)
    setMessage(null)
    void run(dryRun)
      .then((s) => {
        if (dryRun) setPreview(s)
        else {
          setPreview(null)
          setMessage(done(s))
        }
      })
      .catch((err: unknown) => setError(errorText(err)))
  }
  const reset = (): void => {
    setPreview(null)
    setError(null)
    setMessage(null)
  }
  return { preview, setPreview, message, error, act, reset }
}

/** What a check found, what an import did, or why either failed. */
function ImportOutcome(props: { preview: ReactNode; message: string | null; error: string | null; ids: { preview: string; message?: string; error: string } }): ReactNode {
  return (
    <>
      {props.preview !== null ? (
        <p role="status" data-testid={props.ids.preview}>
          {props.preview}
        </p>
      ) : null}
      {props.message ? (
        <p role="status" className="muted" data-testid={props.ids.message}>
          {props.message}
        </p>
      ) : null}
      {props.error ? (
        <p className="form-error" role="alert" data-testid={props.ids.error}>
          {props.error}
        </p>
      ) : null}
    </>
  )
}

/** A Label Studio JSON export of TimelineLabels back as milestones: preview (dry run), then apply. */
function LabelStudioImport(props: { datasetId: string }): ReactNode {
  const client = useClient()
  const [file, setFile] = useState<File | null>(null)
  const [mode, setMode] = useState<ImportMode>('merge')
  const run = async (dryRun: boolean): Promise<LabelStudioImportSummary> => {
    if (!file) throw new Error('choose a file')
    // Small files go inline; larger ones by upload, freed after a preview (an import frees its own).
    if (file.size <= MAX_INLINE_IMPORT_CHARS) {
      return client.call('pipelines.importLabelStudio', { datasetId: props.datasetId, name: file.name, text: await file.text(), mode, dryRun })
    }
    const uploadId = await uploadFile(client, { name: file.name, size: file.size, read: async (at, n) => new Uint8Array(await file.slice(at, at + n).arrayBuffer()) })
    try {
      return await client.call('pipelines.importLabelStudio', { datasetId: props.datasetId, name: file.name, uploadId, mode, dryRun })
    } finally {
      if (dryRun) void client.call('upload.discard', { uploadId }).catch(() => undefined)
    }
  }
  const { preview, setPreview, message, error, act, reset } = useCheckThenImport(run, (s) => `Imported ${file?.name ?? ''}: ${importSummaryText(s)}`)

  return (
    <>
      <div className="row">
        <span className="muted">Label Studio timeline → milestones</span>
        <input
          type="file"
          aria-label="Label Studio file"
          data-testid="label-studio-file"
          accept=".json,application/json"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null)
            reset()
          }}
        />
        {IMPORT_MODES.map((m) => (
          <label key={m}>
            <input
              type="radio"
              name="label-studio-mode"
              checked={mode === m}
              onChange={() => {
                setMode(m)
                setPreview(null)
              }}
            />{' '}
            {m}
          </label>
        ))}
        {/* Named apart from the annotation import's Preview / Apply import above. */}
        <button type="button" disabled={!file} onClick={() => act(true)}>
          Check timeline
        </button>
        <button type="button" className="primary" disabled={!file || !preview} onClick={() => act(false)}>
          Import timeline
        </button>
      </div>
      <ImportOutcome
        preview={preview ? `Check (${mode}): ${importSummaryText(preview)}` : null}
        message={message}
        error={error}
        ids={{ preview: 'label-studio-preview', error: 'label-studio-error' }}
      />
    </>
  )
}

function sarmSummaryText(s: SarmImportSummary): string {
  const created = s.taxonomiesCreated.length > 0 ? `; new taxonomy (${s.stages.join(', ')}) for ${s.taxonomiesCreated.map((t) => `"${t}"`).join(', ')}` : ''
  return `${importSummaryText({ ...s, unannotatedTasks: 0 })}${s.unannotatedTasks > 0 ? `; ${s.unannotatedTasks} episodes without subtasks skipped` : ''}${created}`
}

/** The dataset's own SARM subtask annotations (LeRobot's VLM annotator) as milestones: check, then import. */
function SarmImport(props: { datasetId: string }): ReactNode {
  const client = useClient()
  const [mode, setMode] = useState<ImportMode>('merge')
  const { preview, setPreview, message, error, act } = useCheckThenImport(
    (dryRun) => client.call('pipelines.importSarm', { datasetId: props.datasetId, mode, dryRun }),
    (s) => `Imported the SARM ${s.head} annotations: ${sarmSummaryText(s)}`,
  )
  return (
    <>
      <div className="row">
        <span className="muted">SARM subtasks in the dataset → milestones</span>
        <select
          aria-label="SARM import mode"
          value={mode}
          onChange={(e) => {
            setMode(e.target.value as ImportMode)
            setPreview(null)
          }}
        >
          {IMPORT_MODES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <button type="button" data-testid="sarm-check" onClick={() => act(true)}>
          Check SARM subtasks
        </button>
        <button type="button" className="primary" data-testid="sarm-import" disabled={!preview} onClick={() => act(false)}>
          Import SARM subtasks
        </button>
      </div>
      <ImportOutcome
        preview={preview ? `Check (${preview.head}, ${mode}): ${sarmSummaryText(preview)}` : null}
        message={message}
        error={error}
        ids={{ preview: 'sarm-preview', message: 'sarm-imported', error: 'sarm-error' }}
      />
    </>
  )
}
