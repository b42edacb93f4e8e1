import { describe, expect, it, vi } from 'vitest'
import { VivaError } from '../../../app/errors'
import { datasetClient, openPlayer, testEvent, testSummary } from '../testing/builders'
import { createAppStore } from './store'

/** The store's own wiring: the main side's events and commands, and what it does between features. */
describe('app store', () => {
  it('keeps the last five errors as toasts, each until dismissed', () => {
    const store = createAppStore(datasetClient({ fps: 30, length: 10, episodes: 1 }).client)
    for (let i = 0; i < 7; i++) store.getState().pushError(new VivaError('INTERNAL', `error ${i}`))
    expect(store.getState().errors.map((e) => e.message)).toEqual(['error 2', 'error 3', 'error 4', 'error 5', 'error 6'])
    const third = store.getState().errors[1]!
    store.getState().dismissError(third.id)
    expect(store.getState().errors.map((e) => e.message)).toEqual(['error 2', 'error 4', 'error 5', 'error 6'])
  })

  it('raises one toast\'s count for the same error instead of piling up copies', () => {
    const store = createAppStore(datasetClient({ fps: 30, length: 10, episodes: 1 }).client)
    for (let i = 0; i < 3; i++) store.getState().pushError(new VivaError('MEDIA_FAILED', 'Cannot read video a.mp4'))
    store.getState().pushError(new VivaError('INTERNAL', 'other'))
    store.getState().pushError(new VivaError('MEDIA_FAILED', 'Cannot read video a.mp4'))
    expect(store.getState().errors.map((e) => [e.message, e.count])).toEqual([
      ['other', 1],
      ['Cannot read video a.mp4', 4],
    ])
  })

  it('clears the toasts when the user moves on: an episode opened or closed, another dataset shown', async () => {
    const fake = datasetClient({ fps: 30, length: 10, episodes: 2 })
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/data/d1')
    await vi.waitFor(() => expect(fake.count('annotations.load')).toBe(1))
    store.getState().pushError(new VivaError('INTERNAL', 'on the list'))
    await store.getState().openEpisode(0)
    expect(store.getState().errors).toEqual([])
    store.getState().pushError(new VivaError('INTERNAL', 'in the player'))
    store.getState().closeEpisode()
    expect(store.getState().errors).toEqual([])
    store.getState().pushError(new VivaError('INTERNAL', 'again'))
    store.getState().selectDataset('d1')
    expect(store.getState().errors).toEqual([])
  })

  it('reloads the project when another window changes it, not after its own edits', async () => {
    const fake = datasetClient({ fps: 30, length: 10, episodes: 1 })
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/data/d1')
    await vi.waitFor(() => expect(fake.count('annotations.load')).toBe(1))
    fake.emit('annotations.changed', { datasetId: 'd1', origin: store.getState().clientId })
    fake.emit('annotations.changed', { datasetId: 'd2', origin: 'other' })
    expect(fake.count('annotations.load')).toBe(1)
    fake.emit('annotations.changed', { datasetId: 'd1', origin: 'other' })
    await vi.waitFor(() => expect(fake.count('annotations.load')).toBe(2))
  })

  it('shows a dataset another launch asked for, reading the list when it is not known yet, at the episode asked', async () => {
    const fake = datasetClient({ fps: 30, length: 10, episodes: 3 }, { 'dataset.list': () => [testSummary({ fps: 30, length: 10, episodes: 3 })] })
    const store = createAppStore(fake.client)
    fake.emit('app.command', { command: 'showDataset', datasetId: 'd1', episode: 2 })
    await vi.waitFor(() => expect(store.getState().episode?.index).toBe(2))
    expect(store.getState()).toMatchObject({ currentDatasetId: 'd1', screen: 'player', selectedEpisode: 2 })
    expect(fake.count('dataset.list')).toBe(1)
  })

  it('opening an episode forgets what the views showed of the last one; opening at an event selects it', async () => {
    const fake = datasetClient({ fps: 30, length: 50, episodes: 2 }, {}, {}, { events: [testEvent('e1', 1, 30, 'error', 'drop')] })
    const store = createAppStore(fake.client)
    await openPlayer(store)
    store.getState().setPlotRange([5, 20])
    store.getState().setDetected({ scope: 'x', list: [] })
    await store.getState().openEpisodeAt(1, 30, 'error')
    expect(store.getState()).toMatchObject({ plotRange: null, detected: null, pendingSeek: { episode: 1, frame: 30 } })
    store.getState().attachDriver({ seek: (f) => store.getState().reportFrame(f), play: () => undefined, pause: () => undefined, setSpeed: () => undefined })
    expect(store.getState()).toMatchObject({ frame: 30, selectedEventId: 'e1', pendingSeek: null })
  })
})
