/**
 * THE contract between the main side and the renderer. Method names, their parameter schemas, result types and
 * pushed events are declared here once; the Electron IPC binding, the WebSocket server and every client derive
 * from this map, so no channel string exists anywhere else.
 */
import { z } from 'zod'
import type { ThresholdScope } from './advantages'
import type { AnnotationEvent, EpisodeLabels, Taxonomy } from './annotations'
import type { CurveChunk, CurveData, CurveInfo, ScoreParams } from './curves'
import type { DatasetSummary, DatasetWarning } from './dataset'
import type { WireError } from './errors'
import type { MetricsReport } from './metricsReport'
import { MAX_DELAY_SECONDS, MAX_SMOOTHING_SECONDS } from './detector'
import type { SeriesDetection } from './detectorCalibration'
import type { TriageReport } from './triage'
import { editSchema, exportFiltersSchema, type ExportFilters } from './exchange'
import type { EventName, Method } from './names'
import { MAX_SPAN_FRAMES, MAX_SPAN_SECONDS } from './timeSpan'

export { EVENT_NAMES, isEventName, isMethod, METHOD_NAMES } from './names'
export type { EventName, Method } from './names'

/** A file the main side is willing to serve: `path` is relative to the registered root `rootId`. */
export interface MediaRef {
  rootId: string
  path: string
}

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

/** Execution providers a user can ask for; 'auto' tries the platform's GPU provider first, then CPU. */
export const PROVIDERS = ['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const
export type ProviderRequest = (typeof PROVIDERS)[number]

/** Which execution provider runs a model, and why it is not the one asked for. */
export interface ProviderInfo {
  requested: ProviderRequest
  /** Providers tried in order, ending with the one that runs. */
  tried: string[]
  active: string
  /** Null when the first choice runs; otherwise what failed (e.g. the CUDA libraries are not installed). */
  fallbackReason: string | null
  threads: number
}

export type ModelKind = 'viva-flow' | 'direct'

/** A model package (folder with viva-model.json) the app knows about. */
export interface ModelInfo {
  /** Content hash of the package (manifest and file hashes); results are cached under it. Null when invalid. */
  id: string
  name: string
  kind: ModelKind | null
  dir: string
  source: 'bundled' | 'user'
  /** Camera slot names in the model's order. */
  cameras: string[]
  stateDim: number
  stateNames: string[]
  fps: number
  /** Future-state offset in frames (viva-flow). */
  horizon: number
  defaultSteps: number
  imageSize: [number, number]
  /** Null when the package is usable; otherwise why not (bad manifest, hash mismatch, ...). */
  error: WireError | null
}

/**
 * How a slot's camera was chosen: the user's saved choice, a guess by name (the dataset camera's key is the slot's
 * name or ends in `.<slot>`), a guess by position (the next camera left, in the dataset's order: check it), or none.
 */
export type CameraMatch = 'saved' | 'name' | 'position' | 'none'

/** Which dataset camera feeds each model camera slot, for one dataset and model (remembered per dataset). */
export interface CameraMapping {
  datasetId: string
  modelId: string
  /** Model slot name → dataset camera key (null when nothing fits). */
  slots: Record<string, string | null>
  /** True when no user choice is stored and the mapping was guessed from camera names. */
  guessed: boolean
  /** Per slot, how its camera was chosen. */
  how: Record<string, CameraMatch>
}

/** One finding of the model/dataset check: an error blocks scoring, a warning is shown and scoring goes on. */
export interface CompatIssue {
  level: 'error' | 'warning' | 'info'
  /** Stable: STATE_MISSING, STATE_DIM, STATE_MAP, STATE_NAMES, CAMERA_UNMAPPED, CAMERA_BY_POSITION, CAMERA_REUSED, FPS, IMAGE_SIZE, STATE_RANGE. */
  code: string
  message: string
}

/** Whether a model can score a dataset as mapped, checked before any frame is scored (models.check, score.start). */
export interface ModelCheck {
  datasetId: string
  modelId: string
  /** Errors first, then warnings, then notes. */
  issues: CompatIssue[]
  /** No error: scoring may start. */
  ok: boolean
  /** The state map saved for this dataset and the model's state layout, as typed; null when none. */
  stateMap: string | null
  /** Dimensions the model gets (after the state map) and expects; the dataset's own. */
  datasetStateDim: number
  modelStateDim: number
  /** A state map that would fit the dimensions, offered when they differ and none is saved (e.g. 0-11,pad:mid,pad:mid). */
  suggestedStateMap: string | null
}

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed'

export interface JobInfo {
  id: string
  datasetId: string
  modelId: string
  modelName: string
  episodes: number[]
  steps: number
  seed: number
  state: JobState
  /** Episode being scored now (or last). */
  episode: number | null
  episodesDone: number
  framesDone: number
  framesTotal: number
  /** Frames taken from earlier (interrupted or finished) runs instead of being recomputed. */
  framesResumed: number
  framesPerSecond: number
  etaSeconds: number | null
  provider: ProviderInfo | null
  error: WireError | null
  /** Episodes that failed while the others went on (e.g. a corrupt video). */
  episodeErrors: { episode: number; error: WireError }[]
  /** Camera and state mapping the job scores with (set when it is accepted); its curves' cache key. */
  params: ScoreParams | null
  /** Non-blocking findings of the model/dataset check at start (fps, image size, state range...). */
  warnings: string[]
}

export interface CurveImportResult {
  curves: CurveInfo[]
  warnings: string[]
}

/** RECAP advantages of one curve (per frame) and the threshold that makes them binary. */
export interface AdvantageResult {
  curveId: string
  k: number
  /** Fraction of the pool's frames labelled positive (the highest advantages), in (0, 1]. */
  positiveFraction: number
  /** The pool: the frames of the curve's series in its task ('task') or in the whole dataset ('dataset'). */
  scope: ThresholdScope
  /** The pool's (1 − positiveFraction) quantile (app/advantages.ts). */
  threshold: number
  episodesInThreshold: number
  /** Frames in the pool and how many of them are at or above the threshold. */
  framesInThreshold: number
  positivesInThreshold: number
  advantages: Float32Array
  /** 1 where the advantage is at or above the threshold ("advantage positive"). */
  indicators: Uint8Array
}

/**
 * Uploads: a file the renderer holds (an import file picked in the UI) goes to the main side in chunks, never as one
 * message (MAX_RPC_MESSAGE_BYTES, app/rpc.ts). `upload.begin` names the file and its size, `upload.append` sends
 * the chunks in order, and a call that reads a file (annotations.importPreview / annotations.import) takes the
 * upload's id instead of its text. An upload belongs to the connection (or window) that began it and is freed when
 * that closes, after UPLOAD_IDLE_MS without use, by `upload.discard`, or once annotations.import has applied it.
 */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024
/** Largest file one upload may hold: the largest annotation file the app imports (the CLI reads files directly). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024
/** Uploads one connection may hold at once. */
export const MAX_UPLOADS_PER_CONNECTION = 4
/** Bytes all connections' uploads may hold together (reserved at upload.begin by the declared size). */
export const MAX_UPLOAD_BYTES_TOTAL = 4 * MAX_UPLOAD_BYTES
export const UPLOAD_IDLE_MS = 10 * 60 * 1000
/** Import text small enough to pass inline; anything larger goes by upload. */
export const MAX_INLINE_IMPORT_CHARS = 1024 * 1024

export interface UploadStarted {
  uploadId: string
  /** Bytes per upload.append. */
  chunkBytes: number
}

const datasetId = z.string().min(1).max(200)
const uploadId = z.string().min(1).max(100)
/** Where an import's text comes from: inline (small) or an upload; exactly one. */
const importSource = {
  text: z
    .string()
    .max(MAX_INLINE_IMPORT_CHARS, { error: `inline text is limited to ${MAX_INLINE_IMPORT_CHARS} characters; send larger files by upload` })
    .optional(),
  uploadId: uploadId.optional(),
}
const oneImportSource = (p: { text?: string | undefined; uploadId?: string | undefined }): boolean =>
  (p.text === undefined) !== (p.uploadId === undefined)
/** A window as a duration (scaled by the dataset's fps) or an exact frame count (app/timeSpan.ts). */
const timeSpan = z.union([
  z.object({ seconds: z.number().gt(0).max(MAX_SPAN_SECONDS) }).strict(),
  z.object({ frames: z.number().int().min(1).max(MAX_SPAN_FRAMES) }).strict(),
])
const metricOptions = {
  /** The ERS window; default the paper's 5 frames at 30 fps as a duration (DEFAULT_ERS_WINDOW). */
  window: timeSpan.optional(),
  variant: z.enum(['relative', 'absolute']),
}
/** The event detector's settings (app/detector.ts DetectorSettings); the CLI checks its options with it too. */
export const detectorSettingsSchema = z
  .object({
    smoothingSeconds: z.number().min(0).max(MAX_SMOOTHING_SECONDS),
    window: timeSpan,
    riseThreshold: z.number().min(0).max(10).nullable(),
    dropThreshold: z.number().min(0).max(10).nullable(),
    minGap: timeSpan,
    milestoneDelaySeconds: z.number().min(-MAX_DELAY_SECONDS).max(MAX_DELAY_SECONDS),
    errorDelaySeconds: z.number().min(-MAX_DELAY_SECONDS).max(MAX_DELAY_SECONDS),
  })
  .strict()
/** How far a suggestion may be from an annotated event and still count as found. */
export const matchToleranceSchema = timeSpan
/** What triage calls a drop: a fall of the curve's mean across `window` of at least `threshold` (app/triage.ts). */
export const triageOptionsSchema = {
  window: timeSpan,
  threshold: z.number().gt(0).max(10),
  tolerance: timeSpan.optional(),
}
const modelId = z.string().min(1).max(200)
const episodeIndex = z.number().int().nonnegative()
const featureKey = z.string().min(1).max(500)

export { exportFiltersSchema }
export type { ExportFilters }

export const EXPORT_FORMATS = ['json', 'csv', 'lerobot'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export const IMPORT_MODES = ['merge', 'replace'] as const
export type ImportMode = (typeof IMPORT_MODES)[number]

/** Everything annotated for one dataset, as the renderer loads it. */
export interface ProjectSnapshot {
  datasetId: string
  /** Where the annotations are stored (SQLite project file). */
  projectFile: string
  /** Set when the project was made for a dataset at another path (e.g. the folder was moved). */
  identityNote: string | null
  events: AnnotationEvent[]
  episodes: EpisodeLabels[]
  taxonomies: Taxonomy[]
}

export interface ImportSummary {
  eventsAdded: number
  eventsUpdated: number
  eventsRemoved: number
  episodesChanged: number
  taxonomiesAdded: number
  /**
   * How the file's dataset identity differs from this dataset's (compareDatasetIdentity): notes, and with `force`
   * the mismatches imported anyway. Empty when the file was made for this very dataset.
   */
  identityNotes?: string[]
}

export interface ExportedText {
  filename: string
  mimeType: string
  content: string
}

export const methodSchemas = {
  'app.info': z.object({}).strict(),
  'dataset.open': z.object({ path: z.string().min(1).max(4096) }).strict(),
  'dataset.get': z.object({ datasetId }).strict(),
  'dataset.list': z.object({}).strict(),
  /**
   * Decide on the summary's `reattach` offer: 'reattach' copies the offered project (named again, so only that file
   * can be taken) to this dataset's identity and keeps the original file; 'fresh' starts an empty project.
   */
  'dataset.reattachProject': z
    .object({ datasetId, action: z.enum(['reattach', 'fresh']), projectPath: z.string().min(1).max(4096).optional() })
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
  'annotations.load': z.object({ datasetId }).strict(),
  'annotations.apply': z
    .object({ datasetId, edits: z.array(editSchema).min(1).max(10_000), origin: z.string().max(100).optional() })
    .strict(),
  'annotations.export': z
    .object({ datasetId, format: z.enum(['json', 'csv']), filters: exportFiltersSchema })
    .strict(),
  'annotations.exportTo': z
    .object({ datasetId, format: z.enum(EXPORT_FORMATS), filters: exportFiltersSchema, outPath: z.string().min(1).max(4096) })
    .strict(),
  'annotations.importPreview': z
    .object({ datasetId, ...importSource, mode: z.enum(IMPORT_MODES), force: z.boolean().optional() })
    .strict()
    .refine(oneImportSource, { error: 'give either text or uploadId' }),
  'annotations.import': z
    .object({ datasetId, ...importSource, mode: z.enum(IMPORT_MODES), force: z.boolean().optional() })
    .strict()
    .refine(oneImportSource, { error: 'give either text or uploadId' }),
  'upload.begin': z.object({ name: z.string().max(1000), size: z.number().int().nonnegative() }).strict(),
  'upload.append': z
    .object({
      uploadId,
      offset: z.number().int().nonnegative(),
      data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'expected bytes (a Uint8Array)' }).refine((d) => d.byteLength <= UPLOAD_CHUNK_BYTES, {
        error: `a chunk holds at most ${UPLOAD_CHUNK_BYTES} bytes`,
      }),
    })
    .strict(),
  'upload.discard': z.object({ uploadId }).strict(),
  'models.list': z.object({}).strict(),
  'models.addFolder': z.object({ path: z.string().min(1).max(4096) }).strict(),
  'models.cameraMap': z.object({ datasetId, modelId }).strict(),
  'models.setCameraMap': z
    .object({ datasetId, modelId, slots: z.record(z.string().min(1).max(200), z.string().min(1).max(500).nullable()) })
    .strict(),
  /** Can this model score this dataset as mapped? (state dimension, cameras, image size, fps, state range). */
  'models.check': z.object({ datasetId, modelId }).strict(),
  /** Save the state map (app/modelMapping.ts grammar) for this dataset and the model's state layout; null clears it. */
  'models.setStateMap': z.object({ datasetId, modelId, map: z.string().max(20_000).nullable() }).strict(),
  'score.start': z
    .object({
      datasetId,
      modelId,
      /** Episode indices; an empty list means every present episode. */
      episodes: z.array(episodeIndex).max(1_000_000),
      steps: z.number().int().min(1).max(100).optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
      batch: z.number().int().min(1).max(256).optional(),
      provider: z.enum(PROVIDERS).optional(),
      threads: z.number().int().min(1).max(256).optional(),
      /** Model slot → dataset camera for this job, over the saved/guessed mapping (viva score --camera-map). */
      cameras: z.record(z.string().min(1).max(200), z.string().min(1).max(500)).optional(),
      /** State map for this job, over the saved one (viva score --state-map; app/modelMapping.ts grammar). */
      stateMap: z.string().min(1).max(20_000).optional(),
    })
    .strict(),
  'score.jobs': z.object({}).strict(),
  'score.pause': z.object({ jobId: z.string().min(1).max(100), paused: z.boolean() }).strict(),
  'score.cancel': z.object({ jobId: z.string().min(1).max(100) }).strict(),
  'curves.list': z.object({ datasetId, episode: episodeIndex }).strict(),
  'curves.get': z.object({ datasetId, curveId: z.string().min(1).max(300) }).strict(),
  'curves.import': z.object({ datasetId, path: z.string().min(1).max(4096) }).strict(),
  'curves.delete': z.object({ datasetId, curveId: z.string().min(1).max(300) }).strict(),
  'metrics.compute': z.object({ datasetId, ...metricOptions }).strict(),
  'metrics.export': z.object({ datasetId, ...metricOptions, format: z.enum(['csv', 'json']) }).strict(),
  'advantages.compute': z
    .object({
      datasetId,
      curveId: z.string().min(1).max(300),
      k: z.number().int().min(1).max(100_000).optional(),
      positiveFraction: z.number().gt(0).max(1).optional(),
      scope: z.enum(['task', 'dataset']).optional(),
    })
    .strict(),
  /** Calibrate the event detector for the series of `curveId` on the dataset's annotated episodes (cross-validated). */
  'detector.calibrate': z.object({ datasetId, curveId: z.string().min(1).max(300), tolerance: timeSpan.optional() }).strict(),
  /** Every drop of a series' curves over the dataset, ranked (error triage). */
  'triage.drops': z.object({ datasetId, series: z.string().min(1).max(2000).optional(), ...triageOptionsSchema }).strict(),
} as const satisfies Record<Method, z.ZodType>

export interface MethodResults {
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
  'annotations.load': ProjectSnapshot
  /** Resolves once every edit is committed to disk (all or nothing). */
  'annotations.apply': { applied: number }
  'annotations.export': ExportedText
  'annotations.exportTo': { paths: string[] }
  'annotations.importPreview': ImportSummary
  'annotations.import': ImportSummary
  'upload.begin': UploadStarted
  /** Bytes received so far, out of the size given to upload.begin. */
  'upload.append': { received: number; size: number }
  'upload.discard': { discarded: boolean }
  'models.list': ModelInfo[]
  'models.addFolder': ModelInfo
  'models.cameraMap': CameraMapping
  'models.setCameraMap': CameraMapping
  'models.check': ModelCheck
  'models.setStateMap': ModelCheck
  'score.start': JobInfo
  'score.jobs': JobInfo[]
  'score.pause': JobInfo
  'score.cancel': JobInfo
  'curves.list': CurveInfo[]
  'curves.get': CurveData
  'curves.import': CurveImportResult
  'curves.delete': { deleted: boolean }
  'metrics.compute': MetricsReport
  'metrics.export': ExportedText
  'advantages.compute': AdvantageResult
  /** The series' calibration (no per-episode suggestions: the renderer detects on the episode it shows). */
  'detector.calibrate': DetectorCalibrationResult
  'triage.drops': TriageReport
}

export type DetectorCalibrationResult = Omit<SeriesDetection, 'suggestions'>

export interface EventPayloads {
  'media.progress': MediaProgress
  /** The project changed (an import, another window): windows other than `origin` reload it. */
  'annotations.changed': { datasetId: string; origin: string | null }
  /** A scoring job changed state or made progress (at most a few times per second). */
  'score.progress': JobInfo
  /**
   * New values of a curve being computed. Lossy under backpressure: a renderer that sees a gap (start beyond what
   * it has) fetches the curve again with curves.get; the values are on disk already.
   */
  'score.chunk': CurveChunk
  /** Curves of a dataset were added, finished or deleted. */
  'curves.changed': { datasetId: string; episode: number | null }
  /** A command from the desktop app's menu or launcher (Electron only; browser mode never sends it). */
  'app.command': AppCommand
}

/**
 * What the desktop shell asks the renderer to do: undo/redo from the Edit menu; show a dataset (opened from the
 * File menu, a second launch or the restored last session) at an episode, or at its own choice when null; reload
 * the model list after a model folder was added from the menu.
 */
export type AppCommand =
  | { command: 'undo' }
  | { command: 'redo' }
  | { command: 'showDataset'; datasetId: string; episode: number | null }
  | { command: 'modelsChanged' }

// Compile-time proof that the name lists, results and payloads describe the same methods and events.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const _resultsMatchMethods: SameKeys<keyof MethodResults, Method> = true
export const _payloadsMatchEvents: SameKeys<keyof EventPayloads, EventName> = true

export type Params<M extends Method> = z.infer<(typeof methodSchemas)[M]>
export type Result<M extends Method> = MethodResults[M]


/** What the renderer sees of the main side, whatever the transport. */
export interface VivaClient {
  call<M extends Method>(method: M, params: Params<M>, signal?: AbortSignal): Promise<Result<M>>
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void
  mediaUrl(ref: MediaRef): string
}
