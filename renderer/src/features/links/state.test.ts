// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import type { CurveInfo } from '../../../../app/curves'
import { seriesKey } from '../../../../app/curves'
import { parseLocationHash, parseVivaLink } from '../../../../app/location'
import { createAppStore } from '../../state/store'
import { datasetClient, settle, testCurveData, testCurveInfo, testSummary } from '../../testing/builders'
import { followLocation } from './followLocation'
import { currentLocation, shareableLink } from './state'

const SHAPE = { fps: 10, length: 50, episodes: 3 }
const A = testCurveInfo('a', 50, { modelId: 'ma' })
const B = testCurveInfo('b', 50, { modelId: 'mb' })
const curvesOf = (episode: number): CurveInfo[] => [A, B].map((c) => ({ ...c, id: `${c.id}${episode}`, episode }))

/** A store on the fake main side with the dataset listed (as app start leaves it), nothing open. */
function startedStore() {
  const fake = datasetClient(SHAPE, {}, {
    'dataset.list': () => [testSummary(SHAPE)],
    'curves.list': ({ episode }: { episode: number }) => curvesOf(episode),
    'curves.get': ({ curveId }: { curveId: string }) => testCurveData(curvesOf(Number(curveId.slice(1))).find((c) => c.id === curveId)!, (f) => f / 50),
  })
  const store = createAppStore(fake.client)
  store.getState().setOpenDatasets([testSummary(SHAPE)], 'd1')
  return { store, ...fake }
}

const toasts = (store: ReturnType<typeof startedStore>['store']) => store.getState().errors.map((e) => e.message)

describe('following a link', () => {
  it('opens the dataset, the episode and the frame, and shows exactly the curves it names', async () => {
    const { store } = startedStore()
    expect(await store.getState().followLink({ datasetId: 'd1', episode: 2, frame: 17, curves: [seriesKey(B)] })).toBe(true)
    await settle()
    const s = store.getState()
    expect(s.screen).toBe('player')
    expect(s.episode?.index).toBe(2)
    // The player seeks once its views are attached.
    expect(s.pendingSeek).toMatchObject({ episode: 2, frame: 17 })
    expect(s.hiddenSeries).toEqual([seriesKey(A)])
    expect(currentLocation(s)?.curves).toEqual([seriesKey(B)])
    expect(toasts(store)).toEqual([])
  })

  it('an episode out of range: the episode list and a message; a frame out of range: the episode at frame 0 and a message', async () => {
    const { store } = startedStore()
    await store.getState().followLink({ datasetId: 'd1', episode: 9, frame: 3, curves: null })
    expect(store.getState().screen).toBe('datasets')
    expect(toasts(store)).toEqual(['Cannot follow the link: d1 has no episode 9 (its episodes are 0–2)'])
    await store.getState().followLink({ datasetId: 'd1', episode: 1, frame: 50, curves: null })
    expect(store.getState().episode?.index).toBe(1)
    expect(store.getState().pendingSeek).toMatchObject({ episode: 1, frame: 0 })
    expect(toasts(store)).toEqual(['Cannot follow the link: Frame 50 is past the end of episode 1 of d1 (frames 0–49); showing frame 0'])
  })

  it('a dataset this app has not opened: a message, and nothing moves', async () => {
    const { store } = startedStore()
    expect(await store.getState().followLink({ datasetId: 'zzz', episode: 0, frame: 0, curves: null })).toBe(false)
    expect(store.getState().screen).toBe('datasets')
    expect(store.getState().errors.map((e) => [e.code, e.message])).toEqual([
      ['NOT_FOUND', 'Cannot follow the link: The link names dataset zzz, which is not open here (open: d1)'],
    ])
  })

  it('curves the episode does not have: the others shown, and a message naming the missing ones', async () => {
    const { store } = startedStore()
    await store.getState().followLink({ datasetId: 'd1', episode: 0, frame: 0, curves: [seriesKey(A), 'i:gone'] })
    await settle()
    expect(store.getState().hiddenSeries).toEqual([seriesKey(B)])
    expect(toasts(store)).toEqual(['Cannot follow the link: episode 0 has no curve i:gone (the others are shown)'])
  })
})

describe('the link of the current view', () => {
  it('browser mode: this page with the location as its hash; desktop: a viva:// link with the folder', async () => {
    const { store } = startedStore()
    await store.getState().followLink({ datasetId: 'd1', episode: 1, frame: 0, curves: null })
    await settle()
    store.getState().seek(12)
    const page = { origin: 'http://127.0.0.1:4000', pathname: '/s/tok/', search: '' }
    const web = shareableLink(store.getState(), page)
    expect(web).toBe(`http://127.0.0.1:4000/s/tok/#/dataset/d1/episode/1/frame/12?curves=${[A, B].map((c) => encodeURIComponent(seriesKey(c))).join(',')}`)
    expect(parseLocationHash(new URL(web!).hash)).toMatchObject({ ok: true, location: { datasetId: 'd1', episode: 1, frame: 12 } })
    store.getState().setAppMode('electron')
    const desktop = shareableLink(store.getState(), page)!
    expect(parseVivaLink(desktop)).toEqual({
      ok: true,
      location: { datasetId: 'd1', episode: 1, frame: 12, curves: [seriesKey(A), seriesKey(B)] },
      root: '/data/d1',
    })
  })

  it('the hash follows the view (replaced, never pushed), and a hash typed into the address bar is followed', async () => {
    const { store } = startedStore()
    window.history.replaceState(null, '', '#')
    const before = window.history.length
    const stop = followLocation(store, window)
    await store.getState().followLink({ datasetId: 'd1', episode: 0, frame: 0, curves: null })
    await settle()
    expect(window.location.hash).toMatch(/^#\/dataset\/d1\/episode\/0\/frame\/0\?curves=/)
    store.getState().setCurveVisible('a0', false)
    expect(window.location.hash).toBe(`#/dataset/d1/episode/0/frame/0?curves=${encodeURIComponent(seriesKey(B))}`)
    expect(window.history.length).toBe(before)
    window.location.hash = '#/dataset/d1/episode/2/frame/5'
    await expect.poll(() => store.getState().episode?.index).toBe(2)
    window.location.hash = '#/dataset/d1/episode/x'
    await expect.poll(() => toasts(store)).toEqual(['Cannot follow the link: episode "x" is not a whole number ≥ 0'])
    stop()
  })
})
