import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEventEdit, saveTaxonomyEdit } from '../../app/annotationEdits'
import { VivaError } from '../../app/errors'
import { writeFileAtomic, writeFilesAtomic } from '../atomicWrite'
import { composeServices, type Services } from '../compose'
import { writeCurvesFile } from '../curves/exportCurves'
import { generateTaskDataset } from '../synth/taskDataset'
import { PACKAGE_ROOT } from '../paths'
import { limitFileSize, mountTinyDisk, type TinyDisk } from '../testing/fullDisk'

// A full disk while writing the value cache, an annotation or an export: a clear error naming the file, nothing
// half-written left behind, the previous version intact, and everything works again once space is freed.

async function failure(p: Promise<unknown>): Promise<VivaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(VivaError)
  return err as VivaError
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.partial'))
}

const work = mkdtempSync(path.join(os.tmpdir(), 'viva-diskfull-'))
const disk: TinyDisk | null = mountTinyDisk()
afterAll(() => {
  disk?.dispose()
  rmSync(work, { recursive: true, force: true })
})

describe('atomic writes when the file-size limit is reached (RLIMIT_FSIZE, no root needed)', () => {
  it('fails with DISK_FULL naming the file, leaves no partial file, keeps the previous version', async () => {
    const dir = path.join(work, 'rlimit')
    mkdirSync(dir)
    const file = path.join(dir, 'labels.json')
    writeFileSync(file, 'previous')
    const lift = limitFileSize(1024)
    if (!lift) return expect.fail('prlimit (util-linux) is needed for this test')
    let err: VivaError
    try {
      err = await failure(writeFileAtomic(file, 'x'.repeat(64 * 1024), 'export'))
    } finally {
      lift()
    }
    expect(err.code).toBe('DISK_FULL')
    expect(err.message).toContain(file)
    expect(err.file).toBe(file)
    expect(readFileSync(file, 'utf8')).toBe('previous')
    expect(leftovers(dir)).toEqual([])
    await writeFileAtomic(file, 'x'.repeat(64 * 1024))
    expect(readFileSync(file, 'utf8')).toHaveLength(64 * 1024)
  })
})

describe.skipIf(disk === null)('on a full disk (a real 8 MiB tmpfs; not run where mounting is not allowed)', () => {
  const d = disk as TinyDisk
  let services: Services
  let reference: Services
  let datasetId = ''
  let vivaId = ''
  const dataset = path.join(work, 'ds')

  beforeAll(async () => {
    await generateTaskDataset({ out: dataset, episodes: 2, seed: 11, fps: 10, width: 96, height: 72 })
    const compose = (dataDir: string): Services =>
      composeServices({ mode: 'browser', version: 'test', dataDir, bundledModelDirs: [path.join(PACKAGE_ROOT, 'models')], hwaccel: false })
    services = compose(path.join(d.dir, 'data'))
    reference = compose(path.join(work, 'reference-data'))
    datasetId = (await services.datasets.open(dataset)).id
    await reference.datasets.open(dataset)
    vivaId = (await services.models.list()).find((m) => m.name === 'viva-reference')?.id ?? ''
    expect(vivaId).not.toBe('')
  }, 120_000)

  afterAll(async () => {
    d.free()
    await services?.dispose()
    await reference?.dispose()
    services?.projects.close()
  })

  it('atomic write of one file and of a set: DISK_FULL, no partial files, old versions intact, then works', async () => {
    const dir = path.join(d.dir, 'exports')
    mkdirSync(dir, { recursive: true })
    const a = path.join(dir, 'a.parquet')
    const b = path.join(dir, 'b.parquet')
    writeFileSync(a, 'old a')
    d.fill()
    try {
      const one = await failure(writeFileAtomic(path.join(dir, 'new.json'), '{"x":1}\n'))
      expect(one.code).toBe('DISK_FULL')
      expect(one.message).toContain('new.json')
      const set = await failure(writeFilesAtomic([{ path: a, data: 'new a' }, { path: b, data: new Uint8Array(10_000) }]))
      expect(set.code).toBe('DISK_FULL')
      expect(existsSync(path.join(dir, 'new.json'))).toBe(false)
      expect(existsSync(b)).toBe(false)
      expect(readFileSync(a, 'utf8')).toBe('old a')
      expect(leftovers(dir)).toEqual([])
    } finally {
      d.free()
    }
    await writeFilesAtomic([{ path: a, data: 'new a' }, { path: b, data: new Uint8Array(10_000) }])
    expect(readFileSync(a, 'utf8')).toBe('new a')
  })

  it('annotation edits: DISK_FULL naming the project, every acknowledged edit kept, project intact', async () => {
    const summary = services.datasets.get(datasetId).summary
    const task = summary.tasks[0] ?? ''
    const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
    const taxonomy = saveTaxonomyEdit(services.projects.store(datasetId).load(), task, ['Grasp'], ['Drop'], 'generic', at(0))
    if (taxonomy) services.projects.apply(datasetId, [taxonomy])
    const acknowledged: string[] = []
    let refused: VivaError | null = null
    d.fill()
    try {
      // WAL pages already on disk can absorb a few commits; within a burst one needs a new page and is refused.
      for (let i = 0; i < 400 && !refused; i++) {
        const id = `ev-${i}`
        const edit = addEventEdit(services.projects.store(datasetId).load(), { id, episode: 0, frame: i % 20, kind: 'milestone', label: 'Grasp', note: 'n'.repeat(2000), annotator: 'ana', taxonomyVersion: 1 }, at(i + 1))
        try {
          services.projects.apply(datasetId, [edit])
          acknowledged.push(id)
        } catch (err) {
          refused = err as VivaError
        }
      }
    } finally {
      d.free()
    }
    expect(refused).toBeInstanceOf(VivaError)
    expect(refused?.code).toBe('DISK_FULL')
    expect(refused?.message).toMatch(/\.viva\.sqlite/)
    const ids = new Set(services.projects.store(datasetId).load().events.keys())
    for (const id of acknowledged) expect(ids.has(id)).toBe(true)
    // Space back: the app goes on where it was.
    const next = addEventEdit(services.projects.store(datasetId).load(), { id: 'after', episode: 1, frame: 3, kind: 'milestone', label: 'Grasp', annotator: 'ana', taxonomyVersion: 1 }, at(999))
    services.projects.apply(datasetId, [next])
    expect(services.projects.store(datasetId).load().events.has('after')).toBe(true)
    const file = refused?.file ?? ''
    const check = new Database(file, { readonly: true })
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    check.close()
  }, 60_000)

  it('exports (JSON, CSV, LeRobot sidecar, value curves): DISK_FULL, nothing left under the final names', async () => {
    const out = path.join(d.dir, 'out')
    mkdirSync(out, { recursive: true })
    d.fill()
    try {
      for (const format of ['json', 'csv'] as const) {
        const file = path.join(out, `labels.${format}`)
        const err = await failure(services.projects.exportTo(datasetId, format, {}, file))
        expect(err.code).toBe('DISK_FULL')
        expect(err.message).toContain(file)
        expect(existsSync(file)).toBe(false)
      }
      const sidecar = path.join(out, 'sidecar')
      const err = await failure(services.projects.exportTo(datasetId, 'lerobot', {}, sidecar))
      expect(err.code).toBe('DISK_FULL')
      expect(existsSync(sidecar) ? readdirSync(sidecar) : []).toEqual([])
      const curves = path.join(out, 'values.parquet')
      const values = Float32Array.from({ length: 5000 }, (_, i) => i / 5000)
      const cerr = await failure(
        writeCurvesFile(curves, [{ episode: 0, values, future: null }], { model: 'm', modelId: 'id', convention: 'progress', steps: 1, seed: 0, futureNames: [], futureOffset: 0 }, services.writeGuard),
      )
      expect(cerr.code).toBe('DISK_FULL')
      expect(existsSync(curves)).toBe(false)
      expect(leftovers(out)).toEqual([])
    } finally {
      d.free()
    }
    const file = path.join(out, 'labels.json')
    await services.projects.exportTo(datasetId, 'json', {}, file)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('dataset')
  }, 60_000)

  it('value cache: the job fails with DISK_FULL naming values.sqlite, stored chunks stay, the rerun resumes to the same values', async () => {
    const episode = 1
    const full = await reference.scoring.start({ datasetId, modelId: vivaId, episodes: [episode], provider: 'cpu' })
    expect((await reference.scoring.wait(full.id)).state).toBe('done')
    const expected = reference.curves.get(reference.curves.list(datasetId, episode)[0]?.id ?? '').values

    let filled = false
    const off = services.events.subscribe((name) => {
      // Right after the first chunk is committed: the next one finds the disk full.
      if (name === 'score.chunk' && !filled) {
        filled = true
        d.fill()
      }
    })
    let failed
    try {
      const job = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [episode], provider: 'cpu' })
      failed = await services.scoring.wait(job.id)
    } finally {
      off()
      d.free()
    }
    expect(failed.state).toBe('failed')
    expect(failed.error?.code).toBe('DISK_FULL')
    expect(failed.error?.message).toContain('values.sqlite')
    const stored = services.curves.list(datasetId, episode)[0]
    expect(stored?.computed).toBeGreaterThan(0)
    expect(stored?.computed).toBeLessThan(expected.length)
    const check = new Database(services.curves.file, { readonly: true })
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    check.close()

    const again = await services.scoring.start({ datasetId, modelId: vivaId, episodes: [episode], provider: 'cpu' })
    const done = await services.scoring.wait(again.id)
    expect(done.state).toBe('done')
    expect(done.framesResumed).toBe(stored?.computed)
    const values = services.curves.get(stored?.id ?? '').values
    expect(Array.from(values)).toEqual(Array.from(expected))
  }, 120_000)
})
