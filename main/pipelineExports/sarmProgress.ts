/**
 * LeRobot's progress file for reward-aligned behaviour cloning (RA-BC with SARM): `sarm_progress.parquet`.
 *
 * Consumer: huggingface/lerobot src/lerobot/rewards/sarm/rabc.py (policies/sarm/ before SARM moved to the rewards
 * package; same contract), RABCWeights.__init__ (`pd.read_parquet`, then
 * per row `int(row["index"])`, `row[f"progress_{head_mode}"]` (head_mode "sparse" or "dense"; a missing column is
 * a ValueError naming the available `progress*` columns), `int(row["episode_index"])`; NaN progress is skipped and
 * such frames get `fallback_weight`) and compute_batch_weights (looks frames up by the batch's global `index`).
 * Producer it stands in for: src/lerobot/policies/sarm/compute_rabc_weights.py, compute_sarm_progress(): columns
 * `index`, `episode_index`, `frame_index` as int64, `progress_sparse` / `progress_dense` as float32 (only the heads
 * computed), sorted by `index`, schema metadata `reward_model_path`, saved as `<dataset root>/sarm_progress.parquet`
 * (where lerobot-train's `rabc_progress_path` looks by default).
 *
 * progress_sparse (from annotations): SARM's own stage targets. Stages are the task's taxonomy milestones; each
 * milestone closes its stage (segments.ts). Within a stage, τ = (t − anchor) / (milestone − anchor), 1 for an empty
 * stage (sarm_utils.py compute_tau); progress = b_k + τ (b_{k+1} − b_k) (normalize_stage_tau) with breakpoints b
 * the cumulative temporal proportions ᾱ_k = mean over annotated episodes of L_k / T (SARM paper eq. 1,
 * data_processing/sarm_annotations/subtask_annotation.py compute_temporal_proportions; 'uniform' gives 1/n each).
 * Settled here where SARM assumes complete annotations: after the last milestone the progress stays at the
 * breakpoint reached (the next stage was never completed), and is 1 once the final stage's milestone is reached.
 * Episodes with no milestone, outcome unknown and status not done have no annotation: NaN (RA-BC's fallback
 * weight), never 0. A milestone whose label the task's taxonomy does not list is refused (its stage is unknown).
 *
 * progress_dense (from a value curve): the curve in the app's progress convention (app/curves.ts toDisplay), the
 * same numbers the value panel shows; frames the model did not compute (NaN) and episodes without a curve are NaN.
 */
import type { CurveConvention } from '../../app/curves'
import { toDisplay } from '../../app/curves'
import { milestoneSegments } from './segments'
import type { Segment } from './segments'
import type { Column, ExportAnnotations, ExportEpisode, PlacedEpisode, Table } from './table'
import { frameKeyColumns, invalid, labelsOf, placeEpisodes } from './table'

export const SARM_PROGRESS_FILE = 'sarm_progress.parquet'

export type StageProportions = 'dataset' | 'uniform'

/** One episode's value curve, in its own convention (as stored). */
export interface EpisodeValues {
  episode: number
  values: Float32Array
  convention: CurveConvention
}

export interface SarmProgressOptions {
  /** Breakpoints from the annotated durations (SARM's default) or equal stages. */
  proportions?: StageProportions
  /** The value curve of each episode for progress_dense; absent: no dense column (as SARM's sparse-only head). */
  dense?: readonly EpisodeValues[]
  /** Written as schema metadata `reward_model_path`, as compute_rabc_weights.py does; e.g. "viva:<series>". */
  source?: string
}

export interface SarmProgressResult {
  table: Table
  /** task → stage → ᾱ_k, the proportions used (SARM's meta/temporal_proportions_sparse.json content). */
  proportions: Map<string, Record<string, number>>
  /** Episodes whose progress_sparse is NaN for want of annotations. */
  unannotated: number[]
  /** Frames whose progress_dense is NaN (no curve or not computed); 0 without a dense column. */
  denseMissing: number
}

/** A milestone's label must be a stage of the task (SARM looks the stage up by name). */
function checkStages(segments: Segment[], task: string): void {
  for (const s of segments) {
    if (s.stage === null) {
      throw invalid(`episode ${s.episode}: milestone "${s.label}" at frame ${s.end} is not a milestone of the taxonomy of task "${task}"; relabel it or add it to the taxonomy`)
    }
  }
}

function isAnnotated(annotations: ExportAnnotations, episode: number, segments: Segment[]): boolean {
  const labels = labelsOf(annotations, episode)
  return segments.length > 0 || labels.outcome !== 'unknown' || labels.status === 'done'
}

/** ᾱ per stage of one task: mean over episodes of L_k / T, renormalized to sum to 1 (SARM eq. 1). */
export function temporalProportions(stages: readonly string[], episodes: readonly Segment[][], mode: StageProportions): number[] {
  if (stages.length === 0) return []
  if (mode === 'uniform') return stages.map(() => 1 / stages.length)
  const shares: number[][] = stages.map(() => [])
  for (const segments of episodes) {
    const total = segments.reduce((n, s) => n + (s.end - s.anchor), 0)
    if (total <= 0) continue
    for (const s of segments) (shares[s.stage as number] as number[]).push((s.end - s.anchor) / total)
  }
  const mean = shares.map((v) => (v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length))
  const sum = mean.reduce((a, b) => a + b, 0)
  // No annotated durations at all: equal stages rather than dividing by zero.
  return sum > 0 ? mean.map((m) => m / sum) : stages.map(() => 1 / stages.length)
}

function breakpointsOf(proportions: readonly number[]): number[] {
  const b = [0]
  for (const p of proportions) b.push((b[b.length - 1] as number) + p)
  b[b.length - 1] = 1
  return b
}

/** Per-frame sparse progress of one episode from its segments (see the header). */
export function sparseProgress(length: number, segments: readonly Segment[], breakpoints: readonly number[]): Float32Array {
  const out = new Float32Array(length)
  const at = (stage: number, tau: number): number => {
    const lo = breakpoints[stage] as number
    return lo + tau * ((breakpoints[stage + 1] as number) - lo)
  }
  let frame = 0
  let reached = 0
  for (const s of segments) {
    const stage = s.stage as number
    const span = s.end - s.anchor
    for (; frame <= s.end; frame++) out[frame] = span <= 0 ? at(stage, 1) : at(stage, Math.min(1, Math.max(0, (frame - s.anchor) / span)))
    reached = breakpoints[stage + 1] as number
  }
  for (; frame < length; frame++) out[frame] = reached
  return out
}

export function buildSarmProgress(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, options: SarmProgressOptions = {}): SarmProgressResult {
  const placed = placeEpisodes(episodes)
  const mode = options.proportions ?? 'dataset'
  const segmentsOf = new Map<number, Segment[]>()
  const byTask = new Map<string, PlacedEpisode[]>()
  for (const ep of placed) {
    const segments = milestoneSegments(annotations, ep.index, ep.length, ep.task)
    checkStages(segments, ep.task)
    segmentsOf.set(ep.index, segments)
    const list = byTask.get(ep.task)
    if (list) list.push(ep)
    else byTask.set(ep.task, [ep])
  }
  const proportions = new Map<string, Record<string, number>>()
  const breakpoints = new Map<string, number[]>()
  for (const [task, eps] of byTask) {
    const stages = annotations.milestones.get(task) ?? []
    const alpha = temporalProportions(
      stages,
      eps.map((ep) => segmentsOf.get(ep.index) as Segment[]).filter((s) => s.length > 0),
      mode,
    )
    proportions.set(task, Object.fromEntries(stages.map((name, i) => [name, alpha[i] as number])))
    breakpoints.set(task, breakpointsOf(alpha))
  }

  const dense = options.dense ? denseByEpisode(options.dense, placed) : null
  const keys = frameKeyColumns(placed)
  const sparse = new Float32Array(keys.index.length)
  const denseColumn = dense ? new Float32Array(keys.index.length) : null
  const unannotated: number[] = []
  let denseMissing = 0
  let row = 0
  for (const ep of placed) {
    const segments = segmentsOf.get(ep.index) as Segment[]
    const stages = annotations.milestones.get(ep.task) ?? []
    if (!isAnnotated(annotations, ep.index, segments) || stages.length === 0) {
      sparse.fill(Number.NaN, row, row + ep.length)
      unannotated.push(ep.index)
    } else {
      sparse.set(sparseProgress(ep.length, segments, breakpoints.get(ep.task) as number[]), row)
    }
    if (dense && denseColumn) {
      const values = dense.get(ep.index)
      if (values) denseColumn.set(values, row)
      else denseColumn.fill(Number.NaN, row, row + ep.length)
      for (let i = row; i < row + ep.length; i++) if (Number.isNaN(denseColumn[i])) denseMissing++
    }
    row += ep.length
  }

  const columns: Column[] = [
    { name: 'index', kind: 'int64', data: keys.index },
    { name: 'episode_index', kind: 'int64', data: keys.episode },
    { name: 'frame_index', kind: 'int64', data: keys.frame },
    { name: 'progress_sparse', kind: 'float32', data: sparse },
  ]
  if (denseColumn) columns.push({ name: 'progress_dense', kind: 'float32', data: denseColumn })
  const metadata: Record<string, string> = options.source ? { reward_model_path: options.source } : {}
  return { table: { rows: keys.index.length, columns, metadata }, proportions, unannotated, denseMissing }
}

function denseByEpisode(curves: readonly EpisodeValues[], placed: readonly PlacedEpisode[]): Map<number, Float32Array> {
  const lengths = new Map(placed.map((ep) => [ep.index, ep.length]))
  const out = new Map<number, Float32Array>()
  for (const c of curves) {
    const length = lengths.get(c.episode)
    if (length === undefined) throw invalid(`a value curve is given for episode ${c.episode}, which is not among the exported episodes`)
    if (c.values.length !== length) throw invalid(`episode ${c.episode}: the value curve has ${c.values.length} values for ${length} frames`)
    if (out.has(c.episode)) throw invalid(`episode ${c.episode} has two value curves; choose one series`)
    out.set(c.episode, toDisplay(c.values, c.convention, length))
  }
  return out
}
