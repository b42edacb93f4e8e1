import { CsvError, parse as parseStream } from 'csv-parse'
import { stringify } from 'csv-stringify/sync'

/**
 * Every CSV the app reads or writes goes through this module, on csv-parse / csv-stringify (RFC 4180,
 * https://csv.js.org). The renderer never builds CSV: exports are produced here in main and reach it as text over
 * the contract, so app/ only lays out rows (`eventsCsvRows`, `metricsReportRows`) and there is one encoder.
 */

/** A cell: null is an empty field; numbers and bigints print as JavaScript prints them. */
export type CsvCell = string | number | bigint | null

/**
 * RFC 4180 text: a field with the delimiter, a quote or a line break is quoted, quotes doubled; one `eol` after
 * every record, the last included.
 */
export function formatCsv(rows: Iterable<readonly CsvCell[]>, options: { eol?: '\n' | '\r\n' } = {}): string {
  // csv-stringify quotes a line break only when it equals the record delimiter; a reader that accepts CR, LF and
  // CRLF (as parseCsv and spreadsheets do) needs every CR and LF quoted.
  return stringify([...rows] as CsvCell[][], { record_delimiter: options.eol ?? '\n', quoted_match: /[\r\n]/ })
}

const CHUNK_CHARS = 1 << 20

/** What a malformed file's problem is, in words a user can act on, by csv-parse's error code. */
const PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (a missing closing quote)',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double the quote)',
}

function lineBreaks(text: string): number {
  return text.match(/\r\n|\n|\r/g)?.length ?? 0
}

/** Line breaks inside a record's (quoted) fields; most records have none, so no string is built for them. */
function fieldLineBreaks(record: readonly string[]): number {
  let n = 0
  for (const field of record) if (field.includes('\n') || field.includes('\r')) n += lineBreaks(field)
  return n
}

/**
 * The line of a field's opening quote that is never closed. csv-parse reports where the text ends; the user needs
 * where the field begins. Inside the open field quotes come only doubled, so its opening quote starts the last run
 * of quotes of odd length.
 */
function unclosedQuoteLine(text: string): number {
  for (let end = text.length - 1; end >= 0; end--) {
    if (text[end] !== '"') continue
    let start = end
    while (start > 0 && text[start - 1] === '"') start--
    if ((end - start + 1) % 2 === 1) return lineBreaks(text.slice(0, start)) + 1
    end = start
  }
  return 1
}

/**
 * Reads RFC 4180 CSV: records end in CRLF, LF or CR (mixed, as files pasted together have them); a field in double
 * quotes may hold the delimiter, line breaks and doubled quotes. A stray quote inside an unquoted field, or text
 * after a closing quote, is an error rather than a guess. Calls `onRecord` with each record and the line it starts
 * on, without keeping the records (files may hold millions of rows); blank lines are skipped; a leading byte-order
 * mark is ignored. Records may differ in width: the caller knows what a record must hold.
 */
export function parseCsv(
  text: string,
  onRecord: (fields: readonly string[], line: number) => void,
  fail: (line: number, problem: string) => never,
  delimiter = ',',
): void {
  try {
    // The streaming parser fed in chunks and drained after each, synchronously: records are never all held (files may
    // hold millions of rows), and no per-record hook runs (csv-parse's on_record/info cost ~5x the parse itself).
    // Lines are counted here: each record spans one line plus the line breaks inside its quoted fields.
    const parser = parseStream({
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
    })
    parser.on('error', () => {})
    let line = 1
    const drain = (): void => {
      for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null) {
        const at = line
        line += 1 + fieldLineBreaks(record)
        // A blank line, or one of spaces, is skipped.
        if (!(record.length === 1 && (record[0] ?? '').trim() === '')) onRecord(record, at)
      }
      if (parser.errored) throw parser.errored
    }
    // csv-parse holds a possible CR of a CRLF at a chunk's end until the next chunk (csv.test.ts checks this).
    for (let i = 0; i < text.length; i += CHUNK_CHARS) {
      parser.write(text.slice(i, i + CHUNK_CHARS))
      drain()
    }
    parser.end()
    drain()
  } catch (err) {
    if (!(err instanceof CsvError)) throw err
    const line = err.code === 'CSV_QUOTE_NOT_CLOSED' ? unclosedQuoteLine(text) : Number(err.lines ?? 0)
    if (err.code === 'CSV_INVALID_CLOSING_QUOTE') {
      const got = /got "([^"]*)"/.exec(err.message)?.[1]
      fail(line, `unexpected ${got === undefined ? 'text' : JSON.stringify(got)} after the closing quote of a field`)
    }
    fail(line, PROBLEMS[err.code] ?? err.message)
  }
}

/** The delimiter of the header line: comma unless semicolons or tabs (as some locales' spreadsheets write) win. */
export function sniffCsvDelimiter(text: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ])
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (ch === '"') quoted = !quoted
    else if (!quoted && (ch === '\n' || ch === '\r')) break
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  }
  let best = ','
  for (const [d, c] of counts) if (c > (counts.get(best) ?? 0)) best = d
  return best
}
