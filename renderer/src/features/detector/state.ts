/**
 * The change detector on the analysed curve: its settings (by hand, default or calibrated), the candidates the
 * value plot found with them, and which the user dismissed or selected. Reads the curves (which one is analysed),
 * the player (frame, seek) and the annotations (events hide the candidates they match; accepting one opens the
 * label picker; a dismissal is an undo step).
 */
import { eventsOfEpisode, type SuggestionStep } from '../../../../app/annotationEdits'
import { DEFAULT_DETECTOR_SETTINGS, MAX_DELAY_SECONDS, MAX_SMOOTHING_SECONDS, type Candidate, type DetectorSettings } from '../../../../app/detector'
import { toWireError } from '../../../../app/errors'
import { clampNumber } from '../../state/clamp'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { AnnotationsSlice } from '../annotations/state'
import { analysisCurve } from '../curves/curves'
import type { CurvesSlice } from '../curves/state'
import type { PlayerSlice } from '../player/state'
import {
  calibrationKey,
  candidateKey,
  candidateScope,
  clampSpan,
  strongestCandidates,
  visibleCandidates,
  type DetectedCandidates,
  type DetectorCalibrationState,
  type DetectorSource,
} from './candidates'

/** The last shownCandidates answer of one store, with what it was computed from. */
interface CandidateMemo {
  current: { inputs: unknown[]; out: Candidate[]; hidden: number } | null
}

export interface DetectorSlice {
  detectorOn: boolean
  /** The detector's settings, in seconds (resolved with the episode's fps when it runs). */
  detectorSettings: DetectorSettings
  /** Where the settings come from: the defaults, the series' calibration, or the sliders. */
  detectorSource: DetectorSource
  /** The calibration of the analysis curve's series (detector.calibrate). */
  detectorCalibration: DetectorCalibrationState
  /** Candidates found on the analysis curve (set by the value plot's detection loop), or null. */
  detected: DetectedCandidates | null
  /** `scope|kind@frame` of candidates the user dismissed; forgotten when the detector's parameters change. */
  dismissedCandidates: string[]
  /** candidateKey of the selected candidate (an event and a candidate are never both selected). */
  selectedCandidate: string | null
  /** This store's memo of shownCandidates (not state: never replaced, never subscribed to). */
  candidateMemo: CandidateMemo
  setDetectorOn(on: boolean): void
  /** Change settings by hand (the source becomes 'manual'). */
  setDetectorSettings(patch: Partial<DetectorSettings>): void
  /** Back to the defaults, or to the series' calibrated settings (when there are some). */
  restoreDetectorSettings(source: 'default' | 'calibrated'): void
  /** Calibrate the detector for the analysis curve's series on the annotated episodes (main side, cross-validated). */
  calibrateDetector(): Promise<void>
  setDetected(detected: DetectedCandidates | null): void
  /** Select a candidate (and seek to it), or none. */
  selectCandidate(key: string | null): void
  /** Select the next / previous shown candidate after / before the current frame. */
  jumpCandidate(direction: 1 | -1): void
  /**
   * Hide a candidate (the selected one by default) for this episode and curve until the parameters change; an undo
   * step (undo offers it again).
   */
  dismissCandidate(key?: string): void
  /** Undo or redo of a dismissal; false when it would change nothing (the parameters changed since). */
  applySuggestionStep(step: SuggestionStep): boolean
  /** Open the label picker at a candidate (the selected one by default); picking a label adds the event. */
  acceptCandidate(key?: string): void
  /** Another episode or curve: forget what was found and selected (dismissals stay, scoped to theirs). */
  resetDetection(): void
}

type DetectorReads = Pick<CurvesSlice, 'analysisCurveId' | 'curveList' | 'hiddenSeries' | 'curvesKey'>

/** The calibration to show: the one of the analysis curve's series, else null. */
export function shownCalibration(s: Pick<DetectorSlice, 'detectorCalibration'> & DetectorReads): DetectorCalibrationState | null {
  const curve = analysisCurve(s)
  if (!curve || s.curvesKey === null) return null
  return s.detectorCalibration.key === calibrationKey(curve.datasetId, curve) ? s.detectorCalibration : null
}

type ShownInputs = Pick<DetectorSlice, 'detectorOn' | 'detected' | 'dismissedCandidates' | 'candidateMemo'> &
  DetectorReads &
  Pick<AnnotationsSlice, 'project'> &
  Pick<PlayerSlice, 'episode'>

/** visibleCandidates for the open episode and analysis curve, the strongest MAX_SHOWN_CANDIDATES (memoized on its inputs). */
export function shownCandidates(s: ShownInputs): Candidate[] {
  const curve = s.detectorOn ? analysisCurve(s) : null
  const scope = curve && s.curvesKey !== null ? candidateScope(s.curvesKey, curve.id) : null
  const inputs = [s.detected, scope, s.dismissedCandidates, s.project, s.episode?.index]
  const memo = s.candidateMemo.current
  if (memo && memo.inputs.every((v, i) => v === inputs[i])) return memo.out
  const events = s.project && s.episode ? eventsOfEpisode(s.project, s.episode.index) : []
  const visible = visibleCandidates(s.detected, scope, s.dismissedCandidates, events)
  const out = strongestCandidates(visible)
  s.candidateMemo.current = { inputs, out, hidden: visible.length - out.length }
  return out
}

/** Suggestions found but not offered because weaker ones beyond MAX_SHOWN_CANDIDATES are left out. */
export function hiddenCandidateCount(s: ShownInputs): number {
  shownCandidates(s)
  return s.candidateMemo.current?.hidden ?? 0
}

export function createDetectorSlice({ client, set, get }: SliceContext<DetectorSlice, CurvesSlice & PlayerSlice & AnnotationsSlice>): DetectorSlice {
  const requests = createRequests()

  /** New settings make new candidates: what was dismissed is offered again. */
  const applySettings = (settings: DetectorSettings, source: DetectorSource): void => {
    const s = get()
    if (JSON.stringify(settings) === JSON.stringify(s.detectorSettings)) {
      if (source !== s.detectorSource) set({ detectorSource: source })
      return
    }
    set({ detectorSettings: settings, detectorSource: source, dismissedCandidates: [], selectedCandidate: null })
  }

  return {
    detectorOn: true,
    detectorSettings: { ...DEFAULT_DETECTOR_SETTINGS },
    detectorSource: 'default',
    detectorCalibration: { key: null, loading: false, result: null, error: null },
    detected: null,
    dismissedCandidates: [],
    selectedCandidate: null,
    candidateMemo: { current: null },

    setDetectorOn(on) {
      set({ detectorOn: on, selectedCandidate: on ? get().selectedCandidate : null })
    },

    setDetectorSettings(patch) {
      const p = { ...get().detectorSettings, ...patch }
      const threshold = (x: number | null, fallback: number | null): number | null => (x === null ? null : clampNumber(x, 0, 2, fallback ?? 0.05))
      const settings: DetectorSettings = {
        smoothingSeconds: clampNumber(p.smoothingSeconds, 0, MAX_SMOOTHING_SECONDS, DEFAULT_DETECTOR_SETTINGS.smoothingSeconds),
        window: clampSpan(p.window, DEFAULT_DETECTOR_SETTINGS.window),
        riseThreshold: threshold(p.riseThreshold, DEFAULT_DETECTOR_SETTINGS.riseThreshold),
        dropThreshold: threshold(p.dropThreshold, DEFAULT_DETECTOR_SETTINGS.dropThreshold),
        minGap: clampSpan(p.minGap, DEFAULT_DETECTOR_SETTINGS.minGap),
        milestoneDelaySeconds: clampNumber(p.milestoneDelaySeconds, -MAX_DELAY_SECONDS, MAX_DELAY_SECONDS, 0),
        errorDelaySeconds: clampNumber(p.errorDelaySeconds, -MAX_DELAY_SECONDS, MAX_DELAY_SECONDS, 0),
      }
      if (JSON.stringify(settings) === JSON.stringify(get().detectorSettings)) return
      applySettings(settings, 'manual')
    },

    restoreDetectorSettings(source) {
      const cal = shownCalibration(get())?.result
      if (source === 'calibrated' && cal?.evaluation) applySettings(cal.settings, 'calibrated')
      else applySettings({ ...DEFAULT_DETECTOR_SETTINGS }, 'default')
    },

    async calibrateDetector() {
      const s = get()
      const curve = s.detectorOn ? analysisCurve(s) : null
      const ep = s.episode
      if (!curve || !ep) return
      const key = calibrationKey(ep.datasetId, curve)
      set((x) => ({ detectorCalibration: { ...x.detectorCalibration, key, loading: true, ...(x.detectorCalibration.key === key ? {} : { result: null, error: null }) } }))
      const out = await requests.run('calibrate', (signal) => client.call('detector.calibrate', { datasetId: ep.datasetId, curveId: curve.id }, signal))
      if (out.status === 'stale') return
      if (out.status === 'error') {
        set({ detectorCalibration: { key, loading: false, result: null, error: toWireError(out.error).message } })
        return
      }
      const result = out.value
      set({ detectorCalibration: { key, loading: false, result, error: null } })
      // A hand-made setting stays until the user asks for the calibrated or default one.
      if (get().detectorSource !== 'manual') applySettings(result.evaluation ? result.settings : { ...DEFAULT_DETECTOR_SETTINGS }, result.evaluation ? 'calibrated' : 'default')
    },

    setDetected(detected) {
      set({ detected })
    },

    selectCandidate(key) {
      if (key === null) {
        if (get().selectedCandidate !== null) set({ selectedCandidate: null })
        return
      }
      const c = shownCandidates(get()).find((x) => candidateKey(x) === key)
      if (!c) return
      set({ selectedCandidate: key })
      get().selectEvent(null)
      get().seek(c.frame)
    },

    jumpCandidate(direction) {
      const list = shownCandidates(get())
      const frame = get().frame
      const target = direction > 0 ? list.find((c) => c.frame > frame) : [...list].reverse().find((c) => c.frame < frame)
      if (target) get().selectCandidate(candidateKey(target))
    },

    dismissCandidate(key) {
      const s = get()
      const which = key ?? s.selectedCandidate
      const curve = analysisCurve(s)
      if (which == null || !curve || s.curvesKey === null) return
      const list = shownCandidates(s)
      const at = list.findIndex((c) => candidateKey(c) === which)
      if (at < 0) return
      const scoped = `${candidateScope(s.curvesKey, curve.id)}|${which}`
      // Dismissing the selected candidate selects the next one, so a run of suggestions is reviewed key by key.
      const next = s.selectedCandidate === which ? (list[at + 1] ?? list[at - 1] ?? null) : null
      set({
        dismissedCandidates: [...s.dismissedCandidates, scoped],
        selectedCandidate: s.selectedCandidate === which ? (next ? candidateKey(next) : null) : s.selectedCandidate,
      })
      if (next) get().seek(next.frame)
      get().recordSuggestionStep({ op: 'suggestion.dismiss', key: scoped })
    },

    applySuggestionStep(step) {
      const s = get()
      const dismissed = s.dismissedCandidates.includes(step.key)
      const curve = analysisCurve(s)
      const scope = curve && s.curvesKey !== null ? `${candidateScope(s.curvesKey, curve.id)}|` : null
      const here = scope !== null && step.key.startsWith(scope) ? step.key.slice(scope.length) : null
      if (step.op === 'suggestion.dismiss') {
        if (dismissed) return false
        set({
          dismissedCandidates: [...s.dismissedCandidates, step.key],
          selectedCandidate: here !== null && s.selectedCandidate === here ? null : s.selectedCandidate,
        })
        return true
      }
      if (!dismissed) return false
      set({ dismissedCandidates: s.dismissedCandidates.filter((k) => k !== step.key) })
      // Show what came back, as undo does for an edit (a suggestion of another episode or curve just reappears there).
      if (here !== null) get().selectCandidate(here)
      return true
    },

    acceptCandidate(key) {
      const s = get()
      const which = key ?? s.selectedCandidate
      if (which == null || !s.episode) return
      const c = shownCandidates(s).find((x) => candidateKey(x) === which)
      if (!c) return
      if (s.playing) s.togglePlay()
      // The same picker as M / E, at the candidate's frame: the label it picks is added through the normal edit
      // path (undoable), and the new event hides the candidate.
      set({ selectedCandidate: which })
      get().openPickerAt(c.kind, c.frame)
      get().seek(c.frame)
    },

    resetDetection() {
      set({ detected: null, selectedCandidate: null })
    },
  }
}
