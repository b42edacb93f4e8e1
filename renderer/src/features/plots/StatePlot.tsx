import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { Data, Layout, PlotlyHTMLElement } from 'plotly.js'
import type { EpisodeState } from '../../../../app/contract'
import { useApp, useEpisodeEvents } from '../../state/StoreContext'
import { loadPlotly, type PlotlyModule } from './plotly'
import { eventTrace, PLOT_CONFIG, shapes } from './plotShared'

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
  const events = useEpisodeEvents()
  const selected = useApp((s) => s.selectedEventId)
  const selectEvent = useApp((s) => s.selectEvent)
  const eventsRef = useRef(events)
  eventsRef.current = events
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
        yaxis2: { overlaying: 'y', range: [-0.06, 1.06], visible: false, fixedrange: true },
        showlegend: true,
        legend: { orientation: 'v', x: 1.0, xanchor: 'left', font: { size: 10 } },
        hovermode: 'x',
        shapes: shapes(frameRef.current, eventsRef.current, null),
        uirevision: 'state',
      }
      const data = [...traces(props.state, props.length, new Set(hiddenRef.current)), eventTrace(eventsRef.current)]
      const el = await Plotly.react(div, data, layout, PLOT_CONFIG)
      if (cancelled) return
      el.on('plotly_click', (ev) => {
        const point = ev.points.find((p) => p.data.name === 'events') ?? ev.points[0]
        const x = point?.x
        if (typeof x === 'number') seek(x)
        const id = point?.data.name === 'events' ? point.customdata : undefined
        if (typeof id === 'string') selectEvent(id)
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
  }, [props.state, props.length, seek, setHidden, selectEvent])

  // Events changed: replace only the marker trace (the last one).
  useEffect(() => {
    if (!plot) return
    const n = (plot.el.data as unknown[]).length
    void plot.Plotly.deleteTraces(plot.el, n - 1).then(() => plot.Plotly.addTraces(plot.el, eventTrace(events)))
  }, [plot, events])

  useEffect(() => {
    if (!plot) return
    const id = requestAnimationFrame(() => {
      void plot.Plotly.relayout(plot.el, { shapes: shapes(frame, events, selected) } as Partial<Layout>)
    })
    return () => cancelAnimationFrame(id)
  }, [plot, frame, events, selected])

  const setAll = (visible: boolean): void => {
    if (!plot) return
    const names = props.state.names
    setHidden(visible ? [] : [...names])
    void plot.Plotly.restyle(plot.el, { visible: visible ? true : 'legendonly' }, names.map((_, i) => i))
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
