import { describe, expect, it, vi } from 'vitest'
import type { JobInfo, Method, ModelCheck, ModelInfo, Params, Result } from '../../../../app/contract'
import type { CurveChunk, CurveData, CurveInfo } from '../../../../app/curves'
import { VivaError } from '../../../../app/errors'
import { createAppStore } from '../../state/store'
import { datasetClient, settle, testCurveInfo } from '../../testing/builders'

const LENGTH = 20

const info = (id: string, patch: Partial<CurveInfo> = {}): CurveInfo => testCurveInfo(id, LENGTH, patch)

/** A curve as the main side has it on disk: the first `upTo` frames computed (value = frame / 100). */
function disk(i: CurveInfo, upTo: number): CurveData {
  const values = new Float32Array(i.length).fill(NaN)
  for (let f = 0; f < upTo; f++) values[f] = f / 100
  let future: Float32Array | null = null
  if (i.futureDim > 0) {
    future = new Float32Array(i.length * i.futureDim).fill(NaN)
    for (let f = 0; f < upTo * i.futureDim; f++) future[f] = -f
  }
  return { info: { ...i, computed: upTo, complete: upTo === i.length }, values, future }
}

function chunk(curveId: string, start: number, n: number, futureDim = 0): CurveChunk {
  const values = Float32Array.from({ length: n }, (_, k) => (start + k) / 100)
  const future = futureDim > 0 ? Float32Array.from({ length: n * futureDim }, (_, k) => -(start * futureDim + k)) : null
  return { jobId: 'j1', datasetId: 'd1', episode: 0, curveId, start, values, future }
}

function job(patch: Partial<JobInfo> = {}): JobInfo {
  return {
    id: 'j1',
    datasetId: 'd1',
    modelId: 'm1',
    modelName: 'viva',
    episodes: [0],
    steps: 4,
    seed: 0,
    state: 'running',
    episode: 0,
    episodesDone: 0,
    framesDone: 0,
    framesTotal: LENGTH,
    framesResumed: 0,
    framesPerSecond: 0,
    etaSeconds: null,
    provider: null,
    error: null,
    episodeErrors: [],
    params: null,
    warnings: [],
    ...patch,
  }
}

function model(patch: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id: 'm1',
    name: 'viva-reference',
    kind: 'viva-flow',
    dir: '/models/viva-reference',
    source: 'bundled',
    cameras: ['high', 'left'],
    stateDim: 14,
    stateNames: [],
    fps: 30,
    horizon: 8,
    defaultSteps: 4,
    imageSize: [64, 64],
    error: null,
    ...patch,
  }
}

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

const fakeClient = (answers: Answers) => datasetClient({ fps: 30, length: LENGTH, episodes: 2 }, answers)

async function openPlayer(answers: Answers) {
  const fake = fakeClient(answers)
  const store = createAppStore(fake.client)
  await store.getState().openDataset('/data/d1')
  await store.getState().openEpisode(0)
  await settle()
  return { ...fake, store }
}

describe('curves slice', () => {
  it('loads the episode list and the visible curves on episode open', async () => {
    const a = info('a', { computed: LENGTH, complete: true, convention: 'remaining' })
    const { store, calls } = await openPlayer({
      'curves.list': () => [a],
      'curves.get': () => disk(a, LENGTH),
    })
    expect(calls.filter((c) => c.method === 'curves.list').map((c) => c.params)).toEqual([{ datasetId: 'd1', episode: 0 }])
    const entry = store.getState().curveData.a
    expect(entry?.computed).toBe(LENGTH)
    expect(entry?.contiguous).toBe(LENGTH)
    expect(entry?.values[5]).toBeCloseTo(0.05)
    expect(store.getState().curvesKey).toBe('d1#0')
  })

  it('appends chunks in place; a gap fetches the curve again and replays what came meanwhile', async () => {
    const a = info('a', { futureDim: 2, futureNames: ['j0', 'j1'], futureOffset: 3 })
    let onDisk = 4
    const { store, emit, count } = await openPlayer({
      'curves.list': () => [{ ...a, computed: onDisk }],
      'curves.get': () => disk(a, onDisk),
    })
    const before = store.getState().curveData.a!
    expect(before.contiguous).toBe(4)
    const values = before.values

    emit('score.chunk', chunk('a', 4, 3, 2))
    let entry = store.getState().curveData.a!
    expect(entry).not.toBe(before)
    expect(entry.values).toBe(values) // appended into the same array
    expect(entry.contiguous).toBe(7)
    expect(entry.computed).toBe(7)
    expect(entry.values[6]).toBeCloseTo(0.06)
    expect(Array.from(entry.future!.subarray(8, 14))).toEqual([-8, -9, -10, -11, -12, -13])
    expect(count('curves.get')).toBe(1)

    // Overlapping chunks are fine (no refetch).
    emit('score.chunk', chunk('a', 5, 3, 2))
    expect(store.getState().curveData.a!.contiguous).toBe(8)
    expect(count('curves.get')).toBe(1)

    // Frames 8..11 were lost: the chunk at 12 is a gap.
    onDisk = 14
    emit('score.chunk', chunk('a', 12, 2, 2))
    expect(count('curves.get')).toBe(2)
    // Arrives while the refetch is in flight: buffered, then replayed.
    emit('score.chunk', chunk('a', 14, 3, 2))
    await settle()
    entry = store.getState().curveData.a!
    expect(entry.contiguous).toBe(17)
    expect(entry.computed).toBe(17)
    expect(entry.values[16]).toBeCloseTo(0.16)
    expect(entry.future![16 * 2 + 1]).toBe(-33)
    expect(count('curves.get')).toBe(2)
  })

  it('ignores chunks of other episodes and datasets', async () => {
    const a = info('a')
    const { store, emit } = await openPlayer({ 'curves.list': () => [a], 'curves.get': () => disk(a, 2) })
    emit('score.chunk', { ...chunk('a', 2, 3), episode: 1 })
    emit('score.chunk', { ...chunk('a', 2, 3), datasetId: 'other' })
    expect(store.getState().curveData.a!.contiguous).toBe(2)
  })

  it('a chunk of a curve not listed yet lists again once, then fetches and replays it', async () => {
    const a = info('a')
    let listed: CurveInfo[] = []
    const { store, emit, count } = await openPlayer({
      'curves.list': () => listed,
      'curves.get': () => disk(a, 0),
    })
    expect(store.getState().curveList).toEqual([])
    listed = [a]
    emit('score.chunk', chunk('a', 0, 4))
    emit('score.chunk', chunk('a', 4, 4))
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(count('curves.get')).toBe(1)
    expect(store.getState().curveData.a!.contiguous).toBe(8)
    expect(store.getState().curveJobs.a).toBe('j1')
  })

  it('curves.changed for this episode (or the whole dataset) reloads the list; others are ignored', async () => {
    const a = info('a', { computed: LENGTH, complete: true })
    const b = info('b', { computed: LENGTH, complete: true, source: 'import', modelId: null, params: null, convention: 'remaining-frames' })
    let listed: CurveInfo[] = [a]
    const { store, emit, count } = await openPlayer({
      'curves.list': () => listed,
      'curves.get': ({ curveId }) => disk(curveId === 'a' ? a : b, LENGTH),
    })
    expect(count('curves.list')).toBe(1)
    emit('curves.changed', { datasetId: 'd1', episode: 1 })
    emit('curves.changed', { datasetId: 'other', episode: null })
    await settle()
    expect(count('curves.list')).toBe(1)

    listed = [a, b]
    emit('curves.changed', { datasetId: 'd1', episode: 0 })
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a', 'b'])
    expect(store.getState().curveData.b?.computed).toBe(LENGTH)
    expect(count('curves.get')).toBe(2) // a is unchanged: not fetched again

    // Deleted curves go away; a dataset-wide change reloads too.
    listed = [b]
    emit('curves.changed', { datasetId: 'd1', episode: null })
    await settle()
    expect(count('curves.list')).toBe(3)
    expect(Object.keys(store.getState().curveData)).toEqual(['b'])
  })

  it('the list being ahead of the chunks (the last ones were lost) fetches the curve again', async () => {
    const a = info('a')
    let onDisk = 5
    const { store, emit, count } = await openPlayer({
      'curves.list': () => [{ ...a, computed: onDisk, complete: onDisk === LENGTH }],
      'curves.get': () => disk(a, onDisk),
    })
    onDisk = LENGTH
    emit('score.progress', job({ state: 'running' }))
    emit('score.progress', job({ state: 'done', framesDone: LENGTH }))
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(count('curves.get')).toBe(2)
    expect(store.getState().curveData.a!.computed).toBe(LENGTH)
  })

  it('hidden curves are not fetched, stay hidden in the next episode, and load when shown', async () => {
    const a = info('a', { computed: 3 })
    const { store, emit, count } = await openPlayer({
      'curves.list': ({ episode: e }) => [{ ...a, id: `a${e}`, episode: e }],
      'curves.get': ({ curveId }) => disk({ ...a, id: curveId }, 3),
    })
    expect(count('curves.get')).toBe(1)
    store.getState().setCurveVisible('a0', false)
    await store.getState().openEpisode(1)
    await settle()
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a1'])
    expect(store.getState().curveData).toEqual({})
    expect(count('curves.get')).toBe(1)
    // A hidden curve's count still follows the chunks (for its legend badge).
    emit('score.chunk', { ...chunk('a1', 3, 4), episode: 1 })
    expect(store.getState().curveList[0]!.computed).toBe(7)
    store.getState().setCurveVisible('a1', true)
    await settle()
    expect(count('curves.get')).toBe(2)
    expect(store.getState().curveData.a1).toBeDefined()
  })

  it('a stale list or curve answer for an episode left meanwhile is dropped', async () => {
    let release: (() => void) | null = null
    const a = info('a')
    const { store } = await openPlayer({
      'curves.list': async ({ episode: e }) => {
        if (e === 1) await new Promise<void>((r) => (release = r))
        return [{ ...a, id: `a${e}`, episode: e }]
      },
      'curves.get': ({ curveId }) => disk({ ...a, id: curveId }, 2),
    })
    const opening = store.getState().openEpisode(1)
    await opening
    await settle()
    await store.getState().openEpisode(0)
    ;(release as (() => void) | null)?.()
    await settle()
    expect(store.getState().curvesKey).toBe('d1#0')
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a0'])
  })

  it('models, camera mapping, scoring and job control go through the contract', async () => {
    const models = [model({ id: 'bad', name: 'broken', kind: null, error: { code: 'MODEL_INVALID', message: 'no manifest' } }), model()]
    const { store, calls, emit } = await openPlayer({
      'curves.list': () => [],
      'models.list': () => models,
      'models.cameraMap': ({ datasetId, modelId }) => ({ datasetId, modelId, slots: { high: 'cam_high', left: null }, guessed: true, how: { high: 'name', left: 'none' } }),
      'models.setCameraMap': ({ datasetId, modelId, slots }) => ({ datasetId, modelId, slots, guessed: false, how: { high: 'saved', left: 'saved' } }),
      'models.check': ({ datasetId, modelId }) => check(datasetId, modelId, true),
      'score.start': (p) => job({ episodes: p.episodes, state: 'queued', modelId: p.modelId }),
      'score.pause': ({ paused }) => job({ state: paused ? 'paused' : 'running' }),
      'score.cancel': () => job({ state: 'cancelled' }),
    })
    await store.getState().loadModels()
    expect(store.getState().selectedModelId).toBe('m1') // the first usable one
    expect(store.getState().cameraMap?.slots).toEqual({ high: 'cam_high', left: null })
    await store.getState().setCameraSlot('left', 'cam_left')
    expect(store.getState().cameraMap).toMatchObject({ slots: { high: 'cam_high', left: 'cam_left' }, guessed: false })

    store.getState().setProvider('cpu')
    store.getState().setScoreSteps('m1', 8)
    await store.getState().startScore('episode')
    await store.getState().startScore('all')
    const starts = calls.filter((c) => c.method === 'score.start').map((c) => c.params)
    expect(starts).toEqual([
      { datasetId: 'd1', modelId: 'm1', episodes: [0], provider: 'cpu', steps: 8 },
      { datasetId: 'd1', modelId: 'm1', episodes: [], provider: 'cpu', steps: 8 },
    ])
    expect(store.getState().jobs).toHaveLength(1)
    emit('score.progress', job({ framesDone: 7 }))
    expect(store.getState().jobs[0]?.framesDone).toBe(7)
    await store.getState().pauseJob('j1', true)
    expect(store.getState().jobs[0]?.state).toBe('paused')
    await store.getState().cancelJob('j1')
    expect(store.getState().jobs[0]?.state).toBe('cancelled')
    expect(store.getState().errors).toEqual([])
  })

  it('loads the compatibility check with the mapping, shows why a start was refused, saves a state map', async () => {
    let fits = false
    const { store, calls } = await openPlayer({
      'curves.list': () => [],
      'models.list': () => [model()],
      'models.cameraMap': ({ datasetId, modelId }) => ({ datasetId, modelId, slots: { high: 'cam_high' }, guessed: true, how: { high: 'position' } }),
      'models.check': ({ datasetId, modelId }) => check(datasetId, modelId, fits),
      'models.setStateMap': ({ datasetId, modelId, map }) => {
        if (map === '0-99') throw new VivaError('INVALID_ARGUMENT', 'State map: "0-99": the dataset\'s state has 12 joints (0-11)')
        fits = map !== null
        return { ...check(datasetId, modelId, fits), stateMap: map }
      },
      'score.start': () => {
        throw new VivaError('MODEL_INCOMPATIBLE', 'viva cannot score d1: state has 12 dimensions, viva expects 14')
      },
    })
    await store.getState().loadModels()
    await vi.waitFor(() => expect(store.getState().modelCheck?.ok).toBe(false))
    expect(store.getState().cameraMap?.how).toEqual({ high: 'position' })
    expect(await store.getState().startScore('episode')).toBeNull()
    expect(store.getState().scoreRefused).toMatchObject({ code: 'MODEL_INCOMPATIBLE', message: 'viva cannot score d1: state has 12 dimensions, viva expects 14' })
    expect(await store.getState().setStateMap('0-99')).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await store.getState().setStateMap('0-11,pad:0,pad:0')).toBeNull()
    expect(store.getState().modelCheck).toMatchObject({ ok: true, stateMap: '0-11,pad:0,pad:0' })
    expect(store.getState().scoreRefused).toBeNull()
    expect(calls.filter((c) => c.method === 'models.setStateMap').map((c) => c.params)).toEqual([
      { datasetId: 'd1', modelId: 'm1', map: '0-99' },
      { datasetId: 'd1', modelId: 'm1', map: '0-11,pad:0,pad:0' },
    ])
  })
})

function check(datasetId: string, modelId: string, ok: boolean): ModelCheck {
  return {
    datasetId,
    modelId,
    issues: ok ? [] : [{ level: 'error', code: 'STATE_DIM', message: 'state has 12 dimensions, viva expects 14' }],
    ok,
    stateMap: null,
    datasetStateDim: 12,
    modelStateDim: 14,
    suggestedStateMap: ok ? null : '0-11,pad:mid,pad:mid',
  }
}
