import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnnotationEvent } from '../../app/annotations'
import { emptyProject, saveTaxonomyEdit } from '../../app/annotationEdits'
import type { JobInfo } from '../../app/contract'
import { composeServices } from '../compose'
import { generateTaskDataset } from '../synth/taskDataset'
import { startServeProcess, type ServeProcess } from '../testing/serveProcess'

// The app (browser-mode server, the same services as the desktop app) is killed with SIGKILL while it scores and
// while edits stream in. Restarted on the same data folder, without naming the dataset again: the job resumes by
// itself and ends with the values of an uninterrupted run, and every edit the app acknowledged is there.

const root = mkdtempSync(path.join(os.tmpdir(), 'viva-kill-'))
const dataset = path.join(root, 'ds')
const dataDir = path.join(root, 'data')
let expected = new Map<number, number[]>()
let running: ServeProcess | null = null

beforeAll(async () => {
  await generateTaskDataset({ out: dataset, episodes: 3, seed: 21, fps: 15, width: 96, height: 72 })
  // The reference: the same job, uninterrupted, in this process, on its own data folder.
  const reference = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'reference'), hwaccel: false })
  const datasetId = (await reference.datasets.open(dataset)).id
  const model = (await reference.models.list()).find((m) => m.name === 'viva-reference')
  const job = await reference.scoring.start({ datasetId, modelId: model?.id ?? '', episodes: [], provider: 'cpu' })
  expect((await reference.scoring.wait(job.id)).state).toBe('done')
  expected = new Map(
    reference.datasets.get(datasetId).summary.episodes.map((e) => [e.index, Array.from(reference.curves.get(reference.curves.list(datasetId, e.index)[0]?.id ?? '').values)]),
  )
  await reference.dispose()
}, 180_000)

afterAll(async () => {
  await running?.stop()
  rmSync(root, { recursive: true, force: true })
})

async function waitForJob(app: ServeProcess, id: string, until: (j: JobInfo) => boolean, timeoutMs: number): Promise<JobInfo> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const job = (await app.client.call('score.jobs', {})).find((j) => j.id === id)
    if (job && until(job)) return job
    if (Date.now() > end) throw new Error(`job ${id} did not get there in time: ${JSON.stringify(job)}\n${app.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('kill -9 while scoring and annotating', () => {
  it('restarts with the job resumed to identical values and every acknowledged edit kept', async () => {
    const first = await startServeProcess([dataset], dataDir)
    running = first
    const [summary] = await first.client.call('dataset.list', {})
    const datasetId = summary?.id ?? ''
    const model = (await first.client.call('models.list', {})).find((m) => m.name === 'viva-reference')
    expect(model).toBeDefined()

    const task = summary?.tasks[0] ?? ''
    const taxonomy = saveTaxonomyEdit(emptyProject(), task, ['Grasp', 'Lift'], ['Drop'], 'generic', new Date().toISOString())
    if (taxonomy) await first.client.call('annotations.apply', { datasetId, edits: [taxonomy] })

    const job = await first.client.call('score.start', { datasetId, modelId: model?.id ?? '', episodes: [], provider: 'cpu' })
    // Edits stream in as an annotator works, each one awaited (acknowledged) before the next.
    const acknowledged: string[] = []
    let annotating = true
    const annotate = (async () => {
      for (let i = 0; annotating; i++) {
        const event: AnnotationEvent = {
          id: `ev-${i}`,
          episode: i % 3,
          frame: i % 40,
          kind: i % 4 === 3 ? 'error' : 'milestone',
          label: i % 4 === 3 ? 'Drop' : 'Grasp',
          note: `edit ${i}`,
          annotator: 'ana',
          taxonomyVersion: 1,
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
        }
        const ack = first.client.call('annotations.apply', { datasetId, edits: [{ op: 'event.add', event }] }).then(() => true)
        const ok = await Promise.race([ack, first.closed.then(() => false)]).catch(() => false)
        if (!ok) return
        acknowledged.push(event.id)
      }
    })()

    // Kill once a good part of the job is stored, with edits in flight.
    const before = await waitForJob(first, job.id, (j) => j.framesDone >= 150, 120_000)
    expect(before.state).toBe('running')
    first.child.kill('SIGKILL')
    await first.closed
    annotating = false
    await annotate
    expect(acknowledged.length).toBeGreaterThan(5)

    const second = await startServeProcess([], dataDir)
    running = second
    // The dataset comes back with the job, and so do the annotations.
    expect((await second.client.call('dataset.list', {})).map((d) => d.id)).toEqual([datasetId])
    const snapshot = await second.client.call('annotations.load', { datasetId })
    const ids = new Set(snapshot.events.map((e) => e.id))
    for (const id of acknowledged) expect(ids.has(id), id).toBe(true)
    const check = new Database(snapshot.projectFile, { readonly: true })
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    check.close()

    const resumed = await waitForJob(second, job.id, (j) => j.state === 'done' || j.state === 'failed', 120_000)
    expect(resumed.error).toBeNull()
    expect(resumed.state).toBe('done')
    expect(resumed.framesResumed).toBeGreaterThanOrEqual(100)
    expect(resumed.framesDone).toBe(resumed.framesTotal)
    for (const [episode, values] of expected) {
      const curves = await second.client.call('curves.list', { datasetId, episode })
      expect(curves).toHaveLength(1)
      const data = await second.client.call('curves.get', { datasetId, curveId: curves[0]?.id ?? '' })
      expect(Array.from(data.values), `episode ${episode}`).toEqual(values)
    }

    // Ended jobs are not resumed again by the next start.
    await second.stop()
    const third = await startServeProcess([], dataDir)
    running = third
    expect(await third.client.call('score.jobs', {})).toEqual([])
  }, 300_000)
})
