import type { JobInfo } from '../../../../app/contract'
import { jobActive } from './state'

/**
 * The jobs panel as groups, one per model: what needs the user (queued, running, paused, failed, or finished with
 * failed episodes) is shown, what just finished well (done, cancelled) waits behind an "N finished" expander, so a
 * day of scoring does not bury the running job under dozens of finished rows.
 */
export interface JobGroup {
  modelId: string
  modelName: string
  /** Newest first. */
  shown: JobInfo[]
  /** Done or cancelled with no episode errors, newest first. */
  finished: JobInfo[]
  /** Jobs of the group still queued, running or paused. */
  active: number
}

function needsAttention(job: JobInfo): boolean {
  return jobActive(job) || job.state === 'failed' || job.episodeErrors.length > 0
}

/** `jobs` in the order the main side made them; groups come newest job first, so a group stays where it was. */
export function groupJobs(jobs: readonly JobInfo[]): JobGroup[] {
  const byModel = new Map<string, JobGroup>()
  for (let i = jobs.length - 1; i >= 0; i--) {
    const job = jobs[i] as JobInfo
    let group = byModel.get(job.modelId)
    if (!group) {
      group = { modelId: job.modelId, modelName: job.modelName, shown: [], finished: [], active: 0 }
      byModel.set(job.modelId, group)
    }
    if (needsAttention(job)) group.shown.push(job)
    else group.finished.push(job)
    if (jobActive(job)) group.active++
  }
  return [...byModel.values()]
}
