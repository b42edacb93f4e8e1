import { execFileSync } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VivaError } from '../app/errors'
import { openLeRobotDataset } from './datasets/lerobot/lerobot'
import { copyDataset, declareRows, V21, V30, writeCorpusFixtures, type CorpusFixtures } from './hardening/badInputs'
import { readRegularFile, readTextFile, READ_LIMITS } from './safeRead'
import { RecentDatasets } from './shell/recent'
import { loadWindowState } from './shell/windowState'
import { ModelRegistry } from './inference/registry'

/**
 * Issue 13, item 8: reads that never ended. A data file symlinked to /dev/urandom grew memory without limit, a FIFO as
 * meta/info.json hung the open (five of them held all four libuv threadpool threads, so nothing else could read), and
 * a small parquet whose footer declared 50 M rows was allocated for. Every case must end with a clear error, at once.
 */

let tmp = ''
let fixtures: CorpusFixtures
const fifos: string[] = []

/** A FIFO blocked in open() is released by opening its write end (non-blocking, from this thread: the pool may be full). */
function releaseFifos(): void {
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
    } catch {
      // No reader waiting: nothing to release.
    }
  }
}

function mkfifo(file: string): string {
  execFileSync('mkfifo', [file])
  fifos.push(file)
  return file
}

/** Fails a call that never settles instead of hanging the suite (the bug being tested is a hang). */
function settleWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms: a read that blocks`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function failure(promise: Promise<unknown>): Promise<VivaError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof VivaError)) throw err ?? new Error('expected a VivaError, the call succeeded')
  return err
}

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-saferead-')))
  fixtures = await writeCorpusFixtures(tmp)
})

afterAll(async () => {
  releaseFifos()
  await rm(tmp, { recursive: true, force: true })
})

describe('readRegularFile', () => {
  it('reads a regular file and drops a UTF-8 byte order mark from text', async () => {
    const file = path.join(tmp, 'bom.json')
    await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a": 1}')]))
    expect(JSON.parse(await readTextFile(file, READ_LIMITS.settings))).toEqual({ a: 1 })
    expect((await readRegularFile(file, READ_LIMITS.settings)).length).toBe(11)
  })

  it('refuses a file over its kind’s limit, checked against stat before reading', async () => {
    const file = path.join(tmp, 'big.json')
    await writeFile(file, Buffer.alloc(2048, 0x20))
    await expect(readRegularFile(file, { bytes: 1024, what: 'a test file' })).rejects.toThrow('it is 2.0 KB, more than the 1.0 KB allowed for a test file')
  })

  it('refuses /dev/urandom behind a symlink without reading it', async () => {
    const link = path.join(tmp, 'random.json')
    await symlink('/dev/urandom', link)
    await expect(settleWithin(readRegularFile(link, READ_LIMITS.info), 5000, 'reading /dev/urandom')).rejects.toThrow('character device')
  })

  it('refuses a FIFO without blocking on it', async () => {
    const fifo = mkfifo(path.join(tmp, 'pipe.json'))
    await expect(settleWithin(readRegularFile(fifo, READ_LIMITS.info), 5000, 'reading a FIFO')).rejects.toThrow('named pipe (FIFO)')
  })
})

describe('settings saved with a UTF-8 BOM (an editor on Windows) are read, not silently reset', () => {
  it('reads recent-datasets.json, window-state.json and models.json', async () => {
    const dataDir = path.join(tmp, 'bom-settings')
    await mkdir(dataDir)
    const bom = (value: unknown): Buffer => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(value))])
    await writeFile(path.join(dataDir, 'recent-datasets.json'), bom(['/data/a', '/data/b']))
    await writeFile(path.join(dataDir, 'window-state.json'), bom({ bounds: null, maximized: true, lastEpisode: null }))
    const modelFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'inference', 'fixtures', 'nan-value')
    await writeFile(path.join(dataDir, 'models.json'), bom({ folders: [modelFolder], cameraMaps: {} }))
    expect((await RecentDatasets.open(dataDir)).list).toEqual(['/data/a', '/data/b'])
    expect((await loadWindowState(dataDir)).maximized).toBe(true)
    const registry = new ModelRegistry({ bundledDirs: [], settingsFile: path.join(dataDir, 'models.json') })
    expect((await registry.list()).map((m) => m.dir)).toEqual([modelFolder])
    await registry.dispose()
  })
})

describe('datasets whose files are not regular files', () => {
  it('a data parquet that is a symlink to /dev/urandom: the episode fails with a clear error, at once', async () => {
    const root = await copyDataset(fixtures.v21, path.join(tmp, 'urandom-data'))
    await rm(path.join(root, V21.data(1)))
    await symlink('/dev/urandom', path.join(root, V21.data(1)))
    const source = await openLeRobotDataset(root)
    const err = await failure(settleWithin(source.loadEpisode(1), 10_000, 'loading the episode'))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain(V21.data(1))
    expect(err.message).toContain('character device')
    // The other episodes still load.
    expect((await source.loadEpisode(0)).length).toBe(10)
  })

  it('meta/info.json that is a symlink to /dev/urandom: a clear error, at once', async () => {
    const root = await copyDataset(fixtures.v21, path.join(tmp, 'urandom-info'))
    await rm(path.join(root, V21.info))
    await symlink('/dev/urandom', path.join(root, V21.info))
    const err = await failure(settleWithin(openLeRobotDataset(root), 10_000, 'opening the dataset'))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toMatch(/meta\/info\.json could not be read: it is a character device/)
  })

  it('five datasets whose info.json is a FIFO fail at once, and do not stop another dataset from opening', async () => {
    const roots: string[] = []
    for (let i = 0; i < 5; i++) {
      const root = await copyDataset(fixtures.v21, path.join(tmp, `fifo-${i}`))
      await rm(path.join(root, V21.info))
      mkfifo(path.join(root, V21.info))
      roots.push(root)
    }
    try {
      const opening = Promise.allSettled(roots.map((r) => settleWithin(openLeRobotDataset(r), 10_000, `opening ${path.basename(r)}`)))
      const healthy = await settleWithin(openLeRobotDataset(fixtures.v30), 10_000, 'opening a healthy dataset beside them')
      expect(healthy.summary.episodes).toHaveLength(3)
      for (const result of await opening) {
        expect(result.status).toBe('rejected')
        const err = (result as PromiseRejectedResult).reason as unknown
        expect(err).toBeInstanceOf(VivaError)
        expect((err as VivaError).message).toMatch(/meta\/info\.json could not be read: it is a named pipe \(FIFO\)/)
      }
    } finally {
      releaseFifos()
    }
  })

  it('a small parquet whose footer declares 50 M rows is refused from its footer, before anything is allocated', async () => {
    const root = await copyDataset(fixtures.v21, path.join(tmp, 'fifty-million'))
    await declareRows(path.join(root, V21.data(2)), 50_000_000n)
    const source = await openLeRobotDataset(root)
    const err = await failure(settleWithin(source.loadEpisode(2), 10_000, 'loading the episode'))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain(V21.data(2))
    expect(err.message).toContain('declares 50,000,000 rows')
    expect((await source.loadEpisode(1)).length).toBe(12)
  })

  it('a v3 shared data file declaring 50 M rows fails its episodes with the same error', async () => {
    const root = await copyDataset(fixtures.v30, path.join(tmp, 'fifty-million-v3'))
    await declareRows(path.join(root, V30.data), 50_000_000n)
    const source = await openLeRobotDataset(root)
    const err = await failure(settleWithin(source.loadEpisode(0), 10_000, 'loading the episode'))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain('declares 50,000,000 rows')
  })
})
