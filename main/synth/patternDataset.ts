import { VivaError } from '../../app/errors'
import { ALOHA_STATE_NAMES, frameTimestamp, isPositiveInt, writeLeRobotDataset } from './lerobotWriter'
import type { LeRobotFormat, VideoCodec, WriterCamera, WriterQuirks } from './lerobotWriter'
import type { MediaTools } from '../video/tools'
import { createFramePainter } from './patternFrames'
import { mulberry32 } from '../../app/random'

/**
 * Writes synthetic LeRobot datasets whose every video frame carries its own frame and episode index (see
 * app/frameCode.ts), so tests and benchmarks can check frame-accurate playback end to end. Layouts follow LeRobot
 * v2.0 / v2.1 / v3.0 (written by lerobotWriter.ts); `quirks` reproduce irregularities met in real published
 * datasets, for reader tests.
 */

export type PatternFormat = LeRobotFormat
export type PatternCodec = VideoCodec
export type PatternCamera = WriterCamera
export type PatternQuirks = WriterQuirks

export interface PatternDatasetOptions {
  /** Output directory; created, and must be empty or absent. */
  out: string
  format?: PatternFormat
  /** Number of episodes of 60 frames; ignored when `lengths` is given. */
  episodes?: number
  /** Frames per episode. */
  lengths?: number[]
  fps?: number
  cameras?: PatternCamera[]
  codec?: PatternCodec
  /** Keyframe interval in frames. */
  gop?: number
  stateDim?: number
  /** Episode i gets task tasks[i % tasks.length]. */
  tasks?: string[]
  seed?: number
  quirks?: PatternQuirks
  /** Resolved once by the caller when it has them; otherwise looked up. */
  tools?: MediaTools
  signal?: AbortSignal
}

export interface PatternEpisode {
  index: number
  length: number
  /** False for quirks.missingEpisodes: in the metadata, not on disk. */
  written: boolean
}

export interface PatternDatasetResult {
  root: string
  format: PatternFormat
  fps: number
  cameras: string[]
  episodes: PatternEpisode[]
}

export const DEFAULT_PATTERN_CAMERAS: readonly PatternCamera[] = [
  { key: 'observation.images.cam_high', width: 640, height: 480 },
  { key: 'observation.images.cam_left_wrist', width: 640, height: 480 },
  { key: 'observation.images.cam_right_wrist', width: 640, height: 480 },
]

export const DEFAULT_PATTERN_TASKS: readonly string[] = [
  'Pick up the cube with the right arm and hand it to the left arm',
  'Insert the peg into the socket',
]

/** Joint names used for a state of this dimension: ALOHA's 14, then `joint_<i>`. */
export function patternStateNames(dim: number): string[] {
  return Array.from({ length: dim }, (_, i) => ALOHA_STATE_NAMES[i] ?? `joint_${i}`)
}

// ---------------------------------------------------------------------------------------------------------------
// State trajectories

interface JointParams {
  freq: number
  phase: number
  amp: number
  offset: number
}

function jointParams(seed: number, joint: number): JointParams {
  const rand = mulberry32((seed ^ Math.imul(joint + 1, 0x9e3779b1)) >>> 0)
  return { freq: 0.15 + 0.35 * rand(), phase: 2 * Math.PI * rand(), amp: 0.2 + 0.6 * rand(), offset: 0.5 * (rand() - 0.5) }
}

function evalJoint(p: JointParams, fps: number, episode: number, frame: number): number {
  return p.offset + p.amp * Math.sin(2 * Math.PI * p.freq * (frame / fps) + p.phase + 0.9 * episode)
}

/**
 * observation.state[joint] at this frame, before float32 rounding (compare against Math.fround of it). A smooth
 * sinusoid per joint whose frequency, phase, amplitude and offset come from the seed; episodes are phase-shifted.
 * action[joint] at frame f is the state at frame f + 1 (the commanded next pose).
 */
export function patternStateValue(seed: number, fps: number, episode: number, frame: number, joint: number): number {
  return evalJoint(jointParams(seed, joint), fps, episode, frame)
}

/** Timestamp (seconds) the table stores for a frame, including the timestamp quirks; float32-rounded on disk. */
export const patternTimestamp: (fps: number, frame: number, length: number, quirks?: PatternQuirks) => number = frameTimestamp

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', `writePatternDataset: ${message}`)
}

/**
 * Write a complete LeRobot dataset of synthetic episodes to `options.out`. Every video frame shows its frame index
 * within the episode and its episode index (app/frameCode.ts), state/action follow patternStateValue, and frame
 * counts of the written videos are checked with ffprobe. On any failure, or cancellation, the output directory
 * is removed again and a VivaError is thrown (INVALID_ARGUMENT, TOOL_MISSING, MEDIA_FAILED or CANCELLED).
 */
export async function writePatternDataset(options: PatternDatasetOptions): Promise<PatternDatasetResult> {
  const format = options.format ?? 'v2.1'
  const fps = options.fps ?? 30
  const cameras = (options.cameras ?? DEFAULT_PATTERN_CAMERAS).map((c) => ({ ...c }))
  const stateDim = options.stateDim ?? 14
  const tasks = options.tasks ?? [...DEFAULT_PATTERN_TASKS]
  const lengths = options.lengths ?? Array.from({ length: options.episodes ?? 3 }, () => 60)
  const seed = options.seed ?? 1
  if (!isPositiveInt(stateDim)) throw invalid(`stateDim must be a positive integer, got ${stateDim}`)
  // Below 64x48 the frame code's cells get too small to survive encoding.
  for (const c of cameras) if (c.width < 64 || c.height < 48) throw invalid(`camera ${c.key}: at least 64x48 is needed`)

  const params = Array.from({ length: stateDim }, (_, j) => jointParams(seed, j))
  const vector = (episode: number, frame: number, out: Float32Array): void => {
    params.forEach((p, j) => (out[j] = evalJoint(p, fps, episode, frame)))
  }
  const written = await writeLeRobotDataset({
    out: options.out,
    format,
    fps,
    codec: options.codec ?? 'h264',
    // LeRobot encodes with tiny GOPs (g=2) so training-time random access to frame t only decodes a frame or two
    // from the nearest keyframe. 10 keeps fixtures small while a player still seeks across keyframes constantly;
    // pass a bigger gop to test seeking into long GOPs as some third-party datasets have.
    gop: options.gop ?? 10,
    cameras,
    robotType: 'aloha',
    stateNames: patternStateNames(stateDim),
    tasks,
    episodes: lengths.map((length, i) => ({ length, task: tasks[i % Math.max(1, tasks.length)] ?? '' })),
    state: vector,
    // The commanded next pose, continuing past the episode's last frame.
    action: (episode, frame, out) => vector(episode, frame + 1, out),
    painter: (camera, cameraIndex) => {
      const painter = createFramePainter(camera.width, camera.height, cameraIndex)
      return (out, episode, frame) => painter.paint(out, frame, episode)
    },
    ...(options.quirks ? { quirks: options.quirks } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    caller: 'writePatternDataset',
  })
  return { root: written.root, format, fps, cameras: cameras.map((c) => c.key), episodes: written.episodes }
}
