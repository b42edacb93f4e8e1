/** Contract, models domain: model packages, their camera/state mapping to a dataset, and scoring jobs. */
import { z } from 'zod'
import type { ScoreParams } from '../curves'
import type { WireError } from '../errors'
import { datasetId, episodeIndex, modelId } from './common'

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

const jobId = z.string().min(1).max(100)

export const modelMethodSchemas = {
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
  'score.pause': z.object({ jobId, paused: z.boolean() }).strict(),
  'score.cancel': z.object({ jobId }).strict(),
} as const

export interface ModelMethodResults {
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
}
