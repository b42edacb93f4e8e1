import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { VivaError } from '../../app/errors'
import { fsReason, isAbsent } from '../fsErrors'
import { SharedRuns } from '../sharedRuns'
import type { MediaTools } from './tools'

export interface VideoProbe {
  codec: string
  pixFmt: string | null
  width: number
  height: number
  /** Presentation times (seconds) of every video frame in the file, ascending. */
  pts: Float64Array
}

interface FfprobeJson {
  streams?: { codec_name?: string; pix_fmt?: string; width?: number; height?: number }[]
  packets?: { pts_time?: string }[]
}

function run(tools: MediaTools, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(tools.ffprobe, args, { maxBuffer: 256 * 1024 * 1024, signal }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }))
      else resolve(String(stdout))
    })
    tools.children?.track(child)
  })
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  )
}

/**
 * Probe a video: codec, size and the presentation time of every frame. Reading packets only demuxes (no
 * decoding), so even an 18,000-frame file takes a fraction of a second. Results are cached per (path, size,
 * mtime), since the same shared v3.0 file backs many episodes.
 */
export class VideoProber {
  private readonly runs = new SharedRuns<VideoProbe>({ keep: true, cancelled: () => new VivaError('CANCELLED', 'Probe cancelled.') })

  constructor(private readonly tools: MediaTools) {}

  async probe(file: string, signal?: AbortSignal): Promise<VideoProbe> {
    if (signal?.aborted) throw new VivaError('CANCELLED', 'Probe cancelled.')
    let info
    try {
      info = await stat(file)
    } catch (err) {
      if (isAbsent(err)) throw new VivaError('NOT_FOUND', `Video file not found: ${file}`, file)
      // Listed in its folder but unreachable (a symlink loop, no permission): not the same as absent.
      throw new VivaError('MEDIA_FAILED', `Cannot read video ${file}: ${fsReason(err)}`, file)
    }
    if (!info.isFile()) throw new VivaError('MEDIA_FAILED', `Not a regular file: ${file}`, file)
    if (info.size === 0) throw new VivaError('MEDIA_FAILED', `Video file is empty (0 bytes): ${file}`, file)
    // One episode view being superseded must not fail another episode waiting on the same shared v3.0 file.
    return this.runs.join(`${file}\0${info.size}\0${info.mtimeMs}`, (own) => this.probeUncached(file, own), signal)
  }

  private async probeUncached(file: string, signal?: AbortSignal): Promise<VideoProbe> {
    let out: string
    try {
      out = await run(
        this.tools,
        [
          '-v', 'error',
          '-select_streams', 'v:0',
          '-show_entries', 'stream=codec_name,pix_fmt,width,height:packet=pts_time',
          '-of', 'json',
          file,
        ],
        signal,
      )
    } catch (err) {
      if (signal?.aborted) throw new VivaError('CANCELLED', 'Probe cancelled.')
      const stderr = (err as { stderr?: string }).stderr ?? ''
      throw new VivaError('MEDIA_FAILED', `Cannot read video ${file}: ${firstLine(stderr) || 'ffprobe failed'}`, file)
    }
    let json: FfprobeJson
    try {
      json = JSON.parse(out) as FfprobeJson
    } catch {
      throw new VivaError('MEDIA_FAILED', `Cannot read video ${file}: unexpected ffprobe output`, file)
    }
    const stream = json.streams?.[0]
    if (!stream?.codec_name || !stream.width || !stream.height) {
      throw new VivaError('MEDIA_FAILED', `No video stream in ${file}`, file)
    }
    const times = (json.packets ?? [])
      .map((p) => Number(p.pts_time))
      .filter((t) => Number.isFinite(t))
      .sort((a, b) => a - b)
    if (times.length === 0) throw new VivaError('MEDIA_FAILED', `Video ${file} has no frames`, file)
    return {
      codec: stream.codec_name,
      pixFmt: stream.pix_fmt ?? null,
      width: stream.width,
      height: stream.height,
      pts: Float64Array.from(times),
    }
  }
}

/** Codecs Chromium (and so Electron) decodes natively; anything else is transcoded to an H.264 proxy. */
export function isBrowserPlayable(probe: Pick<VideoProbe, 'codec' | 'pixFmt'>): boolean {
  switch (probe.codec) {
    case 'h264':
      // Chromium's H.264 path handles 8-bit 4:2:0 only.
      return probe.pixFmt === null || probe.pixFmt === 'yuv420p' || probe.pixFmt === 'yuvj420p'
    case 'av1':
    case 'vp8':
    case 'vp9':
      return true
    default:
      return false
  }
}

export interface EpisodeFrameTimes {
  /** Seek target per episode frame index. */
  frameTimes: Float64Array
  /** Frames of the file that fall inside the episode's segment. */
  videoFrames: number
}

/**
 * The file's frames [first, end) whose presentation time lies in the window [from, to), half a frame of slack on
 * each side so timestamps rounded by a writer (or by ffprobe's 6 decimals) still name the frame they mean.
 */
export function windowFrames(pts: Float64Array, fps: number, from: number, to: number | null): { first: number; end: number } {
  const half = fps > 0 ? 0.5 / fps : 0.01
  let first = 0
  while (first < pts.length && (pts[first] ?? 0) < from - half) first++
  let end = first
  while (end < pts.length && (to === null || (pts[end] ?? 0) < to - half)) end++
  return { first, end }
}

/**
 * Map episode frame indices to seek times in the file. The episode's frames are the file's frames whose
 * presentation time lies in [from, to); frame i is the i-th of them, whatever the table's timestamps say. Seeking
 * to the midpoint between a frame and the next lands on that frame however the decoder rounds. The window must
 * have passed videoWindowError first: a window outside the file would map every frame to a frame of another
 * episode.
 */
export function episodeFrameTimes(
  pts: Float64Array,
  fps: number,
  length: number,
  fromTimestamp: number,
  toTimestamp: number | null,
): EpisodeFrameTimes {
  const half = fps > 0 ? 0.5 / fps : 0.01
  const { first, end } = windowFrames(pts, fps, fromTimestamp, toTimestamp)
  const videoFrames = end - first
  const frameTimes = new Float64Array(length)
  for (let i = 0; i < length; i++) {
    const k = first + Math.min(i, Math.max(0, videoFrames - 1))
    const t = pts[k] ?? 0
    const next = k + 1 < pts.length ? (pts[k + 1] ?? t + 2 * half) : t + 2 * half
    frameTimes[i] = (t + Math.min(next, t + 2 * half)) / 2
  }
  return { frameTimes, videoFrames }
}

/** One episode's window of one camera's file, as the metadata gives it (v3.0 meta/episodes; v2.x: the whole file). */
export interface VideoWindow {
  camera: string
  episode: number
  /** Path of the file relative to the dataset root. */
  relPath: string
  from: number
  to: number | null
}

/** Warning code of an episode whose video window does not fit its file (videoWindowError's message). */
export const VIDEO_WINDOW_INVALID = 'VIDEO_WINDOW_INVALID'

function seconds(t: number): string {
  return Number.isFinite(t) ? t.toFixed(3) : String(t)
}

/**
 * Why an episode's video window cannot be that episode's video, as the message the player's camera pane and
 * `viva inspect` show; null when it is usable. A window that starts past the file's last frame, ends before it
 * starts, or starts at NaN/Infinity/a negative time would otherwise be mapped onto frames of the file that belong to
 * other episodes (episodeFrameTimes clamps), and be played as if they were this one's.
 *
 * The end may overrun the file's end (its last frame's time plus one frame) by less than a frame. LeRobot v3.0
 * writes to_timestamp as from_timestamp plus the episode video's duration from PyAV, the stream duration or, when
 * the stream has none, the container's (huggingface/lerobot, src/lerobot/datasets/video_utils.py,
 * get_video_duration_in_s): time-base rounding and container padding can add a fraction of a frame, never a
 * whole one. A whole frame or more past the end claims a frame the file does not have.
 */
export function videoWindowError(window: VideoWindow, pts: Float64Array, fps: number): string | null {
  const { from, to } = window
  const frame = fps > 0 ? 1 / fps : 0.02
  const firstPts = pts[0] ?? 0
  const lastPts = pts[pts.length - 1] ?? 0
  const fileEnd = lastPts + frame
  let problem: string | null = null
  if (!Number.isFinite(from)) problem = `its start is ${from}, not a time`
  else if (to !== null && !Number.isFinite(to)) problem = `its end is ${to}, not a time`
  else if (from < Math.min(0, firstPts) - frame / 2) problem = 'it starts before the file does (a negative start)'
  else if (to !== null && to < from) problem = 'it ends before it starts (reversed)'
  else if (from > lastPts + frame / 2) problem = "it starts past the file's last frame"
  else if (to !== null && Math.floor((to - fileEnd) * fps + 1e-6) >= 1) {
    problem = `it ends ${seconds(to - fileEnd)} s past the file's end (a frame or more)`
  } else {
    const { first, end } = windowFrames(pts, fps, from, to)
    if (end === first) problem = 'it holds no frame of the file'
  }
  if (problem === null) return null
  return (
    `camera "${window.camera}", episode ${window.episode}: the video window ${seconds(from)}–${to === null ? 'end' : seconds(to)} s ` +
    `of ${window.relPath} is unusable: ${problem}; the file lasts ${seconds(fileEnd)} s (${pts.length} frames from ${seconds(firstPts)} s). ` +
    `Not shown, rather than showing another episode's frames.`
  )
}
