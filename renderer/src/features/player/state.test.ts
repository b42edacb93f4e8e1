import { describe, expect, it } from 'vitest'
import type { EpisodeView, Method, Params, Result } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { VivaError } from '../../../../app/errors'
import { fakeClient as makeFakeClient } from '../../testing/fakeClient'
import { createAppStore } from '../../state/store'
import type { PlayerDriver } from './state'
import { heldAnswers, testEpisode, testSnapshot, testSummary } from '../../testing/builders'

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

describe('player state', () => {
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
    expect(store.getState().episodeLoading).toBe(false)
  })

  it('a newer open aborts the older one; closing the player aborts the open in flight, whose answer is then dropped', async () => {
    const opens = heldAnswers<EpisodeView>()
    const { client, calls } = fakeClient({ 'dataset.open': () => summary(), 'episode.open': () => opens.answer() })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    const first = store.getState().openEpisode(0)
    const second = store.getState().openEpisode(1)
    const asked = (): (boolean | undefined)[] => calls.filter((c) => c.method === 'episode.open').map((c) => c.signal?.aborted)
    expect(asked()).toEqual([true, false])
    store.getState().closeEpisode()
    expect(asked()).toEqual([true, true])
    opens.held[1]!.resolve(episode(1))
    opens.held[0]!.resolve(episode(0))
    await Promise.all([first, second])
    expect(store.getState()).toMatchObject({ screen: 'datasets', episode: null, episodeLoading: false })
    expect(store.getState().errors).toEqual([])
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
