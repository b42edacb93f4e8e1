import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { encodeParquet, type ParquetColumn } from '../../formats/parquetWrite'
import { EXTRA_VECTOR_KEYS, type LeRobotWriteOptions, frameTimestamp } from './options'
import { CHUNKS_SIZE, type EpisodePlan, type Plan, v2DataPath, videoFrames } from './plan'

// The tables and metadata: parquet rows, stats, info.json and the v2.x / v3.0 episode and task files.

// Parquet

/** Every column nullable, lists in three levels, as pyarrow (and so LeRobot) writes them. */
async function writeParquet(file: string, columns: ParquetColumn[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, encodeParquet(columns))
}

// Tables and metadata

interface Rows {
  state: number[][]
  action: number[][]
  /** By EXTRA_VECTOR_KEYS key, in quirks.extraVectors order. */
  extra: Map<string, number[][]>
  timestamp: number[]
  frameIndex: bigint[]
  episodeIndex: bigint[]
  index: bigint[]
  taskIndex: bigint[]
}

export type Vectors = Pick<LeRobotWriteOptions, 'state' | 'action'>

function episodeRows(plan: Plan, vectors: Vectors, ep: EpisodePlan, rows: Rows): void {
  const dim = plan.stateNames.length
  const v = new Float32Array(dim)
  const scale = plan.quirks.stateScale ?? 1
  const scaled = (x: Float32Array): number[] => Array.from(x, (value) => value * scale)
  const states: number[][] = []
  for (let f = 0; f < ep.length; f++) {
    vectors.state(ep.index, f, v)
    states.push(scaled(v))
  }
  for (let f = 0; f < ep.length; f++) {
    rows.state.push(states[f] ?? [])
    if (vectors.action) {
      vectors.action(ep.index, f, v)
      rows.action.push(scaled(v))
    } else rows.action.push(states[Math.min(f + 1, ep.length - 1)] ?? [])
    for (const kind of plan.quirks.extraVectors ?? []) {
      const here = states[f] ?? []
      const next = states[Math.min(f + 1, ep.length - 1)] ?? here
      const values = kind === 'velocity' ? here.map((x, j) => ((next[j] ?? x) - x) * plan.fps) : here.map((x, j) => 0.5 * Math.sin(x) + 0.1 * j)
      const key = EXTRA_VECTOR_KEYS[kind]
      const list = rows.extra.get(key) ?? []
      list.push(values)
      rows.extra.set(key, list)
    }
    rows.timestamp.push(frameTimestamp(plan.fps, f, ep.length, plan.quirks))
    rows.frameIndex.push(BigInt(f))
    rows.episodeIndex.push(BigInt(ep.index))
    rows.index.push(BigInt(ep.from + f))
    rows.taskIndex.push(BigInt(ep.taskIndex))
  }
}

const emptyRows = (): Rows => ({
  state: [],
  action: [],
  extra: new Map(),
  timestamp: [],
  frameIndex: [],
  episodeIndex: [],
  index: [],
  taskIndex: [],
})

function rowColumns(plan: Plan, rows: Rows): ParquetColumn[] {
  const keys = vectorKeys(plan)
  const columns: ParquetColumn[] = [
    { name: keys.state, type: 'FLOAT_LIST', data: rows.state },
    { name: keys.action, type: 'FLOAT_LIST', data: rows.action },
    ...extraKeys(plan).map((key): ParquetColumn => ({ name: key, type: 'FLOAT_LIST', data: rows.extra.get(key) ?? [] })),
    { name: 'timestamp', type: 'FLOAT', data: rows.timestamp },
  ]
  if (!plan.quirks.noFrameIndex) columns.push({ name: 'frame_index', type: 'INT64', data: rows.frameIndex })
  columns.push(
    { name: 'episode_index', type: 'INT64', data: rows.episodeIndex },
    { name: 'index', type: 'INT64', data: rows.index },
    { name: 'task_index', type: 'INT64', data: rows.taskIndex },
  )
  return columns
}

interface VectorStats {
  min: number[]
  max: number[]
  mean: number[]
  std: number[]
  count: number[]
}

function vectorStats(values: number[][], dim: number): VectorStats {
  const min = new Array<number>(dim).fill(Infinity)
  const max = new Array<number>(dim).fill(-Infinity)
  const sum = new Array<number>(dim).fill(0)
  const sq = new Array<number>(dim).fill(0)
  for (const v of values) {
    for (let j = 0; j < dim; j++) {
      const x = Math.fround(v[j] ?? 0)
      if (x < (min[j] ?? 0)) min[j] = x
      if (x > (max[j] ?? 0)) max[j] = x
      sum[j] = (sum[j] ?? 0) + x
      sq[j] = (sq[j] ?? 0) + x * x
    }
  }
  const n = Math.max(1, values.length)
  const mean = sum.map((s) => s / n)
  const std = sq.map((s, j) => Math.sqrt(Math.max(0, s / n - (mean[j] ?? 0) ** 2)))
  return { min, max, mean, std, count: [values.length] }
}

function rowStats(plan: Plan, rows: Rows): Record<string, VectorStats> {
  const keys = vectorKeys(plan)
  const dim = plan.stateNames.length
  return {
    [keys.state]: vectorStats(rows.state, dim),
    [keys.action]: vectorStats(rows.action, dim),
    ...Object.fromEntries(extraKeys(plan).map((key) => [key, vectorStats(rows.extra.get(key) ?? [], dim)])),
  }
}

function vectorKeys(plan: Plan): { state: string; action: string } {
  return { state: plan.quirks.vectorKeys?.state ?? 'observation.state', action: plan.quirks.vectorKeys?.action ?? 'action' }
}

function extraKeys(plan: Plan): string[] {
  return [...new Set(plan.quirks.extraVectors ?? [])].map((kind) => EXTRA_VECTOR_KEYS[kind])
}

function infoJson(plan: Plan): Record<string, unknown> {
  const { quirks, fps } = plan
  const totalEpisodes = plan.episodes.length
  const totalFrames = plan.episodes.reduce((s, e) => s + e.length, 0)
  const names = plan.stateNames
  const vectorNames = quirks.nestedStateNames ? [names] : names
  const v3 = plan.format === 'v3.0'

  const features: Record<string, Record<string, unknown>> = {}
  const videoKeys = [...plan.cameras]
  if (quirks.phantomCamera !== undefined) {
    const like = plan.cameras[0] ?? { width: 640, height: 480 }
    videoKeys.push({ key: quirks.phantomCamera, width: like.width, height: like.height })
  }
  for (const cam of videoKeys) {
    const meta = {
      'video.height': cam.height,
      'video.width': cam.width,
      // Our codec names are ffprobe's codec_name, which is what LeRobot records.
      'video.codec': quirks.wrongDeclaredCodec ?? plan.codec,
      'video.pix_fmt': 'yuv420p',
      'video.is_depth_map': false,
      'video.fps': fps,
      'video.channels': 3,
      has_audio: false,
    }
    features[cam.key] = {
      dtype: 'video',
      shape: [cam.height, cam.width, 3],
      names: ['height', 'width', 'channel'],
      [quirks.videoInfoKey ? 'video_info' : 'info']: meta,
    }
  }
  const scalar = (dtype: string): Record<string, unknown> => ({ dtype, shape: [1], names: null })
  const keys = vectorKeys(plan)
  features[keys.state] = { dtype: 'float32', shape: [names.length], names: vectorNames }
  features[keys.action] = { dtype: 'float32', shape: [names.length], names: vectorNames }
  for (const key of extraKeys(plan)) features[key] = { dtype: 'float32', shape: [names.length], names: vectorNames }
  features.timestamp = scalar('float32')
  if (!quirks.noFrameIndex) features.frame_index = scalar('int64')
  features.episode_index = scalar('int64')
  features.index = scalar('int64')
  features.task_index = scalar('int64')
  if (v3) {
    // The v2.1 -> v3.0 converter stamps fps on every non-video feature.
    for (const f of Object.values(features)) if (f.dtype !== 'video') f.fps = fps
  }

  const chunk = quirks.chunkIndexTemplate ? 'chunk_index' : 'episode_chunk'
  const common = { codebase_version: plan.format, robot_type: plan.robotType, total_episodes: totalEpisodes, total_frames: totalFrames, total_tasks: plan.tasks.length }
  if (v3) {
    return {
      ...common,
      chunks_size: CHUNKS_SIZE,
      data_files_size_in_mb: 100,
      video_files_size_in_mb: 200,
      fps,
      splits: { train: `0:${totalEpisodes}` },
      data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
      video_path: 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4',
      features,
    }
  }
  return {
    ...common,
    total_videos: totalEpisodes * videoKeys.length,
    total_chunks: Math.ceil(totalEpisodes / CHUNKS_SIZE),
    chunks_size: CHUNKS_SIZE,
    fps,
    splits: { train: `0:${totalEpisodes}` },
    data_path: `data/chunk-{${chunk}:03d}/episode_{episode_index:06d}.parquet`,
    video_path: `videos/chunk-{${chunk}:03d}/{video_key}/episode_{episode_index:06d}.mp4`,
    features,
  }
}

const jsonl = (items: unknown[]): string => items.map((i) => JSON.stringify(i)).join('\n') + '\n'

async function writeJson(root: string, rel: string, value: unknown): Promise<void> {
  const file = path.join(root, rel)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value, null, 4) + '\n')
}

export async function writeV2Tables(root: string, plan: Plan, vectors: Vectors): Promise<void> {
  const all = emptyRows()
  const perEpisodeStats: unknown[] = []
  for (const ep of plan.episodes) {
    if (!ep.written) continue
    const rows = emptyRows()
    episodeRows(plan, vectors, ep, rows)
    await writeParquet(path.join(root, v2DataPath(ep.index)), rowColumns(plan, rows))
    perEpisodeStats.push({ episode_index: ep.index, stats: rowStats(plan, rows) })
    all.state.push(...rows.state)
    all.action.push(...rows.action)
    for (const [key, list] of rows.extra) all.extra.set(key, [...(all.extra.get(key) ?? []), ...list])
  }
  await writeJson(root, 'meta/info.json', infoJson(plan))
  await writeJson(root, 'meta/tasks.jsonl', jsonl(plan.tasks.map((task, task_index) => ({ task_index, task }))))
  await writeJson(
    root,
    'meta/episodes.jsonl',
    jsonl(plan.episodes.map((e) => ({ episode_index: e.index, tasks: [e.task], length: e.length }))),
  )
  if (plan.format === 'v2.1') await writeJson(root, 'meta/episodes_stats.jsonl', jsonl(perEpisodeStats))
  else await writeJson(root, 'meta/stats.json', rowStats(plan, all))
}

/** Where each episode's frames sit in its camera's v3.0 file: files hold episodes back to back. */
interface V3Placement {
  file: number
  from: number
  to: number
}

function v3Placements(plan: Plan, camera: string): Map<number, V3Placement> {
  const out = new Map<number, V3Placement>()
  // Missing episodes live in file-001, which is never written: metadata pointing at an absent file is what a
  // partial download of a v3.0 dataset looks like.
  const cursor = [0, 0]
  for (const ep of plan.episodes) {
    const file = ep.written ? 0 : 1
    const start = cursor[file] ?? 0
    const frames = videoFrames(plan, ep, camera)
    // Integer frame sums divided once, so from_timestamp is exactly (previous frames) / fps.
    const end = plan.quirks.inclusiveVideoWindows ? start + frames - 1 : start + frames
    out.set(ep.index, { file, from: start / plan.fps, to: end / plan.fps })
    cursor[file] = start + frames
  }
  const bad = plan.quirks.videoWindow
  const real = bad ? out.get(bad.episode) : undefined
  if (bad && real && (bad.camera === undefined || bad.camera === camera)) {
    out.set(bad.episode, { file: real.file, from: bad.from ?? real.from, to: bad.to ?? real.to })
  }
  return out
}

export async function writeV3Tables(root: string, plan: Plan, vectors: Vectors): Promise<void> {
  const rows = emptyRows()
  for (const ep of plan.episodes) if (ep.written) episodeRows(plan, vectors, ep, rows)
  await writeParquet(path.join(root, 'data/chunk-000/file-000.parquet'), rowColumns(plan, rows))

  const eps = plan.episodes
  const int = (name: string, f: (e: EpisodePlan) => number): ParquetColumn => ({
    name,
    type: 'INT64',
    data: eps.map((e) => BigInt(f(e))),
  })
  const columns: ParquetColumn[] = [
    int('episode_index', (e) => e.index),
    { name: 'tasks', type: 'STRING_LIST', data: eps.map((e) => [e.task]) },
    int('length', (e) => e.length),
    int('data/chunk_index', () => 0),
    int('data/file_index', (e) => (e.written ? 0 : 1)),
    int('dataset_from_index', (e) => e.from),
    int('dataset_to_index', (e) => e.from + e.length),
  ]
  const videoKeys = plan.cameras.map((c) => c.key)
  if (plan.quirks.phantomCamera !== undefined) videoKeys.push(plan.quirks.phantomCamera)
  for (const key of videoKeys) {
    const placed = v3Placements(plan, key)
    const at = (e: EpisodePlan): V3Placement => placed.get(e.index) ?? { file: 0, from: 0, to: 0 }
    columns.push(
      int(`videos/${key}/chunk_index`, () => 0),
      int(`videos/${key}/file_index`, (e) => at(e).file),
      { name: `videos/${key}/from_timestamp`, type: 'DOUBLE', data: eps.map((e) => at(e).from) },
      { name: `videos/${key}/to_timestamp`, type: 'DOUBLE', data: eps.map((e) => at(e).to) },
    )
  }
  columns.push(int('meta/episodes/chunk_index', () => 0), int('meta/episodes/file_index', () => 0))
  await writeParquet(path.join(root, 'meta/episodes/chunk-000/file-000.parquet'), columns)
  await writeParquet(path.join(root, 'meta/tasks.parquet'), [
    { name: 'task_index', type: 'INT64', data: plan.tasks.map((_, i) => BigInt(i)) },
    { name: 'task', type: 'STRING', data: [...plan.tasks] },
  ])
  await writeJson(root, 'meta/info.json', infoJson(plan))
  await writeJson(root, 'meta/stats.json', rowStats(plan, rows))
}
