import { describe, expect, it } from 'vitest'
import type { JobInfo, Method, Params, Result } from '../../../../app/contract'
import type { CurveChunk, CurveData, CurveInfo } from '../../../../app/curves'
import { createAppStore } from '../../state/store'
import { datasetClient, settle, testCurveInfo, testJob } from '../../testing/builders'

const LENGTH = 20

const info = (id: string, patch: Partial<CurveInfo> = {}): CurveInfo => testCurveInfo(id, LENGTH, patch)

/** A curve as the main side has it on disk: the first `upTo` frames computed (value = frame / 100). */
function disk(i: CurveInfo, upTo: number): CurveData {
  const values = new Float32Array(i.length).fill(NaN)
  for (let f = 0; f < upTo; f++) values[f] = f / 100
  let future: Float32Array | null = null
  if (i.futureDim > 0) {
    future = new Float32Array(i.length * i.futureDim).fill(NaN)
    for (let f = 0; f < upTo * i.futureDim; f++) future[f] = -f
  }
  return { info: { ...i, computed: upTo, complete: upTo === i.length }, values, future }
}

function chunk(curveId: string, start: number, n: number, futureDim = 0): CurveChunk {
  const values = Float32Array.from({ length: n }, (_, k) => (start + k) / 100)
  const future = futureDim > 0 ? Float32Array.from({ length: n * futureDim }, (_, k) => -(start * futureDim + k)) : null
  return { jobId: 'j1', datasetId: 'd1', episode: 0, curveId, start, values, future }
}

const job = (patch: Partial<JobInfo> = {}): JobInfo => testJob(LENGTH, patch)

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

const fakeClient = (answers: Answers) => datasetClient({ fps: 30, length: LENGTH, episodes: 2 }, answers)

async function openPlayer(answers: Answers) {
  const fake = fakeClient(answers)
  const store = createAppStore(fake.client)
  await store.getState().openDataset('/data/d1')
  await store.getState().openEpisode(0)
  await settle()
  return { ...fake, store }
}

describe('curves slice', () => {
  it('loads the episode list and the visible curves on episode open', async () => {
    const a = info('a', { computed: LENGTH, complete: true, convention: 'remaining' })
    const { store, calls } = await openPlayer({
      'curves.list': () => [a],
      'curves.get': () => disk(a, LENGTH),
    })
    expect(calls.filter((c) => c.method === 'curves.list').map((c) => c.params)).toEqual([{ datasetId: 'd1', episode: 0 }])
    const entry = store.getState().curveData.a
    expect(entry?.computed).toBe(LENGTH)
    expect(entry?.contiguous).toBe(LENGTH)
    expect(entry?.values[5]).toBeCloseTo(0.05)
    expect(store.getState().curvesKey).toBe('d1#0')
  })

  it('appends chunks in place; a gap fetches the curve again and replays what came meanwhile', async () => {
    const a = info('a', { futureDim: 2, futureNames: ['j0', 'j1'], futureOffset: 3 })
    let onDisk = 4
    const { store, emit, count } = await openPlayer({
      'curves.list': () => [{ ...a, computed: onDisk }],
      'curves.get': () => disk(a, onDisk),
    })
    const before = store.getState().curveData.a!
    expect(before.contiguous).toBe(4)
    const values = before.values

    emit('score.chunk', chunk('a', 4, 3, 2))
    let entry = store.getState().curveData.a!
    expect(entry).not.toBe(before)
    expect(entry.values).toBe(values) // appended into the same array
    expect(entry.contiguous).toBe(7)
    expect(entry.computed).toBe(7)
    expect(entry.values[6]).toBeCloseTo(0.06)
    expect(Array.from(entry.future!.subarray(8, 14))).toEqual([-8, -9, -10, -11, -12, -13])
    expect(count('curves.get')).toBe(1)

    // Overlapping chunks are fine (no refetch).
    emit('score.chunk', chunk('a', 5, 3, 2))
    expect(store.getState().curveData.a!.contiguous).toBe(8)
    expect(count('curves.get')).toBe(1)

    // Frames 8..11 were lost: the chunk at 12 is a gap.
    onDisk = 14
    emit('score.chunk', chunk('a', 12, 2, 2))
    expect(count('curves.get')).toBe(2)
    // Arrives while the refetch is in flight: buffered, then replayed.
    emit('score.chunk', chunk('a', 14, 3, 2))
    await settle()
    entry = store.getState().curveData.a!
    expect(entry.contiguous).toBe(17)
    expect(entry.computed).toBe(17)
    expect(entry.values[16]).toBeCloseTo(0.16)
    expect(entry.future![16 * 2 + 1]).toBe(-33)
    expect(count('curves.get')).toBe(2)
  })

  it('ignores chunks of other episodes and datasets', async () => {
    const a = info('a')
    const { store, emit } = await openPlayer({ 'curves.list': () => [a], 'curves.get': () => disk(a, 2) })
    emit('score.chunk', { ...chunk('a', 2, 3), episode: 1 })
    emit('score.chunk', { ...chunk('a', 2, 3), datasetId: 'other' })
    expect(store.getState().curveData.a!.contiguous).toBe(2)
  })

  it('a chunk of a curve not listed yet lists again once, then fetches and replays it', async () => {
    const a = info('a')
    let listed: CurveInfo[] = []
    const { store, emit, count } = await openPlayer({
      'curves.list': () => listed,
      'curves.get': () => disk(a, 0),
    })
    expect(store.getState().curveList).toEqual([])
    listed = [a]
    emit('score.chunk', chunk('a', 0, 4))
    emit('score.chunk', chunk('a', 4, 4))
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(count('curves.get')).toBe(1)
    expect(store.getState().curveData.a!.contiguous).toBe(8)
    expect(store.getState().curveJobs.a).toBe('j1')
  })

  it('curves.changed for this episode (or the whole dataset) reloads the list; others are ignored', async () => {
    const a = info('a', { computed: LENGTH, complete: true })
    const b = info('b', { computed: LENGTH, complete: true, source: 'import', modelId: null, params: null, convention: 'remaining-frames' })
    let listed: CurveInfo[] = [a]
    const { store, emit, count } = await openPlayer({
      'curves.list': () => listed,
      'curves.get': ({ curveId }) => disk(curveId === 'a' ? a : b, LENGTH),
    })
    expect(count('curves.list')).toBe(1)
    emit('curves.changed', { datasetId: 'd1', episode: 1 })
    emit('curves.changed', { datasetId: 'other', episode: null })
    await settle()
    expect(count('curves.list')).toBe(1)

    listed = [a, b]
    emit('curves.changed', { datasetId: 'd1', episode: 0 })
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a', 'b'])
    expect(store.getState().curveData.b?.computed).toBe(LENGTH)
    expect(count('curves.get')).toBe(2) // a is unchanged: not fetched again

    // Deleted curves go away; a dataset-wide change reloads too.
    listed = [b]
    emit('curves.changed', { datasetId: 'd1', episode: null })
    await settle()
    expect(count('curves.list')).toBe(3)
    expect(Object.keys(store.getState().curveData)).toEqual(['b'])
  })

  it('the list being ahead of the chunks (the last ones were lost) fetches the curve again', async () => {
    const a = info('a')
    let onDisk = 5
    const { store, emit, count } = await openPlayer({
      'curves.list': () => [{ ...a, computed: onDisk, complete: onDisk === LENGTH }],
      'curves.get': () => disk(a, onDisk),
    })
    onDisk = LENGTH
    emit('score.progress', job({ state: 'running' }))
    emit('score.progress', job({ state: 'done', framesDone: LENGTH }))
    await settle()
    expect(count('curves.list')).toBe(2)
    expect(count('curves.get')).toBe(2)
    expect(store.getState().curveData.a!.computed).toBe(LENGTH)
  })

  it('hidden curves are not fetched, stay hidden in the next episode, and load when shown', async () => {
    const a = info('a', { computed: 3 })
    const { store, emit, count } = await openPlayer({
      'curves.list': ({ episode: e }) => [{ ...a, id: `a${e}`, episode: e }],
      'curves.get': ({ curveId }) => disk({ ...a, id: curveId }, 3),
    })
    expect(count('curves.get')).toBe(1)
    store.getState().setCurveVisible('a0', false)
    await store.getState().openEpisode(1)
    await settle()
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a1'])
    expect(store.getState().curveData).toEqual({})
    expect(count('curves.get')).toBe(1)
    // A hidden curve's count still follows the chunks (for its legend badge).
    emit('score.chunk', { ...chunk('a1', 3, 4), episode: 1 })
    expect(store.getState().curveList[0]!.computed).toBe(7)
    store.getState().setCurveVisible('a1', true)
    await settle()
    expect(count('curves.get')).toBe(2)
    expect(store.getState().curveData.a1).toBeDefined()
  })

  it('a stale list or curve answer for an episode left meanwhile is dropped', async () => {
    let release: (() => void) | null = null
    const a = info('a')
    const { store } = await openPlayer({
      'curves.list': async ({ episode: e }) => {
        if (e === 1) await new Promise<void>((r) => (release = r))
        return [{ ...a, id: `a${e}`, episode: e }]
      },
      'curves.get': ({ curveId }) => disk({ ...a, id: curveId }, 2),
    })
    const opening = store.getState().openEpisode(1)
    await opening
    await settle()
    await store.getState().openEpisode(0)
    ;(release as (() => void) | null)?.()
    await settle()
    expect(store.getState().curvesKey).toBe('d1#0')
    expect(store.getState().curveList.map((i) => i.id)).toEqual(['a0'])
  })
})
