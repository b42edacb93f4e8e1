import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { Data, Layout, Shape } from 'plotly.js'
import { episodeLabels } from '../../../../app/annotationEdits'
import type { EpisodeView } from '../../../../app/contract'
import { toDisplay, type CurveConvention, type CurveInfo } from '../../../../app/curves'
import { THEME_COLORS, type Theme } from '../../../../app/figures/palette'
import { groundTruthProgress, type EpisodeOutcome } from '../../../../app/metrics'
import { shownAdvantages } from '../advantages/state'
import { analysisCurve, curveComputed, curveVisible, type CurveEntry } from '../curves/curves'
import { shownCandidates } from '../detector/state'
import { jobActive } from '../jobs/state'
import { useApp } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { baseLayout, candidateShapes, candidateTrace, frames, seriesColor, type PlotSpec } from './plotShared'
import type { PlotCaches } from './plotCaches'
import { PlotFrame } from './PlotFrame'
import { PlotHeightSplitter } from './PlotHeightSplitter'
import { useLivePlot } from './useLivePlot'
import { AdvantagesControl } from '../advantages/AdvantagesControl'
import { DetectorPanel } from '../detector/DetectorPanel'
import { useCandidateDetection, useDetectorCalibration } from '../detector/useCandidateDetection'
import { bandPolygons, bandRanges, emaSmooth, MAX_VALUE_SMOOTHING } from './valueAnalysis'
import './valueAnalysis.css'

/** Colour of the dashed ground-truth progress line: the theme's text colour, apart from every series colour. */
const gtColor = (theme: Theme): string => THEME_COLORS[theme].text

const FORESIGHT_HEIGHT = 200

const CONVENTION_NAMES: Record<CurveConvention, string> = {
  progress: 'progress',
  remaining: 'remaining progress (1 − v)',
  'remaining-frames': 'remaining frames',
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
      {info.warnings.length > 0 ? (
        // Out-of-distribution input: the values may mean nothing. The whole reason is in the tooltip and below.
        <span className="curve-badge curve-badge-warning" data-testid={`curve-warning-${info.id}`} title={info.warnings.join('\n')}>
          ⚠ input out of range
        </span>
      ) : null}
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

/** Display array of a curve, kept while the curve's values, convention and smoothing stay the same. */
function displayValues(caches: PlotCaches, entry: CurveEntry, smoothing: number): Float32Array {
  const displayCache = caches.display
  const hit = displayCache.get(entry.info.id)
  if (hit && hit.entry === entry && hit.smoothing === smoothing) return hit.y
  const shown = toDisplay(entry.values, entry.info.convention, entry.info.length)
  const y = smoothing > 0 ? emaSmooth(shown, smoothing) : shown
  displayCache.set(entry.info.id, { entry, smoothing, y })
  if (displayCache.size > 64) displayCache.delete(displayCache.keys().next().value as string)
  return y
}

/** The open episode's annotated outcome when it has a ground truth (success / failure), else null. */
export function groundTruthOutcome(s: Pick<AppState, 'project' | 'episode'>): EpisodeOutcome | null {
  if (!s.project || !s.episode) return null
  const o = episodeLabels(s.project, s.episode.index).outcome
  return o === 'success' || o === 'failure' ? o : null
}

function groundTruth(caches: PlotCaches, length: number, outcome: EpisodeOutcome): Float64Array {
  const memo = caches.groundTruth
  if (memo && memo.length === length && memo.outcome === outcome) return memo.y
  caches.groundTruth = { length, outcome, y: groundTruthProgress(length, outcome) }
  return caches.groundTruth.y
}

function buildValues(s: AppState): PlotSpec {
  const caches = s.plotCaches
  const length = s.episode?.length ?? 1
  const data: Data[] = []
  let lo = 0
  let hi = 1
  const advantages = shownAdvantages(s)
  if (advantages) {
    let bandMemo = caches.band
    if (!bandMemo || bandMemo.result !== advantages) {
      const { x, y } = bandPolygons(bandRanges(advantages.indicators))
      bandMemo = caches.band = {
        result: advantages,
        trace: {
          type: 'scatter',
          mode: 'lines',
          name: 'advantage',
          x,
          y,
          yaxis: 'y3',
          fill: 'toself',
          fillcolor: 'rgba(47, 191, 113, 0.12)',
          line: { width: 0 },
          hoverinfo: 'skip',
          showlegend: false,
        } as Data,
      }
    }
    data.push(bandMemo.trace)
  }
  s.curveList.forEach((info, i) => {
    const entry = s.curveData[info.id]
    if (!entry || !curveVisible(s, info)) return
    const y = displayValues(caches, entry, s.valueSmoothing)
    for (let k = 0; k < y.length; k++) {
      const v = y[k] as number
      if (v < lo) lo = v
      else if (v > hi) hi = v
    }
    data.push({
      type: 'scattergl',
      mode: 'lines',
      name: info.name,
      x: frames(caches, y.length),
      y,
      connectgaps: false,
      showlegend: false,
      hovertemplate: `${info.name}: %{y:.3f}<extra>frame %{x}</extra>`,
      line: { color: seriesColor(i), width: 1.6 },
    } as Data)
  })
  const outcome = groundTruthOutcome(s)
  if (outcome) {
    // SVG, not WebGL: a straight dashed line (Plotly simplifies it to a few points), kept apart from the curves.
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: 'ground truth',
      x: frames(caches, length),
      y: groundTruth(caches, length, outcome),
      showlegend: false,
      hovertemplate: `ground truth (${outcome}): %{y:.3f}<extra>frame %{x}</extra>`,
      line: { color: gtColor(s.theme), width: 1.3, dash: 'dash' },
    } as Data)
  }
  const candidates = shownCandidates(s)
  if (candidates.length > 0) {
    if (caches.candidates?.list !== candidates) caches.candidates = { list: candidates, trace: candidateTrace(candidates) }
    data.push(caches.candidates.trace)
  }
  const base = baseLayout(s.paneSizes.valuePlotHeight, length, s.theme)
  const pad = 0.05 * (hi - lo)
  const layout: Partial<Layout> = {
    ...base,
    yaxis: { ...base.yaxis, title: { text: 'progress' }, range: [lo - pad, hi + pad] },
    yaxis3: { overlaying: 'y', range: [0, 1], visible: false, fixedrange: true },
    showlegend: false,
    uirevision: s.curvesKey ?? 'value',
  }
  return { data, layout }
}

function valueShapes(s: AppState): Partial<Shape>[] {
  return candidateShapes(shownCandidates(s), s.selectedCandidate)
}

function ValueCanvas(): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  const cursorRef = useRef<HTMLDivElement>(null)
  useLivePlot(
    divRef,
    buildValues,
    (s) => [s.curveList, s.curveData, s.hiddenSeries, s.valueSmoothing, shownCandidates(s), shownAdvantages(s), s.paneSizes.valuePlotHeight],
    { cursorRef, shapes: valueShapes, shapesWatch: (s) => [shownCandidates(s), s.selectedCandidate] },
  )
  const height = useApp((s) => s.paneSizes.valuePlotHeight)
  return <PlotFrame plotRef={divRef} cursorRef={cursorRef} className="value-plot-canvas" testId="value-plot" height={height} />
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

/** Display smoothing of the value curves (EMA), in percent; metrics and the detector use the raw values. */
function SmoothingControl(): ReactNode {
  const a = useApp((s) => s.valueSmoothing)
  const setSmoothing = useApp((s) => s.setValueSmoothing)
  const pct = Math.round(a * 100)
  return (
    <label
      className="smoothing-control"
      title={
        'Display smoothing (exponential moving average): s_t = a·s_{t−1} + (1−a)·v_t, s_0 = v_0. ' +
        'Display only: metrics, advantages and the detector use the values as computed. The paper smooths its figures by 20 %.'
      }
    >
      smoothing
      <input
        type="range"
        aria-label="Smoothing"
        data-testid="smoothing-input"
        min={0}
        max={Math.round(MAX_VALUE_SMOOTHING * 100)}
        step={1}
        value={pct}
        onChange={(e) => setSmoothing(Number(e.target.value) / 100)}
      />
      <span className="smoothing-value" data-testid="smoothing-value">
        {pct} %
      </span>
    </label>
  )
}

/** The dashed ground-truth line's legend entry, or why there is none. */
function GroundTruthLegend(): ReactNode {
  const outcome = useApp(groundTruthOutcome)
  const theme = useApp((s) => s.theme)
  if (!outcome) {
    return (
      <li className="muted gt-note" data-testid="gt-curve-note">
        No ground-truth progress: this episode&apos;s outcome is unknown (mark it success or failure with S / F).
      </li>
    )
  }
  return (
    <li className="curve-item gt-item" data-testid="gt-curve-legend" title="1 − G/2 with the paper's return G (eq. 2), from the annotated outcome">
      <span className="swatch swatch-dashed" style={{ borderColor: gtColor(theme) }} />
      <span className="curve-name">ground truth</span>
      <span className="muted curve-meta">progress of a {outcome}</span>
    </li>
  )
}

/** Which curve the detector and the advantages use. */
function AnalysisCurveSelect(props: { curves: CurveInfo[] }): ReactNode {
  const curve = useApp(analysisCurve)
  const setCurve = useApp((s) => s.setAnalysisCurve)
  if (!curve) return null
  return (
    <label className="analysis-curve" title="The curve the event detector and the advantages work on">
      analyze
      <select
        aria-label="Analysis curve"
        data-testid="analysis-curve"
        value={curve.id}
        onChange={(e) => {
          setCurve(e.target.value)
          e.target.blur()
        }}
      >
        {props.curves.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({curveSourceText(c)})
          </option>
        ))}
      </select>
    </label>
  )
}

/** Value curves of the open episode (display progress, higher = closer to success), growing live while scored. */
export function ValuePlot(props: { episode: EpisodeView }): ReactNode {
  const list = useApp((s) => s.curveList)
  useCandidateDetection()
  useDetectorCalibration()
  return (
    <section className="value-plot" aria-label="Value curves" data-episode={props.episode.index}>
      <div className="value-plot-bar">
        <span>Value curves{list.length > 0 ? ` · ${list.length}` : ''}</span>
        <span className="muted">shown as progress: higher = closer to success</span>
        {list.length > 0 ? <SmoothingControl /> : null}
      </div>
      {list.length === 0 ? (
        <p className="muted value-empty">No value curves for this episode yet: score it from the Models tab.</p>
      ) : (
        <>
          <ul className="curve-legend" data-testid="value-plot-legend" aria-label="Curves">
            {list.map((info, i) => (
              <CurveLegendItem key={info.id} info={info} color={seriesColor(i)} />
            ))}
            <GroundTruthLegend />
          </ul>
          <ValueCanvas />
          <PlotHeightSplitter pane="valuePlotHeight" testId="value-plot-splitter" />
        </>
      )}
    </section>
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
