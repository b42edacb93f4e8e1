import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EventPayloads } from '../../app/contract'
import { computedPrefix } from '../../app/curves'
import { composeServices, type Services } from '../compose'
import { generateTaskDataset } from '../synth/taskDataset'
import { rewriteParquet } from '../hardening/badInputs'
import { PACKAGE_ROOT } from '../paths'
import { CurveStore } from '../store/curveStore'
import Database from 'better-sqlite3'

// End to end on a generated 3-camera dataset with the bundled ViVa model: decode → encode → denoise → store → push.
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-score-'))
const dataset = path.join(root, 'ds')
let services: Services
let datasetId: string
let vivaId: string
let baselineId: string

function compose(): Services {
  return composeServices({
    mode: 'browser',
    version: 'test',
    dataDir: path.join(root, 'data'),
    bundledModelDirs: [path.join(PACKAGE_ROOT, 'models')],
    hwaccel: false,
  })
}

beforeAll(async () => {
  await generateTaskDataset({ out: dataset, episodes: 3, seed: 5, fps: 10, width: 128, height: 96 })
  services = compose()
  datasetId = (await services.datasets.open(dataset)).id
  const models = await services.handlers['models.list']({}, { signal: new AbortController().signal })
  vivaId = models.find((m) => m.name === 'viva-reference')?.id ?? ''
  baselineId = models.find((m) => m.name === 'baseline-reference')?.id ?? ''
  expect(vivaId).not.toBe('')
  expect(baselineId).not.toBe('')
}, 120_000)

afterAll(async () => {
  await services.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('scoring jobs', () => {
  it('scores an episode, streams chunks in order, stores the curve with its future state', async () => {
    const chunks: EventPayloads['score.chunk'][] = []
    const off = services.events.subscribe((name, payload) => {
      if (name === 'score.chunk') chunks.push(payload as EventPayloads['score.chunk'])
    })
    const job = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [0], provider: 'cpu' })
    const done = await services.scoring.wait(job.id)
    off()
    expect(done.state).toBe('done')
    expect(done.provider?.active).toBe('cpu')
    const curves = services.curves.list(datasetId, 0)
    expect(curves).toHaveLength(1)
    const data = services.curves.get(curves[0]!.id)
    const length = data.info.length
    expect(done.framesDone).toBe(length)
    expect(computedPrefix(data.values)).toBe(length)
    for (const v of data.values) expect(v).toBeGreaterThanOrEqual(0)
    expect(data.future?.length).toBe(length * 14)
    // Chunks are contiguous and cover the episode; more than one, so a renderer sees the curve grow.
    expect(chunks.length).toBeGreaterThan(1)
    let next = 0
    for (const c of chunks) {
      expect(c.start).toBe(next)
      next += c.values.length
    }
    expect(next).toBe(length)
    // A progress curve of a successful/failed episode rises overall: the end is above the start.
    expect(data.values[length - 1]!).toBeGreaterThan(data.values[0]!)
  }, 120_000)

  it('resumes an interrupted run where it stopped, with the values an uninterrupted run gives', async () => {
    const full = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [1], steps: 2, seed: 3, provider: 'cpu' })
    await services.scoring.wait(full.id)
    const reference = services.curves.get(services.curves.list(datasetId, 1)[0]!.id).values

    // Same run on a fresh data folder, cancelled after its first stored chunk, then restarted by a new process.
    const other = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data2'), hwaccel: false })
    const id2 = (await other.datasets.open(dataset)).id
    const job = await other.scoring.start({ datasetId: id2, modelId: vivaId, episodes: [1], steps: 2, seed: 3, provider: 'cpu', batch: 2 })
    await new Promise<void>((resolve) => {
      const off = other.events.subscribe((name) => {
        if (name === 'score.chunk') {
          off()
          other.scoring.cancel(job.id)
          resolve()
        }
      })
    })
    const cancelled = await other.scoring.wait(job.id)
    expect(cancelled.state).toBe('cancelled')
    const partial = other.curves.list(id2, 1)[0]!
    expect(partial.computed).toBeGreaterThan(0)
    expect(partial.complete).toBe(false)
    await other.dispose()

    const again = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data2'), hwaccel: false })
    await again.datasets.open(dataset)
    const resumed = await again.scoring.start({ datasetId: id2, modelId: vivaId, episodes: [1], steps: 2, seed: 3, provider: 'cpu', batch: 2 })
    const end = await again.scoring.wait(resumed.id)
    expect(end.state).toBe('done')
    expect(end.framesResumed).toBe(partial.computed)
    const values = again.curves.get(partial.id).values
    for (let i = 0; i < values.length; i++) expect(Math.abs(values[i]! - reference[i]!)).toBeLessThan(1e-5)
    await again.dispose()
  }, 180_000)

  it('restores journaled jobs at start: paused stays paused, a vanished dataset is reported, a live owner keeps its job', async () => {
    const dataDir = path.join(root, 'data-restore')
    const quitting = composeServices({ mode: 'browser', version: 'test', dataDir, hwaccel: false })
    const id = (await quitting.datasets.open(dataset)).id
    const paused = await quitting.scoring.start({ datasetId: id, modelId: vivaId, episodes: [0], steps: 2, provider: 'cpu' })
    quitting.scoring.pause(paused.id, true)
    await quitting.dispose()
    // A job whose dataset was moved away, and one that belongs to another running instance (its pid is alive).
    const store = new CurveStore(path.join(dataDir, 'values.sqlite'))
    store.saveJob({ id: 'moved', datasetRoot: path.join(root, 'moved-away'), request: { datasetId: 'x', modelId: vivaId, episodes: [0] }, paused: false })
    store.saveJob({ id: 'theirs', datasetRoot: dataset, request: { datasetId: id, modelId: vivaId, episodes: [1] }, paused: false })
    store.close()
    const db = new Database(path.join(dataDir, 'values.sqlite'))
    db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?').run(process.ppid, 'theirs')
    db.close()

    const restarted = composeServices({ mode: 'browser', version: 'test', dataDir, hwaccel: false })
    await restarted.resumeJobs()
    const jobs = restarted.scoring.list()
    expect(jobs.map((j) => j.id)).toEqual([paused.id, 'moved'])
    expect(jobs[0]?.state).toBe('paused')
    expect(jobs[1]?.state).toBe('failed')
    expect(jobs[1]?.error?.message).toContain('moved-away')
    expect(restarted.datasets.list().map((d) => d.id)).toEqual([id])
    restarted.scoring.pause(paused.id, false)
    expect((await restarted.scoring.wait(paused.id)).state).toBe('done')
    await restarted.dispose()
    // Done and failed jobs are gone from the journal; the other instance's job is still its own.
    const check = new CurveStore(path.join(dataDir, 'values.sqlite'))
    expect(check.claimOrphanJobs(() => true).map((j) => j.id)).toEqual([])
    expect(check.claimOrphanJobs(() => false).map((j) => j.id)).toEqual(['theirs'])
    check.close()
  }, 120_000)

  it('a finished curve is served from the cache; other steps reuse the cached latents', async () => {
    const first = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [0], provider: 'cpu' })
    const end = await services.scoring.wait(first.id)
    expect(end.framesResumed).toBe(end.framesTotal)
    const rescored = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [0], steps: 3, provider: 'cpu' })
    expect((await services.scoring.wait(rescored.id)).state).toBe('done')
    expect(services.curves.list(datasetId, 0).map((c) => c.params?.steps).sort()).toEqual([1, 3])
  }, 120_000)

  it('pauses and resumes; a direct model scores without future state', async () => {
    const job = await services.scoring.start({ datasetId, modelId: baselineId, episodes: [2], provider: 'cpu', batch: 2 })
    services.scoring.pause(job.id, true)
    await new Promise((r) => setTimeout(r, 300))
    const paused = services.scoring.list().find((j) => j.id === job.id)!
    expect(['paused', 'queued']).toContain(paused.state)
    const stuck = paused.framesDone
    await new Promise((r) => setTimeout(r, 300))
    expect(services.scoring.list().find((j) => j.id === job.id)!.framesDone).toBe(stuck)
    services.scoring.pause(job.id, false)
    const end = await services.scoring.wait(job.id)
    expect(end.state).toBe('done')
    const curve = services.curves.list(datasetId, 2).find((c) => c.modelId === baselineId)!
    expect(curve.complete).toBe(true)
    expect(curve.futureDim).toBe(0)
  }, 120_000)

  it('refuses unknown episodes and unmapped cameras with clear errors; a missing video fails only its episode', async () => {
    await expect(services.scoring.start({ datasetId, modelId: vivaId, episodes: [99] })).rejects.toThrow(/has no episode 99/)
    await expect(services.scoring.start({ datasetId, modelId: 'nope', episodes: [0] })).rejects.toThrow(/No model nope/)
    const data = await services.datasets.get(datasetId).loadEpisode(2)
    const video = data.videos.find((v) => v.camera.endsWith('cam_left_wrist'))!
    rmSync(video.file)
    const job = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [1, 2], steps: 5, provider: 'cpu' })
    const end = await services.scoring.wait(job.id)
    expect(end.state).toBe('done')
    expect(end.episodeErrors.map((e) => e.episode)).toEqual([2])
    expect(end.episodeErrors[0]!.error.message).toContain(video.file)
    expect(services.curves.list(datasetId, 1).some((c) => c.params?.steps === 5 && c.complete)).toBe(true)
  }, 120_000)

  it("a v3.0 episode whose video window lies outside its file fails alone instead of being scored on another episode's frames", async () => {
    const v3 = path.join(root, 'ds-v3')
    await generateTaskDataset({ out: v3, episodes: 2, seed: 6, fps: 10, width: 128, height: 96, format: 'v3.0' })
    await rewriteParquet(path.join(v3, 'meta/episodes/chunk-000/file-000.parquet'), (rows) => {
      const row = rows[1] as Record<string, unknown>
      for (const key of Object.keys(row)) {
        if (key.endsWith('/from_timestamp')) row[key] = 1e4
        if (key.endsWith('/to_timestamp')) row[key] = 1e4 + 1
      }
    })
    const id = (await services.datasets.open(v3)).id
    const job = await services.scoring.start({ datasetId: id, modelId: baselineId, episodes: [0, 1], provider: 'cpu' })
    const end = await services.scoring.wait(job.id)
    expect(end.state).toBe('done')
    expect(end.episodeErrors.map((e) => [e.episode, e.error.code])).toEqual([[1, 'DATASET_INVALID']])
    expect(end.episodeErrors[0]!.error.message).toContain('episode 1: the video window 10000.000–10001.000 s')
    expect(end.episodeErrors[0]!.error.message).toContain("starts past the file's last frame")
    expect(services.curves.list(id, 0).some((c) => c.complete)).toBe(true)
    expect(services.curves.list(id, 1).some((c) => c.complete)).toBe(false)
  }, 120_000)

  it('prepares the next episode while scoring this one; cancelled then, it leaves no ffmpeg running', async () => {
    const source = services.datasets.get(datasetId)
    const load = source.loadEpisode.bind(source)
    const order: string[] = []
    source.loadEpisode = (episode, ...rest) => {
      order.push(`load ${episode}`)
      return load(episode, ...rest)
    }
    try {
      const job = await services.scoring.start({ datasetId, modelId: baselineId, episodes: [0, 1, 2], provider: 'cpu', batch: 2 })
      await new Promise<void>((resolve) => {
        const off = services.events.subscribe((name, payload) => {
          if (name !== 'score.chunk') return
          const chunk = payload as EventPayloads['score.chunk']
          order.push(`chunk ${chunk.episode}`)
          if (chunk.start > 0) {
            off()
            services.scoring.cancel(job.id)
            resolve()
          }
        })
      })
      expect((await services.scoring.wait(job.id)).state).toBe('cancelled')
      // Episode 1 was read (and its decoders started) before episode 0's first values, and never scored.
      expect(order.indexOf('load 1'), order.join(', ')).toBeGreaterThan(-1)
      expect(order.indexOf('load 1'), order.join(', ')).toBeLessThan(order.indexOf('chunk 0'))
      expect(order).not.toContain('chunk 1')
      // Its decoders, and episode 0's, are gone.
      await vi.waitFor(() => expect(services.children.pids).toEqual([]), { timeout: 5000 })
    } finally {
      source.loadEpisode = load
    }
  }, 120_000)
})
