import { useState, type ReactNode } from 'react'
import type { CurveImportResult } from '../../../../app/contract'
import type { WireError } from '../../../../app/errors'
import { useApp } from '../../state/StoreContext'

/** Value curves computed elsewhere (ViVa reference parquet, LeRobot *_progress.parquet, CSV/JSON). */
export function ImportCurves(): ReactNode {
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
