/**
 * Scoring jobs: starting one for the selected model, pausing and cancelling, and their progress (score.progress).
 * Reads the models (which one, with which settings), the datasets and the player (the open episode).
 */
import type { JobInfo, JobState } from '../../../../app/contract'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import { selectedModel, type ModelsSlice } from '../models/state'
import type { PlayerSlice } from '../player/state'

export type ScoreScope = 'episode' | 'all' | number[]

export interface JobsSlice {
  /** In the order the main side made them. */
  jobs: JobInfo[]
  /** Why the last Start was refused (the main side's message), shown under the buttons until the next try. */
  scoreRefused: WireError | null
  loadJobs(): Promise<void>
  startScore(scope: ScoreScope): Promise<JobInfo | null>
  pauseJob(jobId: string, paused: boolean): Promise<void>
  cancelJob(jobId: string): Promise<void>
  /** From score.progress. */
  applyJob(job: JobInfo): void
  /** The refusal no longer holds (another model, another state map). */
  clearScoreRefused(): void
}

export interface JobsHooks {
  /** Curves of these episodes of the dataset (none listed: all) may have new values: show them. */
  curvesMayHaveChanged(datasetId: string, episodes: readonly number[]): void
}

const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'paused']
export function jobActive(job: JobInfo): boolean {
  return ACTIVE_STATES.includes(job.state)
}

export function createJobsSlice(
  { client, set, get }: SliceContext<JobsSlice, ModelsSlice & PlayerSlice & DatasetsSlice & ErrorsSlice>,
  hooks: JobsHooks,
): JobsSlice {
  const upsertJob = (job: JobInfo): void => {
    set((s) => {
      const at = s.jobs.findIndex((j) => j.id === job.id)
      if (at < 0) return { jobs: [...s.jobs, job] }
      const jobs = s.jobs.slice()
      jobs[at] = job
      return { jobs }
    })
  }

  return {
    jobs: [],
    scoreRefused: null,

    async loadJobs() {
      try {
        const jobs = await client.call('score.jobs', {})
        set((s) => {
          // Keep jobs only seen through events so far (made before this list was read elsewhere).
          const known = new Set(jobs.map((j) => j.id))
          return { jobs: [...s.jobs.filter((j) => !known.has(j.id)), ...jobs] }
        })
      } catch (err) {
        get().pushError(err)
      }
    },

    async startScore(scope) {
      const s = get()
      const datasetId = s.currentDatasetId
      const model = selectedModel(s)
      if (datasetId === null || !model) return null
      let episodes: number[]
      if (scope === 'episode') {
        const ep = s.episode
        if (!ep || ep.datasetId !== datasetId) return null
        episodes = [ep.index]
      } else if (scope === 'all') episodes = []
      else episodes = scope
      try {
        const job = await client.call('score.start', {
          datasetId,
          modelId: model.id,
          episodes,
          provider: s.provider,
          ...(s.threads !== null ? { threads: s.threads } : {}),
          ...(model.kind === 'viva-flow' ? { steps: s.scoreSteps[model.id] ?? model.defaultSteps } : {}),
        })
        set({ scoreRefused: null })
        upsertJob(job)
        // Results of an earlier run may be reused at once: show what is there.
        hooks.curvesMayHaveChanged(datasetId, episodes)
        return job
      } catch (err) {
        // Refused (e.g. the model does not fit the dataset): the panel says why beside the buttons, not only a toast.
        set({ scoreRefused: toWireError(err) })
        get().pushError(err)
        return null
      }
    },

    async pauseJob(jobId, paused) {
      try {
        upsertJob(await client.call('score.pause', { jobId, paused }))
      } catch (err) {
        get().pushError(err)
      }
    },

    async cancelJob(jobId) {
      try {
        upsertJob(await client.call('score.cancel', { jobId }))
      } catch (err) {
        get().pushError(err)
      }
    },

    applyJob(job) {
      const before = get().jobs.find((j) => j.id === job.id)
      upsertJob(job)
      // A job just ended: its last chunks may have been dropped, and the list says whether curves are complete.
      if (before && jobActive(before) && !jobActive(job)) hooks.curvesMayHaveChanged(job.datasetId, job.episodes)
    },

    clearScoreRefused() {
      if (get().scoreRefused !== null) set({ scoreRefused: null })
    },
  }
}
