import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { Data, Layout } from 'plotly.js'
import type { EpisodeView } from '../../../../app/contract'
import { toDisplay, type CurveConvention, type CurveInfo } from '../../../../app/curves'
import { curveComputed, curveVisible, jobActive } from '../../state/curvesSlice'
import { useApp } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { baseLayout, seriesColor } from './plotShared'
import { useLivePlot, type PlotSpec } from './useLivePlot'

const CONVENTION_NAMES: Record<CurveConvention, string> = {
  progress: 'progress',
  remaining: 'remaining progress (1 − v)',
  'remaining-frames': 'remaining frames',
}

let frameAxis: Float32Array = new Float32Array(0)
/** 0, 1, …, n − 1 (shared: traces of one episode have the same length). */
function frames(n: number, offset = 0): Float32Array {
  if (offset !== 0) return Float32Array.from({ length: n }, (_, i) => i + offset)
  if (frameAxis.length !== n) frameAxis = Float32Array.from({ length: n }, (_, i) => i)
  return frameAxis
}

function fileName(path: string | null): string {
  return path ? (path.split(/[\\/]/).pop() ?? path) : ''
}

export function curveSourceText(info: CurveInfo): string {
  if (info.source === 'import') return `import ${fileName(info.file)}`.trim()
  const steps = info.params && info.params.steps > 0 ? ` · ${info.params.steps} steps` : ''
  return `model ${info.modelName ?? info.modelId ?? ''}${steps}`
}

/** What the badge of an incomplete curve says: who is computing it (this window saw its chunks or its job). */
function progressWord(s: AppState, info: CurveInfo): 'computing' | 'paused' | 'partial' {
  const jobId = s.curveJobs[info.id]
  const job =
    (jobId ? s.jobs.find((j) => j.id === jobId) : undefined) ??
    s.jobs.find(
      (j) =>
        jobActive(j) &&
        j.datasetId === info.datasetId &&
        j.modelId === info.modelId &&
        (info.params === null || (j.steps === info.params.steps && j.seed === info.params.seed)) &&
        (j.episodes.length === 0 || j.episodes.includes(info.episode)),
    )
  if (!job || !jobActive(job)) return 'partial'
  return job.state === 'paused' ? 'paused' : 'computing'
}

function CurveLegendItem(props: { info: CurveInfo; color: string }): ReactNode {
  const { info } = props
  const computed = useApp((s) => curveComputed(s, info))
  const visible = useApp((s) => curveVisible(s, info))
  const word = useApp((s) => progressWord(s, info))
  const setVisible = useApp((s) => s.setCurveVisible)
  const complete = info.complete || computed >= info.length
  return (
    <li className="curve-item" data-curve-id={info.id} data-computed={computed} data-complete={complete}>
      {/* Keep the keyboard with the player: a click toggles without taking focus. */}
      <label onMouseDown={(e) => e.preventDefault()} title={`${info.name}: ${curveSourceText(info)}, ${CONVENTION_NAMES[info.convention]}`}>
        <input
          type="checkbox"
          data-testid={`curve-toggle-${info.id}`}
          checked={visible}
          onChange={(e) => setVisible(info.id, e.target.checked)}
        />
        <span className="swatch" style={{ background: props.color }} />
        <span className="curve-name">{info.name}</span>
      </label>
      <span className="muted curve-meta">
        {curveSourceText(info)} · {CONVENTION_NAMES[info.convention]}
      </span>
      {complete ? null : (
        <span className={`curve-badge curve-badge-${word}`} data-testid={`curve-progress-${info.id}`}>
          {word} {computed}/{info.length}
        </span>
      )}
    </li>
  )
}

function buildValues(s: AppState): PlotSpec {
  const length = s.episode?.length ?? 1
  const data: Data[] = []
  let lo = 0
  let hi = 1
  s.curveList.forEach((info, i) => {
    const entry = s.curveData[info.id]
    if (!entry || !curveVisible(s, info)) return
    const y = toDisplay(entry.values, info.convention, info.length)
    for (let k = 0; k < y.length; k++) {
      const v = y[k] as number
      if (v < lo) lo = v
      else if (v > hi) hi = v
    }
    data.push({
      type: 'scattergl',
      mode: 'lines',
      name: info.name,
      x: frames(y.length),
      y,
      connectgaps: false,
      showlegend: false,
      hovertemplate: `${info.name}: %{y:.3f}<extra>frame %{x}</extra>`,
      line: { color: seriesColor(i), width: 1.6 },
    } as Data)
  })
  const base = baseLayout(190, length)
  const pad = 0.05 * (hi - lo)
  const layout: Partial<Layout> = {
    ...base,
    yaxis: { ...base.yaxis, title: { text: 'progress' }, range: [lo - pad, hi + pad] },
    showlegend: false,
    uirevision: s.curvesKey ?? 'value',
  }
  return { data, layout }
}

function ValueCanvas(): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  useLivePlot(divRef, buildValues, (s) => [s.curveList, s.curveData, s.hiddenSeries])
  return <div ref={divRef} className="value-plot-canvas" data-testid="value-plot" />
}

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
          x: frames(n),
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
        x: frames(n, K),
        y,
        connectgaps: false,
        hovertemplate: `${name} q̂ (made at frame %{customdata}): %{y:.4f}<extra>frame %{x}</extra>`,
        customdata: Array.from({ length: n }, (_, i) => i),
        line: { color, width: 1.6, dash: 'dash' },
      } as Data)
    })
  }
  const base = baseLayout(200, length)
  return {
    data,
    layout: { ...base, yaxis: { ...base.yaxis, title: { text: 'state' } }, showlegend: false, uirevision: `${s.curvesKey ?? ''}/${curveId}` },
  }
}

function ForesightCanvas(props: { curveId: string; joints: string[] }): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  const { curveId, joints } = props
  const invalidate = useLivePlot(
    divRef,
    (s) => buildForesight(s, curveId, joints),
    (s) => [s.curveData[curveId]],
  )
  useEffect(() => invalidate(), [curveId, joints, invalidate])
  return <div ref={divRef} className="foresight-canvas" data-testid="foresight-plot" />
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
          <select
            aria-label="Foresight curve"
            value={curve.id}
            onChange={(e) => {
              setCurveId(e.target.value)
              e.target.blur()
            }}
          >
            {props.curves.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({curveSourceText(c)})
              </option>
            ))}
          </select>
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

/** Value curves of the open episode (display progress, higher = closer to success), growing live while scored. */
export function ValuePlot(props: { episode: EpisodeView }): ReactNode {
  const list = useApp((s) => s.curveList)
  const foresightCurves = useMemo(() => list.filter((c) => c.futureDim > 0 && c.futureNames.length > 0), [list])
  return (
    <section className="value-plot" aria-label="Value curves" data-episode={props.episode.index}>
      <div className="value-plot-bar">
        <span>Value curves{list.length > 0 ? ` · ${list.length}` : ''}</span>
        <span className="muted">shown as progress: higher = closer to success</span>
      </div>
      {list.length === 0 ? (
        <p className="muted value-empty">No value curves for this episode yet: score it from the Models tab.</p>
      ) : (
        <>
          <ul className="curve-legend" data-testid="value-plot-legend" aria-label="Curves">
            {list.map((info, i) => (
              <CurveLegendItem key={info.id} info={info} color={seriesColor(i)} />
            ))}
          </ul>
          <ValueCanvas />
          {foresightCurves.length > 0 ? <Foresight curves={foresightCurves} /> : null}
        </>
      )}
    </section>
  )
}
