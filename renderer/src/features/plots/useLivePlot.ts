import { useCallback, useEffect, useRef, type RefObject } from 'react'
import type { Data, Layout, PlotlyHTMLElement } from 'plotly.js'
import type { AnnotationEvent } from '../../../../app/annotations'
import { episodeEvents } from '../../state/annotationsSlice'
import { useAppStore } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { loadPlotly, type PlotlyModule } from './plotly'
import { eventTrace, PLOT_CONFIG, shapes } from './plotShared'

/** Data redraws at most this often (about 10×/s), however fast values arrive. */
export const REDRAW_INTERVAL_MS = 100

export interface PlotSpec {
  /** Traces of the plot; the annotation markers are added after them. */
  data: Data[]
  /** Layout without shapes (event lines and the cursor are added). */
  layout: Partial<Layout>
}

/**
 * A Plotly chart under the video that follows the store without re-rendering React: `build` is called (with the
 * latest state) on mount and whenever `watch` returns something different, throttled to REDRAW_INTERVAL_MS, via
 * Plotly.react; the frame cursor moves with a cheap relayout once per animation frame, as StatePlot does. Clicking
 * seeks (and selects an annotation marker). Returns a function that asks for a redraw (for component state that
 * `watch` cannot see).
 */
export function useLivePlot(
  divRef: RefObject<HTMLDivElement | null>,
  build: (state: AppState) => PlotSpec,
  watch: (state: AppState) => readonly unknown[],
): () => void {
  const store = useAppStore()
  const buildRef = useRef(build)
  buildRef.current = build
  const watchRef = useRef(watch)
  watchRef.current = watch
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
    let raf = 0
    let lastDraw = -Infinity
    let revision = 0
    let watched = watchRef.current(store.getState())

    // Events of the episode are recomputed only when the project or the episode changes.
    let eventsOf: { project: AppState['project']; episode: AppState['episode']; events: AnnotationEvent[] } | null = null
    const currentEvents = (s: AppState): AnnotationEvent[] => {
      if (!eventsOf || eventsOf.project !== s.project || eventsOf.episode !== s.episode) {
        eventsOf = { project: s.project, episode: s.episode, events: episodeEvents(s) }
      }
      return eventsOf.events
    }
    const currentShapes = (s: AppState): Layout['shapes'] => shapes(s.frame, currentEvents(s), s.selectedEventId) as Layout['shapes']

    const moveCursor = (): void => {
      if (raf !== 0) return
      raf = requestAnimationFrame(() => {
        raf = 0
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
        const layout: Partial<Layout> = { ...spec.layout, shapes: currentShapes(s), datarevision: ++revision }
        el = await Plotly.react(div, [...spec.data, eventTrace(currentEvents(s))], layout, PLOT_CONFIG)
      } finally {
        drawing = false
      }
      if (disposed) return
      if (first && el) {
        // Annotation markers: select the event and go to it.
        el.on('plotly_click', (ev) => {
          const point = ev.points.find((p) => p.data.name === 'events')
          const id = point?.customdata
          if (!point || typeof id !== 'string') return
          const state = store.getState()
          if (typeof point.x === 'number') state.seek(point.x)
          state.selectEvent(id)
        })
      }
      // The frame may have moved while drawing.
      moveCursor()
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
      const next = watchRef.current(s)
      const changed =
        next.length !== watched.length || next.some((v, i) => v !== watched[i]) || s.project !== prev.project || s.episode !== prev.episode
      watched = next
      if (changed) schedule()
      else if (s.frame !== prev.frame || s.selectedEventId !== prev.selectedEventId) moveCursor()
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
      if (raf !== 0) cancelAnimationFrame(raf)
      invalidateRef.current = () => undefined
      void loadPlotly().then((P) => P.purge(div))
    }
  }, [divRef, store])

  return useCallback(() => invalidateRef.current(), [])
}
