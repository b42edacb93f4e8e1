import { useRef, type ReactNode } from 'react'
import type { Data, LegendClickEvent, PlotlyHTMLElement } from 'plotly.js'
import type { EpisodeState } from '../../../../app/contract'
import { useApp, useAppStore } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { baseLayout, frames, type PlotSpec } from './plotShared'
import { PlotFrame } from './PlotFrame'
import { useLivePlot } from './useLivePlot'

/** Per-joint value arrays of an episode's state, made once per episode (stable arrays: no recompute on redraws). */
const jointCache = new WeakMap<EpisodeState, { length: number; ys: Float32Array[] }>()
function jointValues(state: EpisodeState, length: number): Float32Array[] {
  const cached = jointCache.get(state)
  if (cached && cached.length === length) return cached.ys
  const ys = state.names.map((_, j) => {
    const y = new Float32Array(length)
    for (let i = 0; i < length; i++) y[i] = state.values[i * state.dim + j] ?? NaN
    return y
  })
  jointCache.set(state, { length, ys })
  return ys
}

function buildState(s: AppState): PlotSpec {
  const state = s.episode?.state
  const length = s.episode?.length ?? 1
  if (!state) return { data: [], layout: baseLayout(240, length) }
  const hidden = new Set(s.hiddenJoints)
  const ys = jointValues(state, length)
  const x = frames(length)
  const data = state.names.map(
    (name, j) =>
      ({
        type: 'scattergl',
        mode: 'lines',
        name,
        x,
        y: ys[j],
        visible: hidden.has(name) ? 'legendonly' : true,
        hovertemplate: `${name}: %{y:.4f}<extra>frame %{x}</extra>`,
        line: { width: 1.2 },
      }) as Data,
  )
  return {
    data,
    layout: {
      ...baseLayout(240, length),
      showlegend: true,
      legend: { orientation: 'v', x: 1.0, xanchor: 'left', font: { size: 10 } },
      uirevision: 'state',
    },
  }
}

/**
 * Joint-state traces (WebGL), a cursor on the current frame, click to seek, legend toggles joints (through the
 * store, so the choice survives a redraw), zoom shared with the value plot.
 */
export function StatePlot(props: { state: EpisodeState; length: number }): ReactNode {
  // The plot draws the open episode's state from the store (props say which, for the bar).
  const divRef = useRef<HTMLDivElement>(null)
  const cursorRef = useRef<HTMLDivElement>(null)
  const store = useAppStore()
  const hidden = useApp((s) => s.hiddenJoints)
  const setHidden = useApp((s) => s.setHiddenJoints)
  const { state } = props

  useLivePlot(divRef, buildState, (s) => [s.hiddenJoints], {
    cursorRef,
    onInit: (el: PlotlyHTMLElement) => {
      const nameOf = (ev: LegendClickEvent): string | undefined => (ev.data[ev.curveNumber] as { name?: string } | undefined)?.name
      el.on('plotly_legendclick', (ev) => {
        const name = nameOf(ev)
        const names = store.getState().episode?.state?.names ?? []
        if (name === undefined || !names.includes(name)) return true
        const now = store.getState().hiddenJoints
        store.getState().setHiddenJoints(now.includes(name) ? now.filter((n) => n !== name) : [...now, name])
        return false
      })
      el.on('plotly_legenddoubleclick', (ev) => {
        const name = nameOf(ev)
        const names = store.getState().episode?.state?.names ?? []
        if (name === undefined || !names.includes(name)) return true
        const now = store.getState().hiddenJoints
        const alone = now.length === names.length - 1 && !now.includes(name)
        store.getState().setHiddenJoints(alone ? [] : names.filter((n) => n !== name))
        return false
      })
    },
  })

  return (
    <section className="state-plot" aria-label="Joint states">
      <div className="state-plot-bar">
        <span>
          {state.key} · {state.dim} joints
          {hidden.length > 0 ? ` (${hidden.length} hidden)` : ''}
        </span>
        <button type="button" onClick={() => setHidden([])}>
          show all
        </button>
        <button type="button" onClick={() => setHidden([...state.names])}>
          hide all
        </button>
      </div>
      <PlotFrame plotRef={divRef} cursorRef={cursorRef} className="state-plot-canvas" testId="state-plot" />
    </section>
  )
}
