/** Curves of the open episode as the renderer holds them: loaded values that chunks of a running job fill in place. */
import { seriesKey, type CurveChunk, type CurveData, type CurveInfo } from '../../../../app/curves'

/** A curve of the open episode whose values are loaded, growing in place while a job computes it. */
export interface CurveEntry {
  info: CurveInfo
  /** info.length values in the curve's own convention; NaN where not computed. Mutated in place by chunks. */
  values: Float32Array
  /** info.length × info.futureDim, or null. Mutated in place by chunks. */
  future: Float32Array | null
  /** Frames that have a value. */
  computed: number
  /** Leading frames that have a value: a chunk starting beyond this means chunks were lost. */
  contiguous: number
  /** Bumped on every change of values, so subscribers see a new object. */
  rev: number
}

/**
 * What a curve is across episodes: the same model run settings, or the same imported file's curve (seriesKey).
 * Hiding a curve hides its series in every episode.
 */
export function curveSeriesKey(info: CurveInfo): string {
  return seriesKey(info)
}

export function curveVisible(state: { hiddenSeries: readonly string[] }, info: CurveInfo): boolean {
  return !state.hiddenSeries.includes(curveSeriesKey(info))
}

/** Frames with a value, as far as the renderer knows (loaded values, or the list's count). */
export function curveComputed(state: { curveData: Record<string, CurveEntry> }, info: CurveInfo): number {
  return state.curveData[info.id]?.computed ?? info.computed
}

export function curveComplete(state: { curveData: Record<string, CurveEntry> }, info: CurveInfo): boolean {
  return info.complete || curveComputed(state, info) >= info.length
}

export function episodeKey(datasetId: string, episode: number): string {
  return `${datasetId}#${episode}`
}

function countValues(values: Float32Array): number {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++
  return n
}

export function prefixFrom(values: Float32Array, from: number): number {
  let i = from
  while (i < values.length && !Number.isNaN(values[i])) i++
  return i
}

/** Own, correctly sized copies: chunks write into them in place. */
export function entryFrom(data: CurveData): CurveEntry {
  const { info } = data
  const values = new Float32Array(info.length).fill(NaN)
  values.set(data.values.subarray(0, info.length))
  let future: Float32Array | null = null
  if (info.futureDim > 0) {
    future = new Float32Array(info.length * info.futureDim).fill(NaN)
    if (data.future) future.set(data.future.subarray(0, future.length))
  }
  return { info, values, future, computed: countValues(values), contiguous: prefixFrom(values, 0), rev: 0 }
}

/** Chunks held while a curve is being fetched (or listed); more than this and a fetch afterwards is needed anyway. */
export const MAX_BUFFERED_CHUNKS = 512

/** The curve the detector and the advantages use: the chosen one if listed, else the first visible curve. */
export function analysisCurve(s: { analysisCurveId: string | null; curveList: readonly CurveInfo[]; hiddenSeries: readonly string[] }): CurveInfo | null {
  const chosen = s.analysisCurveId === null ? undefined : s.curveList.find((c) => c.id === s.analysisCurveId)
  return chosen ?? s.curveList.find((c) => curveVisible(s, c)) ?? s.curveList[0] ?? null
}

/** Write a chunk's values into the entry's arrays (in place) and say what changed; null when nothing did. */
export function mergeChunk(entry: CurveEntry, chunk: CurveChunk): CurveEntry | null {
  const { values, future } = entry
  const n = Math.min(chunk.values.length, values.length - chunk.start)
  if (n <= 0) return null
  let computed = entry.computed
  for (let i = 0; i < n; i++) {
    const at = chunk.start + i
    const v = chunk.values[i] as number
    const had = !Number.isNaN(values[at])
    const has = !Number.isNaN(v)
    if (had !== has) computed += has ? 1 : -1
    values[at] = v
  }
  const dim = entry.info.futureDim
  if (future && chunk.future && dim > 0) {
    future.set(chunk.future.subarray(0, Math.min(n * dim, chunk.future.length)), chunk.start * dim)
  }
  const contiguous = prefixFrom(values, Math.min(entry.contiguous, chunk.start))
  return { ...entry, computed, contiguous, rev: entry.rev + 1 }
}
