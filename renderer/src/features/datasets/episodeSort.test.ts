import { describe, expect, it } from 'vitest'
import { DEFAULT_SORT, parseSort, sortRows, toggleSort, type SortValue } from './episodeSort'

const rows: { id: number; v: SortValue }[] = [
  { id: 0, v: 3 },
  { id: 1, v: null },
  { id: 2, v: 1 },
  { id: 3, v: 3 },
  { id: 4, v: NaN },
  { id: 5, v: 2 },
  { id: 6, v: 1 },
]
const ids = (list: { id: number }[]): number[] => list.map((r) => r.id)

describe('sortRows', () => {
  it('ascending and descending, ties in list order both ways, missing values last both ways', () => {
    expect(ids(sortRows(rows, { column: 'v', direction: 'asc' }, (r) => r.v))).toEqual([2, 6, 5, 0, 3, 1, 4])
    expect(ids(sortRows(rows, { column: 'v', direction: 'desc' }, (r) => r.v))).toEqual([0, 3, 5, 2, 6, 1, 4])
  })

  it('texts in natural order, case-insensitive', () => {
    const tasks = ['fold 10', 'Fold 2', 'box', 'fold 2'].map((v, id) => ({ id, v }))
    expect(ids(sortRows(tasks, { column: 't', direction: 'asc' }, (r) => r.v))).toEqual([2, 1, 3, 0])
  })

  it('calls valueOf once per row and leaves the input as it was', () => {
    let calls = 0
    const copy = [...rows]
    sortRows(rows, DEFAULT_SORT, (r) => {
      calls++
      return r.v
    })
    expect(calls).toBe(rows.length)
    expect(rows).toEqual(copy)
  })
})

describe('toggleSort', () => {
  it('flips the direction of the sorted column, starts another column ascending', () => {
    expect(toggleSort(DEFAULT_SORT, 'index')).toEqual({ column: 'index', direction: 'desc' })
    expect(toggleSort({ column: 'index', direction: 'desc' }, 'index')).toEqual({ column: 'index', direction: 'asc' })
    expect(toggleSort({ column: 'index', direction: 'desc' }, 'length')).toEqual({ column: 'length', direction: 'asc' })
  })
})

describe('parseSort', () => {
  it('takes a stored sort and refuses anything else', () => {
    expect(parseSort({ column: 'series:m:1:mean', direction: 'desc' })).toEqual({ column: 'series:m:1:mean', direction: 'desc' })
    for (const bad of [null, 'index', [], { column: 'index' }, { column: '', direction: 'asc' }, { column: 3, direction: 'asc' }, { column: 'x', direction: 'up' }]) {
      expect(parseSort(bad)).toBeNull()
    }
  })
})
