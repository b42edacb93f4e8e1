/** Contract, datasets domain: opening datasets, episodes and their media. */
import { z } from 'zod'
import type { DatasetSummary, DatasetWarning } from '../dataset'
import { datasetId, episodeIndex, featureKey, filePath, type MediaRef } from './common'

export interface CameraView {
  key: string
  /** What the renderer plays; a transcoded proxy when the original codec cannot be played. Null when absent. */
  media: MediaRef | null
  /** Real codec of what plays, from probing it (not what info.json claims): the proxy's when one plays. */
  codec: string | null
  /** Set when a transcoded proxy plays: the dataset file's own codec, which is what the header names. */
  sourceCodec?: string | null
  width: number | null
  height: number | null
  /** Frames of this camera that belong to the episode. */
  videoFrames: number
  /**
   * For each frame index of the episode, the time (seconds, on the media file's own timeline) to seek the video
   * element to so that it shows exactly that frame: the midpoint between the frame's presentation time and the
   * next one. Timestamps from the table are never used for this.
   */
  frameTimes: Float64Array
  /** 'ready' plays as is; 'needs-proxy' must go through media.prepare first; 'missing' has no file. */
  status: 'ready' | 'needs-proxy' | 'missing' | 'failed'
  statusMessage: string | null
}

export interface EpisodeState {
  key: string
  names: string[]
  dim: number
  /** Row-major length × dim. */
  values: Float32Array
}

/** Episodes one dataset.checkEpisodes call may ask about (the list asks in batches). */
export const MAX_CHECKED_EPISODES = 64

/** What checking an episode found, beyond the warnings its summary already lists. */
export interface EpisodeCheck {
  episode: number
  warnings: DatasetWarning[]
}

export interface EpisodeView {
  datasetId: string
  index: number
  length: number
  fps: number
  tasks: string[]
  cameras: CameraView[]
  state: EpisodeState | null
  /** The numeric features asked for with `episode.open` (state, action, effort...), frame-indexed like the state. */
  features: EpisodeState[]
  /** Recorded time of each frame (the table's `timestamp`, seconds), shown where the UI shows a time; null if none. */
  timestamps?: Float64Array | null
  warnings: DatasetWarning[]
}

export interface AppInfo {
  version: string
  mode: 'electron' | 'browser'
  /** Datasets opened when the app started (command line or demo), in order. */
  initialDatasets: string[]
}

export interface MediaProgress {
  datasetId: string
  episode: number
  camera: string
  /** 0..1 */
  fraction: number
  done: boolean
}

export const datasetMethodSchemas = {
  'app.info': z.object({}).strict(),
  'dataset.open': z.object({ path: filePath }).strict(),
  'dataset.get': z.object({ datasetId }).strict(),
  'dataset.list': z.object({}).strict(),
  /**
   * Decide on the summary's `reattach` offer: 'reattach' copies the offered project (named again, so only that file
   * can be taken) to this dataset's identity and keeps the original file; 'fresh' starts an empty project.
   */
  'dataset.reattachProject': z
    .object({ datasetId, action: z.enum(['reattach', 'fresh']), projectPath: filePath.optional() })
    .strict(),
  /**
   * Check these episodes beyond what opening the dataset saw (table, video windows and frame counts, black or
   * frozen cameras), for the episode list's Warnings column; results are kept while the dataset is open.
   */
  'dataset.checkEpisodes': z.object({ datasetId, episodes: z.array(episodeIndex).min(1).max(MAX_CHECKED_EPISODES) }).strict(),
  /** `features`: numeric feature keys (DatasetSummary.features) to load besides the state; unknown ones are skipped. */
  'episode.open': z.object({ datasetId, episode: episodeIndex, features: z.array(featureKey).max(256).optional() }).strict(),
  /** Numeric features of one episode, e.g. one the plot's picker just added. */
  'episode.features': z.object({ datasetId, episode: episodeIndex, keys: z.array(featureKey).min(1).max(256) }).strict(),
  /** Use a numeric feature as the dataset's state (null: automatic); remembered per dataset. */
  'dataset.setStateKey': z.object({ datasetId, key: featureKey.nullable() }).strict(),
  'media.prepare': z.object({ datasetId, episode: episodeIndex, camera: z.string().min(1).max(500) }).strict(),
} as const

export interface DatasetMethodResults {
  'app.info': AppInfo
  'dataset.open': DatasetSummary
  'dataset.get': DatasetSummary
  'dataset.list': DatasetSummary[]
  /** The dataset's summary afterwards (no offer left). */
  'dataset.reattachProject': DatasetSummary
  'dataset.checkEpisodes': EpisodeCheck[]
  'episode.open': EpisodeView
  'episode.features': EpisodeState[]
  /** The dataset's summary with its new state. */
  'dataset.setStateKey': DatasetSummary
  /** Resolves once the camera is playable, with its updated view (media now points at the proxy). */
  'media.prepare': CameraView
}
