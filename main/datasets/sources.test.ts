import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeServices } from '../compose'
import { spawnServe } from '../testing/serveProcess'
import { writePatternDataset } from '../synth/patternDataset'
import { HfCacheLocator, hfCacheDirs, parseRepoSpec, resolveDatasetSpec } from './sources'

/**
 * Opening a dataset by its Hugging Face repo id from the local cache, in every place LeRobot and huggingface_hub put
 * it, with a fake HF_HOME in a temp dir; and saying exactly where it looked when it is not there.
 */

const run = promisify(execFile)
const VIVA = path.resolve('main/cli/viva.mjs')
const REPO = 'lerobot/aloha_static_cups_open'
const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-hf-'))
const made = path.join(dir, 'made')
const madeV3 = path.join(dir, 'made-v3')
const COMMIT = '0123456789abcdef0123456789abcdef01234567'

beforeAll(async () => {
  const cameras = [{ key: 'observation.images.top', width: 64, height: 48 }]
  await writePatternDataset({ out: made, format: 'v2.1', lengths: [6, 7], fps: 10, cameras })
  await writePatternDataset({ out: madeV3, format: 'v3.0', lengths: [6, 7], fps: 10, cameras })
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function place(at: string): string {
  mkdirSync(path.dirname(at), { recursive: true })
  cpSync(made, at, { recursive: true })
  return at
}

/** huggingface_hub's cache layout: files in blobs/ named by hash, the snapshot made of symlinks to them. */
function placeInHub(cache: string, repoId: string, commit: string, refs: Record<string, string>, source = made): string {
  const repoDir = path.join(cache, `datasets--${repoId.replace('/', '--')}`)
  const snapshot = path.join(repoDir, 'snapshots', commit)
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(source, rel))) {
      const from = path.join(source, rel, name)
      const relName = path.join(rel, name)
      if (statSync(from).isDirectory()) {
        walk(relName)
        continue
      }
      const blob = path.join(repoDir, 'blobs', relName.replaceAll(path.sep, '_'))
      mkdirSync(path.dirname(blob), { recursive: true })
      cpSync(from, blob)
      const link = path.join(snapshot, relName)
      mkdirSync(path.dirname(link), { recursive: true })
      symlinkSync(path.relative(path.dirname(link), blob), link)
    }
  }
  walk('')
  for (const [name, value] of Object.entries(refs)) {
    mkdirSync(path.join(repoDir, 'refs'), { recursive: true })
    writeFileSync(path.join(repoDir, 'refs', name), value)
  }
  return snapshot
}

describe('repo ids', () => {
  it('parses namespace/name[@revision] and nothing path-like', () => {
    expect(parseRepoSpec(REPO)).toEqual({ repoId: REPO, namespace: 'lerobot', name: 'aloha_static_cups_open', revision: null })
    expect(parseRepoSpec('lerobot/pusht@v2.1')?.revision).toBe('v2.1')
    for (const bad of ['./lerobot/x', '/abs/path', 'lerobot', 'a/b/c', 'a--b/c', 'a/..', '../x', 'a/b@../../etc']) expect(parseRepoSpec(bad)).toBeNull()
  })

  it('computes the cache folders as LeRobot and huggingface_hub do', () => {
    const home = '/home/u'
    expect(hfCacheDirs({}, home)).toEqual({ lerobotHome: '/home/u/.cache/huggingface/lerobot', hubCaches: ['/home/u/.cache/huggingface/lerobot/hub', '/home/u/.cache/huggingface/hub'] })
    expect(hfCacheDirs({ XDG_CACHE_HOME: '/x' }, home).lerobotHome).toBe('/x/huggingface/lerobot')
    expect(hfCacheDirs({ HF_HOME: '~/hf' }, home)).toEqual({ lerobotHome: '/home/u/hf/lerobot', hubCaches: ['/home/u/hf/lerobot/hub', '/home/u/hf/hub'] })
    expect(hfCacheDirs({ HF_HOME: '/hf', HF_LEROBOT_HOME: '/lr', HF_HUB_CACHE: '/hub' }, home)).toEqual({ lerobotHome: '/lr', hubCaches: ['/lr/hub', '/hub'] })
  })
})

describe('finding a repo id in the local cache', () => {
  it('$HF_LEROBOT_HOME/<repo_id>', async () => {
    const home = path.join(dir, 'lrhome')
    const root = place(path.join(home, REPO))
    expect(await resolveDatasetSpec(REPO, [new HfCacheLocator({ HF_LEROBOT_HOME: home }, '/nonexistent')], dir)).toEqual({ root, via: `the LeRobot cache (${home})` })
  })

  it('$HF_HOME/lerobot/<repo_id>, and ~/.cache/huggingface/lerobot/<repo_id> with no variable set', async () => {
    const hfHome = path.join(dir, 'hfhome')
    const root = place(path.join(hfHome, 'lerobot', REPO))
    expect((await resolveDatasetSpec(REPO, [new HfCacheLocator({ HF_HOME: hfHome })], dir)).root).toBe(root)
    const fakeHome = path.join(dir, 'home')
    const deflt = place(path.join(fakeHome, '.cache', 'huggingface', 'lerobot', REPO))
    expect((await resolveDatasetSpec(REPO, [new HfCacheLocator({}, fakeHome)], dir)).root).toBe(deflt)
  })

  it('the hub cache snapshot of refs/main, or of a named revision', async () => {
    const hfHome = path.join(dir, 'hubhome')
    const snapshot = placeInHub(path.join(hfHome, 'hub'), 'org/data', COMMIT, { main: COMMIT })
    const old = placeInHub(path.join(hfHome, 'hub'), 'org/data', 'f'.repeat(40), { 'v2.1': 'f'.repeat(40) })
    const locator = new HfCacheLocator({ HF_HOME: hfHome })
    expect((await resolveDatasetSpec('org/data', [locator], dir)).root).toBe(snapshot)
    expect((await resolveDatasetSpec('org/data@v2.1', [locator], dir)).root).toBe(old)
    expect((await resolveDatasetSpec(`org/data@${COMMIT}`, [locator], dir)).root).toBe(snapshot)
  })

  it('an existing folder wins over the cache; a missing one says exactly where it looked', async () => {
    const local = place(path.join(dir, 'cwd', 'org', 'data'))
    expect((await resolveDatasetSpec('org/data', [new HfCacheLocator({ HF_HOME: path.join(dir, 'hubhome') })], path.join(dir, 'cwd'))).root).toBe(local)

    const hfHome = path.join(dir, 'empty-hf')
    const err = await resolveDatasetSpec('nobody/nothing', [new HfCacheLocator({ HF_HOME: hfHome })], dir).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'NOT_FOUND' })
    const message = (err as Error).message
    for (const where of [
      path.join(dir, 'nobody', 'nothing'),
      path.join(hfHome, 'lerobot', 'nobody', 'nothing'),
      path.join(hfHome, 'lerobot', 'hub', 'datasets--nobody--nothing', 'snapshots'),
      path.join(hfHome, 'hub', 'datasets--nobody--nothing', 'snapshots'),
      'huggingface-cli download nobody/nothing --repo-type dataset',
    ]) {
      expect(message).toContain(where)
    }
  })
})

describe('the app and the CLI open a repo id', () => {
  it('DatasetService: a hub snapshot opens, says where it came from, and its symlinked videos are served', async () => {
    const hfHome = path.join(dir, 'hubhome')
    const services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data'), env: { HF_HOME: hfHome } })
    try {
      const summary = await services.datasets.open('org/data')
      expect(summary.root).toBe(path.join(hfHome, 'hub', 'datasets--org--data', 'snapshots', COMMIT))
      expect(summary.warnings.find((w) => w.code === 'OPENED_FROM_CACHE')?.message).toContain(`org/data was found in the Hugging Face hub cache (${path.join(hfHome, 'hub')})`)
      const view = await services.datasets.openEpisode(summary.id, 1)
      expect(view.cameras[0]?.status).toBe('ready')
      expect(view.cameras[0]?.videoFrames).toBe(7)
      const file = await services.media.resolve(summary.id, view.cameras[0]?.media?.path ?? '')
      expect(file).toContain(path.join('datasets--org--data', 'blobs'))
      // Still nothing outside the repo's folder.
      await expect(services.media.resolve(summary.id, '../../../../made/meta/info.json')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    } finally {
      await services.dispose()
    }
  }, 30_000)

  it('a v3.0 dataset in a hub snapshot (meta/episodes/ made of links) opens and plays', async () => {
    const hfHome = path.join(dir, 'hubv3')
    placeInHub(path.join(hfHome, 'hub'), 'org/v3', COMMIT, { main: COMMIT }, madeV3)
    const services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data3'), env: { HF_HOME: hfHome } })
    try {
      const summary = await services.datasets.open('org/v3')
      expect(summary.format).toBe('v3.0')
      const view = await services.datasets.openEpisode(summary.id, 1)
      expect(view.cameras[0]).toMatchObject({ status: 'ready', videoFrames: 7 })
    } finally {
      await services.dispose()
    }
  }, 30_000)

  it('viva serve <repo id> opens it from HF_HOME; viva serve names the places looked at when it is not there', async () => {
    const hfHome = path.join(dir, 'servehome')
    place(path.join(hfHome, 'lerobot', REPO))
    const { child } = await spawnServe([REPO], path.join(dir, 'serve-data'), { HF_HOME: hfHome, HF_LEROBOT_HOME: '' })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    const failed = await run('node', [VIVA, 'serve', 'lerobot/not_downloaded', '--data-dir', path.join(dir, 'serve-data')], {
      env: { ...process.env, HF_HOME: hfHome, HF_LEROBOT_HOME: '' },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stderr).toContain(`Looked in: ${path.resolve('lerobot/not_downloaded')}, ${path.join(hfHome, 'lerobot', 'lerobot', 'not_downloaded')}`)
  }, 30_000)
})

describe('a hub snapshot whose blobs are gone', () => {
  it('is not taken for a dataset (its links lead nowhere)', async () => {
    const hfHome = path.join(dir, 'brokenhub')
    placeInHub(path.join(hfHome, 'hub'), 'org/broken', COMMIT, { main: COMMIT })
    const repoDir = path.join(hfHome, 'hub', 'datasets--org--broken')
    renameSync(path.join(repoDir, 'blobs'), path.join(dir, 'stolen-blobs'))
    const services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data2'), env: { HF_HOME: hfHome } })
    try {
      await expect(services.datasets.open('org/broken')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    } finally {
      await services.dispose()
    }
  })
})
