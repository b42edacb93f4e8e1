import type { Config, Data, Layout, Shape } from 'plotly.js'
import type { AnnotationEvent } from '../../../../app/annotations'
import type { Candidate } from '../../../../app/detector'
import { EVENT_COLORS, SERIES_COLORS, THEME_COLORS, type Theme } from '../../../../app/figures/palette'
import type { PlotCaches } from './plotCaches'

/**
 * What every plot under the video shares: colours (app/figures/palette: the same ones the exported figures and
 * rendered videos use, ≥ 20 distinguishable series colours), annotation markers, the frame cursor.
 */
export { EVENT_COLORS, SERIES_COLORS, seriesColor } from '../../../../app/figures/palette'

export interface PlotSpec {
  /** Traces of the plot; the annotation markers are added after them. */
  data: Data[]
  /** Layout without shapes (event lines are added); xaxis.range is the whole episode (the shared zoom overrides it). */
  layout: Partial<Layout>
}

/** Event lines spanning the plot (the frame cursor is a DOM element over the plot, see PlotFrame). */
export function shapes(events: AnnotationEvent[], selected: string | null): Partial<Shape>[] {
  return events.map((e) => ({
    type: 'line',
    xref: 'x',
    yref: 'paper',
    x0: e.frame,
    x1: e.frame,
    y0: 0,
    y1: 1,
    line: { color: EVENT_COLORS[e.kind], width: e.id === selected ? 2.5 : 1, dash: 'dot' },
  }))
}

/** Clickable markers for events (milestones on top, errors at the bottom) on a hidden 0..1 axis. */
export function eventTrace(events: AnnotationEvent[]): Data {
  return {
    type: 'scatter',
    mode: 'markers',
    name: 'events',
    showlegend: false,
    yaxis: 'y2',
    x: events.map((e) => e.frame),
    y: events.map((e) => (e.kind === 'milestone' ? 1 : 0)),
    customdata: events.map((e) => e.id),
    text: events.map((e) => `${e.kind}: ${e.label}`),
    hovertemplate: '%{text}<extra>frame %{x}</extra>',
    marker: {
      size: 11,
      symbol: events.map((e) => (e.kind === 'milestone' ? 'triangle-up' : 'triangle-down')),
      color: events.map((e) => EVENT_COLORS[e.kind]),
    },
  } as Data
}

/**
 * The theme's colours (THEME_COLORS: the same as exported figures) and the frame axis of the plots under the video;
 * yaxis2 carries the event markers. The colorway is the 24-colour series palette, so up to 24 traces (14 joints of
 * an ALOHA state, a state and an action together) each get their own colour, not Plotly's 10 repeating.
 */
export function baseLayout(height: number, length: number, theme: Theme): Partial<Layout> {
  const c = THEME_COLORS[theme]
  return {
    margin: { l: 48, r: 8, t: 8, b: 28 },
    height,
    paper_bgcolor: c.background,
    plot_bgcolor: c.background,
    font: { color: c.text, size: 11 },
    colorway: [...SERIES_COLORS],
    xaxis: { title: { text: 'frame' }, range: [0, Math.max(1, length - 1)], zeroline: false, gridcolor: c.grid, linecolor: c.axis },
    yaxis: { zeroline: false, gridcolor: c.grid, linecolor: c.axis },
    yaxis2: { overlaying: 'y', range: [-0.06, 1.06], visible: false, fixedrange: true },
    hovermode: 'x',
    hoverlabel: { bgcolor: c.background, font: { color: c.text } },
    legend: { font: { color: c.text } },
  }
}

// Plotly 4 shows a "Share chart…" button by default (showSendToCloud) that offers to upload the plot's data to
// Plotly Cloud; the app promises that nothing leaves the machine, so it and any server URL are off.
// e2e/web/noNetwork.spec.ts checks the toolbars and every request the page makes.
export const PLOT_CONFIG: Partial<Config> = {
  displaylogo: false,
  responsive: true,
  showSendToCloud: false,
  showEditInChartStudio: false,
  plotlyServerURL: '',
  showLink: false,
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'sendDataToCloud'],
}

/** Keys of candidates (kind@frame) as candidateKey in the store makes them. */
function keyOf(c: Candidate): string {
  return `${c.kind}@${c.frame}`
}

function candidateText(c: Candidate): string {
  return `suggested ${c.kind} · strength ${c.strength.toFixed(3)}`
}

/**
 * Detected (suggested, unsaved) events: hollow markers just inside the annotation markers (milestones near the top,
 * errors near the bottom), clickable to select the candidate. The selection shows on its line (candidateShapes), so
 * selecting never redraws the data.
 */
export function candidateTrace(candidates: readonly Candidate[]): Data {
  return {
    type: 'scatter',
    mode: 'markers',
    name: 'candidates',
    showlegend: false,
    yaxis: 'y2',
    x: candidates.map((c) => c.frame),
    y: candidates.map((c) => (c.kind === 'milestone' ? 0.9 : 0.1)),
    customdata: candidates.map(keyOf),
    text: candidates.map(candidateText),
    hovertemplate: '%{text}<extra>frame %{x}</extra>',
    marker: {
      size: 11,
      symbol: candidates.map((c) => (c.kind === 'milestone' ? 'triangle-up-open' : 'triangle-down-open')),
      color: candidates.map((c) => EVENT_COLORS[c.kind]),
      line: { width: 1.5 },
    },
  } as Data
}

/** Dashed lines at candidates (annotated events have dotted ones); the selected candidate's is thicker. */
export function candidateShapes(candidates: readonly Candidate[], selected: string | null): Partial<Shape>[] {
  return candidates.map((c) => {
    const on = keyOf(c) === selected
    return {
      type: 'line',
      xref: 'x',
      yref: 'paper',
      x0: c.frame,
      x1: c.frame,
      y0: 0,
      y1: 1,
      opacity: on ? 1 : 0.55,
      line: { color: EVENT_COLORS[c.kind], width: on ? 2 : 1, dash: 'dash' },
    }
  })
}

/** 0, 1, …, n − 1 (shared and stable, so Plotly sees the same x array across redraws); + offset when given. */
export function frames(caches: Pick<PlotCaches, 'frameAxis'>, n: number, offset = 0): Float32Array {
  if (offset !== 0) return Float32Array.from({ length: n }, (_, i) => i + offset)
  if (caches.frameAxis.length !== n) caches.frameAxis = Float32Array.from({ length: n }, (_, i) => i)
  return caches.frameAxis
}
