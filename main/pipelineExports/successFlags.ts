/**
 * Per-frame success flags for RECAP-style training, from annotated outcomes: `next.success` and `is_success`,
 * true on the last frame of a successful episode and false everywhere else.
 *
 * Consumers:
 * - RLinf/RLinf examples/process/compute_returns.py, _process_single_parquet(): reads the data parquet column
 *   `is_success` and takes the episode's outcome from its last row, `bool(is_success_col[ep_end - 1])`; a rollout
 *   dataset without the column counts every episode as failed.
 * - LeRobot's per-frame `next.success` (huggingface/lerobot src/lerobot/scripts/lerobot_eval.py,
 *   _compile_episode_data(): `"next.success": rollout_data["success"]`, true on the step where the environment
 *   reports success, which ends the rollout), declared in info.json as `{"dtype": "bool", "shape": [1], "names":
 *   null}`. An annotated outcome does not say at which step success came, only that the episode ended in it, so
 *   the flag is set on the last frame alone.
 * Both are bool. The flags can go into a copy of the dataset (rows of each data file, in that file's order:
 * successFlagsForRows) or into a sidecar keyed by episode_index / frame_index / index (buildSuccessFlags).
 * Episodes whose outcome is unknown are refused by default (RLinf would silently count them as failures); with
 * `unknown: 'failure'` they get false everywhere, which is what RLinf does with a missing flag.
 */
import type { Outcome } from '../../app/annotations'
import type { Column, ExportAnnotations, ExportEpisode, Table } from './table'
import { frameKeyColumns, invalid, labelsOf, placeEpisodes } from './table'

export const SUCCESS_COLUMNS = ['next.success', 'is_success'] as const

/** The info.json `features` entries for the added columns. */
export function successFeatureInfo(): Record<(typeof SUCCESS_COLUMNS)[number], { dtype: 'bool'; shape: [1]; names: null }> {
  return {
    'next.success': { dtype: 'bool', shape: [1], names: null },
    is_success: { dtype: 'bool', shape: [1], names: null },
  }
}

export interface SuccessOptions {
  /** What an episode whose outcome is unknown becomes; 'error' (default) refuses the export and names them. */
  unknown?: 'error' | 'failure'
}

/** success / failure per episode; throws naming every episode whose outcome is unknown unless they count as failed. */
export function episodeOutcomes(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, options: SuccessOptions = {}): Map<number, Exclude<Outcome, 'unknown'>> {
  const out = new Map<number, Exclude<Outcome, 'unknown'>>()
  const unknown: number[] = []
  for (const ep of episodes) {
    const outcome = labelsOf(annotations, ep.index).outcome
    if (outcome === 'unknown') {
      unknown.push(ep.index)
      out.set(ep.index, 'failure')
    } else out.set(ep.index, outcome)
  }
  if (unknown.length > 0 && (options.unknown ?? 'error') === 'error') {
    const shown = unknown.slice(0, 10).join(', ') + (unknown.length > 10 ? ` … (${unknown.length} in all)` : '')
    throw invalid(`episodes ${shown} have no outcome (success or failure); set them, leave them out, or count them as failures`)
  }
  return out
}

function flags(length: number, success: boolean): boolean[] {
  const f = new Array<boolean>(length).fill(false)
  if (success) f[length - 1] = true
  return f
}

/** Sidecar table: index, episode_index, frame_index (int64), next.success, is_success (bool), in global order. */
export function buildSuccessFlags(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, options: SuccessOptions = {}): Table {
  const placed = placeEpisodes(episodes)
  const outcomes = episodeOutcomes(placed, annotations, options)
  const keys = frameKeyColumns(placed)
  const success: boolean[] = []
  for (const ep of placed) success.push(...flags(ep.length, outcomes.get(ep.index) === 'success'))
  const columns: Column[] = [
    { name: 'index', kind: 'int64', data: keys.index },
    { name: 'episode_index', kind: 'int64', data: keys.episode },
    { name: 'frame_index', kind: 'int64', data: keys.frame },
    { name: 'next.success', kind: 'bool', data: success },
    { name: 'is_success', kind: 'bool', data: [...success] },
  ]
  return { rows: success.length, columns, metadata: {} }
}

/**
 * The two flag columns for the rows of one data file, in that file's row order (a v3.0 file holds many
 * episodes; rows are matched by episode_index and frame_index, never by position).
 */
export function successFlagsForRows(
  file: string,
  rows: { episode: ArrayLike<number | bigint>; frame: ArrayLike<number | bigint> },
  episodes: readonly ExportEpisode[],
  annotations: ExportAnnotations,
  options: SuccessOptions = {},
): Column[] {
  if (rows.episode.length !== rows.frame.length) throw invalid(`${file}: ${rows.episode.length} episode_index values but ${rows.frame.length} frame_index values`)
  const lengths = new Map(episodes.map((ep) => [ep.index, ep.length]))
  const inFile = new Set(Array.from(rows.episode, Number))
  const present = episodes.filter((ep) => inFile.has(ep.index))
  const outcomes = episodeOutcomes(present, annotations, options)
  const success = new Array<boolean>(rows.episode.length)
  for (let r = 0; r < rows.episode.length; r++) {
    const episode = Number(rows.episode[r])
    const frame = Number(rows.frame[r])
    const length = lengths.get(episode)
    if (length === undefined) throw invalid(`${file}: row ${r} belongs to episode ${episode}, which the dataset's episode table does not list`)
    if (frame < 0 || frame >= length) throw invalid(`${file}: row ${r} is frame ${frame} of episode ${episode}, which has ${length} frames`)
    success[r] = frame === length - 1 && outcomes.get(episode) === 'success'
  }
  return [
    { name: 'next.success', kind: 'bool', data: success },
    { name: 'is_success', kind: 'bool', data: [...success] },
  ]
}
