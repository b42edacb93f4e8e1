/** The advantages toggle and options beside the value plot, and the strip under the video that shows the result. */
import { useEffect, useState, type ReactNode } from 'react'
import type { AdvantageResult } from '../../../../app/contract'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { analysisCurve, curveComplete } from '../curves/curves'
import { bandRanges, positiveFraction } from '../plots/valueAnalysis'
import { advantageRequestKey, shownAdvantages } from './state'

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
