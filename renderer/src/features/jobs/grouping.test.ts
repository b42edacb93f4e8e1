import { describe, expect, it } from 'vitest'
import type { JobInfo } from '../../../../app/contract'
import { testJob } from '../../testing/builders'
import { groupJobs } from './grouping'

const job = (id: string, modelId: string, state: JobInfo['state'], patch: Partial<JobInfo> = {}): JobInfo =>
  testJob(10, { id, modelId, modelName: `model ${modelId}`, state, ...patch })

const ids = (jobs: readonly JobInfo[]): string[] => jobs.map((j) => j.id)

describe('groupJobs', () => {
  it('groups by model, newest group first; running, paused, queued and failed stay shown, done and cancelled collapse', () => {
    // In the order the main side made them (oldest first).
    const jobs = [
      job('a1', 'A', 'done'),
      job('b1', 'B', 'failed', { error: { code: 'MEDIA_FAILED', message: 'no video' } }),
      job('a2', 'A', 'cancelled'),
      job('a3', 'A', 'paused'),
      job('b2', 'B', 'done'),
      job('a4', 'A', 'running'),
      job('c1', 'C', 'queued'),
    ]
    const groups = groupJobs(jobs)
    expect(groups.map((g) => [g.modelId, g.modelName])).toEqual([
      ['C', 'model C'],
      ['A', 'model A'],
      ['B', 'model B'],
    ])
    const [c, a, b] = groups
    expect(ids(c!.shown)).toEqual(['c1'])
    expect(ids(c!.finished)).toEqual([])
    expect(ids(a!.shown)).toEqual(['a4', 'a3'])
    expect(ids(a!.finished)).toEqual(['a2', 'a1'])
    expect(ids(b!.shown)).toEqual(['b1'])
    expect(ids(b!.finished)).toEqual(['b2'])
    expect(a!.active).toBe(2)
    expect(b!.active).toBe(0)
  })

  it('a finished job some of whose episodes failed stays shown: its errors are what the user must read', () => {
    const partly = job('p', 'A', 'done', { episodeErrors: [{ episode: 3, error: { code: 'MEDIA_FAILED', message: 'bad file' } }] })
    const [group] = groupJobs([job('ok', 'A', 'done'), partly])
    expect(ids(group!.shown)).toEqual(['p'])
    expect(ids(group!.finished)).toEqual(['ok'])
  })

  it('no jobs, no groups', () => {
    expect(groupJobs([])).toEqual([])
  })
})
