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
 * Consumer: src/lerobot/policies/sarm/modeling_sarm.py `_load_temporal_proportions` (dense_only: the dense JSON;
 * its key order is the stage order), processor_sarm.py `_load_episode_annotations` (reads `dense_subtask_names`,
 * `_start_frames`, `_end_frames`; a null row means no annotation) and sarm_utils.py `find_stage_and_tau` (a frame
 * belongs to the first subtask with start <= frame <= end, τ = (frame − start) / (end − start); before the first
 * subtask stage 0 τ 0; after the last one the final stage, τ 0.999).
 *
 * The milestones are the dense stages (one level of stages: `--policy.annotation_mode=dense_only`). Subtask k runs
 * from the milestone before it (frame 0 for the first) to its own milestone, so subtask k ends where k+1 starts, as
 * the VLM annotations do, and SARM's targets equal the app's progress_sparse (sarmProgress.ts) frame for frame.
 * What SARM cannot say: an episode that stops before the final stage (a failure) reads, after its last milestone,
 * as the final stage almost done. Such episodes are named, with the complete ones to train on (--dataset.episodes).
 */
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

/**
 * The columns added to one meta/episodes parquet file, row by row from its `episode_index`: the dense subtasks,
 * and the single sparse stage "task" over the whole episode with its legacy unprefixed copy (as the dense-only
 * annotation script writes them). `lengths` gives each episode's frames; fps turns frames into the times columns.
 */
export function sarmEpisodeColumns(sarm: SarmAnnotations, episodeIndex: readonly bigint[], lengths: ReadonlyMap<number, number>, fps: number): ParquetColumn[] {
  const rows = episodeIndex.map((e) => Number(e))
  const dense = rows.map((e) => sarm.subtasks.get(e) ?? null)
  const whole = rows.map((e) => {
    const length = lengths.get(e)
    return length === undefined ? null : { names: ['task'], startFrames: [0], endFrames: [length - 1] }
  })
  const seconds = (frames: readonly number[]): number[] => frames.map((f) => f / fps)
  const columns = (prefix: string, values: readonly (SarmEpisodeSubtasks | null)[]): ParquetColumn[] => [
    { name: `${prefix}subtask_names`, type: 'STRING_LIST', data: values.map((v) => v?.names ?? null) },
    { name: `${prefix}subtask_start_times`, type: 'DOUBLE_LIST', data: values.map((v) => (v ? seconds(v.startFrames) : null)) },
    { name: `${prefix}subtask_end_times`, type: 'DOUBLE_LIST', data: values.map((v) => (v ? seconds(v.endFrames) : null)) },
    { name: `${prefix}subtask_start_frames`, type: 'INT64_LIST', data: values.map((v) => v?.startFrames.map(BigInt) ?? null) },
    { name: `${prefix}subtask_end_frames`, type: 'INT64_LIST', data: values.map((v) => v?.endFrames.map(BigInt) ?? null) },
  ]
  return [...columns('dense_', dense), ...columns('sparse_', whole), ...columns('', whole)]
}

/** The two proportion files, as the annotation script writes them (json.dump with indent 2). */
export function sarmProportionFiles(sarm: SarmAnnotations): Record<string, string> {
  return {
    [SARM_DENSE_PROPORTIONS_FILE]: `${JSON.stringify(sarm.proportions, null, 2)}\n`,
    [SARM_SPARSE_PROPORTIONS_FILE]: `${JSON.stringify({ task: 1.0 }, null, 2)}\n`,
  }
}
