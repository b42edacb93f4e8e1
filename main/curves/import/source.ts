import path from 'node:path'
import type { CurveConvention } from '../../../app/curves'
import { VivaError } from '../../../app/errors'
import { QUOTE_LIMIT, quoteValue } from '../../../app/text'

// The import's shared vocabulary: result types, known columns, the file being read, and message helpers.

export interface ImportedCurve {
  episode: number
  name: string
  convention: CurveConvention
  /** Length = the episode's length; NaN where the file has no value. */
  values: Float32Array
}

/** The present episodes of the open dataset. */
export interface CurveImportTarget {
  episodes: { index: number; length: number }[]
}

export interface CurveImportResult {
  curves: ImportedCurve[]
  warnings: string[]
}

export const CURVE_IMPORT_EXTENSIONS = ['.parquet', '.csv', '.json'] as const

export const SUPPORTED_TEXT =
  '.parquet (ViVa reference predictions, LeRobot *_progress.parquet), .csv (episode, frame, value) or .json'

/** Warnings beyond this are summarised in one line: a list of thousands helps nobody. */
export const MAX_WARNINGS = 20

/** Between the file's base name and the column a curve came from. */
export const NAME_SEPARATOR = ' · '

/** Characters of a curve name (a file's base name plus its column, or a "name" given in the file). */
export const MAX_CURVE_NAME = 200

/**
 * Value columns with a known meaning. LeRobot's labelers (SARM's compute_rabc_weights and the ones built like it)
 * write NaN for a frame they failed to score, so NaN (or null) there means "no value"; everywhere else a NaN is a
 * broken file.
 */
export interface ValueSpec {
  column: string
  convention: CurveConvention
  nanIsMissing: boolean
}

export const KNOWN_VALUE_COLUMNS: readonly ValueSpec[] = [
  { column: 'prediction', convention: 'remaining', nanIsMissing: false },
  { column: 'model_prediction', convention: 'remaining-frames', nanIsMissing: false },
  { column: 'progress_sparse', convention: 'progress', nanIsMissing: true },
  { column: 'progress_dense', convention: 'progress', nanIsMissing: true },
]

export const EPISODE_COLUMNS = ['episode_index', 'episode', 'episode_idx'] as const
export const FRAME_COLUMNS = ['frame_index', 'frame', 'frame_idx'] as const

// Errors and small helpers

export class Source {
  /** The file's base name: what messages show (the full path travels in the error's `file`). */
  readonly shown: string
  /** Base name without extension: the prefix of curve names. */
  readonly stem: string

  constructor(readonly file: string) {
    this.shown = path.basename(file)
    const ext = path.extname(this.shown)
    this.stem = ext ? this.shown.slice(0, -ext.length) : this.shown
  }

  invalid(problem: string): VivaError {
    return new VivaError('IMPORT_INVALID', `${this.shown}: ${problem}`, this.file)
  }
}

export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A raw cell for a message: strings quoted, long ones cut (with their length). */
export function describeRaw(raw: unknown): string {
  if (typeof raw === 'string') return quoteValue(raw, 40)
  if (typeof raw === 'bigint') return String(raw)
  if (raw === null || raw === undefined) return 'null'
  if (typeof raw === 'object') return Array.isArray(raw) || ArrayBuffer.isView(raw) ? 'a list' : 'an object'
  return String(raw)
}

/** A column name from the file, for a message: as is when short, quoted and cut when long. */
export function columnText(name: string): string {
  return name.length <= QUOTE_LIMIT ? name : quoteValue(name)
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** Sorted whole numbers as "3, 5–9, 12", cut after `maxRuns` runs. */
export function formatRuns(sorted: readonly number[], maxRuns = 10): string {
  const runs: string[] = []
  let i = 0
  while (i < sorted.length && runs.length < maxRuns) {
    const from = sorted[i] as number
    let to = from
    while (i + 1 < sorted.length && sorted[i + 1] === to + 1) to = sorted[++i] as number
    runs.push(from === to ? String(from) : `${from}–${to}`)
    i++
  }
  return i < sorted.length ? `${runs.join(', ')}, …` : runs.join(', ')
}

export const FLOAT32_MAX = 3.4028234663852886e38

const NON_FINITE_RE = /^([+-]?)(nan|inf|infinity)$/i

/** Whether s[from, to) is a plain decimal number: sign, digits with at most one point, optional exponent. */
function isDecimal(s: string, from: number, to: number): boolean {
  let i = from
  const c0 = s.charCodeAt(i)
  if (c0 === 43 || c0 === 45) i++ // + -
  let digits = 0
  const digitsFrom = i
  while (i < to && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
  digits += i - digitsFrom
  if (i < to && s.charCodeAt(i) === 46) {
    const fractionFrom = ++i
    while (i < to && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
    digits += i - fractionFrom
  }
  if (digits === 0) return false
  if (i < to && (s.charCodeAt(i) | 32) === 101) {
    i++
    const c = s.charCodeAt(i)
    if (c === 43 || c === 45) i++
    const start = i
    while (i < to && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
    if (i === start) return false
  }
  return i === to
}

/**
 * A text cell as a number, strictly: decimal notation only (Number() would also take "", "0x1f" and " "), and the
 * spellings of NaN/Inf that numpy, pandas and C print become NaN/±Infinity so the caller can reject them by name.
 * Hand-rolled rather than a regex: it runs once per cell, millions of times for a large CSV.
 */
export function parseNumber(text: string): number | null {
  let from = 0
  let to = text.length
  while (from < to && text.charCodeAt(from) <= 32) from++
  while (to > from && text.charCodeAt(to - 1) <= 32) to--
  if (from === to) return null
  if (isDecimal(text, from, to)) return Number(from === 0 && to === text.length ? text : text.slice(from, to))
  const nonFinite = NON_FINITE_RE.exec(text.slice(from, to))
  if (nonFinite) {
    if ((nonFinite[2] ?? '').toLowerCase() === 'nan') return Number.NaN
    return nonFinite[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  return null
}
