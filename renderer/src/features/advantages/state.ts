/**
 * Advantages of the analysed curve (advantages.compute on the main side) with the options the user picks. Reads the
 * curves (which one is analysed) and the player (the open episode).
 */
import { DEFAULT_ADVANTAGE_OPTIONS, type ThresholdScope } from '../../../../app/advantages'
import type { AdvantageResult } from '../../../../app/contract'
import { toWireError } from '../../../../app/errors'
import { clampNumber } from '../../state/clamp'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import { analysisCurve } from '../curves/curves'
import type { CurvesSlice } from '../curves/state'
import type { PlayerSlice } from '../player/state'

export interface AdvantagesState {
  on: boolean
  /** Horizon K in frames; null = the main side's default for the dataset's fps (50 frames at 30 fps). */
  k: number | null
  /** Fraction of the pool's frames labelled advantage-positive (the highest advantages), in (0, 1]. */
  positiveFraction: number
  /** The threshold's pool: the series' frames of this task, or of the whole dataset. */
  scope: ThresholdScope
  loading: boolean
  /** What `result` (or `error`) answers: advantageRequestKey of the request. */
  requestKey: string | null
  result: AdvantageResult | null
  error: string | null
}

export const DEFAULT_ADVANTAGES: AdvantagesState = {
  on: false,
  k: null,
  positiveFraction: DEFAULT_ADVANTAGE_OPTIONS.positiveFraction,
  scope: DEFAULT_ADVANTAGE_OPTIONS.scope,
  loading: false,
  requestKey: null,
  result: null,
  error: null,
}

export interface AdvantagesSlice {
  advantages: AdvantagesState
  setAdvantageOptions(patch: Partial<Pick<AdvantagesState, 'on' | 'k' | 'positiveFraction' | 'scope'>>): void
  /** advantages.compute for the analysis curve with the current options (when switched on). */
  computeAdvantages(): Promise<void>
  /** Drop the result (and the request in flight): another episode or curve. The options stay. */
  resetAdvantages(): void
}

type CurveChoice = Pick<CurvesSlice, 'analysisCurveId' | 'curveList' | 'hiddenSeries'>

/** What an advantages request asks: curve, K, positive fraction and threshold scope. */
export function advantageRequestKey(curveId: string, a: Pick<AdvantagesState, 'k' | 'positiveFraction' | 'scope'>): string {
  return `${curveId}|${a.k ?? 'default'}|${a.positiveFraction}|${a.scope}`
}

/** The advantage result to show: the one computed for the analysis curve with the current options, else null. */
export function shownAdvantages(s: Pick<AdvantagesSlice, 'advantages'> & CurveChoice): AdvantageResult | null {
  const a = s.advantages
  const curve = analysisCurve(s)
  if (!a.on || !a.result || !curve || a.result.curveId !== curve.id) return null
  return a.requestKey === advantageRequestKey(curve.id, a) ? a.result : null
}

const NO_RESULT = { loading: false, requestKey: null, result: null, error: null } as const

export function createAdvantagesSlice({ client, set, get }: SliceContext<AdvantagesSlice, CurvesSlice & PlayerSlice>): AdvantagesSlice {
  const requests = createRequests()

  return {
    advantages: { ...DEFAULT_ADVANTAGES },

    setAdvantageOptions(patch) {
      const a = get().advantages
      const next: AdvantagesState = {
        ...a,
        on: patch.on ?? a.on,
        k: patch.k === undefined ? a.k : patch.k === null ? null : clampNumber(patch.k, 1, 100_000, 50, true),
        positiveFraction:
          patch.positiveFraction !== undefined && Number.isFinite(patch.positiveFraction) && patch.positiveFraction > 0 && patch.positiveFraction <= 1
            ? patch.positiveFraction
            : a.positiveFraction,
        scope: patch.scope ?? a.scope,
      }
      if (next.on === a.on && next.k === a.k && next.positiveFraction === a.positiveFraction && next.scope === a.scope) return
      if (!next.on) requests.abort('compute')
      set({ advantages: next.on ? next : { ...next, ...NO_RESULT } })
    },

    async computeAdvantages() {
      const s = get()
      const curve = analysisCurve(s)
      const ep = s.episode
      if (!s.advantages.on || !curve || !ep) return
      const { k, positiveFraction, scope } = s.advantages
      const requestKey = advantageRequestKey(curve.id, s.advantages)
      set((x) => ({ advantages: { ...x.advantages, loading: true } }))
      const out = await requests.run('compute', (signal) =>
        client.call('advantages.compute', { datasetId: ep.datasetId, curveId: curve.id, positiveFraction, scope, ...(k !== null ? { k } : {}) }, signal),
      )
      if (out.status === 'stale') return
      if (out.status === 'ok') set((x) => ({ advantages: { ...x.advantages, loading: false, requestKey, result: out.value, error: null } }))
      // Shown beside the toggle (an incomplete curve or an unknown outcome is a state, not a failure to report).
      else set((x) => ({ advantages: { ...x.advantages, loading: false, requestKey, result: null, error: toWireError(out.error).message } }))
    },

    resetAdvantages() {
      requests.abort('compute')
      set((s) => ({ advantages: { ...s.advantages, ...NO_RESULT } }))
    },
  }
}
