import { describe, expect, it } from 'vitest'
import type { EpisodeState, EpisodeView } from '../../../../app/contract'
import type { DatasetSummary, NumericFeatureInfo } from '../../../../app/dataset'
import { episodeFeature, plottedFeatureKeys } from './state'
import { createAppStore } from '../../state/store'
import { fakeClient } from '../../testing/fakeClient'
import { testEpisode, testSnapshot, testSummary } from '../../testing/builders'

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
})
