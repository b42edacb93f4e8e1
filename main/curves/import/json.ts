import type { CurveConvention } from '../../../app/curves'
import { lineAndColumn, locateJsonError } from '../../../app/jsonText'
import { CurveBuilder, impliedEpisode } from './curveBuilder'
import { type CurveImportResult, type CurveImportTarget, Source, describeRaw, reason } from './source'
import { CONVENTION_LIST, NON_NUMERIC, type Roles, type TableData, ingestTable, neededColumns, numericColumn, parseConvention, putCell, resolveRoles } from './table'

// JSON

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseJsonText(src: Source, text: string): unknown {
  if (text.trim() === '') throw src.invalid('is empty')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    const located = locateJsonError(text)
    if (located === null) throw src.invalid(`is not valid JSON (${reason(err)})`)
    if (located.atEnd) throw src.invalid(`is not valid JSON: it ends too early at line ${located.line}, column ${located.column} (truncated file?)`)
    // Python's json.dump writes NaN and (-)Infinity; the parser stops at the letter, after any minus sign.
    const from = text[located.position - 1] === '-' ? located.position - 1 : located.position
    const word = /^-?(NaN|Infinity)/.exec(text.slice(from, from + 9))
    const at = (position: number): string => {
      const { line, column } = lineAndColumn(text, position)
      return `line ${line}, column ${column}`
    }
    if (word) {
      throw src.invalid(
        `has ${word[0]} at ${at(from)}, which is not JSON; NaN and infinite values are not ` +
          'accepted (leave out frames without a value, or write null in a "values" list)',
      )
    }
    throw src.invalid(`is not valid JSON at ${at(located.position)}: ${located.problem}`)
  }
}

/** Rows as a table, so they are checked exactly as CSV and parquet rows are. */
function rowsTable(src: Source, rows: readonly unknown[], where: (row: number) => string): { roles: Roles; data: TableData } {
  const keys = new Set<string>()
  rows.forEach((r, k) => {
    if (!isRecord(r)) throw src.invalid(`${where(k)} is ${describeRaw(r)}; expected an object like {"episode": 0, "frame": 0, "value": 0.5}`)
    for (const key of Object.keys(r)) keys.add(key)
  })
  const roles = resolveRoles(src, [...keys])
  const needed = neededColumns(roles)
  const data: TableData = { rows: rows.length, numeric: new Map(), text: new Map() }
  for (const name of needed.numeric) {
    const col = numericColumn(rows.length)
    rows.forEach((r, k) => {
      const raw = (r as Record<string, unknown>)[name]
      // JSON has real numbers: text that looks like one is a mistake in the writer, not a value.
      if (typeof raw === 'string') {
        col.status[k] = NON_NUMERIC
        if (col.bad === null) col.bad = { row: k, raw }
      } else putCell(col, k, raw)
    })
    data.numeric.set(name, col)
  }
  for (const name of needed.text) {
    data.text.set(
      name,
      rows.map((r, k) => {
        const raw = (r as Record<string, unknown>)[name]
        if (raw === undefined || raw === null) return null
        if (typeof raw !== 'string') throw src.invalid(`${where(k)}.${name} is ${describeRaw(raw)}; expected a string`)
        return raw
      }),
    )
  }
  return { roles, data }
}

export function importJson(src: Source, text: string, target: CurveImportTarget): CurveImportResult {
  const doc = parseJsonText(src, text)
  const shape =
    'expected an array of {"episode", "frame", "value"} rows, an object with "rows", or an object with "curves"'

  if (Array.isArray(doc) || (isRecord(doc) && Array.isArray(doc.rows))) {
    const rows = (Array.isArray(doc) ? doc : (doc as { rows: unknown[] }).rows) as unknown[]
    const where = Array.isArray(doc) ? (row: number) => `entry [${row}]` : (row: number) => `rows[${row}]`
    let defaults = { name: src.stem, convention: 'progress' as CurveConvention }
    if (isRecord(doc)) defaults = headerDefaults(src, doc, '')
    const { roles, data } = rowsTable(src, rows, where)
    const b = new CurveBuilder(src, target, where)
    ingestTable(src, b, where, roles, data, defaults, target)
    return b.finish()
  }

  if (isRecord(doc) && Array.isArray(doc.curves)) {
    const curves = doc.curves as unknown[]
    // One row number per value: curve k's value j is row starts[k] + j.
    const starts: number[] = []
    let total = 0
    for (const c of curves) {
      starts.push(total)
      total += isRecord(c) && Array.isArray(c.values) ? c.values.length : 0
    }
    const label = (row: number): string => {
      let lo = 0
      let hi = starts.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if ((starts[mid] as number) <= row) lo = mid
        else hi = mid - 1
      }
      return `curves[${lo}].values[${row - (starts[lo] as number)}]`
    }
    const b = new CurveBuilder(src, target, label)
    curves.forEach((c, k) => {
      const at = `curves[${k}]`
      if (!isRecord(c)) throw src.invalid(`${at} is ${describeRaw(c)}; expected an object with "episode" and "values"`)
      const { name, convention } = headerDefaults(src, c, `${at}.`)
      let episode: number
      if (c.episode === undefined && c.episode_index === undefined) episode = impliedEpisode(src, target)
      else {
        const raw = c.episode ?? c.episode_index
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
          throw src.invalid(`${at}.episode is ${describeRaw(raw)}; expected a whole number ≥ 0`)
        }
        episode = raw
      }
      if (!Array.isArray(c.values)) throw src.invalid(`${at}.values is ${describeRaw(c.values)}; expected a list of numbers (null for no value)`)
      const series = b.seriesFor(name, convention, false, `${at}.values`, starts[k] as number)
      const values = c.values as unknown[]
      for (let j = 0; j < values.length; j++) {
        const v = values[j]
        // A list is positional, so a frame without a value needs a placeholder: null.
        if (v === null) continue
        if (typeof v !== 'number') throw src.invalid(`${at}.values[${j}] is ${describeRaw(v)}; expected a number or null`)
        b.add(series, episode, j, v, (starts[k] as number) + j)
      }
    })
    return b.finish()
  }

  if (isRecord(doc)) throw src.invalid(`is JSON but not a curve file: it has no "rows" or "curves" list; ${shape}`)
  throw src.invalid(`is JSON but not a curve file (its top level is ${describeRaw(doc)}); ${shape}`)
}

/** "name" and "convention" of a JSON object, checked; defaults: the file's base name and progress. */
function headerDefaults(src: Source, obj: Record<string, unknown>, at: string): { name: string; convention: CurveConvention } {
  let name = src.stem
  if (obj.name !== undefined) {
    if (typeof obj.name !== 'string' || obj.name.trim() === '') {
      throw src.invalid(`${at}name is ${describeRaw(obj.name)}; expected a non-empty string`)
    }
    name = obj.name.trim()
  }
  let convention: CurveConvention = 'progress'
  if (obj.convention !== undefined) {
    const c = typeof obj.convention === 'string' ? parseConvention(obj.convention) : null
    if (c === null) throw src.invalid(`${at}convention is ${describeRaw(obj.convention)}; expected one of ${CONVENTION_LIST}`)
    convention = c
  }
  return { name, convention }
}
