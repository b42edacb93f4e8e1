/** How the selected model fits the current dataset: which camera fills each slot, the state map, and the check. */
import { useEffect, useState, type ReactNode } from 'react'
import type { CameraMatch, ModelInfo } from '../../../../app/contract'
import type { WireError } from '../../../../app/errors'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { shortCameraName } from '../../../../app/dataset'

/** How a slot's camera was chosen, in words; a guess by position is one to check. */
const MATCH_TEXT: Record<CameraMatch, string> = { saved: 'your choice', name: 'by name', position: 'by position: check', none: 'none' }

export function CameraMappingEditor(props: { model: ModelInfo; cameras: string[] }): ReactNode {
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
            <span className="slot-name" title={slot}>{slot}</span>
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
export function StateMapEditor(props: { model: ModelInfo }): ReactNode {
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
export function CompatibilityList(props: { model: ModelInfo }): ReactNode {
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
