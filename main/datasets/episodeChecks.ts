import type { EpisodeCheck } from '../../app/contract'
import type { DatasetWarning } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { SharedRuns } from '../sharedRuns'
import { contentStats, judgeContent, sampleGrayFrames, sampleIndices } from '../video/cameraContent'
import type { VideoProbe } from '../video/probe'
import { episodeFrameTimes, VIDEO_WINDOW_INVALID, videoWindowError, windowFrames } from '../video/probe'
import type { MediaTools } from '../video/tools'
import type { EpisodeData, EpisodeSource, EpisodeVideo } from './episodeSource'

/**
 * What can be wrong with one episode beyond what opening the dataset saw: its table (read), each camera's video
 * (probed: does its window fit, does it hold the table's frame count) and what each camera recorded (sampled:
 * black or frozen). The player (episode.open), the episode list's Warnings column (dataset.checkEpisodes) and
 * `viva inspect` all say these in the same words, from here.
 */

/** The episode's window of the file does not fit it (videoWindowError), as an error warning; null when it fits. */
export function windowWarning(fps: number, episode: number, video: EpisodeVideo, pts: Float64Array): DatasetWarning | null {
  const message = videoWindowError(
    { camera: video.camera, episode, relPath: video.relPath, from: video.fromTimestamp, to: video.toTimestamp },
    pts,
    fps,
  )
  return message === null ? null : { level: 'error', code: VIDEO_WINDOW_INVALID, message, file: video.relPath, episode }
}

/** The camera's video holds another number of frames for the episode than its table has rows. */
export function frameCountWarning(video: EpisodeVideo, episode: number, videoFrames: number, rows: number): DatasetWarning | null {
  if (videoFrames === rows) return null
  return {
    level: 'warning',
    code: 'VIDEO_FRAMES_MISMATCH',
    message:
      `${video.camera}: video has ${videoFrames} frames for this episode but the table has ${rows} rows` +
      (videoFrames < rows ? '; the last video frame is held for the missing ones' : '; extra video frames are ignored'),
    file: video.relPath,
    episode,
  }
}

export const CAMERA_BLACK = 'CAMERA_BLACK'
export const CAMERA_FROZEN = 'CAMERA_FROZEN'

/**
 * Sample the camera's frames across the episode (cameraContent.ts) and say when it recorded nothing: all black, or
 * one picture all through. Null when it recorded something, or when the episode has no frame of the file.
 */
export async function contentWarning(
  tools: MediaTools,
  fps: number,
  episode: number,
  video: { camera: string; file: string; relPath: string; fromTimestamp: number; toTimestamp: number | null },
  pts: Float64Array,
  signal?: AbortSignal,
): Promise<DatasetWarning | null> {
  const { first, end } = windowFrames(pts, fps, video.fromTimestamp, video.toTimestamp)
  const indices = sampleIndices(end - first)
  if (indices.length === 0) return null
  const frames = await sampleGrayFrames(tools, video.file, indices.map((i) => pts[first + i] ?? 0), signal)
  const stats = contentStats(frames)
  const verdict = judgeContent(stats)
  if (verdict === null) return null
  const span = `${frames.length} frames sampled across it (frames ${indices[0]}–${indices[indices.length - 1]} of ${end - first}) of ${video.relPath}`
  const action = "check the camera (cable, lens cap, exposure, driver), or leave it out of a model's camera mapping"
  if (verdict === 'black') {
    const brightest = Math.max(...stats.means)
    return {
      level: 'warning',
      code: CAMERA_BLACK,
      message: `camera "${video.camera}" recorded nothing in episode ${episode}: all ${span} are black (mean brightness at most ${brightest.toFixed(1)}/255, no texture); ${action}`,
      file: video.relPath,
      episode,
    }
  }
  const most = Math.max(...stats.diffs)
  return {
    level: 'warning',
    code: CAMERA_FROZEN,
    message:
      `camera "${video.camera}" shows the same picture all through episode ${episode}: the ${span} differ by at most ${most.toFixed(2)}/255 per pixel; ` +
      `the camera stalled (or, in a rendered scene, nothing in its view moved); ${action}`,
    file: video.relPath,
    episode,
  }
}

export interface EpisodeChecksDeps {
  source: (datasetId: string) => EpisodeSource
  probe: (file: string, signal?: AbortSignal) => Promise<VideoProbe>
  tools: MediaTools
  /** Episodes checked at once, across datasets (default 2: the list's checks must leave the player room). */
  concurrency?: number
}

/**
 * Runs the per-episode checks for the episode list, lazily (when the list asks, for the rows it asks about), a
 * few at a time, and keeps each result for as long as the dataset is open (keyed by its content fingerprint).
 */
export class EpisodeChecks {
  // A list scrolled past cancels its request, never a check another request (or the open episode) waits on.
  private readonly runs = new SharedRuns<DatasetWarning[]>({ keep: true, cancelled: () => new VivaError('CANCELLED', 'Episode checks cancelled.') })
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly deps: EpisodeChecksDeps) {}

  async check(datasetId: string, episodes: readonly number[], signal?: AbortSignal): Promise<EpisodeCheck[]> {
    const source = this.deps.source(datasetId)
    const known = new Set(source.summary.episodes.map((e) => e.index))
    for (const e of episodes) if (!known.has(e)) throw new VivaError('NOT_FOUND', `episode ${e} is not in dataset ${source.summary.name}`)
    return Promise.all(
      episodes.map(async (episode) => {
        const key = `${datasetId}\0${source.fingerprint}\0${episode}`
        const entry = this.runs.join(key, (own) => this.slot(() => this.checkEpisode(source, episode, own)), signal)
        return { episode, warnings: await entry }
      }),
    )
  }

  private async slot<T>(task: () => Promise<T>): Promise<T> {
    const limit = this.deps.concurrency ?? 2
    if (this.running >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.running++
    try {
      return await task()
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }

  private async checkEpisode(source: EpisodeSource, index: number, signal?: AbortSignal): Promise<DatasetWarning[]> {
    signal?.throwIfAborted()
    const summaryEpisode = source.summary.episodes.find((e) => e.index === index)
    if (!summaryEpisode?.present) return []
    let data: EpisodeData
    try {
      data = await source.loadEpisode(index, signal)
    } catch (err) {
      if (err instanceof VivaError && err.code === 'CANCELLED') throw err
      signal?.throwIfAborted()
      const e = err instanceof VivaError ? err : new VivaError('INTERNAL', String(err))
      return [{ level: 'error', code: 'EPISODE_UNREADABLE', message: e.message, episode: index, ...(e.file ? { file: e.file } : {}) }]
    }
    // The summary's own warnings for the episode are shown already; the table's are new.
    const warnings = data.warnings.filter((w) => !summaryEpisode.warnings.includes(w))
    const fps = source.summary.fps
    for (const video of data.videos) {
      signal?.throwIfAborted()
      let probe: VideoProbe
      try {
        probe = await this.deps.probe(video.file, signal)
      } catch (err) {
        signal?.throwIfAborted()
        const message = err instanceof Error ? err.message : String(err)
        warnings.push({ level: 'error', code: 'VIDEO_UNREADABLE', message, file: video.relPath, episode: index })
        continue
      }
      const bad = windowWarning(fps, index, video, probe.pts)
      if (bad) {
        warnings.push(bad)
        continue
      }
      const { videoFrames } = episodeFrameTimes(probe.pts, fps, data.length, video.fromTimestamp, video.toTimestamp)
      const count = frameCountWarning(video, index, videoFrames, data.length)
      if (count) warnings.push(count)
      try {
        const content = await contentWarning(this.deps.tools, fps, index, video, probe.pts, signal)
        if (content) warnings.push(content)
      } catch (err) {
        signal?.throwIfAborted()
        const message = err instanceof Error ? err.message : String(err)
        warnings.push({ level: 'error', code: 'VIDEO_UNREADABLE', message, file: video.relPath, episode: index })
      }
    }
    return warnings
  }
}
