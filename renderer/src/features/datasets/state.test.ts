import { describe, expect, it, vi } from 'vitest'
import type { EpisodeCheck, Method, Params, Result } from '../../../../app/contract'
import type { DatasetSummary, DatasetWarning } from '../../../../app/dataset'
import { VivaError } from '../../../../app/errors'
import { createAppStore } from '../../state/store'
import { datasetClient, heldAnswers, openPlayer, testSnapshot, testSummary } from '../../testing/builders'
import { fakeClient as makeFakeClient } from '../../testing/fakeClient'
import { episodeWarnings } from './episodeChecks'
import { filteredEpisodes } from './state'

function summary(): DatasetSummary {
  return testSummary({ fps: 30, length: 100, episodes: 4, taskOf: (i) => (i % 2 ? 'pack' : 'fold'), present: (i) => i !== 3 })
}

function fakeClient(answers: Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>) {
  return makeFakeClient(answers, { 'annotations.load': () => testSnapshot() })
}

const warning = (code: string, episode: number): DatasetWarning => ({ level: 'warning', code, message: `${code} in ${episode}`, episode })

describe('datasets state', () => {
  it('opens a dataset and selects its first present episode; failures become visible errors', async () => {
    const { client } = fakeClient({
      'dataset.open': ({ path }) => {
        if (path === '/bad') throw new VivaError('NOT_A_DATASET', '/bad is not a LeRobot dataset: meta/info.json not found', '/bad/meta/info.json')
        return summary()
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    expect(store.getState().currentDatasetId).toBe('d1')
    expect(store.getState().selectedEpisode).toBe(0)
    await store.getState().openDataset('/bad')
    expect(store.getState().errors).toHaveLength(1)
    expect(store.getState().errors[0]).toMatchObject({ code: 'NOT_A_DATASET', file: '/bad/meta/info.json' })
    expect(store.getState().currentDatasetId).toBe('d1')
  })

  it('filters episodes by task and by number or text', () => {
    const s = summary()
    const none = { outcomeFilter: null, statusFilter: null, project: null }
    expect(filteredEpisodes({ ...none, taskFilter: 'pack', textFilter: '' }, s).map((e) => e.index)).toEqual([1, 3])
    expect(filteredEpisodes({ ...none, taskFilter: null, textFilter: '2' }, s).map((e) => e.index)).toEqual([2])
    expect(filteredEpisodes({ ...none, taskFilter: null, textFilter: 'FOL' }, s).map((e) => e.index)).toEqual([0, 2])
    // Without annotations every episode is "unknown" and "todo".
    expect(filteredEpisodes({ ...none, outcomeFilter: 'unknown', taskFilter: null, textFilter: '' }, s)).toHaveLength(4)
    expect(filteredEpisodes({ ...none, statusFilter: 'done', taskFilter: null, textFilter: '' }, s)).toHaveLength(0)
    expect(filteredEpisodes({ ...none, eventFilter: 'none', taskFilter: null, textFilter: '' }, s)).toHaveLength(4)
    expect(filteredEpisodes({ ...none, eventFilter: 'errors', taskFilter: null, textFilter: '' }, s)).toHaveLength(0)
  })

  it('selecting another dataset clears the filters, selects its first episode and loads its project', async () => {
    const other = { ...summary(), id: 'd2', root: '/data/d2', name: 'd2' }
    const { client, calls } = fakeClient({ 'dataset.open': ({ path }) => (path === '/data/d2' ? other : summary()) })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openDataset('/data/d2')
    store.getState().setTaskFilter('pack')
    store.getState().setTextFilter('3')
    store.getState().setEventFilter('errors')
    store.getState().selectEpisode(2)
    store.getState().selectDataset('d1')
    expect(store.getState()).toMatchObject({ currentDatasetId: 'd1', taskFilter: null, textFilter: '', eventFilter: 'any', selectedEpisode: 0 })
    await vi.waitFor(() => expect(calls.filter((c) => c.method === 'annotations.load').map((c) => c.params)).toEqual([{ datasetId: 'd1' }, { datasetId: 'd2' }, { datasetId: 'd1' }]))
    store.getState().selectDataset('unknown')
    expect(store.getState().currentDatasetId).toBe('d1')
  })

  it('opening a dataset from the player shows the dataset screen', async () => {
    const fake = datasetClient({ fps: 30, length: 10, episodes: 2 })
    const store = createAppStore(fake.client)
    await openPlayer(store)
    expect(store.getState().screen).toBe('player')
    await store.getState().openDataset('/data/d1')
    expect(store.getState().screen).toBe('datasets')
  })
})

describe('episode checks', () => {
  it('checks episodes in batches, skips those already checked, and merges warnings with the summary’s once', async () => {
    const { client, calls } = fakeClient({
      'dataset.checkEpisodes': ({ episodes }) => episodes.map((episode): EpisodeCheck => ({ episode, warnings: episode === 9 ? [warning('SHORT_VIDEO', 9)] : [] })),
    })
    const store = createAppStore(client)
    const all = Array.from({ length: 12 }, (_, i) => i)
    await store.getState().checkEpisodes('d1', all)
    expect(calls.filter((c) => c.method === 'dataset.checkEpisodes').map((c) => (c.params as Params<'dataset.checkEpisodes'>).episodes)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11],
    ])
    await store.getState().checkEpisodes('d1', [9, 12])
    expect(calls.filter((c) => c.method === 'dataset.checkEpisodes').at(-1)?.params).toEqual({ datasetId: 'd1', episodes: [12] })
    const checked = store.getState().episodeChecks.d1?.[9]
    expect(episodeWarnings({ warnings: [warning('SHORT_VIDEO', 9), warning('GAP', 9)] }, checked).map((w) => w.code)).toEqual(['SHORT_VIDEO', 'GAP'])
  })

  it('a new run aborts the batch in flight of the old one, whose answer is dropped and whose later batches never go', async () => {
    const batches = heldAnswers<EpisodeCheck[]>()
    const { client, calls } = fakeClient({ 'dataset.checkEpisodes': () => batches.answer() })
    const store = createAppStore(client)
    const old = store.getState().checkEpisodes('d1', Array.from({ length: 16 }, (_, i) => i))
    const now = store.getState().checkEpisodes('d2', [0])
    const asked = calls.filter((c) => c.method === 'dataset.checkEpisodes')
    expect(asked.map((c) => c.signal?.aborted)).toEqual([true, false])
    batches.held[0]!.resolve([{ episode: 0, warnings: [warning('LATE', 0)] }])
    batches.held[1]!.resolve([{ episode: 0, warnings: [] }])
    await Promise.all([old, now])
    expect(calls.filter((c) => c.method === 'dataset.checkEpisodes')).toHaveLength(2)
    expect(store.getState().episodeChecks).toEqual({ d2: { 0: [] } })
    expect(store.getState().episodeChecksError).toEqual({})
  })

  it('a failed check is kept per dataset (never a toast); stopping ends the run', async () => {
    const { client } = fakeClient({
      'dataset.checkEpisodes': () => {
        throw new VivaError('INTERNAL', 'the worker died')
      },
    })
    const store = createAppStore(client)
    await store.getState().checkEpisodes('d1', [0, 1])
    expect(store.getState().episodeChecksError.d1).toMatchObject({ code: 'INTERNAL', message: 'the worker died' })
    expect(store.getState().errors).toEqual([])
    store.getState().stopEpisodeChecks()
  })
})
