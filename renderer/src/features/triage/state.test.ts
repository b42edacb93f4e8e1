import { describe, expect, it } from 'vitest'
import type { Method, Params, Result } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { triageDrops } from '../../../../app/triage'
import { createAppStore } from '../../state/store'
import { currentDrop, shownTriage } from './state'
import { datasetClient, recordingDriver, testSummary } from '../../testing/builders'

const LENGTH = 60

const summary = (): DatasetSummary => testSummary({ fps: 10, length: LENGTH, episodes: 3 })

/** A real ranking (app/triage.ts): drops of 0.2 in episode 0 at 20, 0.4 in episode 2 at 35, 0.3 in episode 0 at 45. */
function ranking(p: Params<'triage.drops'>): Result<'triage.drops'> {
  const curve = (episode: number, at: [number, number][]) => ({
    info: { source: 'import' as const, modelId: null, params: null, name: 'm', sourceId: 'f', convention: 'progress' as const, episode, length: LENGTH },
    values: Float32Array.from({ length: LENGTH }, (_, f) => 0.9 - at.reduce((a, [g, d]) => a + (f >= g ? d : 0), 0)),
  })
  return triageDrops(
    {
      fps: 10,
      episodes: summary().episodes.map((e) => ({ index: e.index, length: e.length })),
      annotated: new Set([0]),
      events: [{ episode: 0, frame: 45, kind: 'error' }],
      curves: [curve(0, [[20, 0.2], [45, 0.3]]), curve(1, []), curve(2, [[35, 0.4]])],
    },
    p,
  )
}

function fakeClient(answers: Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }> = {}) {
  return datasetClient({ fps: 10, length: LENGTH, episodes: 3 }, answers, { 'triage.drops': ranking })
}

/** What the player does when it shows an episode: attach its driver (which applies a pending seek). */
async function showPlayer(store: ReturnType<typeof createAppStore>, log: string[]): Promise<void> {
  store.getState().attachDriver(null)
  store.getState().attachDriver(recordingDriver(store, log))
}

describe('triage slice', () => {
  it('N walks the drops largest first, opening each episode at its frame; Shift+N walks back', async () => {
    const { client, calls } = fakeClient()
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    const log: string[] = []
    // N before the view ever ranked anything: the ranking is loaded first, with the defaults (0.5 s, 0.1).
    await store.getState().jumpDrop(1)
    expect(calls.filter((c) => c.method === 'triage.drops').map((c) => c.params)).toEqual([{ datasetId: 'd1', window: { seconds: 0.5 }, threshold: 0.1 }])
    expect(shownTriage(store.getState())?.drops.map((d) => [d.episode, d.frame])).toEqual([[2, 35], [0, 45], [0, 20]])
    expect(store.getState().episode?.index).toBe(2)
    await showPlayer(store, log)
    expect(store.getState().frame).toBe(35)
    expect(currentDrop(store.getState())).toMatchObject({ episode: 2, frame: 35, matched: null })

    await store.getState().jumpDrop(1)
    expect(store.getState().episode?.index).toBe(0)
    await showPlayer(store, log)
    expect(store.getState().frame).toBe(45)
    expect(currentDrop(store.getState())).toMatchObject({ matched: true })

    // The next drop is in the same episode: no reopening, only a seek.
    const opens = calls.filter((c) => c.method === 'episode.open').length
    await store.getState().jumpDrop(1)
    expect(calls.filter((c) => c.method === 'episode.open')).toHaveLength(opens)
    expect(store.getState().frame).toBe(20)
    // Past the last: stays.
    await store.getState().jumpDrop(1)
    expect(store.getState().triage.cursor).toBe(2)
    // Shift+N: back to episode 2 at 35.
    await store.getState().jumpDrop(-1)
    await store.getState().jumpDrop(-1)
    await showPlayer(store, log)
    expect([store.getState().episode?.index, store.getState().frame]).toEqual([2, 35])
  })

  it('new options rank again; a refresh keeps the reviewer at the same drop; older answers are dropped', async () => {
    const release: (() => void)[] = []
    const { client, calls } = fakeClient({
      'triage.drops': async (p) => {
        if (p.threshold === 0.35) await new Promise<void>((r) => release.push(r))
        return ranking(p)
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().loadTriage()
    await store.getState().openDrop(1)
    await store.getState().loadTriage()
    expect(store.getState().triage.cursor).toBe(1)
    store.getState().setTriageOptions({ threshold: 0.35 }) // slow answer
    store.getState().setTriageOptions({ threshold: 0.25 })
    await new Promise((r) => setTimeout(r, 0))
    release.forEach((r) => r())
    await new Promise((r) => setTimeout(r, 0))
    expect(store.getState().triage.report?.threshold).toBe(0.25)
    expect(shownTriage(store.getState())?.drops.map((d) => d.frame)).toEqual([35, 45])
    expect(calls.filter((c) => c.method === 'triage.drops').map((c) => (c.params as { threshold: number }).threshold)).toEqual([0.1, 0.1, 0.35, 0.25])
    // Invalid options are ignored.
    store.getState().setTriageOptions({ threshold: -1, windowSeconds: 0 })
    expect(store.getState().triage).toMatchObject({ threshold: 0.25, windowSeconds: 0.5 })
  })

  it('says why when the ranking fails', async () => {
    const { client } = fakeClient({
      'triage.drops': () => {
        throw new Error('boom')
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().loadTriage()
    expect(store.getState().triage).toMatchObject({ loading: false, report: null, error: 'boom' })
    await store.getState().jumpDrop(1)
    expect(store.getState().episode).toBeNull()
  })
})
