import type { JobInfo, ProviderRequest } from '../../app/contract'
import type { StateMapEntry } from '../../app/modelMapping'
import type { EpisodeData, EpisodeSource } from '../datasets/episodeSource'
import type { EventBus } from '../events'
import type { ModelRegistry } from '../inference/registry'
import type { CurveStore } from '../store/curveStore'
import type { MediaTools } from '../video/tools'

export interface ScoreRequest {
  datasetId: string
  modelId: string
  /** Empty = every present episode. */
  episodes: number[]
  steps?: number
  seed?: number
  batch?: number
  provider?: ProviderRequest
  threads?: number
  /** Model slot → dataset camera (key or short name) for this job, over the saved/guessed mapping. */
  cameras?: Record<string, string>
  /** State map for this job (app/modelMapping.ts grammar), over the saved one. */
  stateMap?: string
}


export interface ScoringDeps {
  source: (datasetId: string) => EpisodeSource
  models: ModelRegistry
  store: CurveStore
  events: EventBus
  tools: MediaTools
  /**
   * Throws when a camera's video cannot be this episode's (a v3.0 window outside its file: DatasetService
   * checkVideoWindow), so the episode fails instead of being scored on another episode's frames.
   */
  checkVideo?: (datasetId: string, data: EpisodeData, camera: string, signal: AbortSignal) => Promise<void>
  /** Decode with `-hwaccel auto` (default true). */
  hwaccel?: boolean
  /** Frames per stored/pushed chunk and the longest a computed value waits before it is pushed. */
  chunkFrames?: number
  chunkMs?: number
  featureCacheBytes?: number
  /**
   * Keep unfinished jobs in the value cache so a restarted app resumes them (`restore`). The app does; one-shot
   * callers such as `viva score` do not (rerunning the command resumes from the stored chunks anyway).
   */
  journal?: boolean
}


export interface Job {
  info: JobInfo
  request: ScoreRequest
  /** Dataset camera per model slot, the state feature and the state map, fixed when the job is accepted. */
  plan: { cameraKeys: string[]; stateKey: string | null; stateMap: StateMapEntry[] | null }
  abort: AbortController
  paused: boolean
  started: boolean
  resume: (() => void) | null
  done: Promise<void>
  settle: () => void
}

