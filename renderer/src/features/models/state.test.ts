import { describe, expect, it, vi } from 'vitest'
import type { CameraMapping, Method, Params, Result } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { heldAnswers, playerStore, testModel, testModelCheck } from '../../testing/builders'

const LENGTH = 20
const model = testModel
const check = testModelCheck

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

const openPlayer = (answers: Answers) => playerStore({ fps: 30, length: LENGTH, episodes: 2 }, answers)

const mapping = (datasetId: string, modelId: string): CameraMapping => ({ datasetId, modelId, slots: { high: 'cam_high' }, guessed: true, how: { high: 'position' } })

describe('models state', () => {
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

  it('a camera map asked for a model no longer selected is never shown: its request is aborted', async () => {
    const maps = heldAnswers<CameraMapping>()
    const { store, calls } = await openPlayer({
      'models.list': () => [model(), model({ id: 'm2', name: 'other', dir: '/models/other' })],
      'models.cameraMap': () => maps.answer(),
      'models.check': ({ datasetId, modelId }) => check(datasetId, modelId, true),
    })
    void store.getState().loadModels()
    await vi.waitFor(() => expect(maps.held).toHaveLength(1))
    store.getState().selectModel('m2')
    const asked = calls.filter((c) => c.method === 'models.cameraMap')
    expect(asked.map((c) => (c.params as Params<'models.cameraMap'>).modelId)).toEqual(['m1', 'm2'])
    expect(asked[0]?.signal?.aborted).toBe(true)
    expect(asked[1]?.signal?.aborted).toBe(false)
    maps.held[1]!.resolve(mapping('d1', 'm2'))
    await vi.waitFor(() => expect(store.getState().cameraMap?.modelId).toBe('m2'))
    // The stale answer (for m1) arrives last: it changes nothing.
    maps.held[0]!.resolve(mapping('d1', 'm1'))
    await vi.waitFor(() => expect(store.getState().modelCheck?.modelId).toBe('m2'))
    expect(store.getState().cameraMap?.modelId).toBe('m2')
    expect(store.getState().errors).toEqual([])
  })

  it('selecting another model forgets the refusal of the last start', async () => {
    const { store } = await openPlayer({
      'models.list': () => [model(), model({ id: 'm2', name: 'other', dir: '/models/other' })],
      'models.cameraMap': ({ datasetId, modelId }) => mapping(datasetId, modelId),
      'models.check': ({ datasetId, modelId }) => check(datasetId, modelId, false),
      'score.start': () => {
        throw new VivaError('MODEL_INCOMPATIBLE', 'viva cannot score d1')
      },
    })
    await store.getState().loadModels()
    await store.getState().startScore('episode')
    expect(store.getState().scoreRefused?.code).toBe('MODEL_INCOMPATIBLE')
    store.getState().selectModel('m2')
    expect(store.getState().scoreRefused).toBeNull()
    expect(store.getState().cameraMap).toBeNull()
  })
})
