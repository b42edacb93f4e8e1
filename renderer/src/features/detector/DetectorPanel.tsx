import { memo, useEffect, useRef, useState, type ReactNode } from 'react'
import type { AdvantageResult } from '../../../../app/contract'
import { toDisplay } from '../../../../app/curves'
import { describeDetectorSettings, detectEvents, resolveDetectorSettings, type Candidate, type DetectorSettings } from '../../../../app/detector'
import type { DetectionScore, DetectorEvaluation } from '../../../../app/detectorCalibration'
import { formatSeconds } from '../../../../app/timeSpan'
import { advantageRequestKey, shownAdvantages } from '../advantages/state'
import { analysisCurve, curveComplete } from '../curves/curves'
import { calibrationKey, candidateKey, candidateScope } from './candidates'
import { shownCalibration, shownCandidates } from './state'
import { useApp, useAppStore, useClient } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { bandRanges, positiveFraction } from '../plots/valueAnalysis'

const keepFocus = (e: React.MouseEvent): void => e.preventDefault()

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

/**
 * A suggested event in the annotation list: not saved; A (or ✓) labels and adds it, X (or ×) dismisses it. Memoized:
 * the list re-renders often (the panel follows the store) and there may be hundreds of suggestions.
 */
export const CandidateRow = memo(function CandidateRow(props: { candidate: Candidate; selected: boolean }): ReactNode {
  const c = props.candidate
  const key = candidateKey(c)
  const selectCandidate = useApp((s) => s.selectCandidate)
  const acceptCandidate = useApp((s) => s.acceptCandidate)
  const dismissCandidate = useApp((s) => s.dismissCandidate)
  return (
    <li
      className={`candidate-row candidate-${c.kind}`}
      data-testid={`candidate-${c.frame}`}
      data-kind={c.kind}
      data-frame={c.frame}
      aria-selected={props.selected}
      onMouseDown={keepFocus}
      onClick={() => selectCandidate(key)}
      title={`Suggested ${c.kind} (detected, not saved): A accepts, X dismisses`}
    >
      <span className="event-kind">{c.kind === 'milestone' ? '△' : '▽'}</span>
      <span className="candidate-frame">{c.frame}</span>
      <span className="candidate-badge">suggested</span>
      <span className="muted candidate-meta">
        {c.kind} · {c.strength.toFixed(3)}
      </span>
      <button
        type="button"
        data-testid="accept-candidate"
        aria-label={`Accept suggested ${c.kind} at frame ${c.frame}`}
        title="Accept: pick a label and add the event (A)"
        onMouseDown={keepFocus}
        onClick={(e) => {
          e.stopPropagation()
          acceptCandidate(key)
        }}
      >
        ✓
      </button>
      <button
        type="button"
        data-testid="dismiss-candidate"
        aria-label={`Dismiss suggested ${c.kind} at frame ${c.frame}`}
        title="Dismiss (X): hidden for this episode and curve until the parameters change"
        onMouseDown={keepFocus}
        onClick={(e) => {
          e.stopPropagation()
          dismissCandidate(key)
        }}
      >
        ×
      </button>
    </li>
  )
})

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

interface SliderSpec {
  key: 'smoothingSeconds' | 'window' | 'riseThreshold' | 'dropThreshold' | 'minGap' | 'milestoneDelaySeconds' | 'errorDelaySeconds'
  label: string
  min: number
  max: number
  step: number
  unit: string
  title: string
}

const SLIDERS: readonly SliderSpec[] = [
  { key: 'smoothingSeconds', label: 'smoothing τ', min: 0, max: 2, step: 0.05, unit: 's', title: 'Time constant of the zero-phase smoothing before detection (0 = none); independent of the display smoothing' },
  { key: 'window', label: 'window', min: 0.05, max: 5, step: 0.05, unit: 's', title: 'Time before and after a frame over which a rise or drop is measured (frames at the episode’s fps)' },
  { key: 'riseThreshold', label: 'rise ≥', min: 0, max: 0.5, step: 0.005, unit: '', title: 'Minimum sustained rise (progress units) for a milestone' },
  { key: 'dropThreshold', label: 'drop ≥', min: 0, max: 0.5, step: 0.005, unit: '', title: 'Minimum drop (progress units) for an error' },
  { key: 'minGap', label: 'min gap', min: 0.05, max: 10, step: 0.05, unit: 's', title: 'Minimum time between two candidates of the same kind' },
  { key: 'milestoneDelaySeconds', label: '▲ delay', min: -3, max: 3, step: 0.1, unit: 's', title: 'How long after a milestone the curve rises (negative: before it); suggestions are put back at the milestone' },
  { key: 'errorDelaySeconds', label: '▼ delay', min: -3, max: 3, step: 0.1, unit: 's', title: 'How long after an error the curve drops; suggestions are put back at the error' },
]

function sliderValue(settings: DetectorSettings, key: SliderSpec['key'], fps: number): number | null {
  const v = settings[key]
  if (v === null) return null
  if (typeof v === 'number') return v
  return 'seconds' in v ? v.seconds : v.frames / fps
}

function patchFor(key: SliderSpec['key'], value: number): Partial<DetectorSettings> {
  return key === 'window' || key === 'minGap' ? { [key]: { seconds: value } } : { [key]: value }
}

const pr = (s: { precision: number; recall: number }): string => `P ${s.precision.toFixed(2)} / R ${s.recall.toFixed(2)}`

function proposedText(score: DetectionScore): string {
  return `${score.proposed.milestone + score.proposed.error} suggested for ${score.annotated.milestone + score.annotated.error} annotated`
}

/** "P 0.62 / R 0.55 on 6 annotated episodes, cross-validated (5-fold, ±0.5 s) · shifted at random P 0.30 / R 0.28". */
function EvaluationLine(props: { evaluation: DetectorEvaluation }): ReactNode {
  const e = props.evaluation
  const off = (['milestone', 'error'] as const).filter((k) => (k === 'milestone' ? e.settings.riseThreshold : e.settings.dropThreshold) === null)
  return (
    <span className="detector-evaluation" data-testid="detector-evaluation" data-precision={e.score.precision} data-recall={e.score.recall} data-chance-precision={e.chance.shifted.precision}>
      <strong>{pr(e.score)}</strong> on {e.episodes} annotated episode{e.episodes === 1 ? '' : 's'}
      {e.crossValidated ? `, cross-validated (${e.folds}-fold` : ' (as set'}, ±{formatSeconds(e.tolerance.seconds)} s = {e.tolerance.frames} frames)
      {' · '}
      <span
        title={`Each episode’s suggestions shifted by a random offset, ${e.chance.seeds} seeds × ${e.chance.drawsPerSeed} draws; spread between seeds ±${e.chance.shifted.precisionSpread.toFixed(3)}. At random frames: ${pr(e.chance.uniform)}; at the detector’s usual times: ${pr(e.chance.positions)}`}
      >
        shifted at random {pr(e.chance.shifted)}
      </span>
      {' · '}
      {proposedText(e.score)}
      {off.length > 0 ? <span className="muted"> · {off.map((k) => `${k}s`).join(' and ')} off (not above chance on this series)</span> : null}
    </span>
  )
}

/** Detector settings (live, in seconds), where they come from, and how the calibrated ones fare on annotations. */
export function DetectorPanel(): ReactNode {
  const on = useApp((s) => s.detectorOn)
  const settings = useApp((s) => s.detectorSettings)
  const source = useApp((s) => s.detectorSource)
  const fps = useApp((s) => s.episode?.fps ?? 30)
  const calibration = useApp(shownCalibration)
  const setDetectorOn = useApp((s) => s.setDetectorOn)
  const setDetectorSettings = useApp((s) => s.setDetectorSettings)
  const restore = useApp((s) => s.restoreDetectorSettings)
  const calibrate = useApp((s) => s.calibrateDetector)
  const shown = useShownCandidates()
  const found = useApp((s) => s.detected?.list.length ?? 0)
  const milestones = shown.filter((c) => c.kind === 'milestone').length
  const result = calibration?.result ?? null
  return (
    <div className="detector-panel" data-testid="detector-panel" role="group" aria-label="Event detector" data-source={source}>
      <label className="detector-toggle" onMouseDown={keepFocus}>
        <input type="checkbox" aria-label="Suggest events" checked={on} onChange={(e) => setDetectorOn(e.target.checked)} />
        suggest events
      </label>
      {on ? (
        <>
          <span className="detector-calibration" data-testid="detector-calibration" aria-live="polite" data-loading={calibration?.loading ? 'true' : 'false'}>
            {calibration?.error ? (
              <span className="form-error">Calibration failed: {calibration.error}</span>
            ) : result?.evaluation ? (
              <EvaluationLine evaluation={result.evaluation} />
            ) : result ? (
              <span className="muted">{result.note}</span>
            ) : calibration?.loading ? (
              <span className="muted">calibrating on the annotated episodes…</span>
            ) : null}
          </span>
          <span className="muted detector-source" data-testid="detector-source" title={describeDetectorSettings(settings, fps)}>
            {source === 'calibrated' ? 'calibrated settings' : source === 'default' ? 'default settings' : 'your settings'}
          </span>
          {SLIDERS.map((p) => {
            const value = sliderValue(settings, p.key, fps)
            const isThreshold = p.key === 'riseThreshold' || p.key === 'dropThreshold'
            return (
              <label key={p.key} className="detector-param" title={p.title}>
                <span>{p.label}</span>
                <input
                  type="range"
                  aria-label={`Detector ${p.label}`}
                  data-testid={`detector-${p.key}`}
                  min={p.min}
                  max={p.max}
                  step={p.step}
                  value={value ?? p.max}
                  onChange={(e) => setDetectorSettings(patchFor(p.key, Number(e.target.value)))}
                />
                <span className="detector-value">
                  {value === null ? 'off' : isThreshold ? value.toFixed(3) : `${formatSeconds(value)} ${p.unit}`}
                </span>
                {isThreshold ? (
                  <input
                    type="checkbox"
                    aria-label={`${p.key === 'riseThreshold' ? 'Milestones' : 'Errors'} on`}
                    data-testid={`detector-${p.key}-on`}
                    title={`Suggest ${p.key === 'riseThreshold' ? 'milestones' : 'errors'}`}
                    checked={value !== null}
                    onMouseDown={keepFocus}
                    onChange={(e) => setDetectorSettings({ [p.key]: e.target.checked ? 0.05 : null })}
                  />
                ) : null}
              </label>
            )
          })}
          <button type="button" onMouseDown={keepFocus} onClick={() => restore('default')} title="Back to the default settings" data-testid="detector-defaults">
            defaults
          </button>
          {result?.evaluation ? (
            <button type="button" onMouseDown={keepFocus} onClick={() => restore('calibrated')} title="The settings calibrated on this series’ annotated episodes" data-testid="detector-use-calibrated">
              calibrated
            </button>
          ) : null}
          <button type="button" onMouseDown={keepFocus} onClick={() => void calibrate()} disabled={calibration?.loading === true} title="Calibrate again on the annotated episodes" data-testid="detector-recalibrate">
            recalibrate
          </button>
          <span className="muted detector-count" data-testid="detector-count">
            {shown.length} suggested ({milestones} ▲, {shown.length - milestones} ▼)
            {found > shown.length ? ` · ${found - shown.length} annotated or dismissed` : ''}
          </span>
          <span className="muted small detector-keys">
            <kbd>Shift</kbd>+<kbd>,</kbd>/<kbd>.</kbd> select · <kbd>A</kbd> accept · <kbd>X</kbd> dismiss
          </span>
        </>
      ) : null}
    </div>
  )
}

/** A fraction as a percentage without float noise (0.3 → "30"). */
function percentText(fraction: number): string {
  return String(Number((fraction * 100).toFixed(6)))
}

function formatThreshold(r: AdvantageResult): string {
  return `${r.threshold >= 0 ? '' : '−'}${Math.abs(r.threshold).toFixed(4)}`
}

/**
 * RECAP advantages of the analysis curve: toggle, K, the fraction of frames labelled positive and the threshold's
 * pool; the band shows on the plot and above the scrubber.
 */
export function AdvantagesControl(): ReactNode {
  const a = useApp((s) => s.advantages)
  const curve = useApp(analysisCurve)
  const complete = useApp((s) => (curve ? curveComplete(s, curve) : false))
  const outcome = useApp((s) => (s.project && s.episode ? (s.project.episodes.get(s.episode.index)?.outcome ?? 'unknown') : 'unknown'))
  const setAdvantageOptions = useApp((s) => s.setAdvantageOptions)
  const computeAdvantages = useApp((s) => s.computeAdvantages)
  const [kText, setKText] = useState(a.k === null ? '' : String(a.k))
  const [pText, setPText] = useState(percentText(a.positiveFraction))

  // Recompute when what the result depends on changes (typing is debounced).
  useEffect(() => {
    if (!a.on || !curve) return
    const t = setTimeout(() => void computeAdvantages(), 250)
    return () => clearTimeout(t)
  }, [a.on, a.k, a.positiveFraction, a.scope, curve?.id, complete, outcome, computeAdvantages])

  const current = curve && a.result && a.requestKey === advantageRequestKey(curve.id, a) ? a.result : null
  const error = curve && a.error && a.requestKey === advantageRequestKey(curve.id, a) ? a.error : null
  return (
    <div className="advantages-control" role="group" aria-label="RECAP advantages">
      <label onMouseDown={keepFocus} title="RECAP K-step advantages of the analysis curve; the given share of the frames with the highest advantages (in the curve's series, per task or over the dataset) is advantage-positive">
        <input
          type="checkbox"
          data-testid="advantages-toggle"
          aria-label="Advantages"
          checked={a.on}
          disabled={!curve}
          onChange={(e) => setAdvantageOptions({ on: e.target.checked })}
        />
        Advantages
      </label>
      {a.on ? (
        <>
          <label className="adv-field">
            K
            <input
              aria-label="Advantage horizon K"
              data-testid="advantages-k"
              inputMode="numeric"
              placeholder={current ? String(current.k) : 'auto'}
              value={kText}
              onChange={(e) => {
                const t = e.target.value.replace(/[^0-9]/g, '')
                setKText(t)
                if (t === '') setAdvantageOptions({ k: null })
                else if (Number(t) >= 1) setAdvantageOptions({ k: Number(t) })
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLElement).blur()
              }}
            />
          </label>
          <label className="adv-field" title="Share of the frames labelled advantage-positive: those with the highest advantages (RECAP: 30 %)">
            top %
            <input
              aria-label="Advantage-positive share of frames (percent)"
              data-testid="advantages-positive-percent"
              inputMode="decimal"
              value={pText}
              onChange={(e) => {
                const t = e.target.value.replace(/[^0-9.]/g, '')
                setPText(t)
                const v = Number(t)
                if (t !== '' && Number.isFinite(v) && v > 0 && v <= 100) setAdvantageOptions({ positiveFraction: v / 100 })
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLElement).blur()
              }}
            />
          </label>
          <label className="adv-field" title="Frames the threshold is taken over: the curve's series in this task, or in the whole dataset">
            per
            <select
              aria-label="Advantage threshold scope"
              data-testid="advantages-scope"
              value={a.scope}
              onChange={(e) => setAdvantageOptions({ scope: e.target.value === 'dataset' ? 'dataset' : 'task' })}
            >
              <option value="task">task</option>
              <option value="dataset">dataset</option>
            </select>
          </label>
          <span className="muted adv-summary" data-testid="advantages-summary" aria-live="polite">
            {error ? (
              <span className="form-error">{error}</span>
            ) : current ? (
              <>
                threshold ε = <strong data-testid="advantages-threshold">{formatThreshold(current)}</strong> (top {percentText(current.positiveFraction)} % of{' '}
                {current.episodesInThreshold} episode{current.episodesInThreshold === 1 ? '' : 's'} of the {current.scope}: {current.positivesInThreshold}/
                {current.framesInThreshold} frames) · K = {current.k} ·{' '}
                {Math.round(positiveFraction(current.indicators) * 100)} % positive
              </>
            ) : a.loading ? (
              'computing…'
            ) : null}
          </span>
        </>
      ) : null}
    </div>
  )
}

/**
 * The advantage indicator as a strip above the scrubber (same frame scale as the scrubber): green where the frame
 * is advantage-positive. Only while advantages are on and computed for the analysis curve.
 */
export function AdvantageStrip(props: { length: number }): ReactNode {
  const result = useApp(shownAdvantages)
  if (!result) return null
  const last = Math.max(1, props.length - 1)
  const ranges = bandRanges(result.indicators)
  return (
    <div
      className="advantage-band"
      data-testid="advantage-band"
      data-threshold={result.threshold}
      data-runs={ranges.length}
      title={`Advantage-positive frames (A ≥ ε = ${formatThreshold(result)}, K = ${result.k})`}
    >
      {ranges.map((r) => (
        <span
          key={r.start}
          className="advantage-run"
          data-start={r.start}
          data-end={r.end}
          style={{ left: `${(Math.max(0, r.start - 0.5) / last) * 100}%`, width: `${((Math.min(last, r.end + 0.5) - Math.max(0, r.start - 0.5)) / last) * 100}%` }}
        />
      ))}
    </div>
  )
}
