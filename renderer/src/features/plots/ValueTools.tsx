import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { Data } from 'plotly.js'
import type { CurveInfo } from '../../../../app/curves'
import { useApp } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { AdvantagesControl } from '../advantages/AdvantagesControl'
import { analysisCurve } from '../curves/curves'
import { DetectorPanel } from '../detector/DetectorPanel'
import { PlotFrame } from './PlotFrame'
import { baseLayout, frames, seriesColor, type PlotSpec } from './plotShared'
import { useLivePlot } from './useLivePlot'
import { curveSourceText } from './ValuePlot'

const FORESIGHT_HEIGHT = 200

/** Joint index in the episode's recorded state for a joint the model predicts, or −1. */
function stateIndex(s: AppState, info: CurveInfo, joint: number): number {
  const state = s.episode?.state
  if (!state) return -1
  const name = info.futureNames[joint]
  const byName = name === undefined ? -1 : state.names.indexOf(name)
  if (byName >= 0) return byName
  return state.dim === info.futureDim ? joint : -1
}

function buildForesight(s: AppState, curveId: string, joints: string[]): PlotSpec {
  const length = s.episode?.length ?? 1
  const entry = s.curveData[curveId]
  const data: Data[] = []
  if (entry && entry.future) {
    const { info, future } = entry
    const dim = info.futureDim
    const K = info.futureOffset
    const state = s.episode?.state ?? null
    joints.forEach((name, k) => {
      const j = info.futureNames.indexOf(name)
      if (j < 0) return
      const color = seriesColor(k)
      const si = stateIndex(s, info, j)
      if (state && si >= 0) {
        const n = Math.min(length, Math.floor(state.values.length / state.dim))
        const y = new Float32Array(n)
        for (let i = 0; i < n; i++) y[i] = state.values[i * state.dim + si] ?? NaN
        data.push({
          type: 'scattergl',
          mode: 'lines',
          name: `${name} recorded`,
          x: frames(s.plotCaches, n),
          y,
          hovertemplate: `${name} recorded: %{y:.4f}<extra>frame %{x}</extra>`,
          line: { color, width: 1.2 },
        } as Data)
      }
      const n = info.length
      const y = new Float32Array(n)
      for (let i = 0; i < n; i++) y[i] = future[i * dim + j] ?? NaN
      data.push({
        type: 'scattergl',
        mode: 'lines',
        name: `${name} predicted`,
        x: frames(s.plotCaches, n, K),
        y,
        connectgaps: false,
        hovertemplate: `${name} q̂ (made at frame %{customdata}): %{y:.4f}<extra>frame %{x}</extra>`,
        customdata: Array.from({ length: n }, (_, i) => i),
        line: { color, width: 1.6, dash: 'dash' },
      } as Data)
    })
  }
  const base = baseLayout(FORESIGHT_HEIGHT, length, s.theme)
  return {
    data,
    layout: { ...base, yaxis: { ...base.yaxis, title: { text: 'state' } }, showlegend: false, uirevision: `${s.curvesKey ?? ''}/${curveId}` },
  }
}

function ForesightCanvas(props: { curveId: string; joints: string[] }): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  const cursorRef = useRef<HTMLDivElement>(null)
  const { curveId, joints } = props
  const invalidate = useLivePlot(
    divRef,
    (s) => buildForesight(s, curveId, joints),
    (s) => [s.curveData[curveId]],
    { cursorRef },
  )
  useEffect(() => invalidate(), [curveId, joints, invalidate])
  return <PlotFrame plotRef={divRef} cursorRef={cursorRef} className="foresight-canvas" testId="foresight-plot" height={FORESIGHT_HEIGHT} />
}

/** viva-flow models also predict the state K frames ahead: plotted at t + K against what was recorded there. */
function Foresight(props: { curves: CurveInfo[] }): ReactNode {
  const open = useApp((s) => s.foresightOpen)
  const setOpen = useApp((s) => s.setForesightOpen)
  const chosen = useApp((s) => s.foresightJoints)
  const setJoints = useApp((s) => s.setForesightJoints)
  const hasState = useApp((s) => s.episode?.state != null)
  const fetchCurve = useApp((s) => s.fetchCurve)
  const [curveId, setCurveId] = useState<string | null>(null)
  const curve = props.curves.find((c) => c.id === curveId) ?? props.curves[0]
  const loaded = useApp((s) => (curve ? s.curveData[curve.id] !== undefined : false))
  // The foresight of a curve hidden from the value plot still needs its values.
  useEffect(() => {
    if (open && curve && !loaded) void fetchCurve(curve.id)
  }, [open, curve?.id, loaded, fetchCurve])
  const joints = useMemo(() => {
    if (!curve) return []
    const picked = (chosen ?? []).filter((n) => curve.futureNames.includes(n))
    return chosen === null && curve.futureNames[0] !== undefined ? [curve.futureNames[0]] : picked
  }, [curve, chosen])
  if (!curve) return null
  const toggle = (name: string, on: boolean): void => {
    const next = on ? [...joints.filter((n) => n !== name), name] : joints.filter((n) => n !== name)
    setJoints(curve.futureNames.filter((n) => next.includes(n)))
  }
  return (
    <div className="foresight" data-testid="foresight">
      <div className="state-plot-bar">
        <button type="button" aria-expanded={open} onMouseDown={(e) => e.preventDefault()} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'} Foresight
        </button>
        <span>
          predicted state q̂(t+{curve.futureOffset}) (dashed, drawn at t+{curve.futureOffset}) vs recorded (solid)
          {hasState ? '' : ' · no recorded state in this dataset'}
        </span>
        {open && props.curves.length > 1 ? (
          <CurveSelect label="Foresight curve" curves={props.curves} value={curve.id} onChange={setCurveId} />
        ) : null}
      </div>
      {open ? (
        <>
          <div className="joint-chips" role="group" aria-label="Foresight joints">
            {curve.futureNames.map((name) => {
              const at = joints.indexOf(name)
              return (
                <label key={name} className="joint-chip" onMouseDown={(e) => e.preventDefault()}>
                  <input type="checkbox" checked={at >= 0} onChange={(e) => toggle(name, e.target.checked)} />
                  {at >= 0 ? <span className="swatch" style={{ background: seriesColor(at) }} /> : null}
                  {name}
                </label>
              )
            })}
            <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => setJoints([])}>
              none
            </button>
          </div>
          <ForesightCanvas curveId={curve.id} joints={joints} />
        </>
      ) : null}
    </div>
  )
}

/** Which curve the detector and the advantages use. */
/** A choice among the episode's curves; it gives the keyboard back to the player once a curve is picked. */
function CurveSelect(props: { label: string; testId?: string; curves: CurveInfo[]; value: string; onChange: (id: string) => void }): ReactNode {
  return (
    <select
      aria-label={props.label}
      data-testid={props.testId}
      value={props.value}
      onChange={(e) => {
        props.onChange(e.target.value)
        e.target.blur()
      }}
    >
      {props.curves.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name} ({curveSourceText(c)})
        </option>
      ))}
    </select>
  )
}

function AnalysisCurveSelect(props: { curves: CurveInfo[] }): ReactNode {
  const curve = useApp(analysisCurve)
  const setCurve = useApp((s) => s.setAnalysisCurve)
  if (!curve) return null
  return (
    <label className="analysis-curve" title="The curve the event detector and the advantages work on">
      analyze
      <CurveSelect label="Analysis curve" testId="analysis-curve" curves={props.curves} value={curve.id} onChange={setCurve} />
    </label>
  )
}

/**
 * What works on the value curves (the analysed curve, advantages, the event detector, the foresight plot). Shown
 * under the feature plot, so that both plots stay on screen above it at 1280×800.
 */
export function ValueTools(): ReactNode {
  const list = useApp((s) => s.curveList)
  const foresightCurves = useMemo(() => list.filter((c) => c.futureDim > 0 && c.futureNames.length > 0), [list])
  if (list.length === 0) return null
  return (
    <section className="value-plot value-tools-section" aria-label="Value analysis">
      <div className="value-tools">
        <AnalysisCurveSelect curves={list} />
        <AdvantagesControl />
      </div>
      <DetectorPanel />
      {foresightCurves.length > 0 ? <Foresight curves={foresightCurves} /> : null}
    </section>
  )
}
