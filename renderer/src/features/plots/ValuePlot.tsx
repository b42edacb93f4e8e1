import { useRef, type ReactNode } from 'react'
import type { Data, Layout, Shape } from 'plotly.js'
import { episodeLabels } from '../../../../app/annotationEdits'
import type { EpisodeView } from '../../../../app/contract'
import type { CurveConvention, CurveInfo } from '../../../../app/curves'
import { THEME_COLORS, type Theme } from '../../../../app/figures/palette'
import { groundTruthProgress, type EpisodeOutcome } from '../../../../app/metrics'
import { shownAdvantages } from '../advantages/state'
import { curveComputed, curveVisible, type CurveEntry } from '../curves/curves'
import { shownCandidates } from '../detector/state'
import { jobActive } from '../jobs/state'
import { useApp } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { baseLayout, candidateShapes, candidateTrace, frames, seriesColor, type PlotSpec } from './plotShared'
import type { PlotCaches } from './plotCaches'
import { PlotFrame } from './PlotFrame'
import { PlotHeightSplitter } from './PlotHeightSplitter'
import { useLivePlot } from './useLivePlot'
import { FigureExportButton } from '../figures/FigureExport'
import { useCandidateDetection, useDetectorCalibration } from '../detector/useCandidateDetection'
import { bandPolygons, bandRanges, displayedValues, MAX_VALUE_SMOOTHING } from './valueAnalysis'
import './valueAnalysis.css'

/** Colour of the dashed ground-truth progress line: the theme's text colour, apart from every series colour. */
const gtColor = (theme: Theme): string => THEME_COLORS[theme].text

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
  const y = displayedValues(entry.values, entry.info, smoothing)
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
        {list.length > 0 ? <FigureExportButton /> : null}
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
