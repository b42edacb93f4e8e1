import { describe, expect, it } from 'vitest'
import { distinctImportNames, seriesKey } from './curves'

describe('imported series', () => {
  it('are keyed by their source file, model runs by model and parameters', () => {
    const imp = (sourceId: string, name: string) => ({ source: 'import' as const, modelId: null, params: null, name, sourceId })
    expect(seriesKey(imp('s-a', 'values'))).not.toBe(seriesKey(imp('s-b', 'values')))
    expect(seriesKey(imp('s-a', 'values · prediction'))).not.toBe(seriesKey(imp('s-a', 'values · model_prediction')))
    const params = { steps: 1, seed: 0, cameras: ['a'] }
    expect(seriesKey({ source: 'model', modelId: 'm1', params, name: 'x', sourceId: null })).toBe(seriesKey({ source: 'model', modelId: 'm1', params, name: 'y' }))
  })

  it('keep unique names and tell same-named files apart by their folders, at least two levels', () => {
    const names = distinctImportNames([
      { sourceId: 'a', name: 'values', file: '/home/me/runs/a/values.parquet' },
      { sourceId: 'a', name: 'other', file: '/home/me/runs/a/values.parquet' },
      { sourceId: 'b', name: 'values', file: '/home/me/runs/b/values.parquet' },
      { sourceId: 'a', name: 'values', file: '/home/me/runs/a/values.parquet' },
    ])
    expect(names).toEqual(['values (runs/a)', 'other', 'values (runs/b)', 'values (runs/a)'])
  })

  it('go as deep as the folders differ; files of one folder are told apart by their file names', () => {
    expect(
      distinctImportNames([
        { sourceId: 'a', name: 'v', file: '/x/exp1/seed0/out/v.csv' },
        { sourceId: 'b', name: 'v', file: '/x/exp2/seed0/out/v.csv' },
      ]),
    ).toEqual(['v (exp1/seed0/out)', 'v (exp2/seed0/out)'])
    expect(
      distinctImportNames([
        { sourceId: 'a', name: 'values', file: 'C:\\runs\\values.csv' },
        { sourceId: 'b', name: 'values', file: 'C:\\runs\\values.json' },
      ]),
    ).toEqual(['values (values.csv)', 'values (values.json)'])
    expect(distinctImportNames([{ sourceId: 'a', name: 'v', file: 'v.csv' }, { sourceId: 'b', name: 'v', file: 'v.csv' }])).toEqual(['v (#1)', 'v (#2)'])
  })
})
