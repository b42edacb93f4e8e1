import type { MediaTools } from '../../video/tools'

// What the caller asks for: format, cameras, quirks, callbacks; and what comes back.

export type LeRobotFormat = 'v2.0' | 'v2.1' | 'v3.0'
export type VideoCodec = 'h264' | 'av1' | 'mpeg4'

export interface WriterCamera {
  key: string
  width: number
  height: number
}

export interface WriterQuirks {
  /** Per-camera video metadata under `video_info` instead of `info` in info.json features. */
  videoInfoKey?: boolean
  /** v2.x path templates say `{chunk_index:03d}` instead of `{episode_chunk:03d}` (files stay where they were). */
  chunkIndexTemplate?: boolean
  /** No `frame_index` column in the data (and none declared in features). */
  noFrameIndex?: boolean
  /** Seconds added to every timestamp. */
  timestampOffset?: number
  /** Extra seconds of drift, growing linearly from 0 at frame 0 to this at the episode's last frame. */
  timestampDrift?: number
  /** Episodes listed in the metadata whose data and videos are not written. */
  missingEpisodes?: number[]
  /** A camera declared in info.json features (dtype video) with no video files. */
  phantomCamera?: string
  /** Feature names as `[[...]]` instead of `[...]`. */
  nestedStateNames?: boolean
  /** info.json declares this codec instead of the real one. */
  wrongDeclaredCodec?: string
  /** That episode's video (one camera, or all) has `delta` more (>0) or fewer (<0) frames than its table rows. */
  videoFrameDelta?: { episode: number; camera?: string; delta: number }
  /**
   * v3.0: meta/episodes gives that episode (one camera, or all) this video window instead of its real one; a bound
   * left out keeps its real value. For "bad video window" inputs: past the file's end, reversed, NaN, Infinity,
   * negative.
   */
  videoWindow?: { episode: number; camera?: string; from?: number; to?: number }
  /**
   * Other keys for the state and action vectors than LeRobot's `observation.state` / `action`, as some converted
   * datasets have (`state` / `actions`, `observation.qpos`...).
   */
  vectorKeys?: { state?: string; action?: string }
  /**
   * More numeric per-frame vectors with the state's names: `velocity` (the state's change per second) as
   * `observation.velocity`, `effort` (a smooth function of the state) as `observation.effort`.
   */
  extraVectors?: readonly ('velocity' | 'effort')[]
  /** State and action values multiplied by this (other units than the simulation's: 57.29578 for degrees). */
  stateScale?: number
  /**
   * The video files (of one camera, or all) are written at this path template instead of where info.json's
   * video_path says, for "videos not where the template says" inputs: `video/` for `videos/`, `chunk_0` for
   * `chunk-000`, `file-007.mp4` for `episode_000007.mp4`, the camera key without `observation.images.`. Fields:
   * those of the format's own template plus `{short_key}`, the camera key without its `observation.images.` prefix.
   */
  videoFilesAt?: { template: string; camera?: string }
  /**
   * v3.0: meta/episodes gives each window's to_timestamp as its last frame's time (from + (n - 1) / fps) instead of
   * one frame past it (from + n / fps, LeRobot's own convention), as some third-party converters write it.
   */
  inclusiveVideoWindows?: boolean
  /** That camera (in one episode, or all) recorded nothing: every frame is black (Y 16, the video range's black). */
  blackCamera?: { camera: string; episode?: number }
  /** That camera (in one episode, or all) froze: every frame repeats the episode's first picture. */
  frozenCamera?: { camera: string; episode?: number }
}

/** Where extraVectors go. */
export const EXTRA_VECTOR_KEYS = { velocity: 'observation.velocity', effort: 'observation.effort' } as const

/** Paints one frame of one camera as yuv420p (I420) into `out`, which is exactly width*height*3/2 bytes. */
export type FramePaint = (out: Uint8Array, episode: number, frame: number) => void

export interface LeRobotWriteOptions {
  /** Output directory; created, and must be empty or absent. */
  out: string
  format: LeRobotFormat
  fps: number
  codec: VideoCodec
  /** Keyframe interval in frames. */
  gop: number
  cameras: readonly WriterCamera[]
  robotType: string
  /** Names of the state (and action) vector's components; its length is the vector's dimension. */
  stateNames: readonly string[]
  /** Every task of the dataset, in task_index order (tasks no episode uses are allowed). */
  tasks: readonly string[]
  /** Episode i has index i; `task` must be one of `tasks`. */
  episodes: readonly { length: number; task: string }[]
  /** Writes observation.state at this frame into `out` (float32, as stored). */
  state(episode: number, frame: number, out: Float32Array): void
  /** Writes action at this frame; without it the action is the next frame's state (the last frame's own). */
  action?(episode: number, frame: number, out: Float32Array): void
  /**
   * The painter of one camera, made once before its encoder starts. Under quirks.videoFrameDelta it is asked for
   * frames past the episode's length.
   */
  painter(camera: WriterCamera, cameraIndex: number): FramePaint
  /** Resolved once by the caller when it has them; otherwise looked up. */
  tools?: MediaTools
  signal?: AbortSignal
  quirks?: WriterQuirks
  /** Names the caller in error messages ("writePatternDataset: …"). */
  caller?: string
}

export interface WrittenEpisode {
  index: number
  length: number
  /** False for quirks.missingEpisodes: in the metadata, not on disk. */
  written: boolean
}

export interface LeRobotWriteResult {
  root: string
  episodes: WrittenEpisode[]
}

export const ALOHA_JOINTS = ['waist', 'shoulder', 'elbow', 'forearm_roll', 'wrist_angle', 'wrist_rotate', 'gripper'] as const
/** observation.state names of a bimanual ALOHA: left arm's six joints and gripper, then the right arm's. */
export const ALOHA_STATE_NAMES: readonly string[] = [...ALOHA_JOINTS.map((j) => `left_${j}`), ...ALOHA_JOINTS.map((j) => `right_${j}`)]

/** Timestamp (seconds) the table stores for a frame, including the timestamp quirks; float32-rounded on disk. */
export function frameTimestamp(fps: number, frame: number, length: number, quirks: WriterQuirks = {}): number {
  const drift = length > 1 ? ((quirks.timestampDrift ?? 0) * frame) / (length - 1) : 0
  return frame / fps + (quirks.timestampOffset ?? 0) + drift
}
