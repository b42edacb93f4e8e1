/**
 * What every pipeline export builder takes and gives: the dataset's episodes (index, length, task, where the
 * episode starts in the global frame index) and the project's annotations, and columns with the exact dtype the
 * consumer reads. Builders are pure; the parquet writer (main/formats) maps a `Column` onto its physical type.
 */
import type { EventKind, Outcome, ProjectState, ReviewStatus } from '../../app/annotations'
import { VivaError } from '../../app/errors'

export type Column =
  | { name: string; kind: 'int64'; data: BigInt64Array }
  | { name: string; kind: 'float32'; data: Float32Array }
  | { name: string; kind: 'float64'; data: Float64Array }
  | { name: string; kind: 'bool'; data: boolean[] }
  | { name: string; kind: 'string'; data: string[] }

export type ColumnKind = Column['kind']

/** One parquet file's content: columns of equal length, in file order, plus key/value schema metadata. */
export interface Table {
  rows: number
  columns: Column[]
  /** Arrow schema metadata (parquet key_value_metadata), e.g. LeRobot's `reward_model_path`. */
  metadata: Record<string, string>
}

export interface ExportEpisode {
  /** LeRobot `episode_index`. */
  index: number
  /** Frames (rows of the episode's table). */
  length: number
  /** The episode's task string (its first task), which picks the taxonomy. */
  task: string
  /**
   * Global index (LeRobot `index` column) of the episode's frame 0: v3.0 `dataset_from_index`. Absent: the sum of
   * the lengths of the episodes before it in index order, which is how LeRobot numbers frames; that is only right
   * when every episode of the dataset is given, so an export of some episodes sets it first (withGlobalStarts).
   */
  fromIndex?: number
  /** The episode table's `timestamp` column, one per frame, exactly as stored (float32 in LeRobot). */
  timestamps?: ArrayLike<number> | null
}

/** The annotation fields the exports read: a subset of app/annotations.ts AnnotationEvent. */
export interface ExportEvent {
  episode: number
  frame: number
  kind: EventKind
  label: string
}

export interface ExportEpisodeLabels {
  outcome: Outcome
  status: ReviewStatus
}

export interface ExportAnnotations {
  events: readonly ExportEvent[]
  /** Episodes without an entry have the defaults (outcome unknown, status todo). */
  episodes: ReadonlyMap<number, ExportEpisodeLabels>
  /** task → the latest taxonomy's milestones, in task order. */
  milestones: ReadonlyMap<string, readonly string[]>
}

/**
 * Every episode of the dataset with its global start (kept where given, else the running sum of lengths), to be
 * done on the whole episode list before filtering: a subset keeps the dataset's own `index` values.
 */
export function withGlobalStarts(episodes: readonly ExportEpisode[]): PlacedEpisode[] {
  return placeEpisodes(episodes)
}

/** The export view of a project: its events, episode labels, and each task's latest taxonomy milestones. */
export function exportAnnotationsOf(state: ProjectState): ExportAnnotations {
  const milestones = new Map<string, readonly string[]>()
  for (const [task, versions] of state.taxonomies) {
    const latest = versions[versions.length - 1]
    if (latest) milestones.set(task, latest.milestones)
  }
  return { events: [...state.events.values()], episodes: state.episodes, milestones }
}

export function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', message)
}

export function labelsOf(annotations: ExportAnnotations, episode: number): ExportEpisodeLabels {
  return annotations.episodes.get(episode) ?? { outcome: 'unknown', status: 'todo' }
}

export interface PlacedEpisode extends ExportEpisode {
  fromIndex: number
}

/**
 * The episodes in index order with their global start, checked: whole positive lengths, distinct indices, and
 * given starts that do not make two episodes share a global index.
 */
export function placeEpisodes(episodes: readonly ExportEpisode[]): PlacedEpisode[] {
  const sorted = [...episodes].sort((a, b) => a.index - b.index)
  const out: PlacedEpisode[] = []
  let next = 0
  let previous: PlacedEpisode | null = null
  for (const ep of sorted) {
    if (!Number.isInteger(ep.index) || ep.index < 0) throw invalid(`episode index must be a whole number ≥ 0, got ${ep.index}`)
    if (!Number.isInteger(ep.length) || ep.length < 1) throw invalid(`episode ${ep.index}: length must be a whole number ≥ 1, got ${ep.length}`)
    if (previous && previous.index === ep.index) throw invalid(`episode ${ep.index} is listed twice`)
    const from = ep.fromIndex ?? next
    if (!Number.isInteger(from) || from < 0) throw invalid(`episode ${ep.index}: global start must be a whole number ≥ 0, got ${from}`)
    if (previous && from < previous.fromIndex + previous.length) {
      throw invalid(`episode ${ep.index} starts at global index ${from}, inside episode ${previous.index} (${previous.fromIndex}..${previous.fromIndex + previous.length - 1})`)
    }
    if (ep.timestamps && ep.timestamps.length !== ep.length) {
      throw invalid(`episode ${ep.index}: ${ep.timestamps.length} timestamps for ${ep.length} frames`)
    }
    const placed: PlacedEpisode = { ...ep, fromIndex: from }
    out.push(placed)
    previous = placed
    next = from + ep.length
  }
  return out
}

/** The `index`, `episode_index`, `frame_index` columns (int64) of every frame of `episodes`, in global order. */
export function frameKeyColumns(episodes: readonly PlacedEpisode[]): { index: BigInt64Array; episode: BigInt64Array; frame: BigInt64Array } {
  const rows = episodes.reduce((n, ep) => n + ep.length, 0)
  const index = new BigInt64Array(rows)
  const episode = new BigInt64Array(rows)
  const frame = new BigInt64Array(rows)
  let r = 0
  for (const ep of episodes) {
    for (let f = 0; f < ep.length; f++, r++) {
      index[r] = BigInt(ep.fromIndex + f)
      episode[r] = BigInt(ep.index)
      frame[r] = BigInt(f)
    }
  }
  return { index, episode, frame }
}
