/** The hooks that keep the detector's suggestions and its calibration current with the analysis curve. */
import { useEffect, useRef } from 'react'
import { toDisplay } from '../../../../app/curves'
import { detectEvents, resolveDetectorSettings, type Candidate } from '../../../../app/detector'
import { useApp, useAppStore, useClient } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { analysisCurve } from '../curves/curves'
import { calibrationKey, candidateKey, candidateScope } from './candidates'
import { shownCandidates } from './state'

/**
 * Runs the event detector on the analysis curve whenever the curve's values, the choice of curve or the
 * parameters change, at most once per animation frame (a slider dragged across many values recomputes once per
 * frame, on the latest values). Also keeps one selection: selecting an event deselects the candidate.
 */
/** How often suggestions are recomputed while the analysis curve is still being scored. */
const GROWING_DETECT_MS = 1500

export function useCandidateDetection(): void {
  const store = useAppStore()
  useEffect(() => {
    let raf = 0
    let timer: ReturnType<typeof setTimeout> | null = null
    let lastRun = 0
    let last: unknown[] = []
    const asked = new Set<string>()
    const inputs = (s: AppState): unknown[] => {
      const curve = s.detectorOn ? analysisCurve(s) : null
      return [s.detectorOn, s.curvesKey, curve?.id, curve ? s.curveData[curve.id] : undefined, s.detectorSettings, s.episode?.fps]
    }
    const run = (): void => {
      raf = 0
      const s = store.getState()
      const curve = s.detectorOn ? analysisCurve(s) : null
      const entry = curve ? s.curveData[curve.id] : undefined
      if (!curve || !entry || s.curvesKey === null) {
        if (s.detected !== null) s.setDetected(null)
        // The analysis curve may be hidden from the plot, so not loaded: the detector still needs its values.
        if (curve && !entry && !asked.has(curve.id)) {
          asked.add(curve.id)
          void s.fetchCurve(curve.id)
        }
        return
      }
      lastRun = performance.now()
      const scope = candidateScope(s.curvesKey, curve.id)
      // Settings are durations: in frames at this episode's rate.
      const found = detectEvents(toDisplay(entry.values, curve.convention, curve.length), resolveDetectorSettings(s.detectorSettings, s.episode?.fps ?? 30).params)
      // Unchanged candidates keep their objects, so their memoized rows and plot lines are not rebuilt.
      const before = s.detected?.scope === scope ? new Map(s.detected.list.map((c) => [candidateKey(c), c])) : null
      const list = found.map((c) => {
        const old = before?.get(candidateKey(c))
        return old && old.strength === c.strength ? old : c
      })
      if (before && list.length === before.size && list.every((c, i) => c === s.detected?.list[i])) return
      s.setDetected({ scope, list })
    }
    const check = (s: AppState): void => {
      const next = inputs(s)
      if (next.length === last.length && next.every((v, i) => v === last[i])) return
      if (next[1] !== last[1]) asked.clear()
      const onlyGrew = next[0] === last[0] && next[1] === last[1] && next[2] === last[2] && next[4] === last[4] && next[5] === last[5]
      last = next
      if (raf !== 0 || timer !== null) return
      // While a job streams chunks in, detecting on every chunk (several a second, over the whole curve) only churns
      // the list and the plot: once per GROWING_DETECT_MS is enough. Anything else (parameters, curve) runs at once.
      const wait = onlyGrew ? GROWING_DETECT_MS - (performance.now() - lastRun) : 0
      if (wait <= 0) raf = requestAnimationFrame(run)
      else
        timer = setTimeout(() => {
          timer = null
          raf = requestAnimationFrame(run)
        }, wait)
    }
    check(store.getState())
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.selectedEventId !== null && s.selectedEventId !== prev.selectedEventId && s.selectedCandidate !== null) {
        s.selectCandidate(null)
        return
      }
      check(s)
    })
    return () => {
      unsubscribe()
      if (raf !== 0) cancelAnimationFrame(raf)
      if (timer !== null) clearTimeout(timer)
    }
  }, [store])
}

/** Candidates offered for the open episode and analysis curve (stable array while nothing changes). */
export function useShownCandidates(): Candidate[] {
  return useApp(shownCandidates)
}

/** Recalibrate this long after the last change of the project's annotations (edits come in bursts). */
const RECALIBRATE_MS = 2000

/**
 * Keeps the detector calibrated for the analysis curve's series: at once when the series (or dataset) changes, and
 * RECALIBRATE_MS after the annotations or the dataset's curves change (a new annotated episode, a finished job).
 */
export function useDetectorCalibration(): void {
  const store = useAppStore()
  const client = useClient()
  const key = useApp((s) => {
    const curve = s.detectorOn ? analysisCurve(s) : null
    return curve ? calibrationKey(curve.datasetId, curve) : null
  })
  const project = useApp((s) => s.project)
  const datasetId = useApp((s) => s.episode?.datasetId ?? null)
  useEffect(() => {
    if (key !== null) void store.getState().calibrateDetector()
  }, [key, store])
  // Edits of the annotations: again once they pause (not for the project the key's own calibration just used).
  const seenProject = useRef(project)
  useEffect(() => {
    if (key === null || seenProject.current === project) return
    seenProject.current = project
    const t = setTimeout(() => void store.getState().calibrateDetector(), RECALIBRATE_MS)
    return () => clearTimeout(t)
  }, [project, key, store])
  useEffect(() => {
    if (key === null || datasetId === null) return
    let timer: ReturnType<typeof setTimeout> | null = null
    const off = client.on('curves.changed', (p) => {
      if (p.datasetId !== datasetId) return
      if (timer !== null) clearTimeout(timer)
      timer = setTimeout(() => void store.getState().calibrateDetector(), RECALIBRATE_MS)
    })
    return () => {
      off()
      if (timer !== null) clearTimeout(timer)
    }
  }, [client, datasetId, key, store])
}

