import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejected } from '../../app/testing/thrown'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'
import { generateTaskDataset } from '../synth/taskDataset'
import { stateOutOfRange } from '../inference/compatibility'
import { PACKAGE_ROOT } from '../paths'

// Issue 14, item 6: model/dataset compatibility is checked before any frame is scored.
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-compat-'))
let services: Services
let vivaId = ''
/** 12-D state, 30 fps, cameras named top / cam_left_wrist / wrist_b (one matches the model's slot names). */
let twelve = ''
/** The generator's task at the model's 10 fps, as trained, and the same with the state in degrees (×57.3). */
let task = ''
let degrees = ''
/** State and action stored as `state` / `actions`. */
let renamed = ''
const signal = new AbortController().signal

beforeAll(async () => {
  const cameras = ['top', 'cam_left_wrist', 'wrist_b'].map((c) => ({ key: `observation.images.${c}`, width: 64, height: 48 }))
  await writePatternDataset({ out: path.join(root, 'twelve'), format: 'v2.1', lengths: [20, 20], fps: 30, stateDim: 12, cameras })
  const named = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({ key: `observation.images.${c}`, width: 64, height: 48 }))
  await writePatternDataset({ out: path.join(root, 'renamed'), format: 'v2.1', lengths: [12], fps: 10, cameras: named, quirks: { vectorKeys: { state: 'state', action: 'actions' } } })
  await generateTaskDataset({ out: path.join(root, 'task'), episodes: 1, seed: 5, fps: 10, width: 128, height: 96 })
  await generateTaskDataset({ out: path.join(root, 'degrees'), episodes: 1, seed: 5, fps: 10, width: 128, height: 96, quirks: { stateScale: 180 / Math.PI } })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data'), bundledModelDirs: [path.join(PACKAGE_ROOT, 'models')], hwaccel: false })
  twelve = (await services.datasets.open(path.join(root, 'twelve'))).id
  task = (await services.datasets.open(path.join(root, 'task'))).id
  degrees = (await services.datasets.open(path.join(root, 'degrees'))).id
  renamed = (await services.datasets.open(path.join(root, 'renamed'))).id
  const models = await services.handlers['models.list']({}, { signal })
  vivaId = models.find((m) => m.name === 'viva-reference')?.id ?? ''
  expect(vivaId).not.toBe('')
}, 180_000)

afterAll(async () => {
  await services.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('model/dataset compatibility', () => {
  it('refuses a 12-D dataset for a 14-D model before scoring: no job, no curve, the reason and a suggested state map', async () => {
    const check = await services.handlers['models.check']({ datasetId: twelve, modelId: vivaId }, { signal })
    expect(check.ok).toBe(false)
    expect(check).toMatchObject({ datasetStateDim: 12, modelStateDim: 14, suggestedStateMap: '0-11,pad:mid,pad:mid' })
    const dim = check.issues.find((i) => i.code === 'STATE_DIM')
    expect(dim?.level).toBe('error')
    expect(dim?.message).toContain('has 12 dimensions, viva-reference expects 14')
    // Non-blocking findings come along: fps, cameras guessed by position.
    expect(check.issues.find((i) => i.code === 'FPS')?.message).toContain('trained at 10 fps, twelve is 30 fps')
    expect(check.issues.find((i) => i.code === 'CAMERA_BY_POSITION')?.message).toBe(
      'guessed by position, not by name: cam_high ← observation.images.top, cam_right_wrist ← observation.images.wrist_b; check the camera mapping',
    )

    const err = await rejected(() => services.scoring.start({ datasetId: twelve, modelId: vivaId, episodes: [], provider: 'cpu' }))
    expect(err.code).toBe('MODEL_INCOMPATIBLE')
    expect(err.message).toMatch(/^viva-reference cannot score twelve: twelve's state observation\.state has 12 dimensions, viva-reference expects 14 .*give a state map, e.g\. 0-11,pad:mid,pad:mid$/)
    expect(err.message).not.toContain('\n')
    expect(services.scoring.list().filter((j) => j.datasetId === twelve)).toEqual([])
    expect(services.curves.list(twelve, 0)).toEqual([])
  })

  it('scores it with a state map that pads the missing joints, saved per dataset and model layout', async () => {
    const bad = await rejected(() => services.handlers['models.setStateMap']({ datasetId: twelve, modelId: vivaId, map: '0-12' }, { signal }))
    expect(bad.message).toContain('"0-12": the dataset\'s state has 12 joints')
    const short = await services.handlers['models.setStateMap']({ datasetId: twelve, modelId: vivaId, map: '0-11' }, { signal })
    expect(short.ok).toBe(false)
    expect(short.issues[0]?.message).toBe('the state map gives 12 values, viva-reference expects 14 (left_waist, left_shoulder, left_elbow, left_forearm_roll, ... (+10))')
    const saved = await services.handlers['models.setStateMap']({ datasetId: twelve, modelId: vivaId, map: '0-11,pad:mid,pad:0' }, { signal })
    expect(saved.ok).toBe(true)
    expect(saved.stateMap).toBe('0-11,pad:mid,pad:0')

    const job = await services.scoring.start({ datasetId: twelve, modelId: vivaId, episodes: [0], provider: 'cpu' })
    expect(job.params).toMatchObject({ stateMap: '0-11,pad:mid,pad:0' })
    expect(job.warnings.some((w) => w.includes('trained at 10 fps'))).toBe(true)
    const end = await services.scoring.wait(job.id)
    expect(end.state).toBe('done')
    expect(end.framesDone).toBe(20)
    const curve = services.curves.list(twelve, 0)[0]
    expect(curve?.complete).toBe(true)
    expect(curve?.params?.stateMap).toBe('0-11,pad:mid,pad:0')

    // A job's own map wins over the saved one; a bad one is refused before anything is queued.
    const given = await rejected(() => services.scoring.start({ datasetId: twelve, modelId: vivaId, episodes: [0], stateMap: 'nope' }))
    expect(given.code).toBe('INVALID_ARGUMENT')
    expect(given.message).toContain('--state-map: "nope" is not a joint index')
  }, 120_000)

  it('a job whose every episode fails is failed with the reason, never a green "done" at 0 frames', async () => {
    const data = await services.datasets.get(twelve).loadEpisode(1)
    rmSync(data.videos[0]?.file ?? '')
    const job = await services.scoring.start({ datasetId: twelve, modelId: vivaId, episodes: [1], provider: 'cpu' })
    const end = await services.scoring.wait(job.id)
    expect(end.state).toBe('failed')
    expect(end.error?.message).toContain('episode 1 could not be scored')
    expect(end.framesDone).toBe(0)
  }, 60_000)

  it('warns on a state far outside the training range (degrees for radians), before scoring and on the curve', async () => {
    const clean = await services.handlers['models.check']({ datasetId: task, modelId: vivaId }, { signal })
    expect(clean.ok).toBe(true)
    expect(clean.issues.filter((i) => i.level !== 'info')).toEqual([])

    const check = await services.handlers['models.check']({ datasetId: degrees, modelId: vivaId }, { signal })
    expect(check.ok).toBe(true)
    const range = check.issues.find((i) => i.code === 'STATE_RANGE')
    expect(range?.level).toBe('warning')
    expect(range?.message).toContain("state out of viva-reference's training range")
    expect(range?.message).toContain('look like degrees where the model was trained on radians')

    const job = await services.scoring.start({ datasetId: degrees, modelId: vivaId, episodes: [0], provider: 'cpu' })
    expect(job.warnings.some((w) => w.includes('degrees'))).toBe(true)
    expect((await services.scoring.wait(job.id)).state).toBe('done')
    const curve = services.curves.list(degrees, 0)[0]
    expect(curve?.warnings).toHaveLength(1)
    expect(curve?.warnings[0]).toContain('look like degrees')

    const plain = await services.scoring.start({ datasetId: task, modelId: vivaId, episodes: [0], provider: 'cpu' })
    expect((await services.scoring.wait(plain.id)).state).toBe('done')
    expect(services.curves.list(task, 0)[0]?.warnings).toEqual([])
  }, 180_000)
})

describe('a state stored under another key', () => {
  it('scores from `state`; choosing `actions` as the state makes another curve, not a reuse of the cached one', async () => {
    const check = await services.handlers['models.check']({ datasetId: renamed, modelId: vivaId }, { signal })
    expect(check.issues.filter((i) => i.level === 'error')).toEqual([])
    const first = await services.scoring.start({ datasetId: renamed, modelId: vivaId, episodes: [0], provider: 'cpu' })
    expect(first.params?.stateKey).toBe('state')
    expect((await services.scoring.wait(first.id)).state).toBe('done')
    await services.datasets.setStateKey(renamed, 'actions')
    const second = await services.scoring.start({ datasetId: renamed, modelId: vivaId, episodes: [0], provider: 'cpu' })
    expect(second.params?.stateKey).toBe('actions')
    const end = await services.scoring.wait(second.id)
    expect(end.framesResumed).toBe(0)
    const curves = services.curves.list(renamed, 0)
    expect(curves.map((c) => c.params?.stateKey).sort()).toEqual(['actions', 'state'])
    const [a, b] = curves.map((c) => services.curves.get(c.id).values)
    expect(Array.from(a ?? [])).not.toEqual(Array.from(b ?? []))
  }, 120_000)
})

describe('stateOutOfRange', () => {
  it('skips joints constant in training and names the worst joint', () => {
    const min = [0, 1, -1]
    const max = [0, 2, 1]
    const inRange = Float32Array.from([5, 1.5, 0, 9, 1.9, -0.5])
    expect(stateOutOfRange(inRange, 2, min, max, ['a', 'b', 'c'], 'm')).toBeNull()
    const far = Float32Array.from([0, 1.5, 0, 0, 9, 0])
    expect(stateOutOfRange(far, 2, min, max, ['a', 'b', 'c'], 'm')).toBe("state out of m's training range: 1 of 3 joints more than 3 ranges outside it (worst b reaches 9.00, trained on 1.00..2.00)")
    // In range once divided by 57.3: degrees where the model had radians.
    const deg = Float32Array.from([0, 1.2, 0.5, 0, 1.8, -0.7].map((v) => v * (180 / Math.PI)))
    expect(stateOutOfRange(deg, 2, min, max, ['a', 'b', 'c'], 'm')).toContain('2 of 3 joints more than 3 ranges outside it (worst b reaches 103, trained on 1.00..2.00); the values look like degrees')
  })
})
