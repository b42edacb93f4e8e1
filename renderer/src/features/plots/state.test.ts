import { describe, expect, it, vi } from 'vitest'
import type { EpisodeState, EpisodeView } from '../../../../app/contract'
import type { DatasetSummary, NumericFeatureInfo } from '../../../../app/dataset'
import { frames } from './plotShared'
import { episodeFeature, plottedFeatureKeys } from './state'
import { createAppStore } from '../../state/store'
import { fakeClient } from '../../testing/fakeClient'
import { datasetClient, openPlayer, testEpisode, testModel, testModelCheck, testSnapshot, testSummary } from '../../testing/builders'

const LENGTH = 100

const info = (key: string): NumericFeatureInfo => ({ key, dtype: 'float32', dim: 2, names: ['a', 'b'] })
const values = (key: string, at: number): EpisodeState => ({ key, dim: 2, names: ['a', 'b'], values: new Float32Array([at, at + 1, at + 2, at + 3]) })

function summary(stateKey: string | null): DatasetSummary {
  return testSummary(
    { fps: 10, length: 2, episodes: 1 },
    {
      root: '/d1',
      tasks: [],
      episodes: [{ index: 0, tasks: [], length: 2, present: true, warnings: [] }],
      state: stateKey === null ? null : { key: stateKey, dim: 2, names: ['a', 'b'] },
      features: [info('state'), info('actions'), info('observation.effort')],
      stateChoice: stateKey === null ? { key: null, by: 'none', reason: '' } : { key: stateKey, by: 'name', reason: '' },
    },
  )
}

const episode = (features: EpisodeState[]): EpisodeView => testEpisode(0, { fps: 10, length: 2 }, { tasks: [], state: values('state', 0), features })

describe('the feature plot state', () => {
  it('shows the state by default, loads the chosen features with the episode and fetches one the picker adds', async () => {
    const fake = fakeClient(
      {
        'dataset.open': () => summary('state'),
        'episode.open': (p) => episode((p.features ?? []).filter((k) => k !== 'state').map((k) => values(k, 10))),
        'episode.features': (p) => p.keys.map((k) => values(k, 20)),
      },
      { 'annotations.load': () => testSnapshot({ projectFile: '' }) },
    )
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/d1')
    expect(plottedFeatureKeys(store.getState(), summary('state'))).toEqual(['state'])
    expect(plottedFeatureKeys(store.getState(), summary(null))).toEqual(['state'])
    await store.getState().openEpisode(0)
    expect(fake.calls.find((c) => c.method === 'episode.open')?.params).toEqual({ datasetId: 'd1', episode: 0, features: ['state'] })

    await store.getState().setPlotFeatures(['state', 'actions'])
    expect(fake.calls.filter((c) => c.method === 'episode.features').map((c) => c.params)).toEqual([{ datasetId: 'd1', episode: 0, keys: ['actions'] }])
    expect(episodeFeature(store.getState(), 'actions')?.values[0]).toBe(20)
    expect(episodeFeature(store.getState(), 'state')?.values[0]).toBe(0)

    // Reopened, the episode brings the chosen features itself: nothing fetched afterwards.
    await store.getState().openEpisode(0)
    expect(fake.calls.filter((c) => c.method === 'episode.open').at(-1)?.params).toEqual({ datasetId: 'd1', episode: 0, features: ['state', 'actions'] })
    expect(episodeFeature(store.getState(), 'actions')?.values[0]).toBe(10)
    expect(fake.count('episode.features')).toBe(1)
  })

  it('a new state key replaces the dataset summary and the open episode state, and checks the selected model again', async () => {
    const fake = fakeClient(
      {
        'dataset.open': () => summary('state'),
        'episode.open': () => episode([]),
        'dataset.setStateKey': ({ key }) => summary(key),
        'episode.features': (p) => p.keys.map((k) => values(k, 30)),
        'models.list': () => [testModel()],
        'models.cameraMap': ({ datasetId, modelId }) => ({ datasetId, modelId, slots: {}, guessed: true, how: {} }),
        'models.check': ({ datasetId, modelId }) => testModelCheck(datasetId, modelId, true),
      },
      { 'annotations.load': () => testSnapshot(), 'curves.list': () => [] },
    )
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/d1')
    await store.getState().loadModels()
    await store.getState().openEpisode(0)
    const maps = fake.count('models.cameraMap')
    await store.getState().setStateKey('actions')
    expect(store.getState().datasets[0]?.state?.key).toBe('actions')
    expect(store.getState().episode?.state).toMatchObject({ key: 'actions' })
    expect(store.getState().episode?.state?.values[0]).toBe(30)
    await vi.waitFor(() => expect(fake.count('models.cameraMap')).toBe(maps + 1))
  })
})

describe('shared plot range and smoothing', () => {
  it('stores a zoomed range; the whole episode (or an empty range) is no zoom', async () => {
    const store = createAppStore(datasetClient({ fps: 30, length: LENGTH, episodes: 2 }).client)
    await openPlayer(store)
    store.getState().setPlotRange([10, 40])
    expect(store.getState().plotRange).toEqual([10, 40])
    store.getState().setPlotRange([0, LENGTH - 1])
    expect(store.getState().plotRange).toBeNull()
    store.getState().setPlotRange([5, 5])
    expect(store.getState().plotRange).toBeNull()
    store.getState().setPlotRange([20, 30])
    await store.getState().openEpisode(1)
    expect(store.getState().plotRange).toBeNull()
  })

  it('clamps the value plot smoothing to 0..0.95; nonsense is no smoothing', () => {
    const store = createAppStore(datasetClient({ fps: 30, length: LENGTH, episodes: 2 }).client)
    store.getState().setValueSmoothing(0.5)
    expect(store.getState().valueSmoothing).toBe(0.5)
    store.getState().setValueSmoothing(3)
    expect(store.getState().valueSmoothing).toBe(0.95)
    store.getState().setValueSmoothing(Number.NaN)
    expect(store.getState().valueSmoothing).toBe(0)
  })

  it('keeps render caches per store: the frame axis is stable within one store and never shared with another', () => {
    const one = createAppStore(datasetClient({ fps: 30, length: LENGTH, episodes: 1 }).client).getState().plotCaches
    const other = createAppStore(datasetClient({ fps: 30, length: LENGTH, episodes: 1 }).client).getState().plotCaches
    expect(one).not.toBe(other)
    const axis = frames(one, 5)
    expect(Array.from(axis)).toEqual([0, 1, 2, 3, 4])
    expect(frames(one, 5)).toBe(axis)
    expect(frames(other, 5)).not.toBe(axis)
    expect(Array.from(frames(one, 3, 2))).toEqual([2, 3, 4])
  })
})
