import { VivaError } from '../errors'
import { EVENT_COLORS, seriesColor, THEME_COLORS, type Theme } from './palette'

/**
 * The value plot as a standalone SVG figure for papers: curves over a frame range, annotated events as dashed
 * lines with their labels, axes with ticks, a legend, at a chosen pixel size, light background by default. The one
 * drawing of a value figure: the UI's SVG/PNG export and `viva render`'s plot strip (rasterized by ffmpeg's librsvg)
 * both use it, and `xOf` tells a renderer where each frame's cursor goes.
 */

export interface FigureSeries {
  name: string
  /** One value per frame of the episode (index = frame); NaN where the curve has no value. */
  values: ArrayLike<number>
  color?: string
}

export interface FigureEvent {
  kind: 'milestone' | 'error'
  frame: number
  label: string
}

export interface ValueFigureOptions {
  width: number
  height: number
  theme?: Theme
  /** First and last frame shown (inclusive); default the whole longest series. */
  from?: number
  to?: number
  title?: string
  xLabel?: string
  yLabel?: string
  legend?: boolean
  fontSize?: number
}

export interface PlotArea {
  left: number
  top: number
  width: number
  height: number
}

export interface ValueFigure {
  svg: string
  plot: PlotArea
  from: number
  to: number
  /** x pixel of a frame's position in the figure. */
  xOf: (frame: number) => number
  yOf: (value: number) => number
}

export const FIGURE_LIMITS = { minWidth: 160, maxWidth: 8000, minHeight: 120, maxHeight: 8000 } as const

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
}

/** About 4–8 round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target: number): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / Math.max(1, target)
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag)
  const ticks: number[] = []
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 1 ? 2 : 1)
}

/** Rough text width for layout (SVG has no text metrics without a renderer): 0.6 em per character. */
function textWidth(text: string, size: number): number {
  return text.length * size * 0.6
}

function checkSize(o: { width: number; height: number }): void {
  const { minWidth, maxWidth, minHeight, maxHeight } = FIGURE_LIMITS
  if (!Number.isInteger(o.width) || o.width < minWidth || o.width > maxWidth) {
    throw new VivaError('INVALID_ARGUMENT', `Figure width must be a whole number of pixels from ${minWidth} to ${maxWidth} (got ${o.width})`)
  }
  if (!Number.isInteger(o.height) || o.height < minHeight || o.height > maxHeight) {
    throw new VivaError('INVALID_ARGUMENT', `Figure height must be a whole number of pixels from ${minHeight} to ${maxHeight} (got ${o.height})`)
  }
}

/** A figure size as a person types it: "1200×600" (×, x, X or * between; spaces and a trailing "px" allowed). */
export function parseFigureSize(text: string): { width: number; height: number } {
  const m = /^\s*(\d+)\s*[×xX*]\s*(\d+)\s*(?:px)?\s*$/.exec(text)
  if (!m) throw new VivaError('INVALID_ARGUMENT', `Type the figure size as width×height in pixels, e.g. 1200×600 (got "${text.trim()}")`)
  const size = { width: Number(m[1]), height: Number(m[2]) }
  checkSize(size)
  return size
}

interface LegendItem {
  label: string
  color: string
  mark: 'line' | 'milestone' | 'error'
}

/** Legend items laid out in rows under the plot: returns the rows' item positions and the height they take. */
function layoutLegend(items: LegendItem[], width: number, size: number): { rows: { item: LegendItem; x: number }[][]; height: number } {
  const rows: { item: LegendItem; x: number }[][] = []
  let row: { item: LegendItem; x: number }[] = []
  let x = 0
  for (const item of items) {
    const w = 22 + textWidth(item.label, size) + 16
    if (row.length > 0 && x + w > width) {
      rows.push(row)
      row = []
      x = 0
    }
    row.push({ item, x })
    x += w
  }
  if (row.length > 0) rows.push(row)
  return { rows, height: rows.length * size * 1.6 }
}

function seriesPath(values: ArrayLike<number>, from: number, to: number, xOf: (f: number) => number, yOf: (v: number) => number): string {
  const parts: string[] = []
  let pen = false
  for (let f = from; f <= to && f < values.length; f++) {
    const v = values[f]
    if (v === undefined || !Number.isFinite(v)) {
      pen = false
      continue
    }
    parts.push(`${pen ? 'L' : 'M'}${xOf(f).toFixed(2)} ${yOf(v).toFixed(2)}`)
    pen = true
  }
  return parts.join('')
}

export function valueFigure(series: readonly FigureSeries[], events: readonly FigureEvent[], o: ValueFigureOptions): ValueFigure {
  checkSize(o)
  const colors = THEME_COLORS[o.theme ?? 'light']
  const longest = series.reduce((m, s) => Math.max(m, s.values.length), 0)
  const from = Math.max(0, Math.floor(o.from ?? 0))
  const to = Math.max(from + 1, Math.floor(o.to ?? Math.max(1, longest - 1)))
  const size = o.fontSize ?? Math.max(10, Math.min(18, Math.round(o.width / 70)))

  let lo = 0
  let hi = 1
  for (const s of series) {
    for (let f = from; f <= to && f < s.values.length; f++) {
      const v = s.values[f]
      if (v !== undefined && Number.isFinite(v)) {
        lo = Math.min(lo, v)
        hi = Math.max(hi, v)
      }
    }
  }
  const pad = (hi - lo) * 0.04
  lo -= pad
  hi += pad

  const items: LegendItem[] = series.map((s, i) => ({ label: s.name, color: s.color ?? seriesColor(i), mark: 'line' }))
  if (events.some((e) => e.kind === 'milestone')) items.push({ label: 'milestone', color: EVENT_COLORS.milestone, mark: 'milestone' })
  if (events.some((e) => e.kind === 'error')) items.push({ label: 'error', color: EVENT_COLORS.error, mark: 'error' })

  const yTicks = niceTicks(lo, hi, Math.max(2, Math.round(o.height / 60)))
  const left = Math.ceil(size * 1.6 + Math.max(...yTicks.map((t) => textWidth(fmt(t), size))) + 10)
  const right = Math.ceil(size)
  const top = Math.ceil(o.title ? size * 2.4 : size * 0.8)
  const legend = o.legend === false ? { rows: [], height: 0 } : layoutLegend(items, o.width - left - right, size)
  const bottom = Math.ceil(size * 3.2 + legend.height)
  const plot: PlotArea = { left, top, width: o.width - left - right, height: o.height - top - bottom }
  if (plot.width < 40 || plot.height < 30) {
    throw new VivaError('INVALID_ARGUMENT', `A ${o.width}×${o.height} figure leaves no room for the plot with ${items.length} legend entries; make it larger`)
  }
  const xOf = (frame: number): number => plot.left + ((frame - from) / (to - from)) * plot.width
  const yOf = (value: number): number => plot.top + (1 - (value - lo) / (hi - lo)) * plot.height

  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}" viewBox="0 0 ${o.width} ${o.height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${size}">`,
    `<rect width="100%" height="100%" fill="${colors.background}"/>`,
  )
  if (o.title) out.push(`<text x="${plot.left}" y="${(size * 1.5).toFixed(1)}" fill="${colors.text}" font-weight="bold">${escapeXml(o.title)}</text>`)
  // grid and ticks
  const xTicks = niceTicks(from, to, Math.max(2, Math.round(plot.width / 90))).filter((t) => Number.isInteger(t))
  for (const t of yTicks) {
    const y = yOf(t).toFixed(2)
    out.push(`<line x1="${plot.left}" x2="${plot.left + plot.width}" y1="${y}" y2="${y}" stroke="${colors.grid}"/>`)
    out.push(`<text x="${plot.left - 6}" y="${y}" fill="${colors.muted}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`)
  }
  for (const t of xTicks) {
    const x = xOf(t).toFixed(2)
    out.push(`<line x1="${x}" x2="${x}" y1="${plot.top}" y2="${plot.top + plot.height}" stroke="${colors.grid}"/>`)
    out.push(`<text x="${x}" y="${(plot.top + plot.height + size * 1.3).toFixed(1)}" fill="${colors.muted}" text-anchor="middle">${t}</text>`)
  }
  out.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="${colors.axis}"/>`)
  out.push(`<text x="${(plot.left + plot.width / 2).toFixed(1)}" y="${(plot.top + plot.height + size * 2.6).toFixed(1)}" fill="${colors.text}" text-anchor="middle">${escapeXml(o.xLabel ?? 'frame')}</text>`)
  const yMid = (plot.top + plot.height / 2).toFixed(1)
  out.push(`<text x="${(size * 0.9).toFixed(1)}" y="${yMid}" fill="${colors.text}" text-anchor="middle" transform="rotate(-90 ${(size * 0.9).toFixed(1)} ${yMid})">${escapeXml(o.yLabel ?? 'value')}</text>`)
  // events under the curves: dashed line, a marker at the edge, the label along the line
  // Classes and data-* name what each group is, so a reader of the file (or a test) finds events and legend.
  out.push(`<g class="events">`)
  for (const e of events) {
    if (e.frame < from || e.frame > to) continue
    const x = xOf(e.frame)
    const color = EVENT_COLORS[e.kind]
    out.push(`<g class="event" data-kind="${e.kind}" data-frame="${e.frame}">`)
    out.push(`<line x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${plot.top}" y2="${plot.top + plot.height}" stroke="${color}" stroke-dasharray="5 4" stroke-width="1.5"/>`)
    const m = size * 0.45
    const marker =
      e.kind === 'milestone'
        ? `${x - m},${plot.top + m * 1.6} ${x + m},${plot.top + m * 1.6} ${x},${plot.top}`
        : `${x - m},${plot.top + plot.height - m * 1.6} ${x + m},${plot.top + plot.height - m * 1.6} ${x},${plot.top + plot.height}`
    out.push(`<polygon points="${marker}" fill="${color}"/>`)
    if (e.label) {
      const ly = (plot.top + size * 1.4).toFixed(1)
      const lx = (x + size * 0.35).toFixed(1)
      out.push(`<text x="${lx}" y="${ly}" fill="${color}" font-size="${Math.round(size * 0.8)}" transform="rotate(90 ${lx} ${ly})">${escapeXml(e.label)}</text>`)
    }
    out.push(`</g>`)
  }
  out.push(`</g>`)
  series.forEach((s, i) => {
    const d = seriesPath(s.values, from, to, xOf, yOf)
    if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color ?? seriesColor(i)}" stroke-width="2" stroke-linejoin="round"/>`)
  })
  // legend rows under the x axis label
  if (legend.rows.length > 0) out.push(`<g class="legend">`)
  legend.rows.forEach((row, r) => {
    const y = plot.top + plot.height + size * 3.2 + r * size * 1.6 + size * 0.8
    for (const { item, x: dx } of row) {
      const x = plot.left + dx
      out.push(`<g class="legend-item" data-mark="${item.mark}">`)
      if (item.mark === 'line') out.push(`<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${item.color}" stroke-width="3"/>`)
      else out.push(`<line x1="${x + 8}" x2="${x + 8}" y1="${y - size * 0.55}" y2="${y + size * 0.55}" stroke="${item.color}" stroke-dasharray="3 2" stroke-width="2"/>`)
      out.push(`<text x="${x + 22}" y="${y}" fill="${colors.text}" dominant-baseline="middle">${escapeXml(item.label)}</text>`, `</g>`)
    }
  })
  if (legend.rows.length > 0) out.push(`</g>`)
  out.push('</svg>')
  return { svg: out.join('\n'), plot, from, to, xOf, yOf }
}
