import type { Config, Data, Layout, Shape } from 'plotly.js'
import type { AnnotationEvent } from '../../../../app/annotations'

/** What every plot under the video shares: colours, annotation markers, the frame cursor. */
export const EVENT_COLORS = { milestone: '#2fbf71', error: '#ff4d4f' } as const

/** Colours for curves / joints, in order (readable on the dark background). */
export const SERIES_COLORS = ['#4f8cff', '#f0b429', '#2fbf71', '#c678dd', '#ff7f50', '#56b6c2', '#e06c75', '#98c379', '#d19a66', '#61afef'] as const

export function seriesColor(i: number): string {
  return SERIES_COLORS[((i % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length] ?? '#4f8cff'
}

/** Event lines span the plot; the cursor is drawn last so it stays on top. */
export function shapes(frame: number, events: AnnotationEvent[], selected: string | null): Partial<Shape>[] {
  const lines: Partial<Shape>[] = events.map((e) => ({
    type: 'line',
    xref: 'x',
    yref: 'paper',
    x0: e.frame,
    x1: e.frame,
    y0: 0,
    y1: 1,
    line: { color: EVENT_COLORS[e.kind], width: e.id === selected ? 2.5 : 1, dash: 'dot' },
  }))
  return [...lines, cursorShape(frame)]
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

export function cursorShape(frame: number): Partial<Shape> {
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

/** The dark theme and frame axis of the plots under the video; yaxis2 carries the event markers. */
export function baseLayout(height: number, length: number): Partial<Layout> {
  return {
    margin: { l: 48, r: 8, t: 8, b: 28 },
    height,
    paper_bgcolor: '#15171c',
    plot_bgcolor: '#15171c',
    font: { color: '#c9ced6', size: 11 },
    xaxis: { title: { text: 'frame' }, range: [0, Math.max(1, length - 1)], zeroline: false, gridcolor: '#2a2e36' },
    yaxis: { zeroline: false, gridcolor: '#2a2e36' },
    yaxis2: { overlaying: 'y', range: [-0.06, 1.06], visible: false, fixedrange: true },
    hovermode: 'x',
  }
}

export const PLOT_CONFIG: Partial<Config> = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d'],
}
