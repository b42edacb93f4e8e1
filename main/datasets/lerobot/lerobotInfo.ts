import { z } from 'zod'
import type { CameraInfo, DatasetWarning, FormatVersion, NumericFeatureInfo, StateChoice, StateInfo } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { TemplateError, formatPathTemplate } from './pathTemplate'
import { chooseState, MAX_VECTOR_DIM, numericFeature, STANDARD_STATE_KEY } from './vectorFeatures'

export { fitNames, flattenNames } from './vectorFeatures'

export const INFO_FILE = 'meta/info.json'
export const STATE_KEY = STANDARD_STATE_KEY

export const DEFAULT_PATHS: Record<'v2' | 'v3', { data: string; video: string }> = {
  v2: {
    data: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet',
    video: 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4',
  },
  v3: {
    data: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
    video: 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4',
  },
}

const DEFAULT_CHUNKS_SIZE = 1000

/**
 * Frame rates above this are not a camera or control rate but a typo or a unit mistake (Hz written as kHz, a period
 * written for a rate). Seek targets are half a frame apart (episodeFrameTimes), which at higher rates falls below the
 * timestamp resolution of common containers, so such a dataset could not play frame-accurately anyway.
 */
export const MAX_FPS = 10_000

/**
 * Metadata that says an episode has more frames than this is wrong, not long: 10 million frames is over three days at
 * 30 fps. Lengths size typed arrays (curves, frame maps) downstream, so an absurd one must not get through as is.
 */
export const MAX_EPISODE_FRAMES = 10_000_000

/** A state vector beyond this many values is a malformed shape, not a robot (the model manifest caps its own at 4096). */
export const MAX_STATE_DIM = MAX_VECTOR_DIM

/** Whether a length from metadata can be used as a frame count. */
export function isFrameCount(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_EPISODE_FRAMES
}

/** What a dataset's meta/info.json says, normalised, plus what was odd about it. */
export interface LeRobotInfo {
  format: FormatVersion
  /** codebase_version exactly as written, or null when absent. */
  declaredVersion: string | null
  fps: number
  robotType: string | null
  chunksSize: number
  dataPath: string
  /** Null when info.json has no video template and no camera needs one. */
  videoPath: string | null
  /** Every camera feature info.json declares, whether or not its files exist. */
  cameras: CameraInfo[]
  /** dim is 0 when info.json gives neither a shape nor names; the table then decides. */
  state: StateInfo | null
  /** Every numeric vector feature (state, action, effort...), in info.json's order. */
  features: NumericFeatureInfo[]
  /** How `state` was picked among `features` (no saved choice at parse time). */
  stateChoice: StateChoice
  totalEpisodes: number | null
  totalFrames: number | null
  warnings: DatasetWarning[]
}

/** Where one episode lives on disk, as the metadata describes it. Paths are relative to the dataset root. */
export interface EpisodeEntry {
  index: number
  tasks: string[]
  /** Frame count from the metadata. */
  length: number
  data: {
    relPath: string
    /** Row range inside the file, for files that hold several episodes (v3); null means the whole file. */
    rowStart: number | null
    rowEnd: number | null
    /** Global `index` of the episode's first and one-past-last frame, when the metadata gives them (v3). */
    globalFrom: number | null
    globalTo: number | null
  }
  videos: EpisodeVideoEntry[]
  warnings: DatasetWarning[]
}

/** The episodes of a dataset as its metadata lists them, before checking what exists on disk. */
export interface Listing {
  episodes: EpisodeEntry[]
  tasks: string[]
  warnings: DatasetWarning[]
  /** The metadata file (or folder) that listed the episodes, for messages; null when derived from disk. */
  listedBy: string | null
}

export interface EpisodeVideoEntry {
  camera: string
  relPath: string
  fromTimestamp: number
  toTimestamp: number | null
}

/** Numbers as JSON numbers or numeric strings: hand-edited info.json files write both. */
const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/)
    .transform(Number),
])

const InfoSchema = z.looseObject({
  codebase_version: z.string().nullish(),
  robot_type: z.union([z.string(), z.number()]).transform(String).nullish(),
  fps: numberLike.pipe(z.number().positive().max(MAX_FPS)),
  chunks_size: numberLike.pipe(z.number().int().positive()).nullish(),
  data_path: z.string().min(1).nullish(),
  video_path: z.string().nullish(),
  total_episodes: numberLike.pipe(z.number().int().nonnegative()).nullish(),
  total_frames: numberLike.pipe(z.number().int().nonnegative()).nullish(),
  features: z.record(z.string(), z.unknown()),
})

const MetaRecord = z.record(z.string(), z.unknown())

const FeatureSchema = z.looseObject({
  dtype: z.string(),
  shape: z.array(numberLike).nullish(),
  names: z.unknown().optional(),
  info: MetaRecord.nullish(),
  video_info: MetaRecord.nullish(),
})
type Feature = z.infer<typeof FeatureSchema>

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  let text: string
  try {
    text = JSON.stringify(value)
  } catch {
    // Nesting deeper than the stack (JSON.parse takes it, JSON.stringify does not): still a message, not a RangeError.
    return Array.isArray(value) ? 'a deeply nested list' : 'a deeply nested object'
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur = raw
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[key]
  }
  return cur
}

function invalidField(path: readonly PropertyKey[], expected: string, raw: unknown): VivaError {
  const field = path.map(String).join('.') || '(top level)'
  return new VivaError(
    'DATASET_INVALID',
    `${INFO_FILE}: field "${field}" ${expected} (got ${describe(valueAt(raw, path))})`,
    INFO_FILE,
  )
}

const EXPECTED: Record<string, string> = {
  fps: `must be a positive number of frames per second, at most ${MAX_FPS}`,
  chunks_size: 'must be a positive integer',
  features: 'must be an object mapping feature names to their description',
  data_path: 'must be a path template string',
  video_path: 'must be a path template string',
  codebase_version: 'must be a string such as "v2.1"',
  robot_type: 'must be a string',
  total_episodes: 'must be a non-negative integer',
  total_frames: 'must be a non-negative integer',
}

function resolveFormat(
  declared: string | null,
  layoutHint: 'v2' | 'v3' | null,
  warnings: DatasetWarning[],
): FormatVersion {
  const m = declared === null ? null : /^v?(\d+)(?:\.(\d+))?/i.exec(declared.trim())
  const major = m ? Number(m[1]) : null
  const minor = m?.[2] === undefined ? 0 : Number(m[2])
  if (major === 2 && minor === 0) return 'v2.0'
  if (major === 2 && minor === 1) return 'v2.1'
  if (major === 3 && minor === 0) return 'v3.0'
  const guess: FormatVersion =
    major !== null && major >= 3 ? 'v3.0' : major === 2 ? 'v2.1' : layoutHint === 'v3' ? 'v3.0' : 'v2.1'
  warnings.push({
    level: 'warning',
    code: 'FORMAT_UNKNOWN',
    message:
      declared === null
        ? `${INFO_FILE} has no codebase_version; reading it as ${guess} from its layout`
        : `codebase_version "${declared}" is not one ViVa knows (v2.0, v2.1, v3.0); reading it as ${guess}, best effort`,
    file: INFO_FILE,
  })
  return guess
}

function metaNumber(meta: Record<string, unknown>, ...keys: string[]): number | null {
  for (const key of keys) {
    const parsed = numberLike.safeParse(meta[key])
    if (parsed.success && Number.isFinite(parsed.data) && parsed.data > 0) return parsed.data
  }
  return null
}

function metaString(meta: Record<string, unknown>, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = meta[key]
    if (typeof value === 'string' && value.trim() !== '') return value.trim()
  }
  return null
}

/** Height/width from `shape`, using `names` when they say which axis is which (HWC is the LeRobot default). */
function shapeResolution(feature: Feature): { width: number | null; height: number | null } {
  const shape = feature.shape ?? []
  // Only string entries can name an axis; String() of a nested list recurses and can overflow the stack.
  const names = Array.isArray(feature.names) ? feature.names.map((n) => (typeof n === 'string' ? n.toLowerCase() : '')) : []
  const at = (axis: string): number | null => {
    const i = names.indexOf(axis)
    return i >= 0 ? (shape[i] ?? null) : null
  }
  const h = at('height')
  const w = at('width')
  if (h !== null && w !== null) return { width: w, height: h }
  if (shape.length === 3) {
    const [a = 0, b = 0, c = 0] = shape
    // Channels-first when the leading axis looks like a channel count and the trailing one does not.
    if (a <= 4 && c > 4) return { width: c, height: b }
    return { width: b, height: a }
  }
  return { width: null, height: null }
}

function cameraInfo(key: string, feature: Feature, fps: number): CameraInfo {
  // LeRobot writes `info`; GR00T-flavoured datasets write `video_info`. Both use `video.*` keys.
  const meta = { ...(feature.video_info ?? {}), ...(feature.info ?? {}) }
  const fromShape = shapeResolution(feature)
  return {
    key,
    dtype: feature.dtype === 'image' ? 'image' : 'video',
    declaredCodec: metaString(meta, 'video.codec', 'codec'),
    width: metaNumber(meta, 'video.width', 'width') ?? fromShape.width,
    height: metaNumber(meta, 'video.height', 'height') ?? fromShape.height,
    fps: metaNumber(meta, 'video.fps', 'fps') ?? fps,
  }
}

/**
 * Whether a path made from metadata stays inside the dataset folder. Readers join these paths onto the root, so
 * `..` or an absolute path would make the app read (and probe, transcode, serve) files outside the dataset.
 */
export function staysInside(relPath: string): boolean {
  if (relPath.includes('\0') || relPath.startsWith('/') || relPath.startsWith('\\') || /^[a-zA-Z]:/.test(relPath)) return false
  return !relPath.split(/[\\/]+/).some((part) => part === '..')
}

function checkTemplate(field: string, template: string, values: Record<string, string | number>): void {
  let resolved: string
  try {
    resolved = formatPathTemplate(template, values)
  } catch (err) {
    if (err instanceof TemplateError) {
      throw new VivaError('DATASET_INVALID', `${INFO_FILE}: field "${field}" ${err.message} in "${template}"`, INFO_FILE)
    }
    throw err
  }
  if (!staysInside(resolved)) {
    throw new VivaError(
      'DATASET_INVALID',
      `${INFO_FILE}: field "${field}" must be a relative path inside the dataset folder (got "${template}")`,
      INFO_FILE,
    )
  }
}

/** A camera key becomes a folder name through {video_key}: it must be one path component. */
function cameraKeyProblem(key: string): string | null {
  if (key === '' || key === '.' || key === '..') return 'is not a usable folder name'
  if (/[\\/\0]/.test(key)) return 'contains a path separator or a NUL character'
  // 255 bytes is the file name limit of common file systems; a longer key could never name its video folder.
  if (Buffer.byteLength(key, 'utf8') > 255) return 'is longer than a file name may be (255 bytes)'
  return null
}

/** Values every path template may use; v2 templates in the wild say `{chunk_index}` for `{episode_chunk}`. */
export function templateValues(
  fields: { chunk: number; file?: number; episode?: number; videoKey?: string },
): Record<string, string | number> {
  return {
    episode_chunk: fields.chunk,
    chunk_index: fields.chunk,
    file_index: fields.file ?? 0,
    episode_index: fields.episode ?? 0,
    video_key: fields.videoKey ?? '',
  }
}

/**
 * Parse meta/info.json text. Throws DATASET_INVALID naming the field for what cannot be read around (bad JSON,
 * fps, features); everything else is coerced or defaulted and recorded as a warning.
 * `layoutHint` says which layout the files on disk look like, for datasets that omit codebase_version.
 */
export function parseInfo(text: string, layoutHint: 'v2' | 'v3' | null): LeRobotInfo {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new VivaError('DATASET_INVALID', `${INFO_FILE} is not valid JSON (${why})`, INFO_FILE)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new VivaError('DATASET_INVALID', `${INFO_FILE} must hold a JSON object (got ${describe(raw)})`, INFO_FILE)
  }
  const parsed = InfoSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path ?? []
    throw invalidField(path, EXPECTED[String(path[0])] ?? issue?.message ?? 'is invalid', raw)
  }
  const info = parsed.data
  const warnings: DatasetWarning[] = []
  const declaredVersion = info.codebase_version ?? null
  const format = resolveFormat(declaredVersion, layoutHint, warnings)
  const layout = format === 'v3.0' ? 'v3' : 'v2'

  const cameras: CameraInfo[] = []
  const features: NumericFeatureInfo[] = []
  const featureProblems = new Map<string, DatasetWarning[]>()
  for (const [key, value] of Object.entries(info.features)) {
    const feature = FeatureSchema.safeParse(value)
    if (!feature.success) {
      warnings.push({
        level: 'warning',
        code: 'FEATURE_INVALID',
        message: `feature "${key}" in ${INFO_FILE} is malformed (${feature.error.issues[0]?.message ?? 'invalid'}); ignored`,
        file: INFO_FILE,
      })
      continue
    }
    if (feature.data.dtype === 'video' || feature.data.dtype === 'image') {
      const problem = cameraKeyProblem(key)
      if (problem !== null) {
        warnings.push({
          level: 'warning',
          code: 'FEATURE_INVALID',
          message: `camera feature ${describe(key)} in ${INFO_FILE} ${problem}; ignored`,
          file: INFO_FILE,
        })
        continue
      }
      cameras.push(cameraInfo(key, feature.data, info.fps))
      continue
    }
    const numeric = numericFeature(key, feature.data, INFO_FILE)
    if (numeric) {
      features.push(numeric.info)
      featureProblems.set(key, numeric.problems)
    }
  }
  const { state, choice: stateChoice } = chooseState(features, null)
  // Shape and name problems are reported for the state, the vector models read; other features just plot.
  if (state) warnings.push(...(featureProblems.get(state.key) ?? []))
  if (stateChoice.by === 'name') {
    warnings.push({ level: 'info', code: 'STATE_KEY_GUESSED', message: `${INFO_FILE}: ${stateChoice.reason}; it is used as the state`, file: INFO_FILE })
  } else if (stateChoice.by === 'none') {
    warnings.push({
      level: 'info',
      code: 'STATE_MISSING',
      message: `${INFO_FILE}: ${stateChoice.reason}${features.length > 0 ? '; the numeric features still plot' : '; episodes have no state plot'}`,
      file: INFO_FILE,
    })
  }

  const defaults = DEFAULT_PATHS[layout]
  let dataPath = info.data_path ?? null
  if (dataPath === null) {
    dataPath = defaults.data
    warnings.push({
      level: 'warning',
      code: 'PATH_TEMPLATE_MISSING',
      message: `${INFO_FILE} has no data_path; assuming "${dataPath}"`,
      file: INFO_FILE,
    })
  }
  const hasVideo = cameras.some((c) => c.dtype === 'video')
  let videoPath = info.video_path ?? null
  if (videoPath === null && hasVideo) {
    videoPath = defaults.video
    warnings.push({
      level: 'warning',
      code: 'PATH_TEMPLATE_MISSING',
      message: `${INFO_FILE} declares video features but no video_path; assuming "${videoPath}"`,
      file: INFO_FILE,
    })
  }
  const probe = templateValues({ chunk: 0, file: 0, episode: 0, videoKey: 'camera' })
  checkTemplate('data_path', dataPath, probe)
  if (videoPath !== null) checkTemplate('video_path', videoPath, probe)

  return {
    format,
    declaredVersion,
    fps: info.fps,
    robotType: info.robot_type ?? null,
    chunksSize: info.chunks_size ?? DEFAULT_CHUNKS_SIZE,
    dataPath,
    videoPath,
    cameras,
    state,
    features,
    stateChoice,
    totalEpisodes: info.total_episodes ?? null,
    totalFrames: info.total_frames ?? null,
    warnings,
  }
}
