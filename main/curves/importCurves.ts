import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { FileMetaData } from 'hyparquet'
import { CURVE_CONVENTIONS } from '../../app/curves'
import type { CurveConvention } from '../../app/curves'
import { VivaError } from '../../app/errors'
import { lineAndColumn, locateJsonError } from '../../app/jsonText'
import { QUOTE_LIMIT, quoteValue } from '../../app/text'
import { boundedCompressors, declaredCountProblem, openParquetBytes, type ParquetBytes } from '../formats/parquetRead'
import { parseCsv, sniffCsvDelimiter } from '../formats/csv'
import { decodeUtf8, READ_LIMITS, readRegularFile } from '../safeRead'

/**
 * Imports value curves computed outside the app (the ViVa reference implementation, LeRobot's reward labelers, or
 * a hand-made table) into the app's curve model: one Float32Array per (curve, episode), as long as the episode,
 * NaN where the file gives no value. Rows for episodes the open dataset lacks, and frames past an episode's end,
 * are skipped with a warning (a file computed on a superset or an older copy of the dataset is still useful);
 * anything that makes the file's meaning unclear (a missing column, a non-number, NaN/Inf, a duplicate row) rejects
 * the whole file with IMPORT_INVALID naming the file, the row and the problem.
 */

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

const SUPPORTED_TEXT =
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
interface ValueSpec {
  column: string
  convention: CurveConvention
  nanIsMissing: boolean
}

const KNOWN_VALUE_COLUMNS: readonly ValueSpec[] = [
  { column: 'prediction', convention: 'remaining', nanIsMissing: false },
  { column: 'model_prediction', convention: 'remaining-frames', nanIsMissing: false },
  { column: 'progress_sparse', convention: 'progress', nanIsMissing: true },
  { column: 'progress_dense', convention: 'progress', nanIsMissing: true },
]

const EPISODE_COLUMNS = ['episode_index', 'episode', 'episode_idx'] as const
const FRAME_COLUMNS = ['frame_index', 'frame', 'frame_idx'] as const

// ---------------------------------------------------------------------------------------------------------------
// Errors and small helpers

class Source {
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

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A raw cell for a message: strings quoted, long ones cut (with their length). */
function describeRaw(raw: unknown): string {
  if (typeof raw === 'string') return quoteValue(raw, 40)
  if (typeof raw === 'bigint') return String(raw)
  if (raw === null || raw === undefined) return 'null'
  if (typeof raw === 'object') return Array.isArray(raw) || ArrayBuffer.isView(raw) ? 'a list' : 'an object'
  return String(raw)
}

/** A column name from the file, for a message: as is when short, quoted and cut when long. */
function columnText(name: string): string {
  return name.length <= QUOTE_LIMIT ? name : quoteValue(name)
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** Sorted whole numbers as "3, 5–9, 12", cut after `maxRuns` runs. */
function formatRuns(sorted: readonly number[], maxRuns = 10): string {
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

const FLOAT32_MAX = 3.4028234663852886e38

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
function parseNumber(text: string): number | null {
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

// ---------------------------------------------------------------------------------------------------------------
// Building curves from (curve, episode, frame, value) rows

interface Slot {
  values: Float32Array
  /** Row + 1 that gave each frame (0: none yet), to name both rows of a duplicate. */
  rowOf: Int32Array
  /** Frames with a finite value. */
  filled: number
}

interface Series {
  name: string
  convention: CurveConvention
  nanIsMissing: boolean
  /** The column (or field) its values come from, for messages. */
  column: string
  firstRow: number
  slots: Map<number, Slot>
  nanFrames: number
  nanEpisodes: Set<number>
  lastEpisode: number
  lastSlot: Slot | null
}

interface DroppedFrames {
  rows: number
  minFrame: number
  maxFrame: number
  lastRow: number
}

/**
 * Collects rows into per-episode typed arrays. Rows are identified by a number only; `label` turns it into the
 * file's own words ("line 12", "row 11", "rows[11]") when a message needs it, so no per-row objects are made.
 */
class CurveBuilder {
  private readonly lengths = new Map<number, number>()
  private readonly series: Series[] = []
  private readonly byName = new Map<string, number>()
  private readonly absent = new Map<number, { rows: number; lastRow: number }>()
  private readonly dropped = new Map<number, DroppedFrames>()
  private lastRowSeen = -1
  rows = 0

  constructor(
    private readonly src: Source,
    target: CurveImportTarget,
    private readonly label: (row: number) => string,
  ) {
    for (const e of target.episodes) this.lengths.set(e.index, e.length)
  }

  /** The series named `name`, made on first use; one name cannot carry two conventions. */
  seriesFor(name: string, convention: CurveConvention, nanIsMissing: boolean, column: string, row: number): number {
    const known = this.byName.get(name)
    if (known === undefined && name.length > MAX_CURVE_NAME) {
      throw this.src.invalid(`${this.label(row)}: curve name ${quoteValue(name)} is longer than ${MAX_CURVE_NAME} characters`)
    }
    if (known !== undefined) {
      const s = this.series[known] as Series
      if (s.convention !== convention) {
        throw this.src.invalid(
          `curve ${quoteValue(name)} has convention ${s.convention} at ${this.label(s.firstRow)} but ${convention} at ${this.label(row)}`,
        )
      }
      return known
    }
    this.series.push({
      name,
      convention,
      nanIsMissing,
      column,
      firstRow: row,
      slots: new Map(),
      nanFrames: 0,
      nanEpisodes: new Set(),
      lastEpisode: -1,
      lastSlot: null,
    })
    this.byName.set(name, this.series.length - 1)
    return this.series.length - 1
  }

  private index(value: number, what: 'episode' | 'frame', row: number): number {
    if (!Number.isInteger(value) || value < 0) {
      throw this.src.invalid(`${this.label(row)} has ${what} ${describeRaw(value)}; expected a whole number ≥ 0`)
    }
    return value
  }

  add(seriesIndex: number, episodeRaw: number, frameRaw: number, value: number, row: number): void {
    if (row !== this.lastRowSeen) {
      this.rows++
      this.lastRowSeen = row
    }
    const s = this.series[seriesIndex] as Series
    const episode = this.index(episodeRaw, 'episode', row)
    const frame = this.index(frameRaw, 'frame', row)
    const missing = Number.isNaN(value)
    if ((missing && !s.nanIsMissing) || value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
      throw this.src.invalid(
        `${this.label(row)} (episode ${episode}, frame ${frame}) has ${describeRaw(value)} in column ${s.column}; ` +
          'NaN and infinite values are not accepted (leave out the rows of frames without a value)',
      )
    }
    // Curves are float32: a larger finite value would silently become Infinity there.
    if (Math.abs(value) > FLOAT32_MAX) {
      throw this.src.invalid(
        `${this.label(row)} (episode ${episode}, frame ${frame}) has ${value} in column ${s.column}, beyond the float32 range of curves`,
      )
    }

    const length = this.lengths.get(episode)
    if (length === undefined) {
      const a = this.absent.get(episode)
      if (!a) this.absent.set(episode, { rows: 1, lastRow: row })
      else if (a.lastRow !== row) {
        a.rows++
        a.lastRow = row
      }
      return
    }
    if (frame >= length) {
      const d = this.dropped.get(episode)
      if (!d) this.dropped.set(episode, { rows: 1, minFrame: frame, maxFrame: frame, lastRow: row })
      else if (d.lastRow !== row) {
        d.rows++
        d.lastRow = row
        if (frame < d.minFrame) d.minFrame = frame
        if (frame > d.maxFrame) d.maxFrame = frame
      }
      return
    }

    let slot = s.lastEpisode === episode ? s.lastSlot : null
    if (!slot) {
      slot = s.slots.get(episode) ?? null
      if (!slot) {
        slot = { values: new Float32Array(length).fill(Number.NaN), rowOf: new Int32Array(length), filled: 0 }
        s.slots.set(episode, slot)
      }
      s.lastEpisode = episode
      s.lastSlot = slot
    }
    const previous = slot.rowOf[frame] as number
    if (previous !== 0) {
      const which = this.series.length > 1 ? ` of curve "${s.name}"` : ''
      throw this.src.invalid(
        `${this.label(previous - 1)} and ${this.label(row)} both give episode ${episode} frame ${frame}${which}; ` +
          'each frame may appear once',
      )
    }
    slot.rowOf[frame] = row + 1
    if (missing) {
      s.nanFrames++
      s.nanEpisodes.add(episode)
      return
    }
    slot.values[frame] = value
    slot.filled++
  }

  finish(): CurveImportResult {
    const warnings: string[] = []
    if (this.absent.size > 0) {
      const episodes = [...this.absent.keys()].sort((a, b) => a - b)
      const rows = [...this.absent.values()].reduce((n, a) => n + a.rows, 0)
      warnings.push(
        episodes.length === 1
          ? `episode ${episodes[0]} is not in the dataset; skipped its ${plural(rows, 'row')}`
          : `episodes ${formatRuns(episodes)} (${episodes.length}) are not in the dataset; skipped their ${plural(rows, 'row')}`,
      )
    }
    for (const [episode, d] of [...this.dropped].sort((a, b) => a[0] - b[0])) {
      const length = this.lengths.get(episode) ?? 0
      const frames = d.minFrame === d.maxFrame ? `frame ${d.minFrame}` : `frames ${d.minFrame}–${d.maxFrame}`
      warnings.push(
        `episode ${episode} has ${plural(length, 'frame')} in the dataset${length > 0 ? ` (0–${length - 1})` : ''}; ` +
          `dropped ${plural(d.rows, 'row')} for ${frames}`,
      )
    }

    const found: { episode: number; order: number; curve: ImportedCurve }[] = []
    this.series.forEach((s, order) => {
      if (s.nanFrames > 0) {
        warnings.push(
          `${s.column} has no value (NaN) for ${plural(s.nanFrames, 'frame')} in ${plural(s.nanEpisodes.size, 'episode')}; ` +
            'those frames are left empty',
        )
      }
      for (const [episode, slot] of s.slots) {
        if (slot.filled === 0) {
          warnings.push(`episode ${episode} has no value in ${s.column}; no curve made`)
          continue
        }
        found.push({ episode, order, curve: { episode, name: s.name, convention: s.convention, values: slot.values } })
      }
    })
    found.sort((a, b) => a.episode - b.episode || a.order - b.order)

    if (found.length === 0) {
      if (this.rows === 0) throw this.src.invalid('contains no values (no data rows)')
      const why = warnings.slice(0, 3).join('; ')
      throw this.src.invalid(`gives no value for any episode of the dataset (${why}${warnings.length > 3 ? '; …' : ''})`)
    }
    const shown = warnings.length > MAX_WARNINGS ? warnings.slice(0, MAX_WARNINGS) : warnings
    const out = shown.map((w) => `${this.src.shown}: ${w}`)
    if (warnings.length > MAX_WARNINGS) out.push(`${this.src.shown}: … and ${warnings.length - MAX_WARNINGS} more warnings`)
    return { curves: found.map((f) => f.curve), warnings: out }
  }
}

/**
 * The episode of a file without an episode column: the one its name gives ("episode_000012.parquet",
 * "ep12_viva.csv"), else the dataset's only episode. Anything else would be a guess.
 */
function impliedEpisode(src: Source, target: CurveImportTarget): number {
  const numbers = new Set<number>()
  for (const m of src.stem.matchAll(/(?:^|[^a-z])(?:episode|ep)[_\-\s.]?(\d+)(?!\d)/gi)) numbers.add(Number(m[1]))
  if (numbers.size === 1) return [...numbers][0] as number
  if (numbers.size === 0 && target.episodes.length === 1) return (target.episodes[0] as { index: number }).index
  throw src.invalid(
    `has no episode column (expected ${EPISODE_COLUMNS.slice(0, 2).join(' or ')}) and neither its name ` +
      `(as in episode_000012.parquet) nor the dataset (${plural(target.episodes.length, 'episode')}) says which episode it holds`,
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Tables: parquet, CSV and JSON rows all come down to columns, checked and read the same way

const OK = 0
const MISSING = 1
const NON_NUMERIC = 2

interface NumericColumn {
  values: Float64Array
  /** OK, MISSING (null, empty, absent) or NON_NUMERIC per row. */
  status: Uint8Array
  /** The first non-numeric cell, for the message. */
  bad: { row: number; raw: unknown } | null
}

function numericColumn(rows: number): NumericColumn {
  const values = new Float64Array(rows).fill(Number.NaN)
  return { values, status: new Uint8Array(rows).fill(MISSING), bad: null }
}

/** A cell of any format into a numeric column: numbers, bigints (int64) and numeric text. */
function putCell(col: NumericColumn, row: number, raw: unknown): void {
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

interface Roles {
  episode: string | null
  frame: string
  known: ValueSpec[]
  generic: GenericSpec | null
}

/** Which of `columns` (matched trimmed and case-insensitively) play which part. */
function resolveRoles(src: Source, columns: readonly string[]): Roles {
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
function neededColumns(roles: Roles): { numeric: string[]; text: string[] } {
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

interface TableData {
  rows: number
  numeric: Map<string, NumericColumn>
  text: Map<string, (string | null)[]>
}

function parseConvention(text: string): CurveConvention | null {
  const t = text.trim().toLowerCase()
  return (CURVE_CONVENTIONS as readonly string[]).includes(t) ? (t as CurveConvention) : null
}

const CONVENTION_LIST = CURVE_CONVENTIONS.join(', ')

/** Feeds every row of a table to the builder, checking each cell where the row is known. */
function ingestTable(
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

// ---------------------------------------------------------------------------------------------------------------
// Parquet

const PAR1 = 0x31524150 // "PAR1" read as little-endian uint32

async function openParquetFile(src: Source): Promise<{ bytes: ParquetBytes; metadata: FileMetaData }> {
  let bytes: ParquetBytes
  try {
    bytes = await openParquetBytes(src.file, { limit: READ_LIMITS.curveParquet })
  } catch (err) {
    throw src.invalid(`could not be read (${reason(err)})`)
  }
  try {
    const { file, size } = bytes
    if (size < 12) throw src.invalid(`is too short to be a parquet file (${plural(size, 'byte')}); it is truncated or not parquet`)
    const head = new DataView(await file.slice(0, 4))
    const tail = new DataView(await file.slice(size - 4, size))
    if (head.getUint32(0, true) !== PAR1) throw src.invalid('is not a parquet file (it does not start with the PAR1 marker)')
    if (tail.getUint32(0, true) !== PAR1) {
      throw src.invalid('is truncated or damaged: it does not end with the parquet footer marker PAR1 (was it still being written?)')
    }
    let metadata: FileMetaData
    try {
      metadata = await parquetMetadataAsync(file)
    } catch (err) {
      throw src.invalid(`has an unreadable parquet footer (${reason(err)}); the file is truncated or damaged`)
    }
    // Arrays below are sized by the declared row count: a footer declaring more than the file can hold is refused first.
    const problem = declaredCountProblem(metadata, size)
    if (problem !== null) throw src.invalid(`has a corrupt parquet footer: ${problem}`)
    return { bytes, metadata }
  } catch (err) {
    await bytes.close()
    throw err
  }
}

async function importParquet(src: Source, target: CurveImportTarget): Promise<CurveImportResult> {
  const { bytes, metadata } = await openParquetFile(src)
  try {
    return await importParquetTable(src, bytes.file, metadata, target)
  } finally {
    await bytes.close()
  }
}

async function importParquetTable(src: Source, file: ParquetBytes['file'], metadata: FileMetaData, target: CurveImportTarget): Promise<CurveImportResult> {
  const top = parquetSchema(metadata).children
  const roles = resolveRoles(
    src,
    top.map((c) => c.element.name),
  )
  const { numeric, text } = neededColumns(roles)
  for (const name of [...numeric, ...text]) {
    const node = top.find((c) => c.element.name === name)
    if (node && node.children.length > 0) {
      throw src.invalid(`column ${columnText(name)} holds nested values (lists or structs); expected one number per row`)
    }
  }

  const rows = Number(metadata.num_rows)
  const data: TableData = { rows, numeric: new Map(), text: new Map() }
  for (const c of numeric) data.numeric.set(c, numericColumn(rows))
  for (const c of text) data.text.set(c, new Array<string | null>(rows).fill(null))
  try {
    await parquetRead({
      file,
      metadata,
      compressors: boundedCompressors,
      columns: [...new Set([...numeric, ...text])],
      // Column chunks straight into typed arrays: no row objects, which a million-row file would feel.
      onChunk: ({ columnName, columnData, rowStart }) => {
        const end = Math.min(rows, rowStart + columnData.length)
        const num = data.numeric.get(columnName)
        if (num) {
          if (columnData instanceof BigInt64Array || columnData instanceof BigUint64Array) {
            for (let r = rowStart; r < end; r++) {
              num.values[r] = Number(columnData[r - rowStart])
              num.status[r] = OK
            }
          } else if (ArrayBuffer.isView(columnData)) {
            for (let r = rowStart; r < end; r++) {
              num.values[r] = columnData[r - rowStart] as number
              num.status[r] = OK
            }
          } else {
            for (let r = rowStart; r < end; r++) putCell(num, r, columnData[r - rowStart] as unknown)
          }
        }
        const txt = data.text.get(columnName)
        if (txt) {
          for (let r = rowStart; r < end; r++) {
            const v = columnData[r - rowStart] as unknown
            txt[r] = v === null || v === undefined ? null : String(v)
          }
        }
      },
    })
  } catch (err) {
    throw src.invalid(`could not be read as parquet (${reason(err)}); the file is truncated or damaged`)
  }

  const b = new CurveBuilder(src, target, (row) => `row ${row}`)
  ingestTable(src, b, (row) => `row ${row}`, roles, data, { name: src.stem, convention: 'progress' }, target)
  return b.finish()
}

// ---------------------------------------------------------------------------------------------------------------
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

function importCsv(src: Source, text: string, target: CurveImportTarget): CurveImportResult {
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

// ---------------------------------------------------------------------------------------------------------------
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

function importJson(src: Source, text: string, target: CurveImportTarget): CurveImportResult {
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

// ---------------------------------------------------------------------------------------------------------------
// Entry point

function decodeText(src: Source, bytes: Buffer): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw src.invalid('is UTF-16 text; save it as UTF-8')
  }
  if (bytes.subarray(0, 4096).includes(0)) throw src.invalid('is not a text file (it contains NUL bytes)')
  return decodeUtf8(bytes)
}

/**
 * Read one curve file and turn it into curves of the target dataset's episodes. The format is chosen by extension,
 * except that a file starting with the parquet marker is read as parquet whatever its name. Throws NOT_FOUND for a
 * missing file and IMPORT_INVALID (message naming the file and the problem, `file` set) for anything unusable,
 * including a file that yields no curve at all.
 */
export async function importCurveFile(file: string, target: CurveImportTarget): Promise<CurveImportResult> {
  const src = new Source(file)
  let empty: boolean
  try {
    const info = await stat(file)
    if (info.isDirectory()) throw src.invalid('is a directory, not a file')
    // A FIFO or a device also reports 0 bytes: those are refused by the read helper, before anything is read.
    empty = info.isFile() && info.size === 0
  } catch (err) {
    if (err instanceof VivaError) throw err
    const code = err instanceof Error && 'code' in err ? err.code : undefined
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new VivaError('NOT_FOUND', `${src.shown} not found (${file})`, file)
    throw src.invalid(`could not be read (${reason(err)})`)
  }
  const ext = path.extname(file).toLowerCase()
  if (!(CURVE_IMPORT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw src.invalid(`${ext === '' ? 'has no extension' : `has an unsupported extension ${ext}`}; supported: ${SUPPORTED_TEXT}`)
  }
  if (empty) throw src.invalid('is empty (0 bytes)')
  if (ext === '.parquet') return importParquet(src, target)

  let bytes: Buffer
  try {
    bytes = await readRegularFile(file, READ_LIMITS.curveText)
  } catch (err) {
    const tooBig = err instanceof Error && 'code' in err && err.code === 'ETOOBIG'
    throw src.invalid(tooBig ? `could not be read (${reason(err)}; use parquet for larger curve files)` : `could not be read (${reason(err)})`)
  }
  if (bytes.length === 0) throw src.invalid('is empty (0 bytes)')
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === PAR1) return importParquet(src, target)
  const text = decodeText(src, bytes)
  return ext === '.csv' ? importCsv(src, text, target) : importJson(src, text, target)
}
