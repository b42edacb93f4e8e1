import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { AnnotationEvent, ProjectState, Taxonomy } from '../../app/annotations'
import { emptyProject } from '../../app/annotationEdits'
import { buildExportDocument, serializeExport } from '../../app/exchange'
import { VivaError } from '../../app/errors'
import type { MediaTools } from '../video/tools'
import { isPositiveInt, writeLeRobotDataset } from './lerobotWriter'
import type { LeRobotFormat, WriterQuirks } from './lerobotWriter'
import { createSceneRenderer, SCENE_CAMERAS } from './sceneRenderer'
import { ERROR_TYPES, MILESTONES, TASK } from './sceneModel'
import { simulateEpisode, STATE_NAMES } from './taskScene'
import type { SceneEpisode } from './sceneModel'

/**
 * `viva generate`: a LeRobot dataset of the simulated bimanual task (taskScene.ts, drawn by sceneRenderer.ts),
 * with its exact ground truth (milestones, errors, outcomes) in the canonical annotation export format at
 * <out>/meta/viva_ground_truth.json, ready to import or to score a value model against.
 */

export const GROUND_TRUTH_FILE = 'meta/viva_ground_truth.json'
const ANNOTATOR = 'generator'
/** Fixed, so the same options write byte-identical ground truth. */
const GENERATED_AT = '2026-01-01T00:00:00.000Z'

export interface TaskDatasetOptions {
  out: string
  episodes: number
  seed: number
  format?: 'v2.1' | 'v3.0'
  codec?: 'h264' | 'av1'
  fps?: number
  width?: number
  height?: number
  /** Probability in [0, 1] that an episode fails; 0.3 by default. */
  failureRate?: number
  /** Irregularities of real datasets (see WriterQuirks), e.g. `stateScale` for a state in other units. */
  quirks?: WriterQuirks
  tools?: MediaTools
  signal?: AbortSignal
}

export interface GeneratedEpisode {
  index: number
  length: number
  outcome: 'success' | 'failure'
  milestones: { label: string; frame: number }[]
  error: { label: string; frame: number } | null
}

export interface TaskDatasetResult {
  root: string
  episodes: GeneratedEpisode[]
  groundTruthFile: string
}

/** The project a perfect annotator would produce for these episodes. */
export function groundTruthProject(episodes: readonly SceneEpisode[]): ProjectState {
  const state = emptyProject()
  const taxonomy: Taxonomy = {
    task: TASK,
    version: 1,
    milestones: [...MILESTONES],
    errorTypes: [...ERROR_TYPES],
    preset: null,
    createdAt: GENERATED_AT,
  }
  state.taxonomies.set(TASK, [taxonomy])
  for (const ep of episodes) {
    const marks = [
      ...ep.milestones.map((m) => ({ ...m, kind: 'milestone' as const })),
      ...(ep.error ? [{ ...ep.error, kind: 'error' as const }] : []),
    ]
    for (const m of marks) {
      const event: AnnotationEvent = {
        id: `gt-${ep.index}-${m.kind}-${m.frame}-${m.label.toLowerCase().replaceAll(' ', '-')}`,
        episode: ep.index,
        frame: m.frame,
        kind: m.kind,
        label: m.label,
        note: '',
        annotator: ANNOTATOR,
        taxonomyVersion: 1,
        createdAt: GENERATED_AT,
        updatedAt: GENERATED_AT,
      }
      state.events.set(event.id, event)
    }
    state.episodes.set(ep.index, { episode: ep.index, outcome: ep.outcome, status: 'done', note: '', updatedAt: GENERATED_AT })
  }
  return state
}

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', `generateTaskDataset: ${message}`)
}

export async function generateTaskDataset(options: TaskDatasetOptions): Promise<TaskDatasetResult> {
  const format: LeRobotFormat = options.format ?? 'v2.1'
  const fps = options.fps ?? 30
  const width = options.width ?? 640
  const height = options.height ?? 480
  const failureRate = options.failureRate ?? 0.3
  if (!isPositiveInt(options.episodes)) throw invalid(`episodes must be a positive integer, got ${options.episodes}`)
  if (!Number.isSafeInteger(options.seed)) throw invalid(`seed must be an integer, got ${options.seed}`)
  if (!(failureRate >= 0 && failureRate <= 1)) throw invalid(`failureRate must be in [0, 1], got ${failureRate}`)
  // Below 10 fps a stage lasts a frame or two: milestones collapse onto one another, and some scripted failures
  // (a regression, a slip) fall between two simulated frames and never happen (seed 7 at 5 or 6 fps, episode 268).
  if (!isPositiveInt(fps) || fps < 10) throw invalid(`fps must be an integer ≥ 10, got ${fps}`)

  const scenes = Array.from({ length: options.episodes }, (_, i) => simulateEpisode({ seed: options.seed, fps, failureRate }, i))
  const result = await writeLeRobotDataset({
    out: options.out,
    format,
    fps,
    codec: options.codec ?? 'h264',
    // LeRobot's own encoder settings use tiny GOPs; 10 keeps files small while seeking stays cheap.
    gop: 10,
    cameras: SCENE_CAMERAS.map((name) => ({ key: `observation.images.${name}`, width, height })),
    robotType: 'aloha',
    stateNames: STATE_NAMES,
    tasks: [TASK],
    episodes: scenes.map((s) => ({ length: s.length, task: TASK })),
    state: (episode, frame, out) => out.set(scenes[episode]?.frames[frame]?.joints ?? []),
    painter: (_camera, cameraIndex) => {
      const renderer = createSceneRenderer(width, height, SCENE_CAMERAS[cameraIndex] ?? 'cam_high')
      return (out, episode, frame) => {
        const scene = scenes[episode]
        if (scene) renderer.paint(out, scene, frame)
      }
    },
    ...(options.quirks ? { quirks: options.quirks } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    caller: 'generateTaskDataset',
  })

  const doc = buildExportDocument(
    groundTruthProject(scenes),
    {
      name: path.basename(result.root),
      root: result.root,
      format,
      fps,
      episodes: scenes.map((s) => ({ index: s.index, length: s.length, tasks: [TASK] })),
    },
    {},
    GENERATED_AT,
  )
  const groundTruthFile = path.join(result.root, GROUND_TRUTH_FILE)
  await writeFile(groundTruthFile, serializeExport(doc))
  return {
    root: result.root,
    groundTruthFile,
    episodes: scenes.map((s) => ({
      index: s.index,
      length: s.length,
      outcome: s.outcome,
      milestones: s.milestones.map((m) => ({ ...m })),
      error: s.error ? { ...s.error } : null,
    })),
  }
}
