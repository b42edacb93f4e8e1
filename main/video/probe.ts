import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { VivaError } from '../../app/errors'
import { fsReason, isAbsent } from '../fsErrors'
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
  private readonly cache = new Map<string, Promise<VideoProbe>>()

  constructor(private readonly tools: MediaTools) {}

  async probe(file: string, signal?: AbortSignal): Promise<VideoProbe> {
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
    const key = `${file}\0${info.size}\0${info.mtimeMs}`
    let entry = this.cache.get(key)
    if (!entry) {
      entry = this.probeUncached(file, signal)
      this.cache.set(key, entry)
      entry.catch(() => this.cache.delete(key))
    }
    return entry
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
 * Map episode frame indices to seek times in the file. The episode's frames are the file's frames whose
 * presentation time lies in [from, to); frame i is the i-th of them, whatever the table's timestamps say. Seeking
 * to the midpoint between a frame and the next lands on that frame however the decoder rounds.
 */
export function episodeFrameTimes(
  pts: Float64Array,
  fps: number,
  length: number,
  fromTimestamp: number,
  toTimestamp: number | null,
): EpisodeFrameTimes {
  const half = fps > 0 ? 0.5 / fps : 0.01
  let first = 0
  while (first < pts.length && (pts[first] ?? 0) < fromTimestamp - half) first++
  let end = first
  while (end < pts.length && (toTimestamp === null || (pts[end] ?? 0) < toTimestamp - half)) end++
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
