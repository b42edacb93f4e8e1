/** The detector's settings beside the value plot: on/off, the sliders, and how the calibration scored. */
import type { ReactNode } from 'react'
import { describeDetectorSettings, type DetectorSettings } from '../../../../app/detector'
import type { DetectionScore, DetectorEvaluation } from '../../../../app/detectorCalibration'
import { formatSeconds } from '../../../../app/timeSpan'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { shownCalibration } from './state'
import { useShownCandidates } from './useCandidateDetection'

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
