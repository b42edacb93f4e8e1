/**
 * "Render video…" in the player: an MP4 of the open episode (or a frame range) with the chosen cameras tiled and the
 * chosen value curves and events under them, written by the main side to a typed path, with progress and Cancel.
 */
import { useMemo, useState, type ReactNode } from 'react'
import { RENDER_BOUNDS, type EpisodeView } from '../../../../app/contract'
import { shortCameraName } from '../../../../app/dataset'
import { keepFocus } from '../../components/keepFocus'
import { ModalDialog } from '../../components/ModalDialog'
import { useApp, useAppStore } from '../../state/StoreContext'
import { curveVisible } from '../curves/curves'
import { currentDataset } from '../datasets/state'
import { zoomedFrames } from './figureExport'
import { defaultRenderForm, renderableCameras, renderRequest, type RenderForm } from './renderForm'
import './figures.css'

function toggled(list: readonly string[], value: string, on: boolean, order: readonly string[]): string[] {
  const next = on ? [...list, value] : list.filter((v) => v !== value)
  return order.filter((v) => next.includes(v))
}

function RenderVideoDialog(props: { episode: EpisodeView; onClose: () => void }): ReactNode {
  const { episode } = props
  const summary = useApp(currentDataset)
  const curveList = useApp((s) => s.curveList)
  const render = useApp((s) => s.render)
  const startRender = useApp((s) => s.startRender)
  const cancelRender = useApp((s) => s.cancelRender)
  const clearRender = useApp((s) => s.clearRender)
  const store = useAppStore()
  // The form starts from what the player shows when the dialog opens; from there the user edits it.
  const [form, setForm] = useState<RenderForm>(() => {
    const s = store.getState()
    const shown = s.curveList.filter((c) => curveVisible(s, c))
    return defaultRenderForm(episode, shown, zoomedFrames(episode.length, s.plotRange), summary?.root ?? 'episode')
  })
  const patch = (p: Partial<RenderForm>): void => setForm((f) => ({ ...f, ...p }))
  const cameraOrder = useMemo(() => episode.cameras.map((c) => c.key), [episode])
  const renderable = useMemo(() => renderableCameras(episode), [episode])
  const curveOrder = useMemo(() => curveList.map((c) => c.id), [curveList])

  const checked = useMemo((): { error: string } | { ok: true } => {
    try {
      renderRequest(form, { datasetId: episode.datasetId, episode: episode.index, length: episode.length })
      return { ok: true }
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }, [form, episode])
  const running = render.phase === 'running'
  const close = (): void => {
    clearRender()
    props.onClose()
  }
  const start = (): void => {
    void startRender(renderRequest(form, { datasetId: episode.datasetId, episode: episode.index, length: episode.length }))
  }

  return (
    <ModalDialog label="Render video" className="render-dialog" onClose={close}>
      <h2>Render video · episode {episode.index}</h2>
      <fieldset disabled={running}>
        <legend>Cameras (tiled left to right)</legend>
        {episode.cameras.map((c) => (
          <label key={c.key} className="check" title={renderable.includes(c.key) ? c.key : `${c.key}: no readable video`}>
            <input
              type="checkbox"
              disabled={!renderable.includes(c.key)}
              checked={form.cameras.includes(c.key)}
              onChange={(e) => patch({ cameras: toggled(form.cameras, c.key, e.target.checked, cameraOrder) })}
            />{' '}
            {shortCameraName(c.key)}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={running}>
        <legend>Under the cameras</legend>
        {curveList.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={form.curves.includes(c.id)}
              onChange={(e) => patch({ curves: toggled(form.curves, c.id, e.target.checked, curveOrder) })}
            />{' '}
            {c.name}
          </label>
        ))}
        {curveList.length === 0 ? <span className="muted small">no value curves for this episode</span> : null}
        <label className="check">
          <input type="checkbox" checked={form.events} onChange={(e) => patch({ events: e.target.checked })} /> annotated events
        </label>
      </fieldset>
      <div className="row">
        <label className="field">
          frames
          <input aria-label="First frame" className="frame" inputMode="numeric" disabled={running} value={form.from} onChange={(e) => patch({ from: e.target.value })} />
          –
          <input aria-label="Last frame" className="frame" inputMode="numeric" disabled={running} value={form.to} onChange={(e) => patch({ to: e.target.value })} />
        </label>
        <button type="button" className="link" disabled={running} onClick={() => patch({ from: '0', to: String(episode.length - 1) })}>
          whole episode
        </button>
        <label className="field" title={`${RENDER_BOUNDS.minTileHeight}–${RENDER_BOUNDS.maxTileHeight} pixels`}>
          tile height
          <input aria-label="Tile height" className="tile-height" inputMode="numeric" disabled={running} value={form.tileHeight} onChange={(e) => patch({ tileHeight: e.target.value })} />
          px
        </label>
      </div>
      <label className="field">
        write to
        <input aria-label="Video path" className="grow" disabled={running} value={form.out} onChange={(e) => patch({ out: e.target.value })} />
      </label>
      {'error' in checked ? (
        <p className="form-error small" data-testid="render-form-error">
          {checked.error}
        </p>
      ) : null}
      {render.phase === 'running' && render.episode !== episode.index ? (
        // One render per window: the one running belongs to another episode, so this form waits for it.
        <p className="muted small" data-testid="render-other-episode">
          Rendering episode {render.episode} (started from its player) to {render.out}; this episode can be rendered when it ends or is cancelled.
        </p>
      ) : null}
      {render.phase === 'running' ? (
        <div className="render-progress">
          <progress max={Math.max(1, render.total)} value={render.done} aria-label="Render progress" />
          <span data-testid="render-progress">
            {render.done}/{render.total} frames
          </span>
        </div>
      ) : null}
      {render.phase === 'done' ? (
        <p className="muted" role="status" data-testid="render-result">
          Wrote {render.result.file} · {render.result.frames} frames at {render.result.fps} fps, {render.result.width}×{render.result.height}
        </p>
      ) : null}
      {render.phase === 'failed' ? (
        <p className="form-error" data-testid="render-error">
          {render.error.message}
        </p>
      ) : null}
      <div className="dialog-buttons">
        {running ? (
          <button type="button" onClick={cancelRender}>
            Cancel
          </button>
        ) : (
          <button type="button" className="primary" disabled={'error' in checked} onClick={start}>
            Render
          </button>
        )}
        <button type="button" onClick={close} title={running ? 'The render goes on; reopen to follow it' : undefined}>
          Close
        </button>
      </div>
    </ModalDialog>
  )
}

export function RenderVideoButton(): ReactNode {
  const [open, setOpen] = useState(false)
  const episode = useApp((s) => s.episode)
  const render = useApp((s) => s.render)
  if (!episode) return null
  const label = render.phase === 'running' ? `Rendering ${render.done}/${render.total}…` : 'Render video…'
  return (
    <>
      <button type="button" onMouseDown={keepFocus} onClick={() => setOpen(true)} title="An MP4 of this episode's cameras with the value curves under them" data-testid="render-video-button">
        {label}
      </button>
      {open ? <RenderVideoDialog episode={episode} onClose={() => setOpen(false)} /> : null}
    </>
  )
}
