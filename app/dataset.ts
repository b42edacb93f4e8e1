/**
 * Dataset domain types shared by every layer. Frame index is the unit of time: seconds appear only where a video
 * element or a file's own timeline needs them.
 */

export type FormatVersion = 'v2.0' | 'v2.1' | 'v3.0'

export type WarningLevel = 'info' | 'warning' | 'error'

/** Something the reader noticed and coped with. `file` is relative to the dataset root when known. */
export interface DatasetWarning {
  level: WarningLevel
  code: string
  message: string
  file?: string
  episode?: number
}

export interface CameraInfo {
  key: string
  dtype: 'video' | 'image'
  /** As declared by info.json; the real codec comes from probing the file and may differ. */
  declaredCodec: string | null
  width: number | null
  height: number | null
  fps: number | null
}

/** A camera info.json declares that has no video file anywhere on disk: kept, so the player can show why it is empty. */
export interface MissingCamera {
  key: string
  /** What was expected where, what was searched, and what to do. */
  message: string
}

export interface StateInfo {
  key: string
  dim: number
  names: string[]
}

/**
 * A numeric per-frame vector the dataset records (an info.json feature with a float or int dtype that is not frame
 * bookkeeping): the state, the action, efforts, velocities, rewards... Names come from info.json (flattened; filled
 * as `<i>` where it gives none).
 */
export interface NumericFeatureInfo extends StateInfo {
  /** info.json's dtype, e.g. float32, int64. */
  dtype: string
}

/**
 * How the state vector was picked among the numeric features: the user's saved choice, the LeRobot standard key
 * (`observation.state`), the most state-like name (see STATE_RANKING in main/datasets/lerobot/vectorFeatures.ts), or none.
 */
export type StateChoiceBy = 'saved' | 'standard' | 'name' | 'none'

export interface StateChoice {
  key: string | null
  by: StateChoiceBy
  /** One line for people: why this key (or why none). */
  reason: string
}

export interface EpisodeSummary {
  index: number
  tasks: string[]
  /** Frame count as declared by the metadata (or counted from the table when metadata lacks it). */
  length: number
  /** False when the metadata lists the episode but its data file is missing on disk. */
  present: boolean
  warnings: DatasetWarning[]
}

/**
 * A dataset opened at a path that has no annotation project, while a project made for the same content (info.json
 * and episode table) at another path exists: the folder was moved, renamed or reached another way. Until the user
 * re-attaches that project or starts fresh, nothing is written for the dataset.
 */
export interface ReattachOffer {
  /** The project file holding the annotations. */
  projectPath: string
  /** Where the dataset was when that project last opened it. */
  previousPath: string
  /** Events in that project. */
  annotationCount: number
}

export interface DatasetSummary {
  /** Derived from the dataset's real path (symlinks resolved), so every way to reach a folder names the same dataset. */
  id: string
  root: string
  name: string
  format: FormatVersion
  fps: number
  robotType: string | null
  cameras: CameraInfo[]
  /** Declared cameras with no video files at all (not in `cameras`); the player shows each as an error pane. */
  missingCameras?: MissingCamera[]
  /** The state vector (the one models get), picked among `features` as `stateChoice` says. */
  state: StateInfo | null
  /** Every numeric vector feature info.json declares, in its order: what the player can plot. */
  features: NumericFeatureInfo[]
  stateChoice: StateChoice
  tasks: string[]
  episodes: EpisodeSummary[]
  totalFrames: number
  warnings: DatasetWarning[]
  /** Set by the main side when this dataset's annotations are in another path's project (see ReattachOffer). */
  reattach?: ReattachOffer | null
}

export function formatDuration(frames: number, fps: number): string {
  const seconds = fps > 0 ? frames / fps : 0
  const m = Math.floor(seconds / 60)
  const s = seconds - m * 60
  return `${m}:${s.toFixed(1).padStart(4, '0')}`
}

/**
 * A frame's time as the UI shows it: the recorded timestamp (the episode table's `timestamp` column, what LeRobot
 * calls the frame's time) when there is one, else frame / fps. Recordings start late or drift (by over a second in
 * real datasets), so the two differ; frame index stays the unit of time everywhere else.
 */
export function frameTime(frame: number, fps: number, timestamps: ArrayLike<number> | null | undefined): { seconds: number; recorded: boolean } {
  const t = timestamps?.[frame]
  if (t !== undefined && Number.isFinite(t)) return { seconds: t, recorded: true }
  return { seconds: fps > 0 ? frame / fps : 0, recorded: false }
}

/** frameTime as text: seconds to the millisecond when recorded (the table's own value), else m:ss.s from frame / fps. */
export function formatFrameTime(frame: number, fps: number, timestamps: ArrayLike<number> | null | undefined): string {
  const t = frameTime(frame, fps, timestamps)
  return t.recorded ? `${t.seconds.toFixed(3)} s` : formatDuration(frame, fps)
}

/** A camera key as the UI and the CLI show it: without LeRobot's `observation.images.` prefix. */
export function shortCameraName(key: string): string {
  return key.replace(/^observation\.images\./, '')
}
