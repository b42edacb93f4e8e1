/**
 * SARM subtask annotations already in a dataset (LeRobot's VLM annotator, subtask_annotation.py, or our own
 * lerobot-sarm export) read back as milestones, so people can review and correct what a vision-language model
 * segmented before SARM trains on it. Read from where SARM reads them (sarmAnnotations.ts has the sources): the
 * v3.0 `meta/episodes/*.parquet` rows, or a v2.x `meta/episodes.jsonl`. Each subtask's end frame is the moment its
 * stage is achieved, i.e. its milestone; the dense head when the dataset has one, else the sparse head (whose legacy
 * unprefixed columns are read when the prefixed ones are missing), as processor_sarm.py resolves them. A single
 * sparse stage "task" over the whole episode (what the dense-only mode writes) carries no milestone and is skipped.
 */
import path from 'node:path'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { asNumber, withParquet } from '../formats/parquetRead'
import { READ_LIMITS, readTextFile } from '../safeRead'
import { parquetFilesUnder } from './dataFiles'
import type { LabelStudioImport } from './labelStudio'
import { jsonlValues } from './sarmAnnotations'

export type SarmHead = 'dense' | 'sparse'

/** The annotator of milestones read back from SARM annotations. */
export const SARM_ANNOTATOR = 'sarm'

interface EpisodeSubtasks {
  /** null when the row has no usable episode_index (skipped). */
  episode: number | null
  names: unknown
  ends: unknown
}

function bad(file: string, message: string): VivaError {
  return new VivaError('IMPORT_INVALID', `${file}: ${message}`, file)
}

/** Which columns hold a head: `<head>_subtask_*`, or the unprefixed legacy names for the sparse head. */
function headColumns(columns: ReadonlySet<string>, wanted: SarmHead | undefined): { head: SarmHead; names: string; ends: string } | null {
  const heads: SarmHead[] = wanted ? [wanted] : ['dense', 'sparse']
  for (const head of heads) {
    if (columns.has(`${head}_subtask_names`) && columns.has(`${head}_subtask_end_frames`)) return { head, names: `${head}_subtask_names`, ends: `${head}_subtask_end_frames` }
    if (head === 'sparse' && columns.has('subtask_names') && columns.has('subtask_end_frames')) return { head, names: 'subtask_names', ends: 'subtask_end_frames' }
  }
  return null
}

async function readV3(root: string, wanted: SarmHead | undefined): Promise<{ head: SarmHead; rows: EpisodeSubtasks[]; file: string }> {
  const files = await parquetFilesUnder(root, 'meta/episodes')
  if (files.length === 0) throw bad(path.join(root, 'meta/episodes'), 'no episodes table (meta/episodes/*.parquet)')
  const rows: EpisodeSubtasks[] = []
  let head: SarmHead | null = null
  for (const rel of files) {
    await withParquet(path.join(root, rel), rel, async (table) => {
      const found = headColumns(new Set(table.columns), wanted ?? head ?? undefined)
      if (!found || !table.has('episode_index')) return
      head = found.head
      const cols = await table.read(['episode_index', found.names, found.ends])
      const episodes = cols.get('episode_index') as unknown[]
      episodes.forEach((e, i) => rows.push({ episode: asNumber(e), names: cols.get(found.names)?.[i], ends: cols.get(found.ends)?.[i] }))
    })
  }
  if (head === null) throw bad(path.join(root, 'meta/episodes'), noAnnotations(wanted))
  return { head, rows, file: path.join(root, 'meta/episodes') }
}

async function readV2(root: string, wanted: SarmHead | undefined): Promise<{ head: SarmHead; rows: EpisodeSubtasks[]; file: string }> {
  const file = path.join(root, 'meta', 'episodes.jsonl')
  const lines = (await readTextFile(file, READ_LIMITS.annotations)).split('\n')
  const parsed = jsonlValues(lines, file, 'IMPORT_INVALID').filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
  const found = headColumns(new Set(parsed.flatMap((r) => Object.keys(r))), wanted)
  if (!found) throw bad(file, noAnnotations(wanted))
  return { head: found.head, rows: parsed.map((r) => ({ episode: asNumber(r.episode_index), names: r[found.names], ends: r[found.ends] })), file }
}

function noAnnotations(wanted: SarmHead | undefined): string {
  return `no SARM subtask annotations (${wanted ? `${wanted}_subtask_names / ${wanted}_subtask_end_frames` : 'dense_subtask_* or sparse_subtask_* columns'}); annotate with LeRobot's subtask_annotation.py first`
}

/** The list in a cell (pyarrow lists arrive as arrays, typed arrays included), or null for a missing one. */
function listOf(value: unknown): unknown[] | null {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>)
  return null
}

/**
 * The stages in order, for a task that has no taxonomy yet: the order of the episode with the most subtasks, then
 * any other name where it first appears.
 */
export function stageOrder(milestones: readonly { episode: number; frame: number; label: string }[]): string[] {
  const byEpisode = new Map<number, string[]>()
  for (const m of [...milestones].sort((a, b) => a.episode - b.episode || a.frame - b.frame)) {
    const list = byEpisode.get(m.episode) ?? []
    list.push(m.label)
    byEpisode.set(m.episode, list)
  }
  const lists = [...byEpisode.values()]
  const longest = lists.reduce<string[]>((best, l) => (l.length > best.length ? l : best), [])
  const order = [...new Set(longest)]
  for (const l of lists) for (const name of l) if (!order.includes(name)) order.push(name)
  return order
}

/** The dataset's SARM subtasks as imported milestones (the end frame of each subtask), and the file they are in. */
export async function readSarmMilestones(summary: DatasetSummary, wanted?: SarmHead): Promise<LabelStudioImport & { head: SarmHead; file: string }> {
  const { head, rows, file } = summary.format === 'v3.0' ? await readV3(summary.root, wanted) : await readV2(summary.root, wanted)
  const lengths = new Map(summary.episodes.filter((e) => e.present).map((e) => [e.index, e.length]))
  const milestones: LabelStudioImport['milestones'] = []
  const annotatedEpisodes: number[] = []
  let unannotated = 0
  for (const row of rows) {
    const names = listOf(row.names)
    const ends = listOf(row.ends)
    const length = row.episode === null ? undefined : lengths.get(row.episode)
    if (row.episode === null || names === null || ends === null || names.length === 0 || length === undefined) {
      unannotated++
      continue
    }
    if (names.length !== ends.length) throw bad(file, `episode ${row.episode}: ${names.length} subtask names but ${ends.length} end frames`)
    // The dense-only mode's single sparse stage over the whole episode is no milestone.
    if (names.length === 1 && names[0] === 'task') {
      unannotated++
      continue
    }
    const episode = row.episode
    annotatedEpisodes.push(episode)
    names.forEach((name, k) => {
      const frame = asNumber(ends[k])
      if (typeof name !== 'string' || name === '') throw bad(file, `episode ${episode}: subtask ${k + 1} has no name`)
      if (frame === null || !Number.isInteger(frame) || frame < 0) throw bad(file, `episode ${episode}: subtask "${name}" ends at ${String(ends[k])}, not a frame`)
      // SARM's VLM annotations end at int(seconds × fps), which can be one past the last frame.
      milestones.push({ episode, frame: Math.min(frame, length - 1), label: name })
    })
  }
  return { head, file, milestones, annotatedEpisodes, ignoredResults: 0, unannotatedTasks: unannotated }
}
