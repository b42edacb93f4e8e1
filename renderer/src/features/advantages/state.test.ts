import { describe, expect, it, vi } from 'vitest'
import type { AdvantageResult, Method, Params, Result } from '../../../../app/contract'
import type { CurveInfo } from '../../../../app/curves'
import { VivaError } from '../../../../app/errors'
import { heldAnswers, playerStore, testCurveData, testCurveInfo } from '../../testing/builders'
import { shownAdvantages } from './state'

const LENGTH = 100

const info = (id: string): CurveInfo => testCurveInfo(id, LENGTH, { computed: LENGTH, complete: true })

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

/** The player at episode 0 with two complete curves, a and b. */
const openPlayer = (answers: Answers = {}) =>
  playerStore({ fps: 30, length: LENGTH, episodes: 2 }, answers, {
    'curves.list': () => [info('a'), info('b')],
    'curves.get': ({ curveId }: { curveId: string }) => testCurveData(info(curveId), (f) => f / LENGTH),
  })

describe('advantages', () => {
  function result(curveId: string, k: number, positiveFraction: number): AdvantageResult {
    return {
      curveId,
      k,
      positiveFraction,
      scope: 'task',
      threshold: -0.01,
      episodesInThreshold: 3,
      framesInThreshold: 3 * LENGTH,
      positivesInThreshold: Math.round(3 * LENGTH * positiveFraction),
      advantages: new Float32Array(LENGTH),
      indicators: Uint8Array.from({ length: LENGTH }, (_, i) => (i >= 20 && i < 60 ? 1 : 0)),
    }
  }

  it('asks for the analysis curve with K, the positive fraction and the scope; a stale answer is dropped', async () => {
    const pending: ((r: AdvantageResult) => void)[] = []
    const { store, calls } = await openPlayer({
      'advantages.compute': (p) => new Promise<AdvantageResult>((resolve) => pending.push(() => resolve(result(p.curveId, p.k ?? 50, p.positiveFraction ?? 0.3)))),
    })
    store.getState().setAdvantageOptions({ on: true })
    const first = store.getState().computeAdvantages()
    store.getState().setAdvantageOptions({ k: 12, positiveFraction: 0.4, scope: 'dataset' })
    const second = store.getState().computeAdvantages()
    expect(calls.filter((c) => c.method === 'advantages.compute').map((c) => c.params)).toEqual([
      { datasetId: 'd1', curveId: 'a', positiveFraction: 0.3, scope: 'task' },
      { datasetId: 'd1', curveId: 'a', positiveFraction: 0.4, scope: 'dataset', k: 12 },
    ])
    pending[1]!(result('a', 12, 0.4))
    await second
    pending[0]!(result('a', 50, 0.3))
    await first
    const a = store.getState().advantages
    expect(a.result?.k).toBe(12)
    expect(a.requestKey).toBe('a|12|0.4|dataset')
    expect(a.loading).toBe(false)
  })

  it('shows an error (e.g. unknown outcome) without a toast, and forgets the result when switched off', async () => {
    const { store } = await openPlayer({
      'advantages.compute': () => {
        throw new VivaError('INVALID_ARGUMENT', 'Episode 0 has no success/failure outcome')
      },
    })
    store.getState().setAdvantageOptions({ on: true })
    await store.getState().computeAdvantages()
    expect(store.getState().advantages.error).toMatch(/no success\/failure outcome/)
    expect(store.getState().errors).toEqual([])
    store.getState().setAdvantageOptions({ on: false })
    expect(store.getState().advantages).toMatchObject({ on: false, result: null, error: null })
  })

  it('another analysis curve or episode drops the result and aborts the request in flight; the options stay', async () => {
    const answers = heldAnswers<AdvantageResult>()
    const { store, calls } = await openPlayer({ 'advantages.compute': () => answers.answer() })
    store.getState().setAdvantageOptions({ on: true, k: 20 })
    const first = store.getState().computeAdvantages()
    expect(store.getState().advantages.loading).toBe(true)
    store.getState().setAnalysisCurve('b')
    const asked = calls.filter((c) => c.method === 'advantages.compute')
    expect(asked[0]?.signal?.aborted).toBe(true)
    answers.held[0]!.resolve(result('a', 20, 0.3))
    await first
    expect(store.getState().advantages).toMatchObject({ on: true, k: 20, loading: false, result: null, requestKey: null })

    const second = store.getState().computeAdvantages()
    answers.held[1]!.resolve(result('b', 20, 0.3))
    await second
    expect(shownAdvantages(store.getState())?.curveId).toBe('b')
    await store.getState().openEpisode(1)
    await vi.waitFor(() => expect(store.getState().episode?.index).toBe(1))
    expect(store.getState().advantages).toMatchObject({ on: true, k: 20, result: null })
  })
})
