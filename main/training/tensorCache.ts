import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { defaultK } from '../../app/advantages'
import type { Outcome } from '../../app/annotations'
import type { CameraInfo } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { parseImportDocument } from '../../app/exchange'
import type { MediaTools } from '../video/tools'
import { resolveMediaTools } from '../video/tools'
import { decodeEpisode } from '../video/frameDecoder'
import { VideoProber, videoWindowError } from '../video/probe'
import type { EpisodeData } from '../datasets/episodeSource'
import { fsReason, isAbsent } from '../fsErrors'
import { READ_LIMITS, readTextFile } from '../safeRead'
import type { WriteGuard } from '../writeGuard'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'

/** The camera slots of the ViVa model, in its frame order (models/viva/README.md). */
export const MODEL_CAMERAS = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'] as const

export interface TensorCacheOptions {
  dataset: string
  out: string
  /** Square image size the model takes. */
  size: number
  /** Future-state offset in frames; default 50 at 30 fps, scaled with the dataset's fps (the paper's K). */
  k?: number
  /** A canonical annotation export giving each episode's outcome; default: the generator's ground truth. */
  labels?: string
  tools?: MediaTools
  /** Where the cache may not go (composeWriteGuard); the dataset read is added. */
  writeGuard: WriteGuard
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export interface TensorCacheResult {
  out: string
  frames: number
  episodes: number
  skipped: { episode: number; reason: string }[]
}

const GROUND_TRUTH = path.join('meta', 'viva_ground_truth.json')

function writeAll(stream: WriteStream, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()))
  })
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.end((err?: Error | null) => (err ? reject(err) : resolve()))
  })
}

/**
 * The dataset's frame size before resizing (its first model camera's), recorded so the exporter can put it in the
 * manifest (image.source): a dataset with another aspect ratio is then warned about before scoring.
 */
function frameSize(cameras: readonly CameraInfo[], keys: readonly string[]): { width: number; height: number } | null {
  const cam = cameras.find((c) => c.key === keys[0])
  return cam && cam.width !== null && cam.height !== null ? { width: cam.width, height: cam.height } : null
}

/** All `count` frames of one camera at size×size rgb24 (the scoring pipeline's decoder, so training sees what scoring sees). */
async function decodeFrames(
  tools: MediaTools,
  file: string,
  from: number,
  count: number,
  size: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  for await (const b of decodeEpisode(tools, [{ file, from }], { width: size, height: size, count, batch: count, ...(signal ? { signal } : {}) })) {
    return b.pixels
  }
  throw new VivaError('MEDIA_FAILED', `No frames decoded from ${file}`, file)
}

/** Replacing an older cache is fine; replacing anything else is not. */
async function refuseForeignFolder(out: string): Promise<void> {
  const entries = await readdir(out).catch(() => null)
  if (entries === null || entries.length === 0) return
  const meta = await readTextFile(path.join(out, 'meta.json'), READ_LIMITS.settings).catch(() => '')
  if (!meta.includes('"viva-tensor-cache"')) {
    throw new VivaError('INVALID_ARGUMENT', `${out} exists and is not a tensor cache; choose an empty or new folder`)
  }
}

/** Why the first of the episode's camera windows does not fit its video file, or null when they all do. */
async function firstBadWindow(prober: VideoProber, fps: number, data: EpisodeData, cameraKeys: string[], signal?: AbortSignal): Promise<string | null> {
  for (const key of cameraKeys) {
    const video = data.videos.find((v) => v.camera === key)
    if (!video) continue
    const { pts } = await prober.probe(video.file, signal)
    const message = videoWindowError({ camera: key, episode: data.index, relPath: video.relPath, from: video.fromTimestamp, to: video.toTimestamp }, pts, fps)
    if (message !== null) return message
  }
  return null
}

/**
 * Write the tensor cache the PyTorch training code reads (models/viva/viva/data.py): frames per camera at the model's
 * size, states, and per-frame episode/frame indices, with each episode's outcome from a canonical annotation export.
 * Python cannot read parquet here (no pyarrow in Debian), so this is the bridge. Written to a temporary folder and
 * renamed, so a cache is either complete or absent.
 */
export async function writeTensorCache(options: TensorCacheOptions): Promise<TensorCacheResult> {
  const tools = options.tools ?? resolveMediaTools()
  const source = await openLeRobotDataset(options.dataset)
  const { summary } = source
  const prober = new VideoProber(tools)
  if (!Number.isInteger(options.size) || options.size < 8 || options.size > 1024) {
    throw new VivaError('INVALID_ARGUMENT', `size must be an integer between 8 and 1024, got ${options.size}`)
  }
  const cameraKeys = MODEL_CAMERAS.map((slot) => {
    const cam = summary.cameras.find((c) => c.key === slot || c.key.endsWith(`.${slot}`))
    if (!cam) {
      throw new VivaError(
        'INVALID_ARGUMENT',
        `The ViVa model needs cameras ${MODEL_CAMERAS.join(', ')}; ${summary.name} has ${summary.cameras.map((c) => c.key).join(', ') || 'none'}`,
      )
    }
    return cam.key
  })

  const labelsFile = options.labels ?? path.join(summary.root, GROUND_TRUTH)
  let labelsText: string
  try {
    labelsText = await readTextFile(labelsFile, READ_LIMITS.annotations)
  } catch (err) {
    if (!isAbsent(err)) throw new VivaError('IMPORT_INVALID', `${labelsFile} cannot be read: ${fsReason(err)}`, labelsFile)
    throw new VivaError(
      'NOT_FOUND',
      `No outcomes for ${summary.name}: ${labelsFile} not found. Pass --labels with an annotation export (viva export --format json).`,
      labelsFile,
    )
  }
  const labels = parseImportDocument(labelsText)
  const outcomes = new Map<number, Outcome>(labels.episodes.map((e) => [e.episode, e.outcome]))

  const k = options.k ?? defaultK(summary.fps)
  const tasks: string[] = []
  const taskId = (task: string): number => {
    const at = tasks.indexOf(task)
    if (at >= 0) return at
    tasks.push(task)
    return tasks.length - 1
  }

  // The cache replaces the folder whole: it may neither be inside nor hold a dataset or the app's data.
  const out = await options.writeGuard.with([{ path: summary.root, kind: 'dataset' }]).check(options.out, { replacesFolder: true })
  await refuseForeignFolder(out)
  const staging = `${out}.${process.pid}.partial`
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  const streams = {
    frames: MODEL_CAMERAS.map((slot) => createWriteStream(path.join(staging, `frames_${slot}.u8`))),
    state: createWriteStream(path.join(staging, 'state.f32')),
    episode: createWriteStream(path.join(staging, 'episode.i32')),
    frame: createWriteStream(path.join(staging, 'frame.i32')),
  }
  const episodes: { index: number; length: number; outcome: 'success' | 'failure'; task_id: number }[] = []
  const skipped: { episode: number; reason: string }[] = []
  let stateNames: string[] = []
  let frames = 0
  const candidates = summary.episodes.filter((e) => e.present)
  try {
    for (const [n, entry] of candidates.entries()) {
      options.onProgress?.(n, candidates.length)
      const outcome = outcomes.get(entry.index)
      if (outcome !== 'success' && outcome !== 'failure') {
        skipped.push({ episode: entry.index, reason: `outcome is ${outcome ?? 'not labelled'}` })
        continue
      }
      const data = await source.loadEpisode(entry.index, options.signal)
      if (!data.state) throw new VivaError('DATASET_INVALID', `${summary.name} has no observation.state; the model needs it`)
      // A v3.0 window that does not fit its file would train on another episode's frames: the player and scoring
      // refuse such an episode (VIDEO_WINDOW_INVALID), and so does training.
      const badWindow = await firstBadWindow(prober, summary.fps, data, cameraKeys, options.signal)
      if (badWindow !== null) {
        skipped.push({ episode: entry.index, reason: badWindow })
        continue
      }
      stateNames = data.state.names
      const pixels = await Promise.all(
        cameraKeys.map((key) => {
          const video = data.videos.find((v) => v.camera === key)
          if (!video) throw new VivaError('DATASET_INVALID', `Episode ${entry.index} has no video for ${key}`)
          return decodeFrames(tools, video.file, video.fromTimestamp, data.length, options.size, options.signal)
        }),
      )
      for (const [i, px] of pixels.entries()) {
        const stream = streams.frames[i]
        if (stream) await writeAll(stream, px)
      }
      await writeAll(streams.state, new Uint8Array(data.state.values.buffer, data.state.values.byteOffset, data.state.values.byteLength))
      const ep = new Int32Array(data.length).fill(entry.index)
      const fr = Int32Array.from({ length: data.length }, (_, i) => i)
      await writeAll(streams.episode, new Uint8Array(ep.buffer))
      await writeAll(streams.frame, new Uint8Array(fr.buffer))
      episodes.push({ index: entry.index, length: data.length, outcome, task_id: taskId(data.tasks[0] ?? '') })
      frames += data.length
    }
    options.onProgress?.(candidates.length, candidates.length)
    await Promise.all([...streams.frames, streams.state, streams.episode, streams.frame].map(closeStream))
    if (episodes.length === 0) throw new VivaError('INVALID_ARGUMENT', `No episode of ${summary.name} has a success/failure outcome`)
    const meta = {
      format: 'viva-tensor-cache',
      version: 1,
      fps: summary.fps,
      K: k,
      cameras: [...MODEL_CAMERAS],
      size: [options.size, options.size],
      state_names: stateNames,
      tasks,
      num_frames: frames,
      episodes,
      source: { dataset: summary.root, name: summary.name, format: summary.format, labels: labelsFile, camera_keys: cameraKeys, frame_size: frameSize(summary.cameras, cameraKeys) },
    }
    await writeFile(path.join(staging, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
    await rm(out, { recursive: true, force: true })
    await rename(staging, out)
  } catch (err) {
    for (const s of [...streams.frames, streams.state, streams.episode, streams.frame]) s.destroy()
    await rm(staging, { recursive: true, force: true })
    throw err
  }
  return { out, frames, episodes: episodes.length, skipped }
}
