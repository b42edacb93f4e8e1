import { join, posix } from 'node:path'
import { z } from 'zod'
import type { DatasetWarning } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { fsReason } from '../../fsErrors'
import { READ_LIMITS, readTextFile } from '../../safeRead'
import { listFilesRecursive } from './dirListing'
import type { EpisodeEntry, EpisodeVideoEntry, LeRobotInfo, Listing } from './lerobotInfo'
import { isFrameCount, MAX_EPISODE_FRAMES, templateValues } from './lerobotInfo'
import { withParquet } from '../../formats/parquetRead'
import { formatPathTemplate, templateMatcher } from './pathTemplate'

export const TASKS_JSONL = 'meta/tasks.jsonl'
export const EPISODES_JSONL = 'meta/episodes.jsonl'

const intLike = z
  .union([z.number(), z.bigint(), z.string().trim().regex(/^\d+$/)])
  .transform(Number)
  .pipe(z.number().int().nonnegative())

const TaskLine = z.looseObject({ task_index: intLike, task: z.string() })
const EpisodeLine = z.looseObject({
  episode_index: intLike,
  tasks: z.union([z.array(z.union([z.string(), z.number()])), z.string()]).nullish(),
  length: intLike.nullish(),
})

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT'
}

/** Why a JSONL line was refused, for the warning: the first problem zod found, with the field it concerns. */
function lineProblem(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const field = issue.path.length > 0 ? `"${issue.path.map(String).join('.')}" ` : ''
  return `${field}${issue.message}`
}

/** Parsed lines of a JSONL file, or null when it does not exist. Unparseable lines are reported, not fatal. */
async function readJsonl<T>(
  root: string,
  relPath: string,
  schema: z.ZodType<T>,
  warnings: DatasetWarning[],
): Promise<T[] | null> {
  let text: string
  try {
    text = await readTextFile(join(root, relPath), READ_LIMITS.jsonl)
  } catch (err) {
    if (isMissing(err)) return null
    throw new VivaError('DATASET_INVALID', `${relPath} could not be read: ${fsReason(err)}`, relPath)
  }
  const rows: T[] = []
  const bad: number[] = []
  // The first refused line's reason goes into the warning: "unreadable" alone does not say what to fix.
  let firstProblem: string | null = null
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      bad.push(i + 1)
      firstProblem ??= `line ${i + 1} is not valid JSON`
      return
    }
    const parsed = schema.safeParse(value)
    if (parsed.success) rows.push(parsed.data)
    else {
      bad.push(i + 1)
      firstProblem ??= `line ${i + 1}: ${lineProblem(parsed.error)}`
    }
  })
  if (bad.length > 0) {
    warnings.push({
      level: 'warning',
      code: 'METADATA_LINES_SKIPPED',
      message: `${relPath}: skipped ${bad.length} unreadable line${bad.length === 1 ? '' : 's'} (line ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}; ${firstProblem ?? 'invalid'})`,
      file: relPath,
    })
  }
  return rows
}

/** Per-episode file locations for the v2 layout: one table and one video per camera for each episode. */
export function v2Paths(info: LeRobotInfo, index: number): Pick<EpisodeEntry, 'data' | 'videos'> {
  const chunk = Math.floor(index / info.chunksSize)
  const values = templateValues({ chunk, episode: index })
  const videos: EpisodeVideoEntry[] = []
  if (info.videoPath !== null) {
    for (const camera of info.cameras) {
      if (camera.dtype !== 'video') continue
      videos.push({
        camera: camera.key,
        relPath: formatPathTemplate(info.videoPath, { ...values, video_key: camera.key }),
        fromTimestamp: 0,
        toTimestamp: null,
      })
    }
  }
  return {
    data: {
      relPath: formatPathTemplate(info.dataPath, values),
      rowStart: null,
      rowEnd: null,
      globalFrom: null,
      globalTo: null,
    },
    videos,
  }
}

async function rowCount(root: string, relPath: string): Promise<number | null> {
  try {
    return await withParquet(join(root, relPath), relPath, async (t) => t.numRows, { ranged: true })
  } catch {
    return null
  }
}

/** When episodes.jsonl is missing: every data file whose path fits data_path is an episode. */
async function episodesFromDisk(root: string, info: LeRobotInfo): Promise<number[]> {
  const staticPrefix = info.dataPath.split('{')[0] ?? ''
  const baseDir = staticPrefix.includes('/') ? posix.dirname(staticPrefix + 'x') : ''
  const match = templateMatcher(info.dataPath, ['episode_chunk', 'chunk_index', 'episode_index'])
  const indices = new Set<number>()
  for (const rel of await listFilesRecursive(root, baseDir)) {
    const fields = match(rel)
    const index = fields?.episode_index
    if (index !== undefined && index >= 0) indices.add(index)
  }
  return [...indices].sort((a, b) => a - b)
}

export async function listV2Episodes(root: string, info: LeRobotInfo): Promise<Listing> {
  const warnings: DatasetWarning[] = []

  let taskLines = await readJsonl(root, TASKS_JSONL, TaskLine, warnings)
  const taskByIndex = new Map<number, string>()
  for (const line of taskLines ?? []) if (!taskByIndex.has(line.task_index)) taskByIndex.set(line.task_index, line.task)
  if (taskLines === null) {
    warnings.push({
      level: 'info',
      code: 'TASKS_MISSING',
      message: `${TASKS_JSONL} not found; tasks come from ${EPISODES_JSONL}`,
      file: TASKS_JSONL,
    })
  } else if (taskLines.length === 0) {
    // An empty (e.g. zero-byte, interrupted) task list must not hide the tasks episodes.jsonl names.
    warnings.push({
      level: 'warning',
      code: 'TASKS_MISSING',
      message: `${TASKS_JSONL} lists no tasks; tasks come from ${EPISODES_JSONL}`,
      file: TASKS_JSONL,
    })
    taskLines = null
  }
  const taskText = (t: string | number): string =>
    typeof t === 'number' ? (taskByIndex.get(t) ?? `task ${t}`) : t

  const episodeLines = await readJsonl(root, EPISODES_JSONL, EpisodeLine, warnings)
  const episodes: EpisodeEntry[] = []
  let listedBy: string | null = EPISODES_JSONL

  // A zero-byte or wholly unreadable episodes.jsonl (an interrupted write) lists nothing; the data files still do.
  if (episodeLines === null || episodeLines.length === 0) {
    listedBy = null
    const indices = await episodesFromDisk(root, info)
    const why = episodeLines === null ? 'not found' : 'lists no episodes'
    warnings.push({
      level: 'warning',
      code: 'EPISODES_DERIVED',
      message: `${EPISODES_JSONL} ${why}; found ${indices.length} episode${indices.length === 1 ? '' : 's'} from the data files on disk (no task per episode)`,
      file: EPISODES_JSONL,
    })
    for (const index of indices) {
      const paths = v2Paths(info, index)
      const length = await rowCount(root, paths.data.relPath)
      episodes.push({ index, tasks: [], length: isFrameCount(length) ? length : 0, ...paths, warnings: [] })
    }
  } else {
    const seen = new Set<number>()
    const duplicates: number[] = []
    for (const line of episodeLines) {
      if (seen.has(line.episode_index)) {
        duplicates.push(line.episode_index)
        continue
      }
      seen.add(line.episode_index)
      const tasks = line.tasks === null || line.tasks === undefined ? [] : [line.tasks].flat().map(taskText)
      const paths = v2Paths(info, line.episode_index)
      const entryWarnings: DatasetWarning[] = []
      let length = line.length ?? null
      if (length !== null && !isFrameCount(length)) {
        // Lengths size arrays downstream (curves, frame maps): an absurd one is replaced by the table's row count.
        const counted = await rowCount(root, paths.data.relPath)
        entryWarnings.push({
          level: 'warning',
          code: 'LENGTH_INVALID',
          message: `${EPISODES_JSONL} gives episode ${line.episode_index} length ${length}, more than ${MAX_EPISODE_FRAMES} frames; using the ${counted ?? 0} rows of its table`,
          file: EPISODES_JSONL,
          episode: line.episode_index,
        })
        length = isFrameCount(counted) ? counted : 0
      } else if (length === null) {
        const counted = await rowCount(root, paths.data.relPath)
        length = isFrameCount(counted) ? counted : 0
        entryWarnings.push({
          level: 'info',
          code: 'LENGTH_MISSING',
          message: `${EPISODES_JSONL} gives no length for episode ${line.episode_index}; counted ${length} rows in its table`,
          file: EPISODES_JSONL,
          episode: line.episode_index,
        })
      }
      episodes.push({ index: line.episode_index, tasks, length, ...paths, warnings: entryWarnings })
    }
    if (duplicates.length > 0) {
      warnings.push({
        level: 'warning',
        code: 'EPISODE_DUPLICATE',
        message: `${EPISODES_JSONL} lists episode ${duplicates.join(', ')} more than once; the first line is used`,
        file: EPISODES_JSONL,
      })
    }
    episodes.sort((a, b) => a.index - b.index)
  }

  const tasks =
    taskLines !== null
      ? [...taskByIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t)
      : [...new Set(episodes.flatMap((e) => e.tasks))]
  return { episodes, tasks, warnings, listedBy }
}
