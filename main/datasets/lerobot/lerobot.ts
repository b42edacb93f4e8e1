import { createHash } from 'node:crypto'
import { realpath, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { CameraInfo, DatasetSummary, DatasetWarning, EpisodeSummary, MissingCamera } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { fsReason, isAbsent } from '../../fsErrors'
import { READ_LIMITS, readTextFile } from '../../safeRead'
import { DirListing } from './dirListing'
import type { EpisodeData, EpisodeSource, LoadOptions } from '../episodeSource'
import { readEpisodeTable } from './episodeTable'
import type { EpisodeEntry, LeRobotInfo, Listing } from './lerobotInfo'
import { INFO_FILE, parseInfo } from './lerobotInfo'
import { listV2Episodes } from './lerobotV2'
import { listV3Episodes } from './lerobotV3'
import { locateVideos } from './videoLocator'
import type { WindowConventionReport } from './videoWindows'
import { detectWindowConvention, extendInclusiveWindows, windowConventionNote } from './videoWindows'
import { chooseState } from './vectorFeatures'

export interface OpenOptions {
  id?: string
}

/** A LeRobot dataset: the EpisodeSource contract plus what `viva inspect` reports beyond the summary. */
export interface LeRobotSource extends EpisodeSource {
  readonly info: LeRobotInfo
  /** Every camera info.json declares, including those with no files (left out of summary.cameras). */
  readonly declaredCameras: readonly CameraInfo[]
  /** Episodes as the metadata lists them, with where their files are (present or not). */
  readonly entries: readonly EpisodeEntry[]
  /** Cameras that info.json declares but that have no video file for any episode. */
  readonly missingCameras: readonly string[]
  /** Which end the v3.0 video windows use, and how many windows read each way (detectWindowConvention). */
  readonly windows: WindowConventionReport
}

/**
 * Short, stable id derived from the dataset's real path (see canonicalRoot), so reopening the same folder, through
 * whatever symlink, gives the same id.
 */
export function datasetId(absRoot: string): string {
  return createHash('sha256').update(absRoot).digest('hex').slice(0, 12)
}

/**
 * The folder's real path, symlinks resolved, so a symlink and its target are one dataset (one id, one project).
 * A real path that a string cannot name (bytes that are not UTF-8 somewhere above a symlink with a valid name)
 * would name nothing once decoded: the path as given is kept then.
 */
async function canonicalRoot(absRoot: string): Promise<string> {
  try {
    const real = await realpath(absRoot, { encoding: 'buffer' })
    const text = real.toString('utf8')
    return Buffer.from(text, 'utf8').equals(real) ? text : absRoot
  } catch {
    return absRoot
  }
}

/** The id a dataset folder opens with (see datasetId), without opening it: a viva:// link names datasets by it. */
export async function datasetIdOfFolder(root: string): Promise<string> {
  return datasetId(await canonicalRoot(resolve(root)))
}

/**
 * Content identity of a dataset, the same wherever its folder is (moved, renamed, copied): a hash of info.json's
 * text and of the episode table as the reader parsed it (meta/episodes.jsonl in v2.x, meta/episodes/ in v3.0:
 * index, length, tasks, data file and rows, video files and windows). Cheap: both are in memory once the metadata is
 * read; videos and data tables are never read for it. Annotation projects store it to find their dataset again.
 */
export function datasetFingerprint(infoText: string, entries: readonly EpisodeEntry[]): string {
  const hash = createHash('sha256').update('viva-dataset-fingerprint/1\0').update(infoText).update('\0')
  for (const e of entries) {
    const videos = e.videos.map((v) => [v.camera, v.relPath, v.fromTimestamp, v.toTimestamp])
    const d = e.data
    hash.update(JSON.stringify([e.index, e.length, e.tasks, d.relPath, d.rowStart, d.rowEnd, d.globalFrom, d.globalTo, videos]))
    hash.update('\n')
  }
  return hash.digest('hex')
}

/** "0, 3, 6-9" for a sorted list of integers; long lists are cut with a count of what was left out. */
export function compactRanges(values: readonly number[], maxParts = 12): string {
  const parts: string[] = []
  for (let i = 0; i < values.length; ) {
    let j = i
    while (j + 1 < values.length && values[j + 1] === (values[j] ?? 0) + 1) j++
    parts.push(j > i ? `${values[i]}-${values[j]}` : String(values[i]))
    i = j + 1
  }
  return parts.length > maxParts ? `${parts.slice(0, maxParts).join(', ')}, ... (${parts.length - maxParts} more)` : parts.join(', ')
}

async function checkRoot(root: string, absRoot: string): Promise<void> {
  let isDir: boolean
  try {
    isDir = (await stat(absRoot)).isDirectory()
  } catch (err) {
    if (isAbsent(err)) throw new VivaError('NOT_FOUND', `${root} does not exist`, root)
    // There but unreachable (a symlink loop, a name too long): "does not exist" would send the user looking for a typo.
    throw new VivaError('NOT_FOUND', `${root} cannot be opened: ${fsReason(err)}`, root)
  }
  if (!isDir) throw new VivaError('NOT_FOUND', `${root} is not a directory`, root)
}

async function readInfoText(root: string, absRoot: string): Promise<string> {
  try {
    return await readTextFile(join(absRoot, INFO_FILE), READ_LIMITS.info)
  } catch (err) {
    if (isAbsent(err)) {
      throw new VivaError('NOT_A_DATASET', `${root} is not a LeRobot dataset: ${INFO_FILE} not found`, INFO_FILE)
    }
    throw new VivaError('DATASET_INVALID', `${INFO_FILE} could not be read: ${fsReason(err)}`, INFO_FILE)
  }
}

interface FileCheck {
  present: Set<number>
  missingCameras: MissingCamera[]
  /** Per episode, the cameras with no video for it and why. */
  missingVideos: Map<number, { camera: string; message: string }[]>
}

/**
 * Mark what the metadata lists but the disk lacks. One readdir per folder (not one stat per file) keeps this
 * cheap for thousands of episodes. Videos that are not where video_path says are looked for under other folder,
 * chunk and file names (locateVideos) and used from there with a warning. Mutates the entries: points moved videos
 * at where they are, drops missing ones and adds warnings.
 */
async function checkFiles(
  root: string,
  listing: DirListing,
  info: LeRobotInfo,
  entries: EpisodeEntry[],
  listedBy: string | null,
  warnings: DatasetWarning[],
): Promise<FileCheck> {
  const paths = entries.flatMap((e) => [e.data.relPath, ...e.videos.map((v) => v.relPath)])
  const existing = await listing.existing(paths)
  const videoKeys = info.cameras.filter((c) => c.dtype === 'video').map((c) => c.key)

  const notThere = entries
    .filter((e) => existing.has(e.data.relPath))
    .flatMap((e) => e.videos.filter((v) => !existing.has(v.relPath)).map((v) => ({ camera: v.camera, relPath: v.relPath })))
  const located = await locateVideos(root, listing, info.videoPath ?? '', videoKeys, notThere)
  const searched = located.searched.length > 0 ? located.searched.join(', ') : 'no video folder'
  const moved = new Map<string, { count: number; expected: string; found: string }>()
  for (const entry of entries) {
    for (const video of entry.videos) {
      const found = located.locations.get(video.relPath)?.found
      if (!found) continue
      const m = moved.get(video.camera)
      if (m) m.count++
      else moved.set(video.camera, { count: 1, expected: video.relPath, found })
      video.relPath = found
      existing.add(found)
    }
  }
  for (const [camera, m] of moved) {
    warnings.push({
      level: 'warning',
      code: 'VIDEO_RELOCATED',
      message:
        `camera "${camera}": ${m.count} video${m.count === 1 ? ' is' : 's are'} not where video_path says; using what was found elsewhere, ` +
        `e.g. ${m.found} for ${m.expected}. To silence this, move the files to the video_path location or fix video_path in ${INFO_FILE}`,
      file: m.found,
    })
  }

  const missingCameras: MissingCamera[] = []
  for (const c of info.cameras) {
    if (c.dtype !== 'video' || entries.some((e) => e.videos.some((v) => v.camera === c.key && existing.has(v.relPath)))) continue
    const example = entries.find((e) => existing.has(e.data.relPath))?.videos.find((v) => v.camera === c.key)?.relPath
    const message =
      `camera "${c.key}" is declared in ${INFO_FILE} but has no video files on disk` +
      (example ? `: video_path gives e.g. ${example}` : info.videoPath === null ? ' (and there is no video_path)' : '') +
      `; searched ${searched} under other folder, chunk and file names. ` +
      `Add the videos at that path, or fix video_path (or remove the feature) in ${INFO_FILE}`
    missingCameras.push({ key: c.key, message })
    warnings.push({ level: 'warning', code: 'CAMERA_MISSING', message, file: example ?? INFO_FILE })
  }
  const missingKeys = new Set(missingCameras.map((c) => c.key))
  const cameraMessage = new Map(missingCameras.map((c) => [c.key, c.message]))

  const present = new Set<number>()
  const absent: number[] = []
  const missingVideos = new Map<number, { camera: string; message: string }[]>()
  for (const entry of entries) {
    if (!existing.has(entry.data.relPath)) {
      absent.push(entry.index)
      entry.warnings.push({
        level: 'warning',
        code: 'EPISODE_MISSING',
        message: `episode ${entry.index} is listed in ${listedBy ?? 'the metadata'} but ${entry.data.relPath} is not on disk`,
        file: entry.data.relPath,
        episode: entry.index,
      })
      entry.videos = entry.videos.filter((v) => !missingKeys.has(v.camera))
      continue
    }
    present.add(entry.index)
    const lacking: { camera: string; message: string }[] = []
    for (const video of entry.videos) {
      if (existing.has(video.relPath)) continue
      const whole = cameraMessage.get(video.camera)
      if (whole !== undefined) {
        lacking.push({ camera: video.camera, message: whole })
        continue
      }
      const message = `episode ${entry.index}: video ${video.relPath} for camera "${video.camera}" is not on disk (nor under other names in ${searched})`
      lacking.push({ camera: video.camera, message })
      entry.warnings.push({ level: 'warning', code: 'VIDEO_MISSING', message, file: video.relPath, episode: entry.index })
    }
    if (lacking.length > 0) missingVideos.set(entry.index, lacking)
    entry.videos = entry.videos.filter((v) => existing.has(v.relPath))
  }
  if (absent.length > 0) {
    warnings.push({
      level: 'warning',
      code: 'EPISODES_MISSING',
      message: `${absent.length} of ${entries.length} episodes listed in ${listedBy ?? 'the metadata'} have no data file on disk: ${compactRanges(absent)}`,
      ...(listedBy === null ? {} : { file: listedBy }),
    })
  }
  return { present, missingCameras, missingVideos }
}

/**
 * Open a LeRobot v2.0/v2.1/v3.0 dataset folder. Reads metadata only (info.json, the episode and task lists, and
 * directory listings); episode tables are read by `loadEpisode`.
 */
export async function openLeRobotDataset(root: string, options: OpenOptions = {}): Promise<LeRobotSource> {
  await checkRoot(root, resolve(root))
  const absRoot = await canonicalRoot(resolve(root))
  const infoText = await readInfoText(root, absRoot)

  const dirs = new DirListing(absRoot)
  const meta = await dirs.list('meta')
  const layoutHint = meta.has('episodes') && !meta.has('episodes.jsonl') ? 'v3' : meta.has('episodes.jsonl') ? 'v2' : null
  const info = parseInfo(infoText, layoutHint)

  const listing: Listing = info.format === 'v3.0' ? await listV3Episodes(absRoot, info) : await listV2Episodes(absRoot, info)
  const entries = listing.episodes
  // Before checkFiles drops what is missing on disk: a lost file does not make it another dataset.
  const fingerprint = datasetFingerprint(infoText, entries)
  const warnings: DatasetWarning[] = [...info.warnings, ...listing.warnings]
  const windows = detectWindowConvention(entries, info.fps)
  const windowNote = windowConventionNote(windows, listing.listedBy ?? 'the metadata')
  if (windowNote !== null) {
    extendInclusiveWindows(entries, info.fps)
    warnings.push({ level: 'info', code: 'VIDEO_WINDOWS_INCLUSIVE', message: windowNote, ...(listing.listedBy ? { file: listing.listedBy } : {}) })
  }

  if (info.totalEpisodes !== null && info.totalEpisodes !== entries.length) {
    warnings.push({
      level: 'info',
      code: 'TOTAL_EPISODES_MISMATCH',
      message: `${INFO_FILE} says total_episodes ${info.totalEpisodes} but ${listing.listedBy ?? 'the disk'} has ${entries.length}`,
      file: INFO_FILE,
    })
  }
  const imageCameras = info.cameras.filter((c) => c.dtype === 'image').map((c) => c.key)
  if (imageCameras.length > 0) {
    warnings.push({
      level: 'info',
      code: 'IMAGE_CAMERAS',
      message: `camera${imageCameras.length === 1 ? '' : 's'} ${imageCameras.join(', ')} store frames as images inside the tables; only video cameras play`,
      file: INFO_FILE,
    })
  }

  const { present, missingCameras, missingVideos } = await checkFiles(absRoot, dirs, info, entries, listing.listedBy, warnings)
  const missingKeys = missingCameras.map((c) => c.key)
  const cameras = info.cameras.filter((c) => !missingKeys.includes(c.key))
  const byIndex = new Map(entries.map((e) => [e.index, e]))

  const episodes: EpisodeSummary[] = entries.map((e) => ({
    index: e.index,
    tasks: e.tasks,
    length: e.length,
    present: present.has(e.index),
    warnings: e.warnings,
  }))
  const summary: DatasetSummary = {
    id: options.id ?? datasetId(absRoot),
    root: absRoot,
    name: basename(absRoot),
    format: info.format,
    fps: info.fps,
    robotType: info.robotType,
    cameras,
    missingCameras,
    state: info.state,
    features: info.features,
    stateChoice: info.stateChoice,
    tasks: listing.tasks,
    episodes,
    totalFrames: episodes.reduce((sum, e) => (e.present ? sum + e.length : sum), 0),
    warnings,
  }
  const codecOf = new Map(info.cameras.map((c) => [c.key, c.declaredCodec]))

  function setStateKey(key: string | null): void {
    if (key !== null && !info.features.some((f) => f.key === key)) {
      const keys = info.features.map((f) => f.key)
      throw new VivaError('INVALID_ARGUMENT', `${summary.name} has no numeric feature "${key}" to use as the state (numeric features: ${keys.join(', ') || 'none'})`)
    }
    const { state, choice } = chooseState(info.features, key)
    summary.state = state
    summary.stateChoice = choice
  }

  async function loadEpisode(index: number, signal?: AbortSignal, options: LoadOptions = {}): Promise<EpisodeData> {
    signal?.throwIfAborted()
    const entry = byIndex.get(index)
    if (!entry) throw new VivaError('NOT_FOUND', `episode ${index} is not in dataset ${summary.name}`)
    if (!present.has(index)) {
      throw new VivaError(
        'EPISODE_UNAVAILABLE',
        `episode ${index} is unavailable: ${entry.data.relPath} is not on disk`,
        entry.data.relPath,
      )
    }
    const extra = (options.features ?? []).flatMap((key) => info.features.filter((f) => f.key === key))
    const table = await readEpisodeTable(absRoot, entry, info.fps, summary.state, signal, extra).catch((err: unknown) => {
      // Deleted since the dataset was opened: the same condition as absent at open time.
      if (err instanceof VivaError && err.code === 'NOT_FOUND') {
        throw new VivaError('EPISODE_UNAVAILABLE', `episode ${index} is unavailable: ${err.message}`, err.file)
      }
      throw err
    })
    return {
      index,
      length: table.length,
      tasks: entry.tasks,
      state: table.state,
      features: table.features,
      timestamps: table.timestamps,
      frameIndexSource: table.frameIndexSource,
      videos: entry.videos.map((v) => ({
        camera: v.camera,
        file: join(absRoot, v.relPath),
        relPath: v.relPath,
        fromTimestamp: v.fromTimestamp,
        toTimestamp: v.toTimestamp,
        declaredCodec: codecOf.get(v.camera) ?? null,
      })),
      missingVideos: missingVideos.get(index) ?? [],
      warnings: [...entry.warnings, ...table.warnings],
    }
  }

  return { summary, fingerprint, info, declaredCameras: info.cameras, entries, missingCameras: missingKeys, windows, loadEpisode, setStateKey }
}
