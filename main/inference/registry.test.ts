import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CameraInfo } from '../../app/dataset'
import { rejected } from '../../app/testing/thrown'
import { PACKAGE_ROOT } from '../paths'
import { MANIFEST_FILE } from './manifest'
import { guessCameraMap, guessCameraMatches, ModelRegistry } from './registry'

const MODELS = path.join(PACKAGE_ROOT, 'models')
const VIVA = path.join(MODELS, 'viva-reference')
const BASELINE = path.join(MODELS, 'baseline-reference')
// A tiny valid package (one camera slot "cam_high"); its value output is NaN, which listing never sees.
const TINY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'nan-value')

function cams(...keys: string[]): CameraInfo[] {
  return keys.map((key) => ({ key, dtype: 'video', declaredCodec: 'h264', width: 128, height: 96, fps: 10 }))
}

const ALOHA = cams('observation.images.cam_high', 'observation.images.cam_left_wrist', 'observation.images.cam_right_wrist')
const SLOTS = ['cam_high', 'cam_left_wrist', 'cam_right_wrist']

let tmp = ''
let counter = 0
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-registry-')))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

function fresh(name = `case-${++counter}`): { root: string; settingsFile: string } {
  const root = path.join(tmp, name)
  return { root, settingsFile: path.join(root, 'settings', 'models.json') }
}

describe('guessCameraMap', () => {
  it('takes exact keys', () => {
    expect(guessCameraMap(SLOTS, cams('cam_right_wrist', 'cam_high', 'cam_left_wrist'))).toEqual({
      cam_high: 'cam_high',
      cam_left_wrist: 'cam_left_wrist',
      cam_right_wrist: 'cam_right_wrist',
    })
  })

  it('takes keys ending in .<slot> (LeRobot observation.images.*)', () => {
    const shuffled = cams('observation.images.cam_left_wrist', 'observation.images.cam_right_wrist', 'observation.images.cam_high')
    expect(guessCameraMap(SLOTS, shuffled)).toEqual({
      cam_high: 'observation.images.cam_high',
      cam_left_wrist: 'observation.images.cam_left_wrist',
      cam_right_wrist: 'observation.images.cam_right_wrist',
    })
    // "_high" is not ".high": a suffix must be a whole dotted component.
    expect(guessCameraMap(['high'], cams('observation.images.cam_high'))).toEqual({ high: 'observation.images.cam_high' })
    expect(guessCameraMap(['high'], cams('observation.images.top', 'observation.images.high'))).toEqual({ high: 'observation.images.high' })
  })

  it('gives the slots without a name match the leftover cameras in dataset order', () => {
    const keys = cams('observation.images.top', 'observation.images.cam_left_wrist', 'observation.images.wrist_r', 'observation.images.extra')
    expect(guessCameraMap(SLOTS, keys)).toEqual({
      cam_high: 'observation.images.top',
      cam_left_wrist: 'observation.images.cam_left_wrist',
      cam_right_wrist: 'observation.images.wrist_r',
    })
    // A matched camera is never handed out twice.
    expect(guessCameraMap(SLOTS, cams('front', 'cam_high', 'side'))).toEqual({ cam_high: 'cam_high', cam_left_wrist: 'front', cam_right_wrist: 'side' })
  })

  it('says for each slot whether its camera matched by name or by position (issue 14)', () => {
    const keys = cams('observation.images.top', 'observation.images.cam_left_wrist', 'observation.images.wrist_r')
    expect(guessCameraMatches(SLOTS, keys)).toEqual({
      slots: { cam_high: 'observation.images.top', cam_left_wrist: 'observation.images.cam_left_wrist', cam_right_wrist: 'observation.images.wrist_r' },
      how: { cam_high: 'position', cam_left_wrist: 'name', cam_right_wrist: 'position' },
    })
    expect(guessCameraMatches(SLOTS, cams('cam_right_wrist')).how).toEqual({ cam_high: 'none', cam_left_wrist: 'none', cam_right_wrist: 'name' })
  })

  it('leaves slots null when the dataset has too few cameras', () => {
    expect(guessCameraMap(SLOTS, cams('observation.images.front'))).toEqual({
      cam_high: 'observation.images.front',
      cam_left_wrist: null,
      cam_right_wrist: null,
    })
    expect(guessCameraMap(SLOTS, cams('cam_right_wrist'))).toEqual({ cam_high: null, cam_left_wrist: null, cam_right_wrist: 'cam_right_wrist' })
    expect(guessCameraMap(SLOTS, [])).toEqual({ cam_high: null, cam_left_wrist: null, cam_right_wrist: null })
  })
})

describe('ModelRegistry.list', () => {
  it('lists the bundled packages, and invalid ones with their error', async () => {
    const { root, settingsFile } = fresh()
    const extra = path.join(root, 'bundled')
    await cp(TINY, path.join(extra, 'tiny'), { recursive: true })
    await cp(TINY, path.join(extra, 'broken'), { recursive: true })
    await writeFile(path.join(extra, 'broken', MANIFEST_FILE), '{ not json')
    await mkdir(path.join(extra, 'not-a-package'))

    const registry = new ModelRegistry({ bundledDirs: [MODELS, extra], settingsFile })
    try {
      const list = await registry.list()
      const byName = new Map(list.map((m) => [m.name, m]))
      const viva = byName.get('viva-reference')
      const baseline = byName.get('baseline-reference')
      expect(viva).toMatchObject({ kind: 'viva-flow', source: 'bundled', dir: VIVA, error: null, cameras: SLOTS, stateDim: 14 })
      expect(baseline).toMatchObject({ kind: 'direct', source: 'bundled', dir: BASELINE, error: null, cameras: SLOTS })
      expect(viva?.id).toMatch(/^[0-9a-f]{16}$/)
      expect(byName.get('nan-value')).toMatchObject({ kind: 'direct', source: 'bundled', error: null, cameras: ['cam_high'], imageSize: [8, 8] })

      const broken = list.find((m) => m.dir === path.join(extra, 'broken'))
      expect(broken).toBeDefined()
      expect(broken?.kind).toBeNull()
      expect(broken?.name).toBe('broken')
      expect(broken?.error?.code).toBe('MODEL_INVALID')
      expect(broken?.error?.message).toMatch(/not valid JSON/)
      expect(broken?.error?.file).toBe(path.join(extra, 'broken', MANIFEST_FILE))
      expect(list.some((m) => m.dir.endsWith('not-a-package'))).toBe(false)
      expect(list.some((m) => m.dir === path.join(MODELS, 'viva'))).toBe(false)

      // load() refuses the invalid one with its error; get() by id too.
      const err = await rejected(() => registry.load(path.join(extra, 'broken')))
      expect(err.code).toBe('MODEL_INVALID')
      expect((await rejected(() => registry.get(broken?.id ?? ''))).code).toBe('MODEL_INVALID')
      expect((await rejected(() => registry.get('0123456789abcdef'))).code).toBe('NOT_FOUND')

      // Repaired on disk → valid at the next listing.
      await cp(path.join(TINY, MANIFEST_FILE), path.join(extra, 'broken', MANIFEST_FILE))
      const again = await registry.list()
      const repaired = again.find((m) => m.dir === path.join(extra, 'broken'))
      expect(repaired?.error).toBeNull()
      expect(repaired?.id).toBe(byName.get('nan-value')?.id)
    } finally {
      await registry.dispose()
    }
  })
})

describe('ModelRegistry.addFolder', () => {
  it('remembers a user folder across registries on the same settings file', async () => {
    const { root, settingsFile } = fresh()
    const userFolder = path.join(root, 'my-models')
    await cp(TINY, path.join(userFolder, 'a'), { recursive: true })
    await cp(TINY, path.join(userFolder, 'b'), { recursive: true })
    const single = path.join(root, 'single')
    await cp(TINY, single, { recursive: true })

    const first = new ModelRegistry({ bundledDirs: [], settingsFile })
    const info = await first.addFolder(userFolder)
    expect(info).toMatchObject({ source: 'user', error: null, name: 'nan-value' })
    expect([path.join(userFolder, 'a'), path.join(userFolder, 'b')]).toContain(info.dir)
    expect((await first.addFolder(single)).dir).toBe(single)
    await first.addFolder(userFolder) // again: not remembered twice
    const settings = JSON.parse(await readFile(settingsFile, 'utf8')) as { folders: string[] }
    expect(settings.folders).toEqual([userFolder, single])
    await first.dispose()

    const second = new ModelRegistry({ bundledDirs: [], settingsFile })
    try {
      const list = await second.list()
      expect(list.map((m) => m.dir).sort()).toEqual([path.join(userFolder, 'a'), path.join(userFolder, 'b'), single].sort())
      expect(list.every((m) => m.source === 'user' && m.error === null)).toBe(true)
    } finally {
      await second.dispose()
    }
  })

  it('refuses a folder without packages, or one that does not exist, with NOT_FOUND (and remembers nothing)', async () => {
    const { root, settingsFile } = fresh()
    const empty = path.join(root, 'empty')
    await mkdir(path.join(empty, 'sub'), { recursive: true })
    await writeFile(path.join(empty, 'readme.txt'), 'no models here')
    const registry = new ModelRegistry({ bundledDirs: [], settingsFile })
    try {
      const err = await rejected(() => registry.addFolder(empty))
      expect(err.code).toBe('NOT_FOUND')
      expect(err.message).toContain(empty)
      expect(err.message).toContain(MANIFEST_FILE)
      expect(err.file).toBe(empty)

      const missing = path.join(root, 'missing')
      const gone = await rejected(() => registry.addFolder(missing))
      expect(gone.code).toBe('NOT_FOUND')
      expect(gone.message).toContain(missing)

      expect(await registry.list()).toEqual([])
      await expect(readFile(settingsFile, 'utf8')).rejects.toThrow()
    } finally {
      await registry.dispose()
    }
  })
})

describe('camera mappings', () => {
  it('validate slots and cameras, persist per dataset, and are reused by other models with the same slot names', async () => {
    const { root, settingsFile } = fresh()
    await mkdir(root, { recursive: true })
    const registry = new ModelRegistry({ bundledDirs: [MODELS], settingsFile })
    const viva = await registry.load(VIVA)
    const baseline = await registry.load(BASELINE)
    const tiny = await registry.load(TINY)

    // Nothing stored: the guess.
    const guessed = await registry.cameraMap('ds-1', viva, ALOHA)
    expect(guessed).toEqual({
      datasetId: 'ds-1',
      modelId: viva.id,
      slots: { cam_high: ALOHA[0]?.key, cam_left_wrist: ALOHA[1]?.key, cam_right_wrist: ALOHA[2]?.key },
      guessed: true,
      how: { cam_high: 'name', cam_left_wrist: 'name', cam_right_wrist: 'name' },
    })

    const unknownSlot = await rejected(() => registry.setCameraMap('ds-1', viva, ALOHA, { cam_top: ALOHA[0]?.key ?? null }))
    expect(unknownSlot.code).toBe('INVALID_ARGUMENT')
    expect(unknownSlot.message).toContain('no camera slot "cam_top"')
    expect(unknownSlot.message).toContain('cam_high, cam_left_wrist, cam_right_wrist')
    const unknownCamera = await rejected(() =>
      registry.setCameraMap('ds-1', viva, ALOHA, { cam_high: 'observation.images.cam_high', cam_left_wrist: 'observation.images.nope' }),
    )
    expect(unknownCamera.code).toBe('INVALID_ARGUMENT')
    expect(unknownCamera.message).toContain('no camera "observation.images.nope"')
    expect(unknownCamera.message).toContain('observation.images.cam_high')
    // A refused mapping stores nothing, not even its valid part.
    expect((await registry.cameraMap('ds-1', viva, ALOHA)).guessed).toBe(true)

    // The user's choice (swapped wrists, partial first, then the rest).
    const swapped = {
      cam_high: 'observation.images.cam_high',
      cam_left_wrist: 'observation.images.cam_right_wrist',
      cam_right_wrist: 'observation.images.cam_left_wrist',
    }
    const partial = await registry.setCameraMap('ds-1', viva, ALOHA, { cam_left_wrist: swapped.cam_left_wrist })
    expect(partial.slots.cam_left_wrist).toBe(swapped.cam_left_wrist)
    expect(partial.guessed).toBe(true)
    const set = await registry.setCameraMap('ds-1', viva, ALOHA, { cam_high: swapped.cam_high, cam_right_wrist: swapped.cam_right_wrist })
    const saved = { cam_high: 'saved', cam_left_wrist: 'saved', cam_right_wrist: 'saved' }
    expect(set).toEqual({ datasetId: 'ds-1', modelId: viva.id, slots: swapped, guessed: false, how: saved })

    // Another dataset is untouched.
    expect((await registry.cameraMap('ds-2', viva, ALOHA)).slots.cam_left_wrist).toBe('observation.images.cam_left_wrist')

    // Persisted: a new registry on the same settings file sees it; so do other models with the same slot names.
    await registry.dispose()
    const again = new ModelRegistry({ bundledDirs: [MODELS], settingsFile })
    try {
      expect(await again.cameraMap('ds-1', viva, ALOHA)).toEqual({ datasetId: 'ds-1', modelId: viva.id, slots: swapped, guessed: false, how: saved })
      expect(await again.cameraMap('ds-1', baseline, ALOHA)).toEqual({ datasetId: 'ds-1', modelId: baseline.id, slots: swapped, guessed: false, how: saved })
      expect(await again.cameraMap('ds-1', tiny, ALOHA)).toEqual({ datasetId: 'ds-1', modelId: tiny.id, slots: { cam_high: swapped.cam_high }, guessed: false, how: { cam_high: 'saved' } })
      expect((await again.cameraMap('ds-2', baseline, ALOHA)).guessed).toBe(true)

      // null ("no camera") is a valid, remembered choice.
      const none = await again.setCameraMap('ds-3', tiny, ALOHA, { cam_high: null })
      expect(none).toMatchObject({ slots: { cam_high: null }, guessed: false })
      expect((await again.cameraMap('ds-3', viva, ALOHA)).slots.cam_high).toBeNull()

      // A stored camera the dataset no longer has falls back to the guess for that slot.
      const fewer = cams('observation.images.cam_high', 'observation.images.cam_left_wrist')
      const fallback = await again.cameraMap('ds-1', viva, fewer)
      expect(fallback.slots.cam_high).toBe('observation.images.cam_high')
      expect(fallback.slots.cam_right_wrist).toBe('observation.images.cam_left_wrist')
      expect(fallback.guessed).toBe(true)

      const stored = JSON.parse(await readFile(settingsFile, 'utf8')) as { cameraMaps: Record<string, unknown> }
      expect(stored.cameraMaps['ds-1']).toEqual(swapped)
      expect(stored.cameraMaps['ds-3']).toEqual({ cam_high: null })
    } finally {
      await again.dispose()
    }
  })
})
