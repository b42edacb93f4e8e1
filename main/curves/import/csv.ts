import { parseCsv, sniffCsvDelimiter } from '../../formats/csv'
import { CurveBuilder } from './curveBuilder'
import { type CurveImportResult, type CurveImportTarget, Source, plural } from './source'
import { type NumericColumn, type Roles, type TableData, ingestTable, neededColumns, numericColumn, putCell, resolveRoles } from './table'

// CSV

interface CsvLayout {
  width: number
  roles: Roles
  numericNames: string[]
  textNames: string[]
  /** Field position of each needed numeric / text column. */
  numericAt: number[]
  textAt: number[]
}

export function importCsv(src: Source, text: string, target: CurveImportTarget): CurveImportResult {
  const fail = (line: number, problem: string): never => {
    throw src.invalid(`line ${line}: ${problem}`)
  }
  // Set by the header record; held in an object because TypeScript does not follow assignments made in callbacks.
  const state: { layout: CsvLayout | null } = { layout: null }
  // Grown by doubling: the row count is unknown until the end.
  let capacity = 1024
  let lines = new Int32Array(capacity)
  let numeric: NumericColumn[] = []
  const texts: (string | null)[][] = []
  let rows = 0

  parseCsv(
    text,
    (fields, line) => {
      const table = state.layout
      if (table === null) {
        const header = fields.map((f) => f.trim())
        const roles = resolveRoles(src, header)
        const needed = neededColumns(roles)
        const numericNames = [...new Set(needed.numeric)]
        state.layout = {
          width: header.length,
          roles,
          numericNames,
          textNames: needed.text,
          numericAt: numericNames.map((n) => header.indexOf(n)),
          textAt: needed.text.map((n) => header.indexOf(n)),
        }
        numeric = numericNames.map(() => numericColumn(capacity))
        for (const _ of needed.text) texts.push([])
        return
      }
      if (fields.length !== table.width) fail(line, `has ${plural(fields.length, 'field')} but the header has ${table.width}`)
      if (rows === capacity) {
        capacity *= 2
        numeric = numeric.map((c) => {
          const next = numericColumn(capacity)
          next.values.set(c.values)
          next.status.set(c.status)
          next.bad = c.bad
          return next
        })
        const nextLines = new Int32Array(capacity)
        nextLines.set(lines)
        lines = nextLines
      }
      lines[rows] = line
      const { numericAt, textAt } = table
      for (let k = 0; k < numericAt.length; k++) putCell(numeric[k] as NumericColumn, rows, fields[numericAt[k] as number])
      for (let k = 0; k < textAt.length; k++) (texts[k] as (string | null)[]).push(fields[textAt[k] as number] ?? null)
      rows++
    },
    fail,
    sniffCsvDelimiter(text),
  )
  const t = state.layout
  if (t === null) throw src.invalid('is empty')
  const data: TableData = {
    rows,
    numeric: new Map(t.numericNames.map((name, k) => [name, numeric[k] as NumericColumn])),
    text: new Map(t.textNames.map((name, k) => [name, texts[k] as (string | null)[]])),
  }
  const label = (row: number): string => `line ${lines[row] ?? '?'}`
  const b = new CurveBuilder(src, target, label)
  ingestTable(src, b, label, t.roles, data, { name: src.stem, convention: 'progress' }, target)
  return b.finish()
}
