/** Suggestions of the change detector: where they belong, which are offered, and the calibration they come from. */
import type { AnnotationEvent } from '../../../../app/annotations'
import type { DetectorCalibrationResult } from '../../../../app/contract'
import type { CurveInfo } from '../../../../app/curves'
import type { Candidate } from '../../../../app/detector'
import { MAX_SPAN_FRAMES, MAX_SPAN_SECONDS, type TimeSpan } from '../../../../app/timeSpan'
import { clampNumber } from '../../state/clamp'
import { curveSeriesKey } from '../curves/curves'

export type DetectorSource = 'default' | 'calibrated' | 'manual'

export interface DetectorCalibrationState {
  /** `datasetId|series` the result (or error) answers. */
  key: string | null
  loading: boolean
  result: DetectorCalibrationResult | null
  error: string | null
}

export interface DetectedCandidates {
  /** candidateScope of the episode and curve they were found on. */
  scope: string
  list: Candidate[]
}

/** What a calibration for this dataset and series answers. */
export function calibrationKey(datasetId: string, info: CurveInfo): string {
  return `${datasetId}|${curveSeriesKey(info)}`
}

/** Where candidates belong: one curve of one episode. */
export function candidateScope(curvesKey: string, curveId: string): string {
  return `${curvesKey}|${curveId}`
}

export function candidateKey(c: Pick<Candidate, 'kind' | 'frame'>): string {
  return `${c.kind}@${c.frame}`
}

/**
 * The candidates to offer: those found in `scope` (nothing when `detected` is for another episode or curve), less
 * the dismissed ones and those already annotated (an event of the same kind at the same frame: an accepted
 * candidate is now an event; undoing the accept brings the candidate back).
 */
export function visibleCandidates(
  detected: DetectedCandidates | null,
  scope: string | null,
  dismissed: readonly string[],
  events: readonly Pick<AnnotationEvent, 'kind' | 'frame'>[],
): Candidate[] {
  if (!detected || scope === null || detected.scope !== scope || detected.list.length === 0) return []
  const hidden = new Set<string>()
  const prefix = `${scope}|`
  for (const d of dismissed) if (d.startsWith(prefix)) hidden.add(d.slice(prefix.length))
  for (const e of events) hidden.add(candidateKey(e))
  return detected.list.filter((c) => !hidden.has(candidateKey(c)))
}

/**
 * At most this many suggestions are offered at once, the strongest: a noisy curve over a long episode can yield
 * thousands, which no one reviews one by one, and each is a list row and a plot line (thousands of them cost the
 * renderer hundreds of MB). Raising the thresholds brings the weaker ones back into view.
 */
export const MAX_SHOWN_CANDIDATES = 100

/** The strongest `max` candidates, in frame order; the rest are counted, not shown. */
export function strongestCandidates(list: readonly Candidate[], max = MAX_SHOWN_CANDIDATES): Candidate[] {
  if (list.length <= max) return [...list]
  const keep = new Set([...list].sort((a, b) => Math.abs(b.strength) - Math.abs(a.strength) || a.frame - b.frame).slice(0, max))
  return list.filter((c) => keep.has(c))
}

/** A span the contract accepts: seconds in (0, MAX_SPAN_SECONDS] or whole frames in [1, MAX_SPAN_FRAMES]. */
export function clampSpan(span: TimeSpan | undefined, fallback: TimeSpan): TimeSpan {
  if (!span) return fallback
  if ('frames' in span) return { frames: clampNumber(span.frames, 1, MAX_SPAN_FRAMES, 'frames' in fallback ? fallback.frames : 1, true) }
  return Number.isFinite(span.seconds) && span.seconds > 0 ? { seconds: Math.min(MAX_SPAN_SECONDS, span.seconds) } : fallback
}
