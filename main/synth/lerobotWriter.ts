import { execFile, spawn } from 'node:child_process'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { VivaError } from '../../app/errors'
import { resolveMediaTools } from '../video/tools'
import type { MediaTools } from '../video/tools'
import { formatPathTemplate } from '../datasets/lerobot/pathTemplate'
import { encodeParquet, type ParquetColumn } from '../formats/parquetWrite'

/**
 * Writes a LeRobot v2.0 / v2.1 / v3.0 dataset from callbacks: the caller says what each episode's state (and
 * action) is at every frame and paints every camera frame into planar yuv420p; this module lays out info.json,
 * the tables, stats and videos (one ffmpeg per camera for the whole dataset, split per episode for v2.x), then
 * checks the written videos with ffprobe. `quirks` reproduce irregularities met in real published datasets, for
 * reader tests.
 */

export type LeRobotFormat = 'v2.0' | 'v2.1' | 'v3.0'
export type VideoCodec = 'h264' | 'av1' | 'mpeg4'

export interface WriterCamera {
  key: string
  width: number
  height: number
}

export interface WriterQuirks {
  /** Per-camera video metadata under `video_info` instead of `info` in info.json features. */
  videoInfoKey?: boolean
  /** v2.x path templates say `{chunk_index:03d}` instead of `{episode_chunk:03d}` (files stay where they were). */
  chunkIndexTemplate?: boolean
  /** No `frame_index` column in the data (and none declared in features). */
  noFrameIndex?: boolean
  /** Seconds added to every timestamp. */
  timestampOffset?: number
  /** Extra seconds of drift, growing linearly from 0 at frame 0 to this at the episode's last frame. */
  timestampDrift?: number
  /** Episodes listed in the metadata whose data and videos are not written. */
  missingEpisodes?: number[]
  /** A camera declared in info.json features (dtype video) with no video files. */
  phantomCamera?: string
  /** Feature names as `[[...]]` instead of `[...]`. */
  nestedStateNames?: boolean
  /** info.json declares this codec instead of the real one. */
  wrongDeclaredCodec?: string
  /** That episode's video (one camera, or all) has `delta` more (>0) or fewer (<0) frames than its table rows. */
  videoFrameDelta?: { episode: number; camera?: string; delta: number }
  /**
   * v3.0: meta/episodes gives that episode (one camera, or all) this video window instead of its real one; a bound
   * left out keeps its real value. For "bad video window" inputs: past the file's end, reversed, NaN, Infinity,
   * negative.
   */
  videoWindow?: { episode: number; camera?: string; from?: number; to?: number }
  /**
   * Other keys for the state and action vectors than LeRobot's `observation.state` / `action`, as some converted
   * datasets have (`state` / `actions`, `observation.qpos`...).
   */
  vectorKeys?: { state?: string; action?: string }
  /**
   * More numeric per-frame vectors with the state's names: `velocity` (the state's change per second) as
   * `observation.velocity`, `effort` (a smooth function of the state) as `observation.effort`.
   */
  extraVectors?: readonly ('velocity' | 'effort')[]
  /** State and action values multiplied by this (other units than the simulation's: 57.29578 for degrees). */
  stateScale?: number
  /**
   * The video files (of one camera, or all) are written at this path template instead of where info.json's
   * video_path says, for "videos not where the template says" inputs: `video/` for `videos/`, `chunk_0` for
   * `chunk-000`, `file-007.mp4` for `episode_000007.mp4`, the camera key without `observation.images.`. Fields:
   * those of the format's own template plus `{short_key}`, the camera key without its `observation.images.` prefix.
   */
  videoFilesAt?: { template: string; camera?: string }
  /**
   * v3.0: meta/episodes gives each window's to_timestamp as its last frame's time (from + (n - 1) / fps) instead of
   * one frame past it (from + n / fps, LeRobot's own convention), as some third-party converters write it.
   */
  inclusiveVideoWindows?: boolean
  /** That camera (in one episode, or all) recorded nothing: every frame is black (Y 16, the video range's black). */
  blackCamera?: { camera: string; episode?: number }
  /** That camera (in one episode, or all) froze: every frame repeats the episode's first picture. */
  frozenCamera?: { camera: string; episode?: number }
}

/** Where extraVectors go. */
export const EXTRA_VECTOR_KEYS = { velocity: 'observation.velocity', effort: 'observation.effort' } as const

/** Paints one frame of one camera as yuv420p (I420) into `out`, which is exactly width*height*3/2 bytes. */
export type FramePaint = (out: Uint8Array, episode: number, frame: number) => void

export interface LeRobotWriteOptions {
  /** Output directory; created, and must be empty or absent. */
  out: string
  format: LeRobotFormat
  fps: number
  codec: VideoCodec
  /** Keyframe interval in frames. */
  gop: number
  cameras: readonly WriterCamera[]
  robotType: string
  /** Names of the state (and action) vector's components; its length is the vector's dimension. */
  stateNames: readonly string[]
  /** Every task of the dataset, in task_index order (tasks no episode uses are allowed). */
  tasks: readonly string[]
  /** Episode i has index i; `task` must be one of `tasks`. */
  episodes: readonly { length: number; task: string }[]
  /** Writes observation.state at this frame into `out` (float32, as stored). */
  state(episode: number, frame: number, out: Float32Array): void
  /** Writes action at this frame; without it the action is the next frame's state (the last frame's own). */
  action?(episode: number, frame: number, out: Float32Array): void
  /**
   * The painter of one camera, made once before its encoder starts. Under quirks.videoFrameDelta it is asked for
   * frames past the episode's length.
   */
  painter(camera: WriterCamera, cameraIndex: number): FramePaint
  /** Resolved once by the caller when it has them; otherwise looked up. */
  tools?: MediaTools
  signal?: AbortSignal
  quirks?: WriterQuirks
  /** Names the caller in error messages ("writePatternDataset: …"). */
  caller?: string
}

export interface WrittenEpisode {
  index: number
  length: number
  /** False for quirks.missingEpisodes: in the metadata, not on disk. */
  written: boolean
}

export interface LeRobotWriteResult {
  root: string
  episodes: WrittenEpisode[]
}

export const ALOHA_JOINTS = ['waist', 'shoulder', 'elbow', 'forearm_roll', 'wrist_angle', 'wrist_rotate', 'gripper'] as const
/** observation.state names of a bimanual ALOHA: left arm's six joints and gripper, then the right arm's. */
export const ALOHA_STATE_NAMES: readonly string[] = [...ALOHA_JOINTS.map((j) => `left_${j}`), ...ALOHA_JOINTS.map((j) => `right_${j}`)]

/** Timestamp (seconds) the table stores for a frame, including the timestamp quirks; float32-rounded on disk. */
export function frameTimestamp(fps: number, frame: number, length: number, quirks: WriterQuirks = {}): number {
  const drift = length > 1 ? ((quirks.timestampDrift ?? 0) * frame) / (length - 1) : 0
  return frame / fps + (quirks.timestampOffset ?? 0) + drift
}

// ---------------------------------------------------------------------------------------------------------------
// Parquet

/** Every column nullable, lists in three levels, as pyarrow (and so LeRobot) writes them. */
async function writeParquet(file: string, columns: ParquetColumn[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, encodeParquet(columns))
}


// ---------------------------------------------------------------------------------------------------------------
// Plan

interface EpisodePlan {
  index: number
  length: number
  taskIndex: number
  task: string
  written: boolean
  /** Global `index` of the episode's first row; counts missing episodes too, as a partial download would. */
  from: number
}

interface Plan {
  format: LeRobotFormat
  fps: number
  cameras: WriterCamera[]
  codec: VideoCodec
  gop: number
  stateNames: string[]
  robotType: string
  tasks: string[]
  quirks: WriterQuirks
  episodes: EpisodePlan[]
  caller: string
}

const CHUNKS_SIZE = 1000

export const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0

function makePlan(options: LeRobotWriteOptions): Plan {
  const { format, fps, codec, gop } = options
  const caller = options.caller ?? 'writeLeRobotDataset'
  const invalid = (message: string): VivaError => new VivaError('INVALID_ARGUMENT', `${caller}: ${message}`)
  const cameras = options.cameras.map((c) => ({ ...c }))
  const tasks = [...options.tasks]
  const quirks = options.quirks ?? {}
  const lengths = options.episodes.map((e) => e.length)

  if (!['v2.0', 'v2.1', 'v3.0'].includes(format)) throw invalid(`unknown format ${String(format)}`)
  if (!['h264', 'av1', 'mpeg4'].includes(codec)) throw invalid(`unknown codec ${String(codec)}`)
  // Frame/timestamp arithmetic here is exact only for whole frame rates, which is all LeRobot records.
  if (!isPositiveInt(fps) || fps > 1000) throw invalid(`fps must be an integer in 1..1000, got ${fps}`)
  if (!isPositiveInt(gop)) throw invalid(`gop must be a positive integer, got ${gop}`)
  if (options.stateNames.length === 0) throw invalid('the state needs at least one component')
  if (lengths.length === 0) throw invalid('at least one episode is needed')
  // Every episode boundary goes on one ffmpeg command line, and Linux caps a single argument at 128 KiB.
  if (lengths.length > 10_000) throw invalid('at most 10,000 episodes')
  if (!lengths.every(isPositiveInt)) throw invalid('episode lengths must be positive integers')
  if (tasks.length === 0) throw invalid('at least one task is needed')
  if (cameras.length === 0) throw invalid('at least one camera is needed')
  const keys = new Set<string>()
  for (const c of cameras) {
    if (!isPositiveInt(c.width) || !isPositiveInt(c.height) || c.width % 2 || c.height % 2)
      throw invalid(`camera ${c.key}: width and height must be even positive integers`)
    if (!c.key || c.key.includes('/') || c.key.includes('\\')) throw invalid(`bad camera key "${c.key}"`)
    if (keys.has(c.key)) throw invalid(`duplicate camera key ${c.key}`)
    keys.add(c.key)
  }
  if (quirks.phantomCamera !== undefined && keys.has(quirks.phantomCamera))
    throw invalid('phantomCamera must differ from the real cameras')
  const vectorNames = [quirks.vectorKeys?.state ?? 'observation.state', quirks.vectorKeys?.action ?? 'action']
  const reserved = new Set(['timestamp', 'frame_index', 'episode_index', 'index', 'task_index', ...keys, ...Object.values(EXTRA_VECTOR_KEYS)])
  if (vectorNames.some((k) => k === '' || reserved.has(k)) || vectorNames[0] === vectorNames[1])
    throw invalid(`vectorKeys must be two different keys that no other feature uses, got ${vectorNames.join(', ')}`)
  if (quirks.stateScale !== undefined && !(Number.isFinite(quirks.stateScale) && quirks.stateScale !== 0))
    throw invalid(`stateScale must be a finite non-zero number, got ${quirks.stateScale}`)
  const missing = new Set(quirks.missingEpisodes ?? [])
  for (const m of missing) if (!(m >= 0 && m < lengths.length)) throw invalid(`missing episode ${m} does not exist`)
  if (missing.size === lengths.length) throw invalid('at least one episode must be written')
  const vfd = quirks.videoFrameDelta
  if (vfd) {
    const len = lengths[vfd.episode]
    if (len === undefined) throw invalid(`videoFrameDelta: episode ${vfd.episode} does not exist`)
    if (!Number.isInteger(vfd.delta) || len + vfd.delta < 1) throw invalid('videoFrameDelta: bad delta')
    if (vfd.camera !== undefined && !keys.has(vfd.camera)) throw invalid(`videoFrameDelta: no camera ${vfd.camera}`)
  }
  const vw = quirks.videoWindow
  if (vw) {
    if (format !== 'v3.0') throw invalid('videoWindow: only v3.0 stores video windows')
    if (lengths[vw.episode] === undefined) throw invalid(`videoWindow: episode ${vw.episode} does not exist`)
    if (vw.camera !== undefined && !keys.has(vw.camera)) throw invalid(`videoWindow: no camera ${vw.camera}`)
  }

  const at = quirks.videoFilesAt
  if (at && at.camera !== undefined && !keys.has(at.camera)) throw invalid(`videoFilesAt: no camera ${at.camera}`)
  if (quirks.inclusiveVideoWindows && format !== 'v3.0') throw invalid('inclusiveVideoWindows: only v3.0 stores video windows')
  for (const [name, q] of [['blackCamera', quirks.blackCamera], ['frozenCamera', quirks.frozenCamera]] as const) {
    if (q && !keys.has(q.camera)) throw invalid(`${name}: no camera ${q.camera}`)
    if (q?.episode !== undefined && lengths[q.episode] === undefined) throw invalid(`${name}: episode ${q.episode} does not exist`)
  }

  let from = 0
  const episodes = options.episodes.map(({ length, task }, index) => {
    const taskIndex = tasks.indexOf(task)
    if (taskIndex < 0) throw invalid(`episode ${index}: task ${JSON.stringify(task)} is not in tasks`)
    const ep: EpisodePlan = { index, length, taskIndex, task, written: !missing.has(index), from }
    from += length
    return ep
  })
  return {
    format,
    fps,
    cameras,
    codec,
    gop,
    stateNames: [...options.stateNames],
    robotType: options.robotType,
    tasks,
    quirks,
    episodes,
    caller,
  }
}

function videoFrames(plan: Plan, ep: EpisodePlan, camera: string): number {
  const d = plan.quirks.videoFrameDelta
  return d && d.episode === ep.index && (d.camera === undefined || d.camera === camera) ? ep.length + d.delta : ep.length
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')
const chunkOf = (episode: number): number => Math.floor(episode / CHUNKS_SIZE)

function v2DataPath(ep: number): string {
  return `data/chunk-${pad(chunkOf(ep), 3)}/episode_${pad(ep, 6)}.parquet`
}

/** Where a camera's video is written: where info.json says, unless quirks.videoFilesAt moves it. */
function videoFilePath(plan: Plan, key: string, index: { episode: number } | { file: number }): string {
  const moved = plan.quirks.videoFilesAt
  const episode = 'episode' in index ? index.episode : 0
  const file = 'file' in index ? index.file : 0
  if (moved && (moved.camera === undefined || moved.camera === key)) {
    const chunk = 'episode' in index ? chunkOf(episode) : 0
    return formatPathTemplate(moved.template, {
      episode_chunk: chunk,
      chunk_index: chunk,
      episode_index: episode,
      file_index: file,
      video_key: key,
      short_key: key.replace(/^observation\.images\./, ''),
    })
  }
  return 'episode' in index
    ? `videos/chunk-${pad(chunkOf(episode), 3)}/${key}/episode_${pad(episode, 6)}.mp4`
    : `videos/${key}/chunk-000/file-${pad(file, 3)}.mp4`
}


// ---------------------------------------------------------------------------------------------------------------
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

type Vectors = Pick<LeRobotWriteOptions, 'state' | 'action'>

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

async function writeV2Tables(root: string, plan: Plan, vectors: Vectors): Promise<void> {
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

async function writeV3Tables(root: string, plan: Plan, vectors: Vectors): Promise<void> {
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

// ---------------------------------------------------------------------------------------------------------------
// Video

function codecArgs(codec: VideoCodec, gop: number): string[] {
  // Low quantisers so the frame code and digits survive; fastest presets because fixtures can run to 1,000s of
  // episodes. ultrafast also means no B-frames, so every file starts at pts 0.
  if (codec === 'h264') return ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '14', '-g', String(gop)]
  if (codec === 'mpeg4') return ['-c:v', 'mpeg4', '-q:v', '3', '-g', String(gop)]
  // libaom, not libsvtav1: ffmpeg 5.1's SVT-AV1 wrapper ignores forced keyframes, which the per-episode split needs.
  return ['-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8', '-crf', '20', '-b:v', '0', '-g', String(gop)]
}

interface VideoJob {
  camera: WriterCamera
  cameraIndex: number
  /** Episodes in the order their frames go into the encoder, with the frame count each gets. */
  segments: { episode: number; frames: number }[]
  /** One file, or (v2.x) one file per segment. */
  outputs: string[]
}

/** The painter as quirks.blackCamera / quirks.frozenCamera change it for this camera. */
function withContentQuirks(plan: Plan, camera: WriterCamera, paint: FramePaint): FramePaint {
  const hits = (q: { camera: string; episode?: number } | undefined, episode: number): boolean =>
    q !== undefined && q.camera === camera.key && (q.episode === undefined || q.episode === episode)
  const { blackCamera, frozenCamera } = plan.quirks
  if (!blackCamera && !frozenCamera) return paint
  const luma = camera.width * camera.height
  return (out, episode, frame) => {
    if (hits(blackCamera, episode)) {
      out.fill(16, 0, luma)
      out.fill(128, luma)
    } else paint(out, episode, hits(frozenCamera, episode) ? 0 : frame)
  }
}

/** Frames allocated per camera; a frame's buffer is reused only once the pipe has taken it. */
const RING = 3

async function encodeVideo(
  root: string,
  tools: MediaTools,
  plan: Plan,
  job: VideoJob,
  signal: AbortSignal,
  threads: number,
  paint: FramePaint,
): Promise<void> {
  const { width, height, key } = job.camera
  const boundaries: number[] = []
  let total = 0
  for (const s of job.segments) {
    if (total > 0) boundaries.push(total)
    total += s.frames
  }
  // Each episode starts on a keyframe, like LeRobot's per-episode files (and v3.0 files concatenated from them).
  // Times sit a quarter frame early: ffmpeg rounds them to the encoder's 1/fps time base, landing on the boundary.
  const keyframes = boundaries.map((n) => ((n - 0.25) / plan.fps).toFixed(6)).join(',')
  const segmentDir = path.join(root, '.segments', String(job.cameraIndex))
  const split = job.outputs.length > 1
  const output = split
    ? [
        '-f', 'segment', '-segment_format', 'mp4', '-segment_frames', boundaries.join(','),
        '-reset_timestamps', '1', path.join(segmentDir, 'seg-%06d.mp4'),
      ]
    : ['-f', 'mp4', job.outputs[0] ?? '']
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(plan.fps), '-i', 'pipe:0',
    '-an', ...codecArgs(plan.codec, plan.gop), '-threads', String(threads), '-pix_fmt', 'yuv420p',
    ...(keyframes ? ['-force_key_frames', keyframes] : []),
    ...output,
  ]
  if (split) await mkdir(segmentDir, { recursive: true })
  else await mkdir(path.dirname(job.outputs[0] ?? root), { recursive: true })

  const child = spawn(tools.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'], signal })
  tools.children?.track(child)
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  closed.catch(() => undefined) // observed below; avoids an unhandled rejection while frames are still going in
  let pipeBroken = false
  child.stdin.on('error', () => {
    pipeBroken = true // ffmpeg died; its exit status and stderr say why
  })

  // Each slot's promise settles when the pipe has taken that frame: waiting on it before repainting the slot is
  // the backpressure (at most RING frames queued), while still drawing the next frame as ffmpeg reads this one.
  // Awaiting 'drain' instead would stall on every frame, since one frame is far larger than the stream's buffer.
  const frameBytes = (width * height * 3) / 2
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(frameBytes))
  const inFlight: (Promise<void> | undefined)[] = new Array(RING).fill(undefined)
  let n = 0
  feed: for (const seg of job.segments) {
    for (let f = 0; f < seg.frames; f++) {
      const slot = n % RING
      await inFlight[slot]
      if (pipeBroken || signal.aborted || child.exitCode !== null) break feed
      const buf = ring[slot] as Buffer
      paint(buf, seg.episode, f)
      inFlight[slot] = new Promise<void>((resolve) => child.stdin.write(buf, () => resolve()))
      n++
    }
  }
  await Promise.all(inFlight)
  child.stdin.end()
  let code: number | null
  try {
    code = await closed
  } catch (err) {
    if (signal.aborted) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VivaError('TOOL_MISSING', `ffmpeg not found (tried "${tools.ffmpeg}").`)
    }
    throw new VivaError('MEDIA_FAILED', `ffmpeg could not run: ${(err as Error).message}`)
  }
  if (code !== 0 || pipeBroken) {
    throw new VivaError('MEDIA_FAILED', `ffmpeg failed encoding ${key} (exit ${String(code)}): ${stderr.trim()}`)
  }

  if (split) {
    const produced = (await readdir(segmentDir)).filter((f) => f.endsWith('.mp4')).sort()
    if (produced.length !== job.outputs.length) {
      throw new VivaError(
        'MEDIA_FAILED',
        `ffmpeg split ${key} into ${produced.length} files, expected ${job.outputs.length}`,
        segmentDir,
      )
    }
    for (let i = 0; i < produced.length; i++) {
      const dest = job.outputs[i] ?? ''
      await mkdir(path.dirname(dest), { recursive: true })
      await rename(path.join(segmentDir, produced[i] ?? ''), dest)
    }
  }
}

const execFileAsync = promisify(execFile)

/** Video packets in a file as ffprobe counts them: one per frame for the encoders used here. */
async function countPackets(tools: MediaTools, file: string): Promise<number> {
  const { stdout } = await execFileAsync(tools.ffprobe, [
    '-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file,
  ])
  return Number.parseInt(stdout.trim(), 10)
}

function videoJobs(root: string, plan: Plan): VideoJob[] {
  const written = plan.episodes.filter((e) => e.written)
  return plan.cameras.map((camera, cameraIndex) => {
    const segments = written.map((e) => ({ episode: e.index, frames: videoFrames(plan, e, camera.key) }))
    const outputs =
      plan.format === 'v3.0'
        ? [path.join(root, videoFilePath(plan, camera.key, { file: 0 }))]
        : written.map((e) => path.join(root, videoFilePath(plan, camera.key, { episode: e.index })))
    return { camera, cameraIndex, segments, outputs }
  })
}

/** Don't hand out a bad fixture: probe the first and last file of each camera (v3.0: its one file). */
async function verifyVideos(tools: MediaTools, jobs: VideoJob[]): Promise<void> {
  const checks: { file: string; expected: number }[] = []
  for (const job of jobs) {
    if (job.outputs.length === 1) {
      checks.push({ file: job.outputs[0] ?? '', expected: job.segments.reduce((s, e) => s + e.frames, 0) })
    } else {
      for (const i of [0, job.outputs.length - 1]) {
        checks.push({ file: job.outputs[i] ?? '', expected: job.segments[i]?.frames ?? 0 })
      }
    }
  }
  await Promise.all(
    checks.map(async ({ file, expected }) => {
      const got = await countPackets(tools, file)
      if (got !== expected) {
        throw new VivaError('MEDIA_FAILED', `video has ${got} frames, expected ${expected}`, file)
      }
    }),
  )
}


// ---------------------------------------------------------------------------------------------------------------

async function prepareOutput(out: string, invalid: (message: string) => VivaError): Promise<string> {
  const root = path.resolve(out)
  let entries: string[] = []
  try {
    entries = await readdir(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw invalid(`${root} is not a directory`)
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (entries.length > 0) throw invalid(`${root} is not empty`)
  await mkdir(root, { recursive: true })
  return root
}


/**
 * Write a complete LeRobot dataset to `options.out` and check the frame counts of the written videos with
 * ffprobe. On any failure, or cancellation, the output directory is removed again and a VivaError is thrown
 * (INVALID_ARGUMENT, TOOL_MISSING, MEDIA_FAILED or CANCELLED).
 */
export async function writeLeRobotDataset(options: LeRobotWriteOptions): Promise<LeRobotWriteResult> {
  const plan = makePlan(options)
  const cancelled = (): VivaError => new VivaError('CANCELLED', `${plan.caller} was cancelled.`)
  if (options.signal?.aborted) throw cancelled()
  const tools = options.tools ?? resolveMediaTools()
  const root = await prepareOutput(options.out, (m) => new VivaError('INVALID_ARGUMENT', `${plan.caller}: ${m}`))
  const abort = new AbortController()
  const onAbort = (): void => abort.abort()
  options.signal?.addEventListener('abort', onAbort)
  try {
    const vectors: Vectors = { state: options.state, ...(options.action ? { action: options.action } : {}) }
    if (plan.format === 'v3.0') await writeV3Tables(root, plan, vectors)
    else await writeV2Tables(root, plan, vectors)

    // One encoder per camera for the whole dataset, all at once: per-episode ffmpeg runs would dominate the
    // time of a 1,000-episode dataset.
    const jobs = videoJobs(root, plan)
    // The encoders run side by side, so share the cores out rather than let each spawn a thread per core: at
    // fixture sizes x264's frame threads cost more in syncing than they gain (up to 40% more CPU per frame).
    const threads = Math.max(1, Math.floor(availableParallelism() / jobs.length))
    let firstError: unknown = null
    await Promise.allSettled(
      jobs.map((job) =>
        encodeVideo(root, tools, plan, job, abort.signal, threads, withContentQuirks(plan, job.camera, options.painter(job.camera, job.cameraIndex))).catch(
          (err: unknown) => {
            // The first failure is the cause; the others are the encoders it made us stop.
            if (!abort.signal.aborted) firstError = err
            abort.abort()
          },
        ),
      ),
    )
    if (options.signal?.aborted) throw cancelled()
    if (firstError !== null) throw firstError
    await rm(path.join(root, '.segments'), { recursive: true, force: true })
    await verifyVideos(tools, jobs)
  } catch (err) {
    // The directory was empty or absent before; leaving half a dataset behind would only mislead.
    await rm(root, { recursive: true, force: true })
    throw err
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  return { root, episodes: plan.episodes.map((e) => ({ index: e.index, length: e.length, written: e.written })) }
}
