/**
 * The value plot of the open episode as a figure for a paper: what the plot shows (the visible curves, in their
 * colours, with the display smoothing; the episode's annotated events; the zoomed range when asked) handed to the one
 * figure builder, app/figures/valueFigure. Pure: the dialog renders and downloads, this decides what is drawn.
 */
import type { Theme } from '../../../../app/figures/palette'
import { seriesColor } from '../../../../app/figures/palette'
import { valueFigure, type FigureEvent, type FigureSeries, type ValueFigure } from '../../../../app/figures/valueFigure'
import type { AnnotationsSlice } from '../annotations/state'
import { curveVisible } from '../curves/curves'
import type { CurvesSlice } from '../curves/state'
import type { PlayerSlice } from '../player/state'
import type { PlotFeaturesSlice } from '../plots/state'
import { displayedValues } from '../plots/valueAnalysis'

export type FigureSource = Pick<PlayerSlice, 'episode'> &
  Pick<CurvesSlice, 'curveList' | 'curveData' | 'hiddenSeries'> &
  Pick<PlotFeaturesSlice, 'valueSmoothing' | 'plotRange'> &
  Pick<AnnotationsSlice, 'project'>

export interface FigureChoice {
  width: number
  height: number
  theme: Theme
  /** Empty: no title. */
  title: string
  /** Only the frames the plot is zoomed to (when it is); else the whole episode. */
  zoomed: boolean
}

/** The frames the plots are zoomed to, as whole frames inside the episode; null when not zoomed (or nothing left). */
export function zoomedFrames(length: number, plotRange: readonly [number, number] | null): [number, number] | null {
  if (!plotRange) return null
  const from = Math.max(0, Math.ceil(plotRange[0]))
  const to = Math.min(length - 1, Math.floor(plotRange[1]))
  return to > from ? [from, to] : null
}

/** The visible curves as the value plot draws them, each in its plot colour (its place in the curve list). */
export function figureSeries(s: FigureSource): FigureSeries[] {
  const out: FigureSeries[] = []
  s.curveList.forEach((info, i) => {
    const entry = s.curveData[info.id]
    if (!entry || !curveVisible(s, info)) return
    out.push({ name: info.name, values: displayedValues(entry.values, info, s.valueSmoothing), color: seriesColor(i) })
  })
  return out
}

/** The open episode's annotated events, in frame order. */
export function figureEvents(s: Pick<FigureSource, 'episode' | 'project'>): FigureEvent[] {
  const ep = s.episode
  if (!ep || !s.project) return []
  return [...s.project.events.values()]
    .filter((e) => e.episode === ep.index)
    .sort((a, b) => a.frame - b.frame)
    .map((e) => ({ kind: e.kind, frame: e.frame, label: e.label }))
}

/** The figure of the open episode; throws a VivaError (size out of bounds, no room for the legend) to show as is. */
export function episodeFigure(s: FigureSource, choice: FigureChoice): ValueFigure {
  const length = s.episode?.length ?? 1
  const range = (choice.zoomed ? zoomedFrames(length, s.plotRange) : null) ?? [0, Math.max(1, length - 1)]
  return valueFigure(figureSeries(s), figureEvents(s), {
    width: choice.width,
    height: choice.height,
    theme: choice.theme,
    from: range[0],
    to: range[1],
    yLabel: 'progress',
    ...(choice.title.trim() !== '' ? { title: choice.title.trim() } : {}),
  })
}

/** `<dataset>-episode-<n>-value-<w>x<h>.<ext>`, with characters file systems refuse replaced. */
export function figureFileName(datasetName: string, episode: number, choice: Pick<FigureChoice, 'width' | 'height'>, ext: 'svg' | 'png'): string {
  const base = datasetName.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '') || 'figure'
  return `${base}-episode-${episode}-value-${choice.width}x${choice.height}.${ext}`
}
