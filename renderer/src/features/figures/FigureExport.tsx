/** "Export figure…" beside the value plot: the plot as an SVG or PNG at a chosen size, for a paper. */
import { useMemo, useState, type ReactNode } from 'react'
import type { Theme } from '../../../../app/figures/palette'
import { parseFigureSize, type ValueFigure } from '../../../../app/figures/valueFigure'
import { downloadBlob } from '../../components/download'
import { keepFocus } from '../../components/keepFocus'
import { ModalDialog } from '../../components/ModalDialog'
import { useApp } from '../../state/StoreContext'
import { currentDataset } from '../datasets/state'
import { episodeFigure, figureFileName, zoomedFrames, type FigureChoice } from './figureExport'
import { svgToPng } from './rasterize'
import './figures.css'

const SIZE_PRESETS = ['1200×600', '1800×800', '900×420'] as const

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function FigureExportDialog(props: { onClose: () => void }): ReactNode {
  const episode = useApp((s) => s.episode)
  const datasetName = useApp((s) => currentDataset(s)?.name ?? 'figure')
  // What the figure draws: re-made when any of it changes, so the preview is what will be written.
  const curveList = useApp((s) => s.curveList)
  const curveData = useApp((s) => s.curveData)
  const hiddenSeries = useApp((s) => s.hiddenSeries)
  const valueSmoothing = useApp((s) => s.valueSmoothing)
  const project = useApp((s) => s.project)
  const plotRange = useApp((s) => s.plotRange)
  const zoom = useMemo(() => (episode ? zoomedFrames(episode.length, plotRange) : null), [episode, plotRange])
  const [sizeText, setSizeText] = useState<string>(SIZE_PRESETS[0])
  const [theme, setTheme] = useState<Theme>('light')
  const [title, setTitle] = useState('')
  const [zoomed, setZoomed] = useState(true)
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const made = useMemo((): { figure: ValueFigure; choice: FigureChoice } | { error: string } => {
    try {
      const choice: FigureChoice = { ...parseFigureSize(sizeText), theme, title, zoomed: zoomed && zoom !== null }
      const source = { episode, curveList, curveData, hiddenSeries, valueSmoothing, project, plotRange }
      return { figure: episodeFigure(source, choice), choice }
    } catch (err) {
      return { error: errorText(err) }
    }
  }, [sizeText, theme, title, zoomed, zoom, episode, curveList, curveData, hiddenSeries, valueSmoothing, project, plotRange])
  const preview = useMemo(() => ('figure' in made ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.figure.svg)}` : null), [made])
  if (!episode) return null

  const save = async (ext: 'svg' | 'png'): Promise<void> => {
    if (!('figure' in made)) return
    const { figure, choice } = made
    const name = figureFileName(datasetName, episode.index, choice, ext)
    setBusy(true)
    try {
      const blob = ext === 'svg' ? new Blob([figure.svg], { type: 'image/svg+xml' }) : await svgToPng(figure.svg, choice.width, choice.height)
      downloadBlob(name, blob)
      setMessage(`Downloaded ${name}`)
    } catch (err) {
      setMessage(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <ModalDialog label="Export figure" className="figure-dialog" onClose={props.onClose}>
      <h2>Export figure · episode {episode.index}</h2>
      <div className="row">
        <label className="field">
          size (px)
          <input aria-label="Figure size" className="figure-size" value={sizeText} onChange={(e) => setSizeText(e.target.value)} />
        </label>
        {SIZE_PRESETS.map((p) => (
          <button key={p} type="button" className="link" onClick={() => setSizeText(p)}>
            {p}
          </button>
        ))}
      </div>
      <div className="row">
        <span className="muted">background</span>
        {(['light', 'dark'] as const).map((t) => (
          <label key={t}>
            <input type="radio" name="figure-theme" checked={theme === t} onChange={() => setTheme(t)} /> {t}
          </label>
        ))}
        {zoom ? (
          <label title="The plots are zoomed: draw only the frames shown">
            <input type="checkbox" checked={zoomed} onChange={(e) => setZoomed(e.target.checked)} /> only frames {zoom[0]}–{zoom[1]}
          </label>
        ) : null}
      </div>
      <label className="field">
        title
        <input aria-label="Figure title" className="grow" placeholder="none" value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      {'error' in made ? (
        <p className="form-error" data-testid="figure-error">
          {made.error}
        </p>
      ) : (
        <img className="figure-preview" alt="Figure preview" src={preview ?? undefined} data-testid="figure-preview" />
      )}
      <div className="dialog-buttons">
        <button type="button" className="primary" disabled={busy || 'error' in made} onClick={() => void save('svg')}>
          Download SVG
        </button>
        <button type="button" className="primary" disabled={busy || 'error' in made} onClick={() => void save('png')}>
          Download PNG
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      {message ? (
        <p className="muted" role="status">
          {message}
        </p>
      ) : null}
    </ModalDialog>
  )
}

export function FigureExportButton(): ReactNode {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button type="button" className="figure-export-button" onMouseDown={keepFocus} onClick={() => setOpen(true)} title="The value plot as an SVG or PNG for a paper">
        Export figure…
      </button>
      {open ? <FigureExportDialog onClose={() => setOpen(false)} /> : null}
    </>
  )
}
