import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { thrown } from '../../app/testing/thrown'
import { CurveStore, modelCurveId, type NewCurve } from './curveStore'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-curves-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const params = { steps: 1, seed: 0, cameras: ['a', 'b', 'c'] }
const curve = (id: string, length = 10, futureDim = 2): NewCurve => ({
  id, datasetId: 'ds', episode: 3, name: 'm · 1 step', source: 'model', convention: 'progress', length,
  modelId: 'abc', modelName: 'm', params, futureDim, futureNames: futureDim ? ['j0', 'j1'] : [], futureOffset: 5, file: null, sourceId: null, fileHash: null,
})

describe('CurveStore', () => {
  it('keys model runs by everything that changes their values', () => {
    const a = modelCurveId('abc', 'ds', 3, params)
    expect(modelCurveId('abc', 'ds', 3, { ...params })).toBe(a)
    expect(modelCurveId('abd', 'ds', 3, params)).not.toBe(a)
    expect(modelCurveId('abc', 'ds', 4, params)).not.toBe(a)
    expect(modelCurveId('abc', 'ds', 3, { ...params, steps: 2 })).not.toBe(a)
    expect(modelCurveId('abc', 'ds', 3, { ...params, seed: 1 })).not.toBe(a)
    expect(modelCurveId('abc', 'ds', 3, { ...params, cameras: ['b', 'a', 'c'] })).not.toBe(a)
  })

  it('appends chunks in order, survives reopening, and refuses gaps', () => {
    const file = path.join(dir, 'a.sqlite')
    const store = new CurveStore(file)
    expect(store.ensure(curve('c1')).computed).toBe(0)
    store.append('c1', 0, Float32Array.of(0.1, 0.2, 0.3), Float32Array.of(1, 2, 3, 4, 5, 6))
    // A repeated chunk (a resumed run redoing its last batch) is ignored; a gap is refused.
    store.append('c1', 0, Float32Array.of(0.1, 0.2, 0.3), Float32Array.of(1, 2, 3, 4, 5, 6))
    expect(thrown(() => store.append('c1', 5, Float32Array.of(1), Float32Array.of(1, 2))).code).toBe('CONFLICT')
    expect(thrown(() => store.append('c1', 3, Float32Array.of(1), null)).message).toMatch(/future state must have 2 values/)
    expect(thrown(() => store.append('c1', 3, new Float32Array(8), new Float32Array(16))).message).toMatch(/episode has 10 frames/)
    store.close()

    const again = new CurveStore(file)
    expect(again.ensure(curve('c1')).computed).toBe(3)
    const data = again.get('c1')
    expect(Array.from(data.values.subarray(0, 3))).toEqual([0.1, 0.2, 0.3].map(Math.fround))
    expect(Number.isNaN(data.values[3])).toBe(true)
    expect(Array.from(data.future!.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6])
    again.append('c1', 3, new Float32Array(7).fill(0.5), new Float32Array(14))
    expect(again.info('c1')!.complete).toBe(true)
    expect(again.list('ds', 3).map((c) => c.id)).toEqual(['c1'])
    expect(again.delete('c1')).toBe(true)
    expect(again.list('ds', 3)).toEqual([])
    expect(thrown(() => again.get('c1')).code).toBe('NOT_FOUND')
    again.close()
  })

  it('stores an imported curve at once and replaces it on reimport', () => {
    const store = new CurveStore(path.join(dir, 'b.sqlite'))
    const values = Float32Array.of(0, Number.NaN, 1)
    const info = store.putComplete({ ...curve('i1', 3, 0), source: 'import', convention: 'remaining' }, values)
    expect(info.complete).toBe(true)
    store.putComplete({ ...curve('i1', 3, 0), source: 'import', convention: 'remaining' }, Float32Array.of(1, 1, 1))
    expect(Array.from(store.get('i1').values)).toEqual([1, 1, 1])
    expect(store.get('i1').future).toBeNull()
    store.close()
  })
})
