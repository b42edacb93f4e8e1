/**
 * Value curves: per-frame values of one episode, from the app's own model runs or imported from elsewhere. Each
 * curve keeps its own convention; the display maps every convention onto progress (higher = closer to success).
 */

/**
 * - progress: in [0, 1], higher = closer to success (the app's own convention).
 * - remaining: remaining progress in [0, 1] (1 at the start, 0 at success), e.g. the ViVa reference `prediction`.
 * - remaining-frames: frames left until the end of the episode, e.g. the ViVa reference `model_prediction`.
 */
export const CURVE_CONVENTIONS = ['progress', 'remaining', 'remaining-frames'] as const
export type CurveConvention = (typeof CURVE_CONVENTIONS)[number]

export type CurveSource = 'model' | 'import'

/** How a model run was made; part of the cache key of its results. */
export interface ScoreParams {
  /** Flow-matching Euler steps (viva-flow); 0 for direct models. */
  steps: number
  /** Seed of the initial noise of the target frames (viva-flow). */
  seed: number
  /** Dataset camera key feeding each model camera slot, in slot order. */
  cameras: string[]
  /**
   * The state map (app/modelMapping.ts, canonical form) that made the model's state from the dataset's; absent when
   * the state went in unchanged.
   */
  stateMap?: string
  /** The dataset feature the state came from, when it is not `observation.state` (the user can choose another). */
  stateKey?: string
}

export interface CurveInfo {
  /** Stable id: the cache key of a model run, or the id given to an imported curve. */
  id: string
  datasetId: string
  episode: number
  name: string
  source: CurveSource
  convention: CurveConvention
  /** Episode length in frames; values has this length. */
  length: number
  /** Frames that have a value (a running or interrupted model run has fewer than `length`). */
  computed: number
  complete: boolean
  /** Model package id (content hash) for model curves. */
  modelId: string | null
  modelName: string | null
  params: ScoreParams | null
  /** Predicted future state q̂(t+K) per frame (viva-flow): its dimension, joint names and K; 0 / [] when none. */
  futureDim: number
  futureNames: string[]
  futureOffset: number
  /** The file an imported curve came from (its real path, links resolved). */
  file: string | null
  /**
   * Imported curves: the series' source, one imported file; it stays when the same file (same real path, or the
   * same content elsewhere) is imported again. null for model curves (their series is model id + parameters).
   */
  sourceId: string | null
  /** Imported curves: sha256 of the file's content when it was imported. */
  fileHash: string | null
  /**
   * Why these values may not mean what they should: the model's input was out of its distribution (a state far
   * outside its training range, other units). Shown beside the curve; empty when nothing was noticed.
   */
  warnings: string[]
  createdAt: string
}

export interface CurveData {
  info: CurveInfo
  /** length values in the curve's own convention; NaN where not (yet) computed. */
  values: Float32Array
  /** length × futureDim, row-major, NaN where not computed; null when the curve has no future state. */
  future: Float32Array | null
}

/** A contiguous run of new values of a curve, pushed while a model computes it. */
export interface CurveChunk {
  jobId: string
  datasetId: string
  episode: number
  curveId: string
  /** Frame index of values[0]. */
  start: number
  values: Float32Array
  /** values.length × futureDim, or null. */
  future: Float32Array | null
}

/**
 * One value in the display convention (progress, higher = better). `length` is the episode length; remaining
 * frames count down to 0 at the last frame, so they are scaled by length − 1.
 */
export function displayValue(value: number, convention: CurveConvention, length: number): number {
  switch (convention) {
    case 'progress':
      return value
    case 'remaining':
      return 1 - value
    case 'remaining-frames':
      return length > 1 ? 1 - value / (length - 1) : 1 - value
  }
}

/** A whole curve in the display convention; NaN (not computed) stays NaN. */
export function toDisplay(values: Float32Array, convention: CurveConvention, length: number): Float32Array {
  const out = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = displayValue(values[i] as number, convention, length)
  return out
}

/** Number of leading frames with a value: how far a sequential run got. */
export function computedPrefix(values: Float32Array): number {
  let i = 0
  while (i < values.length && !Number.isNaN(values[i])) i++
  return i
}

/**
 * The series a curve belongs to: one row of the metrics tables and one pool of advantage thresholds. A model run
 * is its model (content hash) and parameters; an imported curve is its source file and its name within that file
 * (a file may hold several named curves). Two imported files never share a series, whatever their names.
 */
export function seriesKey(info: Pick<CurveInfo, 'source' | 'modelId' | 'params' | 'name'> & { sourceId?: string | null }): string {
  if (info.source === 'model' && info.modelId && info.params) {
    // A state map or another state feature makes another series (absent: the key stays what it always was).
    const state = (info.params.stateMap === undefined ? '' : `:${info.params.stateMap}`) + (info.params.stateKey === undefined ? '' : `:${info.params.stateKey}`)
    return `m:${info.modelId}:${info.params.steps}:${info.params.seed}:${info.params.cameras.join(',')}${state}`
  }
  return info.sourceId ? `i:${info.sourceId}:${info.name}` : `i:${info.name}`
}

/** An imported series: its source (one file) and the name it has in that file. */
export interface ImportedSeriesRef {
  sourceId: string
  name: string
  /** The file's path (any separator). */
  file: string
}

/**
 * Display names for imported series, in the order given. A name that series of different files share gets what
 * tells the files apart: the folders above them (at least two levels where there are: `values (runs/a)`,
 * `values (runs/b)`), or, for files in one folder, their file names (`values (values.csv)`); other names stay.
 */
export function distinctImportNames(series: ImportedSeriesRef[]): string[] {
  const out = series.map((s) => s.name)
  const byName = new Map<string, number[]>()
  series.forEach((s, i) => byName.set(s.name, [...(byName.get(s.name) ?? []), i]))
  for (const [name, members] of byName) {
    const sources = [...new Map(members.map((i) => [series[i]?.sourceId as string, series[i]?.file as string])).entries()]
    if (sources.length < 2) continue
    const parts = sources.map(([, file]) => file.split(/[\\/]+/).filter((p) => p !== ''))
    const suffix = (segments: string[], k: number): string => segments.slice(Math.max(0, segments.length - k)).join('/')
    const distinctAt = (pick: (segments: string[]) => string): boolean => new Set(parts.map(pick)).size === parts.length
    const dirs = parts.map((p) => p.slice(0, -1))
    const maxDirs = Math.max(...dirs.map((d) => d.length))
    let label: ((i: number) => string) | null = null
    for (let k = 1; k <= maxDirs && !label; k++) {
      if (new Set(dirs.map((d) => suffix(d, k))).size === dirs.length) {
        const shown = Math.max(k, 2)
        label = (i) => suffix(dirs[i] as string[], shown)
      }
    }
    const maxParts = Math.max(...parts.map((p) => p.length))
    for (let k = 1; k <= maxParts && !label; k++) {
      if (distinctAt((p) => suffix(p, k))) label = (i) => suffix(parts[i] as string[], k)
    }
    const labels = sources.map((_, i) => (label ? label(i) : `#${i + 1}`))
    const labelOf = new Map(sources.map(([id], i) => [id, labels[i] as string]))
    for (const i of members) out[i] = `${name} (${labelOf.get(series[i]?.sourceId as string) ?? ''})`
  }
  return out
}
