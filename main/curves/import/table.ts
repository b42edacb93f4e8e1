import { CURVE_CONVENTIONS } from '../../../app/curves'
import type { CurveConvention } from '../../../app/curves'
import { quoteValue } from '../../../app/text'
import { CurveBuilder, impliedEpisode } from './curveBuilder'
import { type CurveImportTarget, EPISODE_COLUMNS, FRAME_COLUMNS, KNOWN_VALUE_COLUMNS, NAME_SEPARATOR, Source, type ValueSpec, columnText, describeRaw, parseNumber } from './source'

// Tables: parquet, CSV and JSON rows all come down to columns, checked and read the same way

export const OK = 0
const MISSING = 1
export const NON_NUMERIC = 2

export interface NumericColumn {
  values: Float64Array
  /** OK, MISSING (null, empty, absent) or NON_NUMERIC per row. */
  status: Uint8Array
  /** The first non-numeric cell, for the message. */
  bad: { row: number; raw: unknown } | null
}

export function numericColumn(rows: number): NumericColumn {
  const values = new Float64Array(rows).fill(Number.NaN)
  return { values, status: new Uint8Array(rows).fill(MISSING), bad: null }
}

/** A cell of any format into a numeric column: numbers, bigints (int64) and numeric text. */
export function putCell(col: NumericColumn, row: number, raw: unknown): void {
  if (raw === null || raw === undefined) {
    col.status[row] = MISSING
    return
  }
  let n: number | null = null
  if (typeof raw === 'number') n = raw
  else if (typeof raw === 'bigint') n = Number(raw)
  else if (typeof raw === 'string') {
    n = parseNumber(raw)
    if (n === null && raw.trim() === '') {
      col.status[row] = MISSING
      return
    }
  }
  if (n === null) {
    col.status[row] = NON_NUMERIC
    if (col.bad === null || row < col.bad.row) col.bad = { row, raw }
    return
  }
  col.values[row] = n
  col.status[row] = OK
}

interface GenericSpec {
  value: string
  name: string | null
  convention: string | null
}

export interface Roles {
  episode: string | null
  frame: string
  known: ValueSpec[]
  generic: GenericSpec | null
}

/** Which of `columns` (matched trimmed and case-insensitively) play which part. */
export function resolveRoles(src: Source, columns: readonly string[]): Roles {
  const byKey = new Map<string, string>()
  const twice = new Set<string>()
  for (const c of columns) {
    const key = c.trim().toLowerCase()
    if (key === '') continue
    if (byKey.has(key)) twice.add(key)
    else byKey.set(key, c)
  }
  // Only a column that plays a part must be unambiguous; repeated unrelated columns are none of our business.
  const get = (key: string): string | undefined => {
    const c = byKey.get(key)
    if (c !== undefined && twice.has(key)) throw src.invalid(`has more than one column named ${quoteValue(c.trim())}`)
    return c
  }
  const pick = (names: readonly string[]): string | null => {
    for (const n of names) {
      const c = get(n)
      if (c !== undefined) return c
    }
    return null
  }
  const shownColumns = columns.slice(0, 20).map((c) => quoteValue(c)).join(', ')
  const listed = columns.length === 0 ? '(none)' : columns.length > 20 ? `${shownColumns}, … (${columns.length} columns)` : shownColumns
  const frame = pick(FRAME_COLUMNS)
  if (frame === null) throw src.invalid(`has no frame column (expected ${FRAME_COLUMNS.slice(0, 2).join(' or ')}); its columns are ${listed}`)
  const known: ValueSpec[] = []
  for (const spec of KNOWN_VALUE_COLUMNS) {
    const c = get(spec.column)
    if (c !== undefined) known.push({ ...spec, column: c })
  }
  const value = get('value')
  const generic = value === undefined ? null : { value, name: get('name') ?? null, convention: get('convention') ?? null }
  if (known.length === 0 && generic === null) {
    throw src.invalid(
      'has no value column (expected prediction or model_prediction from the ViVa reference, progress_sparse or ' +
        `progress_dense from a LeRobot reward labeler, or value); its columns are ${listed}`,
    )
  }
  return { episode: pick(EPISODE_COLUMNS), frame, known, generic }
}

/** The columns a table must provide for `roles`. */
export function neededColumns(roles: Roles): { numeric: string[]; text: string[] } {
  const numeric = [roles.frame, ...roles.known.map((k) => k.column)]
  if (roles.episode !== null) numeric.push(roles.episode)
  const text: string[] = []
  if (roles.generic) {
    numeric.push(roles.generic.value)
    if (roles.generic.name !== null) text.push(roles.generic.name)
    if (roles.generic.convention !== null) text.push(roles.generic.convention)
  }
  return { numeric, text }
}

export interface TableData {
  rows: number
  numeric: Map<string, NumericColumn>
  text: Map<string, (string | null)[]>
}

export function parseConvention(text: string): CurveConvention | null {
  const t = text.trim().toLowerCase()
  return (CURVE_CONVENTIONS as readonly string[]).includes(t) ? (t as CurveConvention) : null
}

export const CONVENTION_LIST = CURVE_CONVENTIONS.join(', ')

/** Feeds every row of a table to the builder, checking each cell where the row is known. */
export function ingestTable(
  src: Source,
  b: CurveBuilder,
  label: (row: number) => string,
  roles: Roles,
  data: TableData,
  defaults: { name: string; convention: CurveConvention },
  target: CurveImportTarget,
): void {
  const col = (name: string): NumericColumn => data.numeric.get(name) ?? numericColumn(data.rows)
  const cell = (c: NumericColumn, column: string, what: string, row: number, nanIsMissing = false): number => {
    const status = c.status[row]
    if (status === OK) return c.values[row] as number
    if (status === NON_NUMERIC) {
      throw src.invalid(`${label(row)} has non-numeric ${what} ${describeRaw(c.bad?.raw)} in column ${columnText(column)}`)
    }
    if (nanIsMissing) return Number.NaN
    throw src.invalid(`${label(row)} has no ${what} (column ${columnText(column)} is empty there)`)
  }

  const episodeCol = roles.episode === null ? null : col(roles.episode)
  // Asked only when there are rows: an empty file should say it is empty, not that its episode is unclear.
  const fixedEpisode = episodeCol === null && data.rows > 0 ? impliedEpisode(src, target) : 0
  const frameCol = col(roles.frame)
  const known = roles.known.map((spec) => ({
    spec,
    col: col(spec.column),
    series: b.seriesFor(`${src.stem}${NAME_SEPARATOR}${spec.column}`, spec.convention, spec.nanIsMissing, spec.column, 0),
  }))
  const g = roles.generic
  const valueCol = g ? col(g.value) : null
  const names = g?.name != null ? (data.text.get(g.name) ?? []) : null
  const conventions = g?.convention != null ? (data.text.get(g.convention) ?? []) : null
  // Most files hold one curve, or long runs of one: skip the map lookup while name and convention repeat.
  let lastKey = ''
  let lastSeries = -1

  for (let row = 0; row < data.rows; row++) {
    const episode = episodeCol === null ? fixedEpisode : cell(episodeCol, roles.episode ?? '', 'episode', row)
    const frame = cell(frameCol, roles.frame, 'frame', row)
    for (const k of known) b.add(k.series, episode, frame, cell(k.col, k.spec.column, 'value', row, k.spec.nanIsMissing), row)
    if (g && valueCol) {
      // Absent (a JSON row without the field, a parquet null) falls back to the file's default; present but
      // blank (an empty CSV cell) is a mistake.
      let name = defaults.name
      const rawName = names?.[row]
      if (rawName !== null && rawName !== undefined) {
        name = rawName.trim()
        if (name === '') throw src.invalid(`${label(row)} has an empty ${g.name} (the curve's name)`)
      }
      let convention = defaults.convention
      const raw = conventions?.[row]
      if (raw !== null && raw !== undefined) {
        const c = parseConvention(raw)
        if (c === null) {
          throw src.invalid(
            raw.trim() === ''
              ? `${label(row)} has no ${g.convention}; expected one of ${CONVENTION_LIST}`
              : `${label(row)} has ${g.convention} ${describeRaw(raw)}; expected one of ${CONVENTION_LIST}`,
          )
        }
        convention = c
      }
      const key = `${convention}\u0000${name}`
      if (key !== lastKey) {
        lastSeries = b.seriesFor(name, convention, false, g.value, row)
        lastKey = key
      }
      b.add(lastSeries, episode, frame, cell(valueCol, g.value, 'value', row), row)
    }
  }
}
