import type { DatasetSummary, DatasetWarning } from '../../app/dataset'

/** One camera's video for one episode: the file and where the episode sits in it (v3.0 files hold many episodes). */
export interface EpisodeVideo {
  camera: string
  /** Absolute path on disk. */
  file: string
  /** Path relative to the dataset root, with forward slashes. */
  relPath: string
  /** Episode start inside the file, seconds on the file's own timeline (0 for v2.x). */
  fromTimestamp: number
  /** Episode end inside the file (exclusive), or null when the episode runs to the end of the file. */
  toTimestamp: number | null
  /** Codec named by info.json, which can be wrong: the media layer probes the file. */
  declaredCodec: string | null
}

export interface EpisodeState {
  key: string
  names: string[]
  dim: number
  /** Row-major, length × dim, indexed by frame index. */
  values: Float32Array
}

export interface EpisodeData {
  index: number
  /** Number of frames, i.e. rows of the episode's table. */
  length: number
  tasks: string[]
  state: EpisodeState | null
  /** The numeric features asked for with `loadEpisode(…, { features })` that the table has (the state included if asked). */
  features: EpisodeState[]
  /** Per-frame timestamps from the table (seconds) when present; informative only, never used to sync. */
  timestamps: Float64Array | null
  /** Whether frame indices came from a `frame_index` column or from row order. */
  frameIndexSource: 'column' | 'row-order'
  videos: EpisodeVideo[]
  /** Cameras of the dataset with no video for this episode, and why (the player pane shows it). */
  missingVideos?: { camera: string; message: string }[]
  warnings: DatasetWarning[]
}

/**
 * A dataset opened from disk. Opening reads metadata only; `loadEpisode` reads one episode's table on demand,
 * so a dataset with thousands of episodes opens without touching every parquet file.
 */
export interface EpisodeSource {
  readonly summary: DatasetSummary
  /** Content identity, the same wherever the folder is (see datasetFingerprint); annotation projects record it. */
  readonly fingerprint: string
  loadEpisode(index: number, signal?: AbortSignal, options?: LoadOptions): Promise<EpisodeData>
  /**
   * Use this numeric feature as the state (null: pick it automatically, see chooseState in vectorFeatures.ts).
   * Updates `summary.state` and `summary.stateChoice`; throws INVALID_ARGUMENT for a key that is not a numeric feature.
   */
  setStateKey(key: string | null): void
}

export interface LoadOptions {
  /** Numeric feature keys (summary.features) to read besides the state; unknown keys are ignored. */
  features?: readonly string[]
}
