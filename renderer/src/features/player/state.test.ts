import { describe, expect, it } from 'vitest'
import type { EpisodeView, Method, Params, Result } from '../../../app/contract'
import type { DatasetSummary } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { fakeClient as makeFakeClient } from '../testing/fakeClient'
import { createAppStore } from './store'
import { filteredEpisodes } from '../features/datasets/state'
import type { PlayerDriver } from '../features/player/state'
import { testEpisode, testSnapshot, testSummary } from '../testing/builders'

function summary(): DatasetSummary {
  return testSummary({ fps: 30, length: 100, episodes: 4, taskOf: (i) => (i % 2 ? 'pack' : 'fold'), present: (i) => i !== 3 })
}

function episode(index: number, needsProxy = false): EpisodeView {
  return testEpisode(index, { fps: 30, length: 100 }, {
    cameras: [
      { key: 'cam', media: needsProxy ? null : { rootId: 'd1', path: 'a.mp4' }, codec: 'h264', width: 64, height: 48, videoFrames: 100, frameTimes: new Float64Array(100), status: needsProxy ? 'needs-proxy' : 'ready', statusMessage: null },
    ],
  })
}

function fakeClient(answers: Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>) {
  return makeFakeClient(answers, { 'annotations.load': () => testSnapshot() })
}

describe('app store', () => {
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

  it('routes seeks through the driver, clamped to the episode, and stops playback before stepping', async () => {
    const { client } = fakeClient({ 'dataset.open': () => summary(), 'episode.open': ({ episode: i }) => episode(i) })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisode(1)
    const log: string[] = []
    const driver: PlayerDriver = {
      seek: (f) => {
        log.push(`seek ${f}`)
        store.getState().reportFrame(f)
      },
      play: () => {
        log.push('play')
        store.getState().reportPlaying(true)
      },
      pause: () => {
        log.push('pause')
        store.getState().reportPlaying(false)
      },
      setSpeed: (s) => log.push(`speed ${s}`),
    }
    store.getState().attachDriver(driver)
    store.getState().seek(500)
    store.getState().step(-1000)
    store.getState().togglePlay()
    store.getState().step(3)
    store.getState().setSpeed(10)
    expect(log).toEqual(['speed 1', 'seek 99', 'seek 0', 'play', 'pause', 'seek 3', 'speed 4'])
    expect(store.getState().frame).toBe(3)
  })

  it('only the latest episode request wins when the user moves quickly', async () => {
    let release: (() => void) | null = null
    const { client } = fakeClient({
      'dataset.open': () => summary(),
      'episode.open': async ({ episode: i }) => {
        if (i === 0) await new Promise<void>((r) => (release = r))
        return episode(i)
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    const slow = store.getState().openEpisode(0)
    await store.getState().openEpisode(2)
    ;(release as (() => void) | null)?.()
    await slow
    expect(store.getState().episode?.index).toBe(2)
  })

  it('prepares unplayable cameras automatically and tracks their progress', async () => {
    let finish: (() => void) | null = null
    const fake = fakeClient({
      'dataset.open': () => summary(),
      'episode.open': ({ episode: i }) => episode(i, true),
      'media.prepare': async () => {
        await new Promise<void>((r) => (finish = r))
        return episode(0).cameras[0]!
      },
    })
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisode(0)
    expect(fake.calls.map((c) => c.method)).toContain('media.prepare')
    fake.emit('media.progress', { datasetId: 'd1', episode: 0, camera: 'cam', fraction: 0.4, done: false })
    expect(store.getState().mediaProgress.cam).toBe(0.4)
    ;(finish as (() => void) | null)?.()
    await new Promise((r) => setTimeout(r, 0))
    expect(store.getState().episode?.cameras[0]?.status).toBe('ready')
    expect(store.getState().mediaProgress.cam).toBeUndefined()
  })

  it("shows why a camera cannot be prepared in that camera's pane, not an endless transcode", async () => {
    const why = 'camera "cam", episode 0: the video window 9.000–9.500 s of a.mp4 is unusable'
    const fake = fakeClient({
      'dataset.open': () => summary(),
      'episode.open': ({ episode: i }) => episode(i, true),
      'media.prepare': async () => {
        throw new VivaError('DATASET_INVALID', why, 'a.mp4')
      },
    })
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisode(0)
    await new Promise((r) => setTimeout(r, 0))
    const cam = store.getState().episode?.cameras[0]
    expect(cam?.status).toBe('failed')
    expect(cam?.statusMessage).toBe(why)
    expect(cam?.media).toBeNull()
    expect(store.getState().mediaProgress.cam).toBeUndefined()
  })
})
