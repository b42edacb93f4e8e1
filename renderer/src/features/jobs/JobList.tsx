/** Scoring jobs with their progress, pause and cancel, grouped by model with the finished ones collapsed. */
import type { ReactNode } from 'react'
import type { JobInfo } from '../../../../app/contract'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { groupJobs, type JobGroup } from './grouping'
import { jobActive } from './state'
import './jobs.css'

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

function JobRow(props: { job: JobInfo; datasetName: string | null }): ReactNode {
  const { job } = props
  const pauseJob = useApp((s) => s.pauseJob)
  const cancelJob = useApp((s) => s.cancelJob)
  const active = jobActive(job)
  const fraction = job.framesTotal > 0 ? job.framesDone / job.framesTotal : 0
  const scope = job.episodes.length === 1 ? `episode ${job.episodes[0]}` : `${job.episodes.length === 0 ? 'all' : job.episodes.length} episodes`
  return (
    <li className={`job-row job-${job.state}`} data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <div className="row">
        <span className="model-name">{job.modelName}</span>
        <span className={`tag job-state job-state-${job.state}`}>{job.state}</span>
        <span className="muted small grow">
          {scope}
          {props.datasetName ? ` · ${props.datasetName}` : ''}
          {job.episode !== null && job.episodes.length !== 1 ? ` · now ${job.episode} (${job.episodesDone}/${job.episodes.length || '…'} done)` : ''}
        </span>
      </div>
      <div className="row">
        <progress max={1} value={fraction} aria-label="Job progress" />
        <span className="job-progress" data-testid="job-progress">
          {job.framesDone}/{job.framesTotal}
        </span>
      </div>
      <div className="row muted small">
        <span>{job.framesPerSecond.toFixed(1)} frames/s</span>
        <span>ETA {active ? formatEta(job.etaSeconds) : '—'}</span>
        {job.framesResumed > 0 ? <span>{job.framesResumed} reused</span> : null}
        <span className="grow">
          {job.provider ? `on ${job.provider.active}${job.provider.threads > 0 ? ` · ${job.provider.threads} thread${job.provider.threads === 1 ? '' : 's'}` : ''}` : ''}
        </span>
        <span>
          {job.steps > 0 ? `${job.steps} steps · ` : ''}seed {job.seed}
        </span>
      </div>
      {job.provider?.fallbackReason ? (
        <p className="warning-inline" data-testid="job-fallback">
          Asked for {job.provider.requested}, running on {job.provider.active}: {job.provider.fallbackReason}
        </p>
      ) : null}
      {job.warnings.length > 0 ? (
        <ul className="warning-inline job-warnings" data-testid="job-warnings">
          {job.warnings.map((w) => (
            <li key={w} className="small">
              {w}
            </li>
          ))}
        </ul>
      ) : null}
      {job.error ? (
        <p className="form-error small" data-testid="job-error">
          {job.error.message}
        </p>
      ) : null}
      {job.episodeErrors.length > 0 ? (
        <details className="episode-errors">
          <summary className="form-error small">
            {job.episodeErrors.length} episode{job.episodeErrors.length === 1 ? '' : 's'} failed
          </summary>
          <ul>
            {job.episodeErrors.map((e) => (
              <li key={e.episode} className="small">
                episode {e.episode}: {e.error.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {active ? (
        <div className="row job-buttons">
          <button
            type="button"
            data-testid="job-pause"
            onMouseDown={keepFocus}
            onClick={() => void pauseJob(job.id, job.state !== 'paused')}
          >
            {job.state === 'paused' ? 'Resume' : 'Pause'}
          </button>
          <button type="button" data-testid="job-cancel" onMouseDown={keepFocus} onClick={() => void cancelJob(job.id)}>
            Cancel
          </button>
        </div>
      ) : null}
    </li>
  )
}

function JobGroupView(props: { group: JobGroup; datasetName: (job: JobInfo) => string | null }): ReactNode {
  const { group } = props
  const rows = (jobs: JobInfo[]): ReactNode =>
    jobs.map((job) => <JobRow key={job.id} job={job} datasetName={props.datasetName(job)} />)
  const total = group.shown.length + group.finished.length
  return (
    <section className="job-group" data-testid="job-group" data-model-id={group.modelId} aria-label={`Jobs of ${group.modelName}`}>
      <h4 className="job-group-head">
        <span className="model-name">{group.modelName}</span>
        <span className="muted small">
          {total} job{total === 1 ? '' : 's'}
          {group.active > 0 ? ` · ${group.active} active` : ''}
        </span>
      </h4>
      {group.shown.length > 0 ? <ol className="job-list">{rows(group.shown)}</ol> : null}
      {group.finished.length > 0 ? (
        <details className="job-finished" data-testid="job-finished">
          <summary className="muted small" onMouseDown={keepFocus}>
            {group.finished.length} finished
          </summary>
          <ol className="job-list">{rows(group.finished)}</ol>
        </details>
      ) : null}
    </section>
  )
}

export function JobList(): ReactNode {
  const jobs = useApp((s) => s.jobs)
  const datasets = useApp((s) => s.datasets)
  const currentId = useApp((s) => s.currentDatasetId)
  if (jobs.length === 0) return <p className="muted small">No scoring jobs yet.</p>
  const datasetName = (job: JobInfo): string | null =>
    job.datasetId === currentId ? null : (datasets.find((d) => d.id === job.datasetId)?.name ?? job.datasetId)
  return (
    <div className="job-groups" role="group" aria-label="Scoring jobs">
      {groupJobs(jobs).map((group) => (
        <JobGroupView key={group.modelId} group={group} datasetName={datasetName} />
      ))}
    </div>
  )
}
