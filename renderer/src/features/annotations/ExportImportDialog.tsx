import { useEffect, useRef, useState, type ReactNode } from 'react'
import { OUTCOMES, REVIEW_STATUSES, type Outcome, type ReviewStatus } from '../../../../app/annotations'
import type { ExportFilters, ExportFormat, ImportMode, ImportSummary } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { VivaError } from '../../../../app/errors'
import { uploadFile } from '../../../../app/upload'
import { useApp, useClient } from '../../state/StoreContext'
import { STATUS_NAMES } from './AnnotationPanel'
import { downloadText as download } from '../../components/download'
import { exportTarget } from './exportTarget'
import { PipelineExports } from './PipelineExports'

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value]
}


/** Export the labeled evaluation set (JSON, CSV, LeRobot sidecar) with filters; import JSON after a preview. */
export function ExportImportDialog(props: { summary: DatasetSummary; onClose: () => void }): ReactNode {
  const client = useClient()
  const pushError = useApp((s) => s.pushError)
  const [format, setFormat] = useState<ExportFormat>('json')
  const [tasks, setTasks] = useState<string[]>([])
  const [outcomes, setOutcomes] = useState<Outcome[]>([])
  const [statuses, setStatuses] = useState<ReviewStatus[]>([])
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [outPath, setOutPath] = useState(`${props.summary.root}.viva-annotations`)
  const [message, setMessage] = useState<string | null>(null)
  const [importFile, setImportFile] = useState<File | null>(null)
  const [mode, setMode] = useState<ImportMode>('merge')
  const [preview, setPreview] = useState<ImportSummary | null>(null)
  const [importError, setImportError] = useState<string | null>(null)
  /** The file was refused as made for other data (IMPORT_MISMATCH): the user may take it anyway. */
  const [mismatch, setMismatch] = useState(false)
  const [force, setForce] = useState(false)
  const onImportError = (err: unknown): void => {
    setImportError(err instanceof Error ? err.message : String(err))
    if (err instanceof VivaError && err.code === 'IMPORT_MISMATCH') setMismatch(true)
  }
  const [sending, setSending] = useState<number | null>(null)
  const datasetId = props.summary.id

  // The chosen file goes to the main side in chunks (never as one message) once, for the preview and the import;
  // the main side frees it after the import, and we discard it when the file changes or the dialog closes.
  const uploaded = useRef<{ file: File; uploadId: Promise<string> } | null>(null)
  const discardUpload = (): void => {
    const current = uploaded.current
    uploaded.current = null
    void current?.uploadId.then((uploadId) => client.call('upload.discard', { uploadId })).catch(() => undefined)
  }
  useEffect(() => discardUpload, [])
  const uploadIdFor = (file: File): Promise<string> => {
    if (uploaded.current?.file !== file) {
      discardUpload()
      setSending(0)
      const uploadId = uploadFile(
        client,
        { name: file.name, size: file.size, read: async (at, n) => new Uint8Array(await file.slice(at, at + n).arrayBuffer()) },
        { onProgress: setSending },
      ).finally(() => setSending(null))
      uploaded.current = { file, uploadId }
      uploadId.catch(() => {
        if (uploaded.current?.uploadId === uploadId) uploaded.current = null
      })
    }
    return (uploaded.current as { uploadId: Promise<string> }).uploadId
  }
  /** Run a call on the file's upload. After a failure the next try sends the file again (it may have expired). */
  const withUpload = async <T,>(file: File, call: (uploadId: string) => Promise<T>): Promise<T> => {
    try {
      return await call(await uploadIdFor(file))
    } catch (err) {
      discardUpload()
      throw err
    }
  }

  const filters = (): ExportFilters => {
    const f: ExportFilters = {}
    if (tasks.length > 0) f.tasks = tasks
    if (outcomes.length > 0) f.outcomes = outcomes
    if (statuses.length > 0) f.statuses = statuses
    if (from !== '' || to !== '') f.episodeRange = [from === '' ? 0 : Number(from), to === '' ? 1e9 : Number(to)]
    return f
  }

  const summaryText = (s: ImportSummary): string =>
    `${s.eventsAdded} events added, ${s.eventsUpdated} updated, ${s.eventsRemoved} removed; ${s.episodesChanged} episodes changed; ${s.taxonomiesAdded} taxonomy versions added`

  return (
    <div className="picker-backdrop" onMouseDown={props.onClose}>
      <div
        className="dialog export-dialog"
        role="dialog"
        aria-label="Export and import annotations"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onClose()
          e.stopPropagation()
        }}
      >
        <h2>Export</h2>
        <div className="row">
          {(['json', 'csv', 'lerobot'] as const).map((f) => (
            <label key={f}>
              <input type="radio" name="format" checked={format === f} onChange={() => setFormat(f)} /> {f === 'lerobot' ? 'LeRobot parquet sidecar' : f.toUpperCase()}
            </label>
          ))}
        </div>
        <fieldset>
          <legend>Filters (none = everything)</legend>
          <div className="filter-grid">
            <div>
              <div className="muted">Tasks</div>
              {props.summary.tasks.map((t) => (
                <label key={t} className="check">
                  <input type="checkbox" checked={tasks.includes(t)} onChange={() => setTasks(toggle(tasks, t))} /> {t}
                </label>
              ))}
            </div>
            <div>
              <div className="muted">Outcome</div>
              {OUTCOMES.map((o) => (
                <label key={o} className="check">
                  <input type="checkbox" checked={outcomes.includes(o)} onChange={() => setOutcomes(toggle(outcomes, o))} /> {o}
                </label>
              ))}
            </div>
            <div>
              <div className="muted">Status</div>
              {REVIEW_STATUSES.map((st) => (
                <label key={st} className="check">
                  <input type="checkbox" checked={statuses.includes(st)} onChange={() => setStatuses(toggle(statuses, st))} /> {STATUS_NAMES[st]}
                </label>
              ))}
            </div>
            <div>
              <div className="muted">Episodes</div>
              <input aria-label="First episode" placeholder="from" value={from} onChange={(e) => setFrom(e.target.value.replace(/\D/g, ''))} />
              <input aria-label="Last episode" placeholder="to" value={to} onChange={(e) => setTo(e.target.value.replace(/\D/g, ''))} />
            </div>
          </div>
        </fieldset>
        <div className="row">
          {format !== 'lerobot' ? (
            <button
              type="button"
              className="primary"
              onClick={() => {
                void client
                  .call('annotations.export', { datasetId, format, filters: filters() })
                  .then((r) => {
                    download(r.filename, r.mimeType, r.content)
                    setMessage(`Downloaded ${r.filename}`)
                  })
                  .catch(pushError)
              }}
            >
              Download
            </button>
          ) : null}
          <input aria-label="Export path" className="grow" value={outPath} onChange={(e) => setOutPath(e.target.value)} />
          <button
            type="button"
            onClick={() => {
              const target = exportTarget(outPath, format)
              void client
                .call('annotations.exportTo', { datasetId, format, filters: filters(), outPath: target })
                .then((r) => setMessage(`Wrote ${r.paths.join(', ')}`))
                .catch(pushError)
            }}
          >
            Write to path
          </button>
        </div>
        {message ? <p className="muted" role="status">{message}</p> : null}

        <h2>Import</h2>
        <div className="row">
          <input
            type="file"
            aria-label="Annotation file"
            accept=".json,application/json"
            onChange={(e) => {
              const file = e.target.files?.[0] ?? null
              setPreview(null)
              setImportError(null)
              setMismatch(false)
              setForce(false)
              discardUpload()
              setImportFile(file)
            }}
          />
          {(['merge', 'replace'] as const).map((m) => (
            <label key={m}>
              <input type="radio" name="mode" checked={mode === m} onChange={() => { setMode(m); setPreview(null) }} /> {m}
            </label>
          ))}
          <button
            type="button"
            disabled={!importFile || sending !== null}
            onClick={() => {
              if (!importFile) return
              setImportError(null)
              void withUpload(importFile, (uploadId) => client.call('annotations.importPreview', { datasetId, uploadId, mode, force }))
                .then(setPreview)
                .catch(onImportError)
            }}
          >
            Preview
          </button>
          <button
            type="button"
            className="primary"
            disabled={!preview || !importFile || sending !== null}
            onClick={() => {
              if (!importFile) return
              void withUpload(importFile, (uploadId) => client.call('annotations.import', { datasetId, uploadId, mode, force }))
                .then((s) => {
                  // The main side freed the upload once it was applied.
                  uploaded.current = null
                  setPreview(null)
                  setMessage(`Imported ${importFile.name}: ${summaryText(s)}`)
                })
                .catch(onImportError)
            }}
          >
            Apply import
          </button>
        </div>
        {sending !== null ? <p className="muted" role="status">Sending {importFile?.name}… {Math.round(sending * 100)} %</p> : null}
        {preview ? <p role="status" data-testid="import-preview">Preview ({mode}): {summaryText(preview)}</p> : null}
        {(preview?.identityNotes ?? []).map((note) => (
          <p key={note} className="warning-inline" data-testid="import-identity-note">
            {note}
          </p>
        ))}
        {importError ? <p className="form-error" role="alert" data-testid="import-error">{importError}</p> : null}
        {mismatch ? (
          <label className="check">
            <input
              type="checkbox"
              checked={force}
              onChange={(e) => {
                setForce(e.target.checked)
                setPreview(null)
              }}
            />{' '}
            Import anyway: I know this file was made for other data (preview again)
          </label>
        ) : null}
        <PipelineExports summary={props.summary} filters={filters} />
        <div className="dialog-buttons">
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  )
}
