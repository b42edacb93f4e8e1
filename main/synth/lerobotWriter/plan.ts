import { VivaError } from '../../../app/errors'
import { formatPathTemplate } from '../../datasets/lerobot/pathTemplate'
import { EXTRA_VECTOR_KEYS, type LeRobotFormat, type LeRobotWriteOptions, type VideoCodec, type WriterCamera, type WriterQuirks } from './options'

// The dataset's layout decided up front: episodes, chunks, files, which episodes are left unwritten.


export interface EpisodePlan {
  index: number
  length: number
  taskIndex: number
  task: string
  written: boolean
  /** Global `index` of the episode's first row; counts missing episodes too, as a partial download would. */
  from: number
}

export interface Plan {
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

export const CHUNKS_SIZE = 1000

export const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0

export function makePlan(options: LeRobotWriteOptions): Plan {
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

export function videoFrames(plan: Plan, ep: EpisodePlan, camera: string): number {
  const d = plan.quirks.videoFrameDelta
  return d && d.episode === ep.index && (d.camera === undefined || d.camera === camera) ? ep.length + d.delta : ep.length
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')
const chunkOf = (episode: number): number => Math.floor(episode / CHUNKS_SIZE)

export function v2DataPath(ep: number): string {
  return `data/chunk-${pad(chunkOf(ep), 3)}/episode_${pad(ep, 6)}.parquet`
}

/** Where a camera's video is written: where info.json says, unless quirks.videoFilesAt moves it. */
export function videoFilePath(plan: Plan, key: string, index: { episode: number } | { file: number }): string {
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
