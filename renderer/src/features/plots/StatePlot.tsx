import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { Data, Layout, PlotlyHTMLElement, Shape } from 'plotly.js'
import type { EpisodeState } from '../../../../app/contract'
import { useApp } from '../../state/StoreContext'

type PlotlyModule = typeof import('plotly.js-strict-dist-min').default

// Plotly is large: load it once, after the player is on screen.
let plotlyPromise: Promise<PlotlyModule> | null = null
function loadPlotly(): Promise<PlotlyModule> {
  plotlyPromise ??= import('plotly.js-strict-dist-min').then((m) => m.default)
  return plotlyPromise
}

function cursorShape(frame: number): Partial<Shape> {
  return {
    type: 'line',
    xref: 'x',
    yref: 'paper',
    x0: frame,
    x1: frame,
    y0: 0,
    y1: 1,
    line: { color: '#ff4d4f', width: 1.5 },
  }
}

function traces(state: EpisodeState, length: number, hidden: Set<string>): Data[] {
  const x = Float32Array.from({ length }, (_, i) => i)
  return state.names.map((name, j) => {
    const y = new Float32Array(length)
    for (let i = 0; i < length; i++) y[i] = state.values[i * state.dim + j] ?? NaN
    return {
      type: 'scattergl',
      mode: 'lines',
      name,
      x,
      y,
      visible: hidden.has(name) ? 'legendonly' : true,
      hovertemplate: `${name}: %{y:.4f}<extra>frame %{x}</extra>`,
      line: { width: 1.2 },
    } as Data
  })
}

/** Joint-state traces (WebGL), a cursor on the current frame, click to seek, legend toggles joints. */
export function StatePlot(props: { state: EpisodeState; length: number }): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  const [plot, setPlot] = useState<{ el: PlotlyHTMLElement; Plotly: PlotlyModule } | null>(null)
  const frame = useApp((s) => s.frame)
  const seek = useApp((s) => s.seek)
  const hidden = useApp((s) => s.hiddenJoints)
  const setHidden = useApp((s) => s.setHiddenJoints)
  const frameRef = useRef(frame)
  frameRef.current = frame
  const hiddenRef = useRef(hidden)
  hiddenRef.current = hidden

  useEffect(() => {
    let cancelled = false
    const div = divRef.current
    if (!div) return
    void loadPlotly().then(async (Plotly) => {
      if (cancelled) return
      const layout: Partial<Layout> = {
        margin: { l: 48, r: 8, t: 8, b: 28 },
        height: 240,
        paper_bgcolor: '#15171c',
        plot_bgcolor: '#15171c',
        font: { color: '#c9ced6', size: 11 },
        xaxis: { title: { text: 'frame' }, range: [0, Math.max(1, props.length - 1)], zeroline: false, gridcolor: '#2a2e36' },
        yaxis: { zeroline: false, gridcolor: '#2a2e36' },
        showlegend: true,
        legend: { orientation: 'v', x: 1.0, xanchor: 'left', font: { size: 10 } },
        hovermode: 'x',
        shapes: [cursorShape(frameRef.current)],
        uirevision: 'state',
      }
      const el = await Plotly.react(div, traces(props.state, props.length, new Set(hiddenRef.current)), layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ['select2d', 'lasso2d'],
      })
      if (cancelled) return
      el.on('plotly_click', (ev) => {
        const x = ev.points[0]?.x
        if (typeof x === 'number') seek(x)
      })
      el.on('plotly_legendclick', () => {
        // Read visibility after Plotly applies the toggle.
        setTimeout(() => {
          const data = el.data as { name?: string; visible?: boolean | 'legendonly' }[]
          setHidden(data.filter((d) => d.visible === 'legendonly').map((d) => d.name ?? ''))
        }, 0)
        return true
      })
      setPlot({ el, Plotly })
    })
    return () => {
      cancelled = true
      if (div) void loadPlotly().then((Plotly) => Plotly.purge(div))
    }
  }, [props.state, props.length, seek, setHidden])

  useEffect(() => {
    if (!plot) return
    const id = requestAnimationFrame(() => {
      void plot.Plotly.relayout(plot.el, { shapes: [cursorShape(frame)] } as Partial<Layout>)
    })
    return () => cancelAnimationFrame(id)
  }, [plot, frame])

  const setAll = (visible: boolean): void => {
    if (!plot) return
    const names = props.state.names
    setHidden(visible ? [] : [...names])
    void plot.Plotly.restyle(plot.el, { visible: visible ? true : 'legendonly' })
  }

  return (
    <section className="state-plot" aria-label="Joint states">
      <div className="state-plot-bar">
        <span>
          {props.state.key} · {props.state.dim} joints
          {hidden.length > 0 ? ` (${hidden.length} hidden)` : ''}
        </span>
        <button type="button" onClick={() => setAll(true)}>
          show all
        </button>
        <button type="button" onClick={() => setAll(false)}>
          hide all
        </button>
      </div>
      <div ref={divRef} className="state-plot-canvas" data-testid="state-plot" />
    </section>
  )
}
