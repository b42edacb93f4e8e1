/**
 * The project's milestones as LeRobot's SARM subtask annotations, so a SARM reward model trains on what people
 * annotated instead of what a vision-language model guessed.
 *
 * Producer it stands in for: huggingface/lerobot src/lerobot/data_processing/sarm_annotations/subtask_annotation.py,
 * `save_annotations_to_dataset` (columns `<prefix>_subtask_names` list<string>, `_start_times` / `_end_times`
 * (seconds from the episode's start), `_start_frames` / `_end_frames` (frames of the episode) in the v3.0
 * `meta/episodes/*.parquet` rows; for the sparse prefix also the unprefixed legacy names) and its `--dense-only` mode
 * (one sparse stage "task" over the whole episode, `meta/temporal_proportions_sparse.json` = {"task": 1.0}, and
 * `meta/temporal_proportions_dense.json` from `compute_temporal_proportions`, SARM eq. 1).
 * Consumer: src/lerobot/rewards/sarm/ (policies/sarm/ before SARM became a reward model): modeling_sarm.py
 * `_load_temporal_proportions` (dense_only: the dense JSON; its key order is the stage order), processor_sarm.py `_load_episode_annotations` (reads `dense_subtask_names`,
 * `_start_frames`, `_end_frames`; a null row means no annotation) and sarm_utils.py `find_stage_and_tau` (a frame
 * belongs to the first subtask with start <= frame <= end, τ = (frame − start) / (end − start); before the first
 * subtask stage 0 τ 0; after the last one the final stage, τ 0.999).
 *
 * A v3.0 dataset gets the columns in its episodes parquet; a v2.x dataset gets the same fields in meta/episodes.jsonl,
 * which LeRobot's v2.1 → v3.0 converter carries over (sarmEpisodesJsonl).
 *
 * The milestones are the dense stages (one level of stages: `--reward_model.annotation_mode=dense_only`). Subtask k runs
 * from the milestone before it (frame 0 for the first) to its own milestone, so subtask k ends where k+1 starts, as
 * the VLM annotations do, and SARM's targets equal the app's progress_sparse (sarmProgress.ts) frame for frame.
 * What SARM cannot say: an episode that stops before the final stage (a failure) reads, after its last milestone,
 * as the final stage almost done. Such episodes are named, with the complete ones to train on (--dataset.episodes).
 */
import { VivaError } from '../../app/errors'
import type { ParquetColumn } from '../formats/parquetWrite'
import { temporalProportions, type StageProportions } from './sarmProgress'
import { milestoneSegments, type Segment } from './segments'
import type { ExportAnnotations, ExportEpisode } from './table'
import { invalid } from './table'

export const SARM_DENSE_PROPORTIONS_FILE = 'meta/temporal_proportions_dense.json'
export const SARM_SPARSE_PROPORTIONS_FILE = 'meta/temporal_proportions_sparse.json'

/** One episode's subtasks, frames of the episode (inclusive). */
export interface SarmEpisodeSubtasks {
  names: string[]
  startFrames: number[]
  endFrames: number[]
}

export interface SarmAnnotations {
  /** The stages, in the taxonomy's order (SARM's stage order is the dense JSON's key order). */
  stages: string[]
  /** ᾱ per stage, in stage order: the content of meta/temporal_proportions_dense.json. */
  proportions: Record<string, number>
  /** episode → its subtasks; absent: no milestone (a null row, which SARM reads as no annotation). */
  subtasks: Map<number, SarmEpisodeSubtasks>
  /** Episodes whose milestones reach the final stage: the ones SARM can train on as they are. */
  complete: number[]
  /** Episodes with milestones that stop before the final stage. */
  incomplete: number[]
  unannotated: number[]
}

/** SARM trains one list of stages for the whole dataset: every task must have the same milestones. */
function datasetStages(episodes: readonly ExportEpisode[], annotations: ExportAnnotations): string[] {
  const byList = new Map<string, string[]>()
  for (const task of new Set(episodes.map((e) => e.task))) {
    const list = [...(annotations.milestones.get(task) ?? [])]
    const tasks = byList.get(JSON.stringify(list))
    if (tasks) tasks.push(task)
    else byList.set(JSON.stringify(list), [task])
  }
  if (byList.size > 1) {
    const described = [...byList].map(([list, tasks]) => `${tasks.map((t) => `"${t}"`).join(', ')}: ${(JSON.parse(list) as string[]).join(', ') || 'none'}`)
    throw invalid(`SARM trains one list of stages for the whole dataset (meta/temporal_proportions_dense.json), but the tasks' taxonomies differ (${described.join('; ')}); give them the same milestones or export the tasks' episodes apart`)
  }
  const stages = JSON.parse([...byList.keys()][0] ?? '[]') as string[]
  if (stages.length === 0) throw invalid('the taxonomy has no milestones: SARM needs the stages (add milestones to the taxonomy and annotate them)')
  return stages
}

export function buildSarmAnnotations(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, mode: StageProportions = 'dataset'): SarmAnnotations {
  const stages = datasetStages(episodes, annotations)
  const subtasks = new Map<number, SarmEpisodeSubtasks>()
  const annotated: Segment[][] = []
  const complete: number[] = []
  const incomplete: number[] = []
  const unannotated: number[] = []
  for (const ep of episodes) {
    const segments = milestoneSegments(annotations, ep.index, ep.length, ep.task)
    const unknown = segments.find((s) => s.stage === null)
    if (unknown) throw invalid(`episode ${ep.index}: milestone "${unknown.label}" at frame ${unknown.end} is not one of the stages (${stages.join(', ')}); relabel it or add it to the taxonomy`)
    if (segments.length === 0) {
      unannotated.push(ep.index)
      continue
    }
    annotated.push(segments)
    subtasks.set(ep.index, { names: segments.map((s) => s.label), startFrames: segments.map((s) => s.anchor), endFrames: segments.map((s) => s.end) })
    if (segments.at(-1)?.stage === stages.length - 1) complete.push(ep.index)
    else incomplete.push(ep.index)
  }
  if (annotated.length === 0) throw invalid('no episode has a milestone: SARM would have nothing to learn the stages from')
  const alpha = temporalProportions(stages, annotated, mode)
  return { stages, proportions: Object.fromEntries(stages.map((s, k) => [s, alpha[k] as number])), subtasks, complete, incomplete, unannotated }
}

const SUFFIXES = ['names', 'start_times', 'end_times', 'start_frames', 'end_frames'] as const
const PREFIXES = ['dense_', 'sparse_', ''] as const
/** pyarrow's types for the lists the annotation script stores: list<string>, list<double>, list<int64>. */
const LIST_TYPE = { names: 'STRING_LIST', start_times: 'DOUBLE_LIST', end_times: 'DOUBLE_LIST', start_frames: 'INT64_LIST', end_frames: 'INT64_LIST' } as const

/** Every column name the annotations add, in the order they are written. */
export const SARM_COLUMNS: readonly string[] = PREFIXES.flatMap((p) => SUFFIXES.map((c) => `${p}subtask_${c}`))

/**
 * One episode's fields: the dense subtasks (null without milestones), and the single sparse stage "task" over the
 * whole episode with its legacy unprefixed copy (null when the length is unknown), as the dense-only annotation
 * script writes them. Times are seconds from the episode's start (frame / fps).
 */
export function sarmRowFields(sarm: SarmAnnotations, episode: number, length: number | undefined, fps: number): Record<string, number[] | string[] | null> {
  const whole = length === undefined ? null : { names: ['task'], startFrames: [0], endFrames: [length - 1] }
  const fields = (s: SarmEpisodeSubtasks | null) => ({
    names: s?.names ?? null,
    start_times: s ? s.startFrames.map((f) => f / fps) : null,
    end_times: s ? s.endFrames.map((f) => f / fps) : null,
    start_frames: s?.startFrames ?? null,
    end_frames: s?.endFrames ?? null,
  })
  const byPrefix = { dense_: fields(sarm.subtasks.get(episode) ?? null), sparse_: fields(whole), '': fields(whole) }
  return Object.fromEntries(PREFIXES.flatMap((p) => SUFFIXES.map((c) => [`${p}subtask_${c}`, byPrefix[p][c]])))
}

/** The columns added to one meta/episodes parquet file (v3.0), row by row from its `episode_index`. */
export function sarmEpisodeColumns(sarm: SarmAnnotations, episodeIndex: readonly bigint[], lengths: ReadonlyMap<number, number>, fps: number): ParquetColumn[] {
  const rows = episodeIndex.map((e) => sarmRowFields(sarm, Number(e), lengths.get(Number(e)), fps))
  return PREFIXES.flatMap((p) =>
    SUFFIXES.map((c): ParquetColumn => {
      const name = `${p}subtask_${c}`
      const values = rows.map((r) => r[name] ?? null)
      const type = LIST_TYPE[c]
      if (type === 'INT64_LIST') return { name, type, data: values.map((v) => (v ? (v as number[]).map(BigInt) : null)) }
      if (type === 'STRING_LIST') return { name, type, data: values as (string[] | null)[] }
      return { name, type, data: values as (number[] | null)[] }
    }),
  )
}

/**
 * meta/episodes.jsonl (v2.x) with the same fields on each episode's line. LeRobot's SARM reads v3.0 only, but its
 * converter carries every key of these lines into the v3.0 episodes table (src/lerobot/datasets/v30/
 * convert_dataset_v21_to_v30.py generate_episode_metadata_dict: `{**ep_meta, **ep_video, **ep_legacy, ...}`).
 */
export function sarmEpisodesJsonl(sarm: SarmAnnotations, text: string, file: string, fps: number): string {
  const lines = text.split('\n')
  const values = jsonlValues(lines, file, 'DATASET_INVALID')
  return lines
    .map((line, i) => {
      const row = values[i]
      if (row === undefined) return line
      const r = row as { episode_index?: unknown; length?: unknown }
      if (typeof row !== 'object' || row === null || !Number.isInteger(r.episode_index)) throw new VivaError('DATASET_INVALID', `${file} line ${i + 1} has no integer episode_index`, file)
      const length = Number.isInteger(r.length) ? (r.length as number) : undefined
      return JSON.stringify({ ...(row as object), ...sarmRowFields(sarm, r.episode_index as number, length, fps) })
    })
    .join('\n')
}

/** Each line of a JSONL file parsed (undefined for a blank one); a line that is not JSON is refused with `code`. */
export function jsonlValues(lines: readonly string[], file: string, code: 'DATASET_INVALID' | 'IMPORT_INVALID'): unknown[] {
  return lines.map((line, i) => {
    if (line.trim() === '') return undefined
    try {
      return JSON.parse(line) as unknown
    } catch (err) {
      throw new VivaError(code, `${file} line ${i + 1} is not JSON (${err instanceof Error ? err.message : String(err)})`, file)
    }
  })
}

/** The two proportion files, as the annotation script writes them (json.dump with indent 2). */
export function sarmProportionFiles(sarm: SarmAnnotations): Record<string, string> {
  return {
    [SARM_DENSE_PROPORTIONS_FILE]: `${JSON.stringify(sarm.proportions, null, 2)}\n`,
    [SARM_SPARSE_PROPORTIONS_FILE]: `${JSON.stringify({ task: 1.0 }, null, 2)}\n`,
  }
}
