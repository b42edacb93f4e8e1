import path from 'node:path'
import type { CameraView, EpisodeState, EpisodeView } from '../../app/contract'
import type { DatasetSummary, DatasetWarning } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import type { EventBus } from '../events'
import type { MediaRoots } from '../video/mediaFiles'
import type { VideoProber, VideoProbe } from '../video/probe'
import { normalizeCodec } from '../video/codecs'
import { episodeFrameTimes, isBrowserPlayable } from '../video/probe'
import type { ProxyCache } from '../video/proxy'
import type { DatasetSettings } from './datasetSettings'
import type { EpisodeData, EpisodeSource, EpisodeVideo } from './episodeSource'
import { frameCountWarning, windowWarning } from './episodeChecks'
import { hubRepoDir } from './sources'

export const PROXY_ROOT_ID = 'proxies'

export interface DatasetServiceDeps {
  open: (root: string) => Promise<EpisodeSource>
  /**
   * What a typed path or repo id names (resolveDatasetSpec: a folder, or a dataset in the local Hugging Face cache);
   * absent: paths only, resolved against the working directory.
   */
  resolve?: (spec: string) => Promise<{ root: string; via: string | null }>
  prober: VideoProber
  proxies: ProxyCache
  media: MediaRoots
  events: EventBus
  /** Per-dataset choices (the state key) applied when a dataset opens; none in tools that only read. */
  settings?: DatasetSettings
}

/** Throws DATASET_INVALID, naming camera, episode, window, file and its duration, when the window does not fit. */
function checkWindow(summary: DatasetSummary, data: EpisodeData, video: EpisodeVideo, probe: VideoProbe): void {
  const bad = windowWarning(summary.fps, data.index, video, probe.pts)
  if (bad !== null) throw new VivaError('DATASET_INVALID', bad.message, video.relPath)
}

/** The pane of a camera with no video for the episode: status 'missing', with why. */
function missingView(key: string, message: string): CameraView {
  return {
    key,
    media: null,
    codec: null,
    width: null,
    height: null,
    videoFrames: 0,
    frameTimes: new Float64Array(0),
    status: 'missing',
    statusMessage: message,
  }
}

/** Opened datasets and the per-episode views the player needs (frame-time maps, playable media, state). */
export class DatasetService {
  private readonly sources = new Map<string, EpisodeSource>()
  private readonly opening = new Map<string, Promise<EpisodeSource>>()

  constructor(private readonly deps: DatasetServiceDeps) {
    deps.media.register(PROXY_ROOT_ID, deps.proxies.root)
  }

  async open(spec: string): Promise<DatasetSummary> {
    const { root: abs, via } = this.deps.resolve ? await this.deps.resolve(spec) : { root: path.resolve(spec), via: null }
    let pending = this.opening.get(abs)
    if (!pending) {
      pending = this.deps.open(abs).then((source) => {
        if (via !== null) {
          source.summary.warnings.push({ level: 'info', code: 'OPENED_FROM_CACHE', message: `${spec} was found in ${via}: ${source.summary.root}` })
        }
        return source
      })
      this.opening.set(abs, pending)
      pending.catch(() => this.opening.delete(abs))
    }
    const source = await pending
    const saved = (await this.deps.settings?.get(source.summary.id))?.stateKey
    if (saved !== undefined && source.summary.features.some((f) => f.key === saved)) source.setStateKey(saved)
    this.sources.set(source.summary.id, source)
    this.deps.media.register(source.summary.id, source.summary.root, hubRepoDir(source.summary.root))
    return source.summary
  }

  list(): DatasetSummary[] {
    return [...this.sources.values()].map((s) => s.summary)
  }

  get(datasetId: string): EpisodeSource {
    const source = this.sources.get(datasetId)
    if (!source) throw new VivaError('NOT_FOUND', `Dataset ${datasetId} is not open`)
    return source
  }

  /**
   * Use a numeric feature as the dataset's state (null: automatic), remembered for the dataset in the settings
   * file. Scoring, `viva tensors` and the player all read the state through the source, so they follow.
   */
  async setStateKey(datasetId: string, key: string | null): Promise<DatasetSummary> {
    const source = this.get(datasetId)
    source.setStateKey(key)
    await this.deps.settings?.set(datasetId, key === null ? {} : { stateKey: key })
    return source.summary
  }

  /** Numeric features of one episode (frame-indexed, binary on the wire), e.g. when the plot's picker adds one. */
  async episodeFeatures(datasetId: string, episode: number, keys: readonly string[], signal?: AbortSignal): Promise<EpisodeState[]> {
    const source = this.get(datasetId)
    const unknown = keys.filter((k) => !source.summary.features.some((f) => f.key === k))
    if (unknown.length > 0) {
      throw new VivaError('NOT_FOUND', `${source.summary.name} has no numeric feature ${unknown.map((k) => `"${k}"`).join(', ')}`)
    }
    return (await source.loadEpisode(episode, signal, { features: keys })).features
  }

  async openEpisode(datasetId: string, episode: number, signal?: AbortSignal, features: readonly string[] = []): Promise<EpisodeView> {
    const source = this.get(datasetId)
    // Keys the dataset does not have are left out rather than refused: the renderer asks for what it plotted last.
    const known = features.filter((k) => source.summary.features.some((f) => f.key === k))
    const data = await source.loadEpisode(episode, signal, { features: known })
    const warnings: DatasetWarning[] = [...data.warnings]
    const cameras = await Promise.all(
      source.summary.cameras.map((cam) => this.cameraView(source, data, cam.key, warnings, signal)),
    )
    // Declared cameras with no video anywhere still get a pane, saying what was expected where.
    for (const cam of source.summary.missingCameras ?? []) cameras.push(missingView(cam.key, cam.message))
    return {
      datasetId,
      index: data.index,
      length: data.length,
      fps: source.summary.fps,
      tasks: data.tasks,
      cameras,
      state: data.state,
      features: data.features,
      timestamps: data.timestamps,
      warnings,
    }
  }

  async prepareMedia(datasetId: string, episode: number, camera: string, signal?: AbortSignal): Promise<CameraView> {
    const source = this.get(datasetId)
    const data = await source.loadEpisode(episode, signal)
    const video = data.videos.find((v) => v.camera === camera)
    if (!video) throw new VivaError('NOT_FOUND', `Episode ${episode} has no video for camera ${camera}`)
    const original = await this.deps.prober.probe(video.file, signal)
    // Before transcoding: a proxy of a file the window does not fit would still show another episode's frames.
    checkWindow(source.summary, data, video, original)
    const last = original.pts[original.pts.length - 1] ?? 0
    const emit = (fraction: number, done: boolean): void =>
      this.deps.events.emit('media.progress', { datasetId, episode, camera, fraction, done })
    emit(0, false)
    const proxy = await this.deps.proxies.ensure({
      file: video.file,
      duration: last > 0 ? last : null,
      onProgress: (f) => emit(f, false),
      ...(signal ? { signal } : {}),
    })
    emit(1, true)
    const probe = await this.deps.prober.probe(proxy, signal)
    return {
      ...this.viewFromProbe(source.summary, data, video, probe, { rootId: PROXY_ROOT_ID, path: path.basename(proxy) }, []),
      sourceCodec: original.codec,
    }
  }

  /**
   * The recorded timestamps (the tables' `timestamp` column) of these episodes, for exports. An episode whose
   * table has no such column or cannot be read is left out: its events export without a recorded time.
   */
  async recordedTimestamps(datasetId: string, episodes: readonly number[], signal?: AbortSignal): Promise<Map<number, Float64Array>> {
    const source = this.get(datasetId)
    const out = new Map<number, Float64Array>()
    for (const index of episodes) {
      signal?.throwIfAborted()
      const data = await source.loadEpisode(index, signal).catch(() => null)
      if (data?.timestamps) out.set(index, data.timestamps)
    }
    return out
  }

  /** Throws DATASET_INVALID (or the probe's error) when the camera's video window does not fit its file. */
  async checkVideoWindow(datasetId: string, data: EpisodeData, camera: string, signal?: AbortSignal): Promise<void> {
    const source = this.get(datasetId)
    const video = data.videos.find((v) => v.camera === camera)
    if (!video) return
    checkWindow(source.summary, data, video, await this.deps.prober.probe(video.file, signal))
  }

  private async cameraView(
    source: EpisodeSource,
    data: EpisodeData,
    key: string,
    warnings: DatasetWarning[],
    signal?: AbortSignal,
  ): Promise<CameraView> {
    const video = data.videos.find((v) => v.camera === key)
    const empty = (status: CameraView['status'], message: string): CameraView => ({
      key,
      media: null,
      codec: null,
      width: null,
      height: null,
      videoFrames: 0,
      frameTimes: new Float64Array(0),
      status,
      statusMessage: message,
    })
    if (!video) {
      const why = data.missingVideos?.find((m) => m.camera === key)?.message
      return missingView(key, why ?? `No video file for ${key} in episode ${data.index}`)
    }
    let probe: VideoProbe
    try {
      probe = await this.deps.prober.probe(video.file, signal)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      warnings.push({ level: 'error', code: 'VIDEO_UNREADABLE', message, file: video.relPath, episode: data.index })
      return empty('failed', message)
    }
    const bad = windowWarning(source.summary.fps, data.index, video, probe.pts)
    if (bad !== null) {
      warnings.push(bad)
      return empty('failed', bad.message)
    }
    if (video.declaredCodec && normalizeCodec(video.declaredCodec) !== normalizeCodec(probe.codec)) {
      warnings.push({
        level: 'warning',
        code: 'CODEC_MISMATCH',
        message: `info.json declares codec "${video.declaredCodec}" for ${key} but ${video.relPath} is ${probe.codec}`,
        file: video.relPath,
        episode: data.index,
      })
    }
    if (isBrowserPlayable(probe)) {
      return this.viewFromProbe(source.summary, data, video, probe, { rootId: source.summary.id, path: video.relPath }, warnings)
    }
    const proxy = await this.deps.proxies.existing(video.file)
    if (proxy) {
      const proxyProbe = await this.deps.prober.probe(proxy, signal)
      return {
        ...this.viewFromProbe(source.summary, data, video, proxyProbe, { rootId: PROXY_ROOT_ID, path: path.basename(proxy) }, warnings),
        sourceCodec: probe.codec,
      }
    }
    const view = this.viewFromProbe(source.summary, data, video, probe, null, warnings)
    return {
      ...view,
      status: 'needs-proxy',
      statusMessage: `${probe.codec} cannot be played by the browser engine; a playable copy will be made`,
    }
  }

  private viewFromProbe(
    summary: DatasetSummary,
    data: EpisodeData,
    video: EpisodeVideo,
    probe: VideoProbe,
    media: CameraView['media'],
    warnings: DatasetWarning[],
  ): CameraView {
    const { frameTimes, videoFrames } = episodeFrameTimes(
      probe.pts,
      summary.fps,
      data.length,
      video.fromTimestamp,
      video.toTimestamp,
    )
    const count = frameCountWarning(video, data.index, videoFrames, data.length)
    if (count !== null) warnings.push(count)
    return {
      key: video.camera,
      media,
      codec: probe.codec,
      width: probe.width,
      height: probe.height,
      videoFrames,
      frameTimes,
      status: 'ready',
      statusMessage: null,
    }
  }
}
