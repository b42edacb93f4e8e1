import { describe, expect, it } from 'vitest'
import type { Method, Params, Result } from '../../../../app/contract'
import { playerStore, settle, testJob, testModel, testModelCheck } from '../../testing/builders'

const LENGTH = 20
const model = testModel
const check = testModelCheck
const job = (patch: Parameters<typeof testJob>[1] = {}) => testJob(LENGTH, patch)

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

const openPlayer = (answers: Answers) => playerStore({ fps: 30, length: LENGTH, episodes: 2 }, answers)

describe('jobs state', () => {
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

  it('a job that ends reloads the curve list only when it scored the open episode', async () => {
    const { store, emit, count } = await openPlayer({})
    const before = count('curves.list')
    emit('score.progress', job({ id: 'j2', episodes: [1], state: 'running' }))
    emit('score.progress', job({ id: 'j2', episodes: [1], state: 'done' }))
    await settle()
    expect(count('curves.list')).toBe(before)
    emit('score.progress', job({ id: 'j3', episodes: [], state: 'running' }))
    emit('score.progress', job({ id: 'j3', episodes: [], state: 'done' }))
    await settle()
    expect(count('curves.list')).toBe(before + 1)
    expect(store.getState().jobs.map((j) => [j.id, j.state])).toEqual([
      ['j2', 'done'],
      ['j3', 'done'],
    ])
  })
})
