import { useCallback, useEffect, useRef, type RefObject } from 'react'
import type { Layout, PlotlyHTMLElement, PlotRelayoutEvent, Shape } from 'plotly.js'
import type { AnnotationEvent } from '../../../../app/annotations'
import { episodeEvents } from '../annotations/state'
import { useAppStore } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { loadPlotly, type PlotlyModule } from './plotly'
import { eventTrace, PLOT_CONFIG, shapes as eventShapes, type PlotSpec } from './plotShared'

export type { PlotSpec } from './plotShared'

/** Data redraws at most this often (about 10×/s), however fast values arrive. */
export const REDRAW_INTERVAL_MS = 100

export interface LivePlotOptions {
  /**
   * The frame cursor: an absolutely positioned element (a sibling of the plot, see PlotFrame) moved over the plot
   * area with a CSS transform on every frame change. The plot itself is never redrawn or relaid out for the cursor,
   * so the cursor keeps up with playback whatever the amount of data.
   */
  cursorRef: RefObject<HTMLDivElement | null>
  /** Shapes besides the event lines (drawn below them), e.g. candidate lines. */
  shapes?: (state: AppState) => Partial<Shape>[]
  /** What `shapes` depends on: a change relays out the shapes only (no data redraw). */
  shapesWatch?: (state: AppState) => readonly unknown[]
  /** Called once the plot exists, for extra Plotly handlers (legend clicks). */
  onInit?: (el: PlotlyHTMLElement) => void
}

interface Geometry {
  left: number
  top: number
  width: number
  height: number
  r0: number
  r1: number
}

function changed(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length !== b.length || a.some((v, i) => v !== b[i])
}

/** The x range a plotly_relayout event sets: a range, 'auto' (autorange / reset), or null (not an x change). */
export function relayoutXRange(ev: Record<string, unknown>): [number, number] | 'auto' | null {
  const r = ev['xaxis.range']
  if (Array.isArray(r) && r.length === 2) {
    const a = Number(r[0])
    const b = Number(r[1])
    return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null
  }
  if ('xaxis.range[0]' in ev && 'xaxis.range[1]' in ev) {
    const a = Number(ev['xaxis.range[0]'])
    const b = Number(ev['xaxis.range[1]'])
    return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null
  }
  if (ev['xaxis.autorange'] === true) return 'auto'
  return null
}

/**
 * A Plotly chart under the video that follows the store without re-rendering React: `build` is called (with the
 * latest state) on mount and whenever `watch` returns something different, throttled to REDRAW_INTERVAL_MS, via
 * Plotly.react (data arrays are treated as immutable: a builder hands the same array objects back for unchanged
 * data, so Plotly recomputes only what changed). Event lines and `options.shapes` are relaid out on their own when
 * they change; the frame cursor is a DOM element moved by a transform (options.cursorRef). The x range (zoom / pan)
 * is shared through the store with every other such plot. Clicking seeks (and selects an annotation marker or a
 * candidate). Returns a function that asks for a redraw (for component state that `watch` cannot see).
 */
export function useLivePlot(
  divRef: RefObject<HTMLDivElement | null>,
  build: (state: AppState) => PlotSpec,
  watch: (state: AppState) => readonly unknown[],
  options: LivePlotOptions,
): () => void {
  const store = useAppStore()
  const buildRef = useRef(build)
  buildRef.current = build
  const watchRef = useRef(watch)
  watchRef.current = watch
  const optionsRef = useRef(options)
  optionsRef.current = options
  const invalidateRef = useRef<() => void>(() => undefined)

  useEffect(() => {
    const div = divRef.current
    if (!div) return
    let disposed = false
    let Plotly: PlotlyModule | null = null
    let el: PlotlyHTMLElement | null = null
    let drawing = false
    let dirty = false
    let timer: ReturnType<typeof setTimeout> | null = null
    let shapesRaf = 0
    let lastDraw = -Infinity
    let geometry: Geometry | null = null
    /** The x range the data was last built for (the episode's frames): the range of "no zoom". */
    let wholeRange: [number, number] = [0, 1]
    let watched = watchRef.current(store.getState())
    const shapesWatchOf = (s: AppState): readonly unknown[] => optionsRef.current.shapesWatch?.(s) ?? []
    let shapesWatched = shapesWatchOf(store.getState())

    // Events of the episode are recomputed only when the project or the episode changes.
    let eventsOf: { project: AppState['project']; episode: AppState['episode']; events: AnnotationEvent[] } | null = null
    const currentEvents = (s: AppState): AnnotationEvent[] => {
      if (!eventsOf || eventsOf.project !== s.project || eventsOf.episode !== s.episode) {
        eventsOf = { project: s.project, episode: s.episode, events: episodeEvents(s) }
      }
      return eventsOf.events
    }
    const currentShapes = (s: AppState): Layout['shapes'] =>
      [...(optionsRef.current.shapes?.(s) ?? []), ...eventShapes(currentEvents(s), s.selectedEventId)] as Layout['shapes']

    // ---- the cursor
    const placeCursor = (frame: number): void => {
      const cursor = optionsRef.current.cursorRef.current
      if (!cursor) return
      const g = geometry
      if (!g || g.r1 <= g.r0 || frame < g.r0 || frame > g.r1) {
        if (cursor.style.visibility !== 'hidden') cursor.style.visibility = 'hidden'
        return
      }
      const x = g.left + ((frame - g.r0) / (g.r1 - g.r0)) * g.width
      cursor.style.transform = `translate3d(${x.toFixed(1)}px, 0, 0)`
      cursor.dataset.frame = String(frame)
      if (cursor.style.visibility !== 'visible') cursor.style.visibility = 'visible'
    }
    /** Where the plot area is (after every draw, relayout or resize): read once, used by every cursor move. */
    const measure = (): void => {
      const cursor = optionsRef.current.cursorRef.current
      const area = div.querySelector('.nsewdrag')
      const parent = cursor?.parentElement
      const range = el ? (el.layout as Partial<Layout>).xaxis?.range : undefined
      const r0 = Number(range?.[0])
      const r1 = Number(range?.[1])
      if (!cursor || !area || !parent || !Number.isFinite(r0) || !Number.isFinite(r1)) {
        geometry = null
      } else {
        const a = area.getBoundingClientRect()
        const p = parent.getBoundingClientRect()
        geometry = { left: a.left - p.left, top: a.top - p.top, width: a.width, height: a.height, r0, r1 }
        cursor.style.top = `${geometry.top}px`
        cursor.style.height = `${geometry.height}px`
      }
      placeCursor(store.getState().frame)
    }

    // ---- the shared x range
    const applyRange = (): void => {
      if (disposed || !Plotly || !el || drawing) return
      const want = store.getState().plotRange ?? wholeRange
      const have = (el.layout as Partial<Layout>).xaxis?.range
      if (have && Math.abs(Number(have[0]) - want[0]) < 1e-6 && Math.abs(Number(have[1]) - want[1]) < 1e-6) return
      void Plotly.relayout(el, { 'xaxis.range': [want[0], want[1]] } as Partial<Layout>)
    }

    const relayoutShapes = (): void => {
      if (shapesRaf !== 0) return
      shapesRaf = requestAnimationFrame(() => {
        shapesRaf = 0
        if (disposed || !Plotly || !el || drawing) return
        void Plotly.relayout(el, { shapes: currentShapes(store.getState()) })
      })
    }

    const draw = async (): Promise<void> => {
      if (disposed || !Plotly) return
      if (drawing) {
        dirty = true
        return
      }
      drawing = true
      dirty = false
      lastDraw = performance.now()
      const first = el === null
      try {
        const s = store.getState()
        const spec = buildRef.current(s)
        const whole = spec.layout.xaxis?.range
        if (whole && whole.length === 2) wholeRange = [Number(whole[0]), Number(whole[1])]
        const layout: Partial<Layout> = {
          ...spec.layout,
          xaxis: { ...spec.layout.xaxis, range: s.plotRange ? [...s.plotRange] : [...wholeRange] },
          shapes: currentShapes(s),
        }
        el = await Plotly.react(div, [...spec.data, eventTrace(currentEvents(s))], layout, PLOT_CONFIG)
      } finally {
        drawing = false
      }
      if (disposed || !el) return
      if (first) {
        const plot = el
        // Annotation markers: select the event and go to it; candidate markers: select the candidate.
        plot.on('plotly_click', (ev) => {
          const point = ev.points.find((p) => p.data.name === 'events' || p.data.name === 'candidates')
          const id = point?.customdata
          if (!point || typeof id !== 'string') return
          const state = store.getState()
          if (point.data.name === 'candidates') {
            state.selectCandidate(id)
            return
          }
          if (typeof point.x === 'number') state.seek(point.x)
          state.selectEvent(id)
        })
        plot.on('plotly_relayout', (ev: PlotRelayoutEvent) => {
          const r = relayoutXRange(ev as Record<string, unknown>)
          if (r !== null) store.getState().setPlotRange(r === 'auto' ? null : r)
        })
        plot.on('plotly_afterplot', measure)
        optionsRef.current.onInit?.(plot)
      }
      measure()
      // The range may have changed while drawing (another plot zoomed).
      applyRange()
      if (dirty) schedule()
    }

    const schedule = (): void => {
      if (timer !== null || disposed) return
      const wait = Math.max(0, REDRAW_INTERVAL_MS - (performance.now() - lastDraw))
      timer = setTimeout(() => {
        timer = null
        void draw()
      }, wait)
    }
    invalidateRef.current = schedule

    // Click anywhere in the plot area seeks to that frame (Plotly's own click only reports points with data, and a
    // curve being computed has none past its end). A drag (zoom) is not a click.
    let down: { x: number; y: number } | null = null
    const onDown = (e: MouseEvent): void => {
      down = { x: e.clientX, y: e.clientY }
    }
    const onClick = (e: MouseEvent): void => {
      const start = down
      down = null
      if (!el || !start || Math.hypot(e.clientX - start.x, e.clientY - start.y) > 4) return
      const area = div.querySelector('.nsewdrag')
      if (!area || e.target !== area) return
      const range = (el.layout as Partial<Layout>).xaxis?.range
      const r0 = Number(range?.[0])
      const r1 = Number(range?.[1])
      const rect = area.getBoundingClientRect()
      if (!Number.isFinite(r0) || !Number.isFinite(r1) || rect.width <= 0) return
      store.getState().seek(r0 + ((e.clientX - rect.left) / rect.width) * (r1 - r0))
    }
    div.addEventListener('mousedown', onDown, true)
    div.addEventListener('click', onClick, true)

    const unsubscribe = store.subscribe((s, prev) => {
      // The hot path while playing: only the cursor moves.
      if (s.frame !== prev.frame) placeCursor(s.frame)
      const next = watchRef.current(s)
      const dataChanged = changed(next, watched) || s.episode !== prev.episode
      watched = next
      const nextShapes = shapesWatchOf(s)
      const shapesChanged = changed(nextShapes, shapesWatched)
      shapesWatched = nextShapes
      // A theme change redraws every plot with the theme's colours (baseLayout).
      if (dataChanged || s.project !== prev.project || s.theme !== prev.theme) schedule()
      else if (shapesChanged || s.selectedEventId !== prev.selectedEventId) relayoutShapes()
      if (s.plotRange !== prev.plotRange) applyRange()
    })

    void loadPlotly().then((P) => {
      if (disposed) return
      Plotly = P
      void draw()
    })

    return () => {
      disposed = true
      unsubscribe()
      div.removeEventListener('mousedown', onDown, true)
      div.removeEventListener('click', onClick, true)
      if (timer !== null) clearTimeout(timer)
      if (shapesRaf !== 0) cancelAnimationFrame(shapesRaf)
      invalidateRef.current = () => undefined
      void loadPlotly().then((P) => P.purge(div))
    }
  }, [divRef, store])

  return useCallback(() => invalidateRef.current(), [])
}
