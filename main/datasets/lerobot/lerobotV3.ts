import { join } from 'node:path'
import type { DatasetWarning } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { listFilesRecursive } from './dirListing'
import type { EpisodeEntry, EpisodeVideoEntry, LeRobotInfo, Listing } from './lerobotInfo'
import { isFrameCount, MAX_EPISODE_FRAMES, templateValues } from './lerobotInfo'
import { asNumber, asStringList, withParquet } from '../../formats/parquetRead'
import { formatPathTemplate } from './pathTemplate'

export const TASKS_PARQUET = 'meta/tasks.parquet'
export const EPISODES_DIR = 'meta/episodes'

/** pandas writes a DataFrame's index (here, the task text) as this column when the frame is indexed by task. */
const PANDAS_INDEX = '__index_level_0__'

async function readTasks(root: string, warnings: DatasetWarning[]): Promise<Map<number, string>> {
  const byIndex = new Map<number, string>()
  try {
    await withParquet(join(root, TASKS_PARQUET), TASKS_PARQUET, async (t) => {
      const textColumn = t.has('task') ? 'task' : t.has(PANDAS_INDEX) ? PANDAS_INDEX : null
      if (textColumn === null) {
        warnings.push({
          level: 'warning',
          code: 'TASKS_UNREADABLE',
          message: `${TASKS_PARQUET} has neither a "task" nor a "${PANDAS_INDEX}" column; task names unknown`,
          file: TASKS_PARQUET,
        })
        return
      }
      const cols = await t.read(t.has('task_index') ? [textColumn, 'task_index'] : [textColumn])
      const text = cols.get(textColumn) ?? []
      const indices = cols.get('task_index')
      text.forEach((value, row) => {
        const index = indices ? asNumber(indices[row]) : row
        if (index !== null && value !== null && value !== undefined) byIndex.set(index, String(value))
      })
    })
  } catch (err) {
    if (!(err instanceof VivaError)) throw err
    warnings.push({
      level: err.code === 'NOT_FOUND' ? 'info' : 'warning',
      code: 'TASKS_MISSING',
      message:
        err.code === 'NOT_FOUND' ? `${TASKS_PARQUET} not found; tasks come from ${EPISODES_DIR}` : err.message,
      file: TASKS_PARQUET,
    })
  }
  return byIndex
}

interface EpisodeRow {
  /** The meta/episodes file the row came from, for warnings. */
  file: string
  index: number
  tasks: string[]
  length: number | null
  dataChunk: number
  dataFile: number
  from: number | null
  to: number | null
  videos: { camera: string; chunk: number; file: number; from: number; to: number | null }[]
}

function videoColumns(camera: string): { chunk: string; file: string; from: string; to: string } {
  const base = `videos/${camera}`
  return { chunk: `${base}/chunk_index`, file: `${base}/file_index`, from: `${base}/from_timestamp`, to: `${base}/to_timestamp` }
}

/**
 * A window bound as stored, NaN and ±Infinity included: asNumber would turn those into "not given" (a start of 0, an
 * open end), which silently points the episode at the start of a shared file. The media layer validates the window
 * against the file (videoWindowError) and reports what the metadata really says.
 */
function asTimestamp(value: unknown): number | null {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && value.trim() !== '') return Number(value)
  return null
}

async function readEpisodeFile(
  root: string,
  relPath: string,
  cameras: readonly string[],
  camerasWithoutColumns: Set<string>,
  warnings: DatasetWarning[],
): Promise<EpisodeRow[]> {
  const skipped: number[] = []
  return withParquet(join(root, relPath), relPath, async (t) => {
    for (const required of ['episode_index', 'data/chunk_index', 'data/file_index']) {
      if (!t.has(required)) {
        throw new VivaError('DATASET_INVALID', `${relPath} has no "${required}" column`, relPath)
      }
    }
    const optional = ['tasks', 'length', 'dataset_from_index', 'dataset_to_index']
    const wanted = ['episode_index', 'data/chunk_index', 'data/file_index', ...optional.filter((c) => t.has(c))]
    for (const camera of cameras) {
      const c = videoColumns(camera)
      if (t.has(c.chunk) && t.has(c.file)) wanted.push(...[c.chunk, c.file, c.from, c.to].filter((x) => t.has(x)))
      else camerasWithoutColumns.add(camera)
    }
    const cols = await t.read(wanted)
    const cell = (name: string, row: number): unknown => cols.get(name)?.[row]
    const rows: EpisodeRow[] = []
    for (let row = 0; row < t.numRows; row++) {
      const index = asNumber(cell('episode_index', row))
      const dataChunk = asNumber(cell('data/chunk_index', row))
      const dataFile = asNumber(cell('data/file_index', row))
      if (index === null || dataChunk === null || dataFile === null) continue
      // Indices name files and key maps: a negative, fractional or unsafe one is a broken row, not an episode.
      if (![index, dataChunk, dataFile].every((n) => Number.isSafeInteger(n) && n >= 0)) {
        skipped.push(row)
        continue
      }
      const videos: EpisodeRow['videos'] = []
      for (const camera of cameras) {
        const c = videoColumns(camera)
        const chunk = asNumber(cell(c.chunk, row))
        const file = asNumber(cell(c.file, row))
        if (chunk === null || file === null) continue
        videos.push({ camera, chunk, file, from: asTimestamp(cell(c.from, row)) ?? 0, to: asTimestamp(cell(c.to, row)) })
      }
      rows.push({
        file: relPath,
        index,
        tasks: asStringList(cell('tasks', row)),
        length: asNumber(cell('length', row)),
        dataChunk,
        dataFile,
        from: asNumber(cell('dataset_from_index', row)),
        to: asNumber(cell('dataset_to_index', row)),
        videos,
      })
    }
    if (skipped.length > 0) {
      warnings.push({
        level: 'warning',
        code: 'METADATA_ROWS_SKIPPED',
        message: `${relPath}: skipped ${skipped.length} row${skipped.length === 1 ? '' : 's'} whose episode_index, data/chunk_index or data/file_index is not a whole number ≥ 0 (row ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', ...' : ''})`,
        file: relPath,
      })
    }
    return rows
  })
}

/**
 * Drop frame counts the metadata cannot mean (negative, fractional, beyond MAX_EPISODE_FRAMES, a range that ends
 * before it starts): they size arrays downstream. The loader then finds the rows by the table's own columns.
 */
function saneCounts(row: EpisodeRow): DatasetWarning | null {
  const problems: string[] = []
  if (row.length !== null && !isFrameCount(row.length)) {
    problems.push(`length ${row.length}`)
    row.length = null
  }
  if (row.from !== null || row.to !== null) {
    const from = row.from
    const to = row.to
    const ok = from !== null && to !== null && Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && isFrameCount(to - from)
    if (!ok) {
      problems.push(`dataset_from_index ${from ?? 'null'} .. dataset_to_index ${to ?? 'null'}`)
      row.from = null
      row.to = null
    }
  }
  if (problems.length === 0) return null
  return {
    level: 'warning',
    code: 'LENGTH_INVALID',
    message: `${row.file} gives episode ${row.index} ${problems.join(' and ')}, not a frame count of 0..${MAX_EPISODE_FRAMES}; its rows are found from the data table`,
    file: row.file,
    episode: row.index,
  }
}

/**
 * Where each episode's rows sit inside its shared data file: episodes are stored back to back in global-index
 * order, so an episode starts after the rows of the file's episodes that precede it. Counting rows (rather than
 * subtracting the file's smallest dataset_from_index) also holds when the global index has gaps, as in a dataset
 * assembled from a partial download. The loader checks the result against the table's `index`/`episode_index`.
 */
function rowRanges(rows: readonly EpisodeRow[]): Map<number, { start: number; end: number }> {
  const byFile = new Map<string, EpisodeRow[]>()
  for (const row of rows) {
    const key = `${row.dataChunk}/${row.dataFile}`
    const list = byFile.get(key)
    if (list) list.push(row)
    else byFile.set(key, [row])
  }
  const ranges = new Map<number, { start: number; end: number }>()
  for (const list of byFile.values()) {
    const ordered = [...list].sort((a, b) => (a.from ?? a.index) - (b.from ?? b.index) || a.index - b.index)
    let offset = 0
    for (const r of ordered) {
      const length = r.from !== null && r.to !== null ? r.to - r.from : (r.length ?? 0)
      ranges.set(r.index, { start: offset, end: offset + length })
      offset += length
    }
  }
  return ranges
}

export async function listV3Episodes(root: string, info: LeRobotInfo): Promise<Listing> {
  const warnings: DatasetWarning[] = []
  const taskByIndex = await readTasks(root, warnings)

  const files = (await listFilesRecursive(root, EPISODES_DIR)).filter((f) => f.endsWith('.parquet'))
  if (files.length === 0) {
    throw new VivaError(
      'DATASET_INVALID',
      `${EPISODES_DIR}/ has no parquet files: a v3.0 dataset lists its episodes there`,
      EPISODES_DIR,
    )
  }
  const videoCameras = info.cameras.filter((c) => c.dtype === 'video').map((c) => c.key)
  const camerasWithoutColumns = new Set<string>()
  const rows: EpisodeRow[] = []
  for (const file of files) rows.push(...(await readEpisodeFile(root, file, videoCameras, camerasWithoutColumns, warnings)))
  const countWarnings = new Map<EpisodeRow, DatasetWarning>()
  for (const row of rows) {
    const warning = saneCounts(row)
    if (warning) countWarnings.set(row, warning)
  }
  for (const camera of camerasWithoutColumns) {
    warnings.push({
      level: 'warning',
      code: 'CAMERA_NOT_INDEXED',
      message: `${EPISODES_DIR} has no videos/${camera}/chunk_index or file_index column for some episodes`,
      file: EPISODES_DIR,
    })
  }

  const seen = new Set<number>()
  const unique: EpisodeRow[] = []
  for (const row of rows) {
    if (seen.has(row.index)) continue
    seen.add(row.index)
    unique.push(row)
  }
  if (unique.length !== rows.length) {
    warnings.push({
      level: 'warning',
      code: 'EPISODE_DUPLICATE',
      message: `${EPISODES_DIR} lists ${rows.length - unique.length} episode(s) more than once; the first row is used`,
      file: EPISODES_DIR,
    })
  }
  unique.sort((a, b) => a.index - b.index)
  const ranges = rowRanges(unique)

  const episodes: EpisodeEntry[] = unique.map((row) => {
    const range = ranges.get(row.index) ?? { start: 0, end: row.length ?? 0 }
    const countWarning = countWarnings.get(row)
    const videos: EpisodeVideoEntry[] =
      info.videoPath === null
        ? []
        : row.videos.map((v) => ({
            camera: v.camera,
            relPath: formatPathTemplate(
              info.videoPath ?? '',
              templateValues({ chunk: v.chunk, file: v.file, episode: row.index, videoKey: v.camera }),
            ),
            fromTimestamp: v.from,
            toTimestamp: v.to,
          }))
    return {
      index: row.index,
      tasks: row.tasks,
      length: row.length ?? range.end - range.start,
      data: {
        relPath: formatPathTemplate(
          info.dataPath,
          templateValues({ chunk: row.dataChunk, file: row.dataFile, episode: row.index }),
        ),
        rowStart: range.start,
        rowEnd: range.end,
        globalFrom: row.from,
        globalTo: row.to,
      },
      videos,
      warnings: countWarning ? [countWarning] : [],
    }
  })

  const tasks =
    taskByIndex.size > 0
      ? [...taskByIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t)
      : [...new Set(episodes.flatMap((e) => e.tasks))]
  return { episodes, tasks, warnings, listedBy: EPISODES_DIR }
}
