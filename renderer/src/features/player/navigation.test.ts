import { describe, expect, it } from 'vitest'
import type { Method, Params, Result } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { createAppStore } from '../../state/store'
import { datasetClient, recordingDriver, testEvent } from '../../testing/builders'

const EVENTS = [testEvent('e1', 0, 20, 'milestone', 'grasp'), testEvent('e2', 1, 15, 'error', 'drop'), testEvent('e3', 1, 30, 'milestone', 'grasp')]

function fakeClient(answers: Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>) {
  return datasetClient({ fps: 10, length: 40, episodes: 3 }, answers, {}, { events: EVENTS })
}

describe('navigation to a place in an episode', () => {
  it('opens an episode at a frame once the player attaches its driver, selecting the event there', async () => {
    const { client } = fakeClient({})
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().loadProject('d1')
    await store.getState().openEpisodeAt(1, 15, 'error')
    expect(store.getState()).toMatchObject({ screen: 'player', selectedEpisode: 1, frame: 0 })
    expect(store.getState().pendingSeek).toEqual({ datasetId: 'd1', episode: 1, frame: 15, kind: 'error' })
    const log: string[] = []
    store.getState().attachDriver(recordingDriver(store, log))
    expect(log).toEqual(['seek 15'])
    expect(store.getState().frame).toBe(15)
    expect(store.getState().selectedEventId).toBe('e2')
    expect(store.getState().pendingSeek).toBeNull()
    // Only once: the next driver (e.g. another episode) starts where it always does.
    store.getState().attachDriver(null)
    store.getState().attachDriver(recordingDriver(store, log))
    expect(log).toEqual(['seek 15'])
  })

  it('drops the seek when another episode is opened before the player shows the target', async () => {
    const { client } = fakeClient({})
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisodeAt(1, 30, 'milestone')
    await store.getState().openEpisode(2)
    const log: string[] = []
    store.getState().attachDriver(recordingDriver(store, log))
    expect(log).toEqual([])
    expect(store.getState().pendingSeek).toBeNull()
    expect(store.getState().frame).toBe(0)
  })

  it('drops the seek when the episode cannot be opened', async () => {
    const { client } = fakeClient({
      'episode.open': () => {
        throw new VivaError('NOT_FOUND', 'episode 9 is missing on disk')
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisodeAt(9, 12)
    expect(store.getState().pendingSeek).toBeNull()
    expect(store.getState().screen).toBe('datasets')
    expect(store.getState().errors).toHaveLength(1)
  })
})
