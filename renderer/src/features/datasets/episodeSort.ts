/**
 * Sorting the episode list: by any column, ascending or descending, stable (rows with equal values keep the list's
 * order, the dataset's episode order, in both directions), episodes with no value in the column (no curve of that
 * series, no outcome) last in both directions, as spreadsheets and pandas' `na_position='last'` do. Pure; the
 * values of a column are computed once per row before sorting (a dataset may have tens of thousands of episodes).
 */
import { isRecord } from '../../state/preferences'

export type SortDirection = 'asc' | 'desc'

export interface EpisodeSort {
  /** A column key (episodeColumns.ts); a key the current dataset has no column for sorts by episode. */
  column: string
  direction: SortDirection
}

export const DEFAULT_SORT: EpisodeSort = { column: 'index', direction: 'asc' }

/** What a row has in the sorted column: a number, a text, or nothing (null, or NaN: sorted last). */
export type SortValue = number | string | null

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

function missing(v: SortValue): boolean {
  return v === null || (typeof v === 'number' && Number.isNaN(v))
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return collator.compare(String(a), String(b))
}

/** The rows in the order `sort` asks for; `valueOf` is called once per row. A new array; `rows` is untouched. */
export function sortRows<T>(rows: readonly T[], sort: EpisodeSort, valueOf: (row: T) => SortValue): T[] {
  const sign = sort.direction === 'desc' ? -1 : 1
  const values = rows.map(valueOf)
  // Rows with a value, in list order; the ones without go after them, in list order too.
  const order: number[] = []
  const none: number[] = []
  values.forEach((v, at) => (missing(v) ? none : order).push(at))
  if (order.every((at) => typeof values[at] === 'number')) {
    // Numbers (every column but the task): compared in a typed array, no boxing per comparison.
    const keys = Float64Array.from(values, (v) => (typeof v === 'number' ? v : NaN))
    order.sort((a, b) => sign * ((keys[a] as number) - (keys[b] as number)) || a - b)
  } else {
    order.sort((a, b) => sign * compareValues(values[a] as SortValue, values[b] as SortValue) || a - b)
  }
  return [...order, ...none].map((at) => rows[at] as T)
}

/** A click on a column's header: the same column flips its direction, another one starts ascending. */
export function toggleSort(current: EpisodeSort, column: string): EpisodeSort {
  if (current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' }
  return { column, direction: 'asc' }
}

/** A stored sort, or null when it is not one (another version's value, a hand-edited one). */
export function parseSort(v: unknown): EpisodeSort | null {
  if (!isRecord(v)) return null
  const { column, direction } = v
  if (typeof column !== 'string' || column === '' || column.length > 4000) return null
  if (direction !== 'asc' && direction !== 'desc') return null
  return { column, direction }
}
