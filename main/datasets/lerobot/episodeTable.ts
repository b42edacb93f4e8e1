import { join } from 'node:path'
import type { DatasetWarning, StateInfo } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { count } from '../../../app/text'
import type { EpisodeState } from '../episodeSource'
import type { EpisodeEntry } from './lerobotInfo'
import { fitNames, INFO_FILE, MAX_EPISODE_FRAMES } from './lerobotInfo'
import type { ParquetTable } from '../../formats/parquetRead'
import { namePrefix } from './vectorFeatures'
import { asNumber, withParquet } from '../../formats/parquetRead'

export interface EpisodeTable {
  length: number
  state: EpisodeState | null
  /** The extra vectors asked for (see readEpisodeTable's `extra`) that the table has, in the order asked. */
  features: EpisodeState[]
  timestamps: Float64Array | null
  frameIndexSource: 'column' | 'row-order'
  warnings: DatasetWarning[]
}

/** Timestamp deviations below this are float rounding, not a property of the data worth reporting. */
const TIMESTAMP_TOLERANCE_S = 1e-3

type Warn = (level: DatasetWarning['level'], code: string, message: string) => void

/**
 * Rows [start, end) of the table that belong to the episode. v3 files hold many episodes; the metadata's offsets
 * are checked against the table's own `index`/`episode_index` columns, and the table is scanned when they disagree
 * (metadata edited by hand, or an episode missing from meta/episodes).
 */
async function locateRows(table: ParquetTable, entry: EpisodeEntry, warn: Warn): Promise<{ start: number; end: number }> {
  const { rowStart, rowEnd, globalFrom, globalTo } = entry.data
  if (rowStart === null || rowEnd === null) return { start: 0, end: table.numRows }

  const fits = async (): Promise<boolean> => {
    if (rowStart < 0 || rowEnd > table.numRows || rowEnd <= rowStart) return false
    if (globalFrom !== null && globalTo !== null && table.has('index')) {
      const idx = (await table.read(['index'], rowStart, rowEnd)).get('index') ?? []
      return asNumber(idx[0]) === globalFrom && asNumber(idx[idx.length - 1]) === globalTo - 1
    }
    if (table.has('episode_index')) {
      const ep = (await table.read(['episode_index'], rowStart, rowEnd)).get('episode_index') ?? []
      return asNumber(ep[0]) === entry.index && asNumber(ep[ep.length - 1]) === entry.index
    }
    return true
  }
  if (await fits()) return { start: rowStart, end: rowEnd }

  let first = -1
  let last = -1
  const column = table.has('episode_index') ? 'episode_index' : table.has('index') && globalFrom !== null ? 'index' : null
  if (column !== null) {
    const values = (await table.read([column])).get(column) ?? []
    values.forEach((v, row) => {
      const n = asNumber(v)
      const mine =
        column === 'episode_index'
          ? n === entry.index
          : n !== null && n >= (globalFrom ?? 0) && n < (globalTo ?? Number.POSITIVE_INFINITY)
      if (mine) {
        if (first < 0) first = row
        last = row
      }
    })
  }
  if (first < 0) {
    throw new VivaError(
      'DATASET_INVALID',
      `${table.relPath} holds no rows of episode ${entry.index} (meta/episodes points at rows ${rowStart}..${rowEnd - 1})`,
      table.relPath,
    )
  }
  warn(
    'info',
    'ROWS_RELOCATED',
    `meta/episodes places episode ${entry.index} at rows ${rowStart}..${rowEnd - 1} of ${table.relPath}, but its rows are ${first}..${last}; using the table's ${column}`,
  )
  return { start: first, end: last + 1 }
}

function describeFrameIndex(frameIndex: readonly number[]): string {
  const issues: string[] = []
  if (frameIndex.some((v) => Number.isNaN(v))) issues.push('has empty values')
  const finite = frameIndex.filter((v) => !Number.isNaN(v))
  const sorted = [...finite].sort((a, b) => a - b)
  if (sorted[0] !== undefined && sorted[0] !== 0) issues.push(`starts at ${sorted[0]}`)
  if (finite.some((v, i) => i > 0 && v < (finite[i - 1] ?? v))) issues.push('is out of order')
  const duplicates = sorted.filter((v, i) => i > 0 && v === sorted[i - 1]).length
  if (duplicates > 0) issues.push(`repeats ${duplicates} value${duplicates === 1 ? '' : 's'}`)
  const gaps = sorted.reduce((n, v, i) => (i > 0 && v - (sorted[i - 1] ?? v) > 1 ? n + 1 : n), 0)
  if (gaps > 0) issues.push(`skips values in ${gaps} place${gaps === 1 ? '' : 's'}`)
  return issues.join(', ') || 'is not 0..N-1'
}

/**
 * Row order that puts frames in frame_index order, or null when the column already reads 0..N-1.
 * Ties keep table order so a renumbering never swaps equal frames.
 */
function frameOrder(frameIndex: readonly number[]): number[] | null {
  if (frameIndex.every((v, i) => v === i)) return null
  const key = (v: number | undefined): number => (v === undefined || Number.isNaN(v) ? Number.POSITIVE_INFINITY : v)
  return frameIndex.map((_, i) => i).sort((a, b) => key(frameIndex[a]) - key(frameIndex[b]) || a - b)
}

function checkTimestamps(timestamps: Float64Array, fps: number, warn: Warn): void {
  const n = timestamps.length
  if (n === 0) return
  const missing = timestamps.reduce((k, t) => (Number.isNaN(t) ? k + 1 : k), 0)
  if (missing > 0) warn('warning', 'TIMESTAMP_MISSING_VALUES', `${missing} of ${n} timestamps are empty`)
  const start = timestamps[0] ?? 0
  let drift = 0
  for (let i = 0; i < n; i++) {
    const d = Math.abs((timestamps[i] ?? 0) - start - i / fps)
    if (d > drift) drift = d
  }
  const hasOffset = Math.abs(start) > TIMESTAMP_TOLERANCE_S
  const hasDrift = drift > TIMESTAMP_TOLERANCE_S
  if (!hasOffset && !hasDrift) return
  const parts: string[] = []
  if (hasOffset) parts.push(`start at ${start.toFixed(3)} s`)
  if (hasDrift) parts.push(`drift up to ${drift.toFixed(3)} s from frame_index/fps`)
  const text = hasOffset && !hasDrift ? `${parts[0]} instead of 0` : parts.join(' and ')
  // Within half a frame the timestamp still names the right frame; beyond, anything that seeks by time is off.
  const serious = Math.abs(start) >= 0.5 / fps || drift >= 0.5 / fps
  warn(
    serious ? 'warning' : 'info',
    'TIMESTAMP_MISMATCH',
    `timestamps ${text}; playback syncs by frame index, the player shows the recorded time, and exports give both (timestamp: recorded, time_from_frame_s: frame/fps)`,
  )
}

function readState(
  values: readonly unknown[],
  order: readonly number[] | null,
  declared: StateInfo,
  warn: Warn,
): EpisodeState {
  const n = values.length
  const rowAt = (i: number): ArrayLike<unknown> | null => {
    const v = values[order ? (order[i] ?? i) : i]
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return v as unknown as ArrayLike<unknown>
    // A shape-[1] feature is stored as a plain column (LeRobot writes datasets.Value, not a Sequence).
    return typeof v === 'number' || typeof v === 'bigint' ? [v] : null
  }
  let dim = declared.dim
  let firstLength: number | null = null
  for (let i = 0; i < n && firstLength === null; i++) firstLength = rowAt(i)?.length ?? null
  if (firstLength !== null && firstLength !== dim) {
    // dim 0 means info.json declared none, which opening already reported.
    if (dim > 0) {
      warn(
        'warning',
        'STATE_DIM_MISMATCH',
        `${declared.key} rows have ${firstLength} values but meta/info.json declares ${dim}; using ${firstLength}`,
      )
    }
    dim = firstLength
  }
  const out = new Float32Array(n * dim).fill(Number.NaN)
  let bad = 0
  for (let i = 0; i < n; i++) {
    const row = rowAt(i)
    if (row === null || row.length !== dim) bad++
    if (row === null) continue
    const m = Math.min(dim, row.length)
    for (let j = 0; j < m; j++) out[i * dim + j] = asNumber(row[j]) ?? Number.NaN
  }
  if (bad > 0) {
    warn('warning', 'STATE_ROWS_MALFORMED', `${bad} of ${n} ${declared.key} rows are empty or not ${dim} values long; their gaps are NaN`)
  }
  return { key: declared.key, dim, names: fitNames(declared.names, dim, namePrefix(declared.key)), values: out }
}

/**
 * Read one episode's rows: state, timestamps and frame order, and the `extra` numeric vectors asked for (action,
 * effort...; frame-indexed like the state). Quirks become warnings on the result; only an unreadable file
 * (DATASET_INVALID) or a missing one (NOT_FOUND) throws.
 */
export async function readEpisodeTable(
  root: string,
  entry: EpisodeEntry,
  fps: number,
  state: StateInfo | null,
  signal?: AbortSignal,
  extra: readonly StateInfo[] = [],
): Promise<EpisodeTable> {
  const rel = entry.data.relPath
  const warnings: DatasetWarning[] = []
  const warn: Warn = (level, code, message) => warnings.push({ level, code, message, file: rel, episode: entry.index })

  return withParquet(join(root, rel), rel, async (table) => {
    signal?.throwIfAborted()
    const { start, end } = await locateRows(table, entry, warn)
    const length = end - start
    // Every array of the episode (state, timestamps, frame maps, curves, the renderer's) is sized by this.
    if (length > MAX_EPISODE_FRAMES) {
      throw new VivaError(
        'DATASET_INVALID',
        `${rel} gives episode ${entry.index} ${count(length)} rows, more than the ${count(MAX_EPISODE_FRAMES)} frames an episode may have`,
        rel,
      )
    }
    const hasState = state !== null && table.has(state.key)
    const wanted = extra.filter((f) => f.key !== state?.key)
    const columns = [...new Set([hasState && state ? state.key : null, ...wanted.map((f) => f.key), 'timestamp', 'frame_index'])].filter(
      (c): c is string => c !== null && table.has(c),
    )
    const cols = await table.read(columns, start, end)
    signal?.throwIfAborted()

    if (length !== entry.length) {
      warn('warning', 'LENGTH_MISMATCH', `metadata says ${entry.length} frames but ${rel} has ${length} rows; using the table`)
    }

    let order: number[] | null = null
    const frameIndexColumn = cols.get('frame_index')
    if (frameIndexColumn) {
      const frameIndex = frameIndexColumn.map((v) => asNumber(v) ?? Number.NaN)
      order = frameOrder(frameIndex)
      if (order) {
        warn('warning', 'FRAME_INDEX_RENUMBERED', `frame_index ${describeFrameIndex(frameIndex)}; frames renumbered 0..${length - 1} in frame_index order`)
      }
    } else {
      warn('info', 'FRAME_INDEX_MISSING', `${rel} has no frame_index column; frames are numbered by row order`)
    }

    let timestamps: Float64Array | null = null
    const ts = cols.get('timestamp')
    if (ts) {
      timestamps = new Float64Array(length)
      for (let i = 0; i < length; i++) timestamps[i] = asNumber(ts[order ? (order[i] ?? i) : i]) ?? Number.NaN
      checkTimestamps(timestamps, fps, warn)
    }

    let episodeState: EpisodeState | null = null
    if (state !== null) {
      const values = cols.get(state.key)
      if (values) episodeState = readState(values, order, state, warn)
      else warn('warning', 'STATE_COLUMN_MISSING', `${rel} has no ${state.key} column`)
    }

    const features: EpisodeState[] = []
    for (const f of extra) {
      if (f.key === state?.key) {
        if (episodeState) features.push(episodeState)
        continue
      }
      const values = cols.get(f.key)
      if (values) features.push(readState(values, order, f, warn))
      else warn('info', 'FEATURE_COLUMN_MISSING', `${rel} has no ${f.key} column, which ${INFO_FILE} declares`)
    }

    return {
      length,
      state: episodeState,
      features,
      timestamps,
      frameIndexSource: frameIndexColumn ? 'column' : 'row-order',
      warnings,
    }
  })
}
