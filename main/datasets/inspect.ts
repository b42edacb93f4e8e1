import { join } from 'node:path'
import type { DatasetWarning, FormatVersion, StateChoice } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { normalizeCodec } from '../video/codecs'
import { VIDEO_WINDOW_INVALID, videoWindowError, windowFrames } from '../video/probe'
import { compactRanges, openLeRobotDataset } from './lerobot/lerobot'
import type { LeRobotSource } from './lerobot/lerobot'
import type { WindowConventionReport } from './lerobot/videoWindows'

/** What `probe` learns from a real video file. `frames` 0 means "not counted". */
export interface ProbedVideo {
  codec: string
  width: number
  height: number
  frames: number
}

/** A probe's answer: with the presentation time of every frame when known, which checks v3.0 video windows. */
export interface ProbeResult extends ProbedVideo {
  pts?: Float64Array
}

export type VideoProbeFn = (file: string) => Promise<ProbeResult | null>

export interface InspectCamera {
  key: string
  dtype: 'video' | 'image'
  /** False when info.json declares the camera but no episode has a file for it. */
  onDisk: boolean
  declared: { codec: string | null; width: number | null; height: number | null; fps: number | null }
  /** The first present episode's file, probed; null without a probe or a file. */
  probed: (ProbedVideo & { file: string }) | null
}

export interface InspectReport {
  id: string
  /** Content identity (datasetFingerprint): annotation projects find their dataset by it after a move. */
  fingerprint: string
  name: string
  root: string
  format: FormatVersion
  declaredVersion: string | null
  fps: number
  robotType: string | null
  cameras: InspectCamera[]
  state: { key: string; dim: number; names: string[] } | null
  /** Why that key is the state (or why there is none). */
  stateChoice: StateChoice
  /** Every numeric vector feature (state, action, effort...): what the player can plot. */
  features: { key: string; dtype: string; dim: number }[]
  episodes: { listed: number; present: number; missing: number[] }
  /** Over present episodes, counted from their tables (the metadata's length when a table is unreadable). */
  frames: { total: number; min: number; median: number; max: number } | null
  tasks: string[]
  /** v3.0: which end the video windows use (to_timestamp exclusive as LeRobot writes it, or inclusive) and how many read each way. */
  videoWindows: WindowConventionReport
  warnings: DatasetWarning[]
  /** Episodes with errors or warnings of their own (missing files, unreadable tables or videos, bad windows...). */
  episodeProblems: EpisodeProblems[]
}

export interface EpisodeProblems {
  episode: number
  errors: number
  warnings: number
  /** Distinct warning codes, errors first. */
  codes: string[]
}

export interface InspectOptions {
  /** Read at most this many episode tables (all by default): table-level quirks only show when a table is read. */
  maxEpisodeTables?: number
  /** How many tables are read and videos probed at once (default 4). */
  concurrency?: number
  /** Called after each video file is probed (every file once, however many episodes share it). */
  onProbeProgress?: (done: number, total: number) => void
  /**
   * With ffmpeg: sample every camera of every present episode for black or frozen video (contentWarning, ~0.1 s of
   * CPU each). Needs a probe that gives frame times. Without it, content is not looked at.
   */
  content?: {
    check: (video: ContentTarget) => Promise<DatasetWarning | null>
    onProgress?: (done: number, total: number) => void
  }
}

/** One camera's window of one episode, as the content check needs it. */
export interface ContentTarget {
  camera: string
  /** The dataset's frame rate (windows are cut at half a frame). */
  fps: number
  episode: number
  /** Absolute path. */
  file: string
  relPath: string
  fromTimestamp: number
  toTimestamp: number | null
  pts: Float64Array
}

const DEFAULT_CONCURRENCY = 4

/** Run `task` over `items` with at most `limit` running at once; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Read every (or the first `max`) present episode's table, collecting its warnings and real length. */
async function readTables(
  source: LeRobotSource,
  max: number,
  concurrency: number,
): Promise<{ lengths: Map<number, number>; warnings: DatasetWarning[] }> {
  const present = source.summary.episodes.filter((e) => e.present).slice(0, max)
  const lengths = new Map<number, number>()
  const perEpisode = await mapLimit(present, concurrency, async (ep): Promise<DatasetWarning[]> => {
    try {
      const data = await source.loadEpisode(ep.index)
      lengths.set(ep.index, data.length)
      // Open-time warnings are already in the summary; keep only what reading the table added.
      return data.warnings.filter((w) => !ep.warnings.includes(w))
    } catch (err) {
      const e = err instanceof VivaError ? err : new VivaError('INTERNAL', String(err))
      return [{ level: 'error', code: 'EPISODE_UNREADABLE', message: e.message, episode: ep.index, ...(e.file ? { file: e.file } : {}) }]
    }
  })
  return { lengths, warnings: perEpisode.flat() }
}

/** One video file on disk and the present episodes whose camera view it holds (many in v3.0, one in v2.x). */
interface VideoFile {
  camera: string
  relPath: string
  episodes: { index: number; from: number; to: number | null }[]
}

function videoFiles(source: LeRobotSource): VideoFile[] {
  const present = new Set(source.summary.episodes.filter((e) => e.present).map((e) => e.index))
  const byPath = new Map<string, VideoFile>()
  for (const entry of source.entries) {
    if (!present.has(entry.index)) continue
    for (const v of entry.videos) {
      let file = byPath.get(v.relPath)
      if (!file) {
        file = { camera: v.camera, relPath: v.relPath, episodes: [] }
        byPath.set(v.relPath, file)
      }
      file.episodes.push({ index: entry.index, from: v.fromTimestamp, to: v.toTimestamp })
    }
  }
  return [...byPath.values()]
}

/** The episode a file-level warning concerns, when the file holds exactly one. */
function soleEpisode(file: VideoFile): { episode?: number } {
  return file.episodes.length === 1 && file.episodes[0] ? { episode: file.episodes[0].index } : {}
}

type Probed = { file: VideoFile; result: ProbeResult | null; error: string | null }

/**
 * Probe every video file once (a v3.0 file shared by 1,000 episodes is one probe), at most `concurrency` at a time,
 * then check each against info.json, the tables' row counts and every episode's window of it.
 */
async function probeVideos(
  source: LeRobotSource,
  probe: VideoProbeFn,
  lengthOf: (episode: number) => number,
  options: InspectOptions,
  warnings: DatasetWarning[],
): Promise<Map<string, InspectCamera['probed']>> {
  const files = videoFiles(source)
  let done = 0
  options.onProbeProgress?.(0, files.length)
  const results = await mapLimit(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file): Promise<Probed> => {
    let probed: Probed
    try {
      probed = { file, result: await probe(join(source.summary.root, file.relPath)), error: null }
    } catch (err) {
      probed = { file, result: null, error: err instanceof Error ? err.message : String(err) }
    }
    options.onProbeProgress?.(++done, files.length)
    return probed
  })

  const contentTargets: ContentTarget[] = []
  const mismatches = new Map<string, { first: string; count: number }>()
  const noteMismatch = (key: string, message: string): void => {
    const m = mismatches.get(key)
    if (m) m.count++
    else mismatches.set(key, { first: message, count: 1 })
  }
  for (const { file, result, error } of results) {
    if (result === null) {
      const users = file.episodes.length > 1 ? `; episodes ${compactRanges(file.episodes.map((e) => e.index), 6)} use it` : ''
      warnings.push({
        level: 'error',
        code: 'PROBE_FAILED',
        message: `camera "${file.camera}": ${file.relPath} could not be probed${error === null ? '' : ` (${error})`}${users}`,
        file: file.relPath,
        ...soleEpisode(file),
      })
      continue
    }
    const declared = source.declaredCameras.find((c) => c.key === file.camera)
    if (declared?.declaredCodec && normalizeCodec(declared.declaredCodec) !== normalizeCodec(result.codec)) {
      noteMismatch(`codec\0${file.camera}`, `camera "${file.camera}": meta/info.json declares codec ${declared.declaredCodec} but ${file.relPath} is ${result.codec}`)
    }
    if (declared && declared.width !== null && declared.height !== null && (declared.width !== result.width || declared.height !== result.height)) {
      noteMismatch(
        `size\0${file.camera}`,
        `camera "${file.camera}": meta/info.json declares ${declared.width}x${declared.height} but ${file.relPath} is ${result.width}x${result.height}`,
      )
    }
    if (result.frames > 0) {
      // A v3.0 file holds several episodes back to back: compare with all the rows it backs.
      const rows = file.episodes.reduce((sum, e) => sum + lengthOf(e.index), 0)
      if (rows !== result.frames) {
        const only = file.episodes[0]
        const whose = file.episodes.length === 1 && only ? `episode ${only.index}'s table has` : `its ${file.episodes.length} episodes have`
        warnings.push({
          level: 'warning',
          code: 'VIDEO_FRAMES_MISMATCH',
          message: `camera "${file.camera}": ${file.relPath} has ${result.frames} frames but ${whose} ${rows} rows`,
          file: file.relPath,
          ...soleEpisode(file),
        })
      }
    }
    if (result.pts && result.pts.length > 0) {
      for (const ep of file.episodes) {
        const message = videoWindowError({ camera: file.camera, episode: ep.index, relPath: file.relPath, from: ep.from, to: ep.to }, result.pts, source.summary.fps)
        if (message !== null) {
          warnings.push({ level: 'error', code: VIDEO_WINDOW_INVALID, message, file: file.relPath, episode: ep.index })
          continue
        }
        contentTargets.push({
          camera: file.camera,
          fps: source.summary.fps,
          episode: ep.index,
          file: join(source.summary.root, file.relPath),
          relPath: file.relPath,
          fromTimestamp: ep.from,
          toTimestamp: ep.to,
          pts: result.pts,
        })
        // A shared file's total can match while one window is a frame short (the next window a frame long): each
        // episode's own window, as the player cuts it, must hold its table's rows.
        if (file.episodes.length < 2) continue
        const { first, end } = windowFrames(result.pts, source.summary.fps, ep.from, ep.to)
        const rows = lengthOf(ep.index)
        if (end - first !== rows) {
          warnings.push({
            level: 'warning',
            code: 'VIDEO_FRAMES_MISMATCH',
            message:
              `camera "${file.camera}", episode ${ep.index}: its window ${ep.from.toFixed(3)}–${ep.to === null ? 'end' : ep.to.toFixed(3)} s of ${file.relPath} ` +
              `holds ${end - first} frames but the table has ${rows} rows` +
              (end - first < rows ? '; the last video frame is held for the missing ones' : '; the extra video frames are not shown'),
            file: file.relPath,
            episode: ep.index,
          })
        }
      }
    }
  }
  for (const [key, { first, count }] of mismatches) {
    warnings.push({
      level: 'warning',
      code: key.startsWith('codec') ? 'CODEC_MISMATCH' : 'RESOLUTION_MISMATCH',
      message: count > 1 ? `${first} (and ${count - 1} more file${count === 2 ? '' : 's'})` : first,
    })
  }

  const content = options.content
  if (content && contentTargets.length > 0) {
    let checked = 0
    content.onProgress?.(0, contentTargets.length)
    const found = await mapLimit(contentTargets, options.concurrency ?? DEFAULT_CONCURRENCY, async (target) => {
      let warning: DatasetWarning | null
      try {
        warning = await content.check(target)
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        warning = { level: 'error', code: 'VIDEO_UNREADABLE', message: `camera "${target.camera}", episode ${target.episode}: ${why}`, file: target.relPath, episode: target.episode }
      }
      content.onProgress?.(++checked, contentTargets.length)
      return warning
    })
    for (const w of found) if (w) warnings.push(w)
  }

  // Each camera's listing shows the file of its first present episode, as before any file was probed.
  const shown = new Map<string, InspectCamera['probed']>()
  for (const { file, result } of results) {
    if (shown.has(file.camera)) continue
    const { pts: _pts, ...summary } = result ?? { codec: '', width: 0, height: 0, frames: 0 }
    shown.set(file.camera, result ? { ...summary, file: file.relPath } : null)
  }
  return shown
}

/** Per-episode tally of the report's errors and warnings, for "which episodes are broken" at a glance. */
function episodeProblems(warnings: readonly DatasetWarning[]): EpisodeProblems[] {
  const byEpisode = new Map<number, EpisodeProblems>()
  for (const w of warnings) {
    if (w.episode === undefined || w.level === 'info') continue
    let p = byEpisode.get(w.episode)
    if (!p) {
      p = { episode: w.episode, errors: 0, warnings: 0, codes: [] }
      byEpisode.set(w.episode, p)
    }
    if (w.level === 'error') p.errors++
    else p.warnings++
    if (!p.codes.includes(w.code)) {
      if (w.level === 'error') p.codes.unshift(w.code)
      else p.codes.push(w.code)
    }
  }
  return [...byEpisode.values()].sort((a, b) => a.episode - b.episode)
}

/**
 * Everything `viva inspect` reports about a dataset: metadata, what is on disk, and every problem found, including
 * those that only show when each episode's table is read and (with `probe`) when a camera's first video is probed.
 */
export async function inspectDataset(
  root: string,
  probe?: VideoProbeFn,
  options: InspectOptions = {},
): Promise<InspectReport> {
  const source = await openLeRobotDataset(root)
  const { summary } = source
  const warnings: DatasetWarning[] = [...summary.warnings, ...summary.episodes.flatMap((e) => e.warnings)]

  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const tables = await readTables(source, options.maxEpisodeTables ?? Number.POSITIVE_INFINITY, concurrency)
  warnings.push(...tables.warnings)
  const metaLength = new Map(summary.episodes.map((e) => [e.index, e.length]))
  const lengthOf = (episode: number): number => tables.lengths.get(episode) ?? metaLength.get(episode) ?? 0

  const probed = probe ? await probeVideos(source, probe, lengthOf, options, warnings) : new Map<string, InspectCamera['probed']>()
  const cameras: InspectCamera[] = []
  for (const c of source.declaredCameras) {
    const onDisk = c.dtype === 'video' && !source.missingCameras.includes(c.key)
    cameras.push({
      key: c.key,
      dtype: c.dtype,
      onDisk,
      declared: { codec: c.declaredCodec, width: c.width, height: c.height, fps: c.fps },
      probed: onDisk ? (probed.get(c.key) ?? null) : null,
    })
  }

  const present = summary.episodes.filter((e) => e.present)
  const lengths = present.map((e) => lengthOf(e.index)).sort((a, b) => a - b)
  return {
    id: summary.id,
    fingerprint: source.fingerprint,
    name: summary.name,
    root: summary.root,
    format: summary.format,
    declaredVersion: source.info.declaredVersion,
    fps: summary.fps,
    robotType: summary.robotType,
    cameras,
    state: summary.state ? { key: summary.state.key, dim: summary.state.dim, names: [...summary.state.names] } : null,
    stateChoice: { ...summary.stateChoice },
    features: summary.features.map((f) => ({ key: f.key, dtype: f.dtype, dim: f.dim })),
    episodes: {
      listed: summary.episodes.length,
      present: present.length,
      missing: summary.episodes.filter((e) => !e.present).map((e) => e.index),
    },
    frames:
      lengths.length === 0
        ? null
        : {
            total: lengths.reduce((a, b) => a + b, 0),
            min: lengths[0] ?? 0,
            median: median(lengths),
            max: lengths[lengths.length - 1] ?? 0,
          },
    tasks: [...summary.tasks],
    videoWindows: source.windows,
    warnings,
    episodeProblems: episodeProblems(warnings),
  }
}
