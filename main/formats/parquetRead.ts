import type { FileHandle } from 'node:fs/promises'
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { AsyncBuffer, Compressors, FileMetaData } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { VivaError } from '../../app/errors'
import { count } from '../../app/text'
import { fsReason } from '../fsErrors'
import { openRegularFile, readHandle, READ_LIMITS, type ReadLimit } from '../safeRead'

/**
 * Files up to this size are read whole in one call: per-episode v2 tables are small and one read beats many
 * ranged ones. Larger files (v3 shards of up to hundreds of MB) are read by range so one episode costs its rows.
 */
const WHOLE_FILE_LIMIT = 32 * 1024 * 1024

export interface ParquetTable {
  /** Path relative to the dataset root, used in every error and warning. */
  readonly relPath: string
  readonly numRows: number
  /** Top-level column names. */
  readonly columns: readonly string[]
  /** The footer as parsed: the schema and key/value metadata a rewrite keeps (parquetRewrite.ts). */
  readonly metadata: FileMetaData
  has(column: string): boolean
  /** Column-wise values of rows [rowStart, rowEnd); list columns come back as one array per row. */
  read(columns: readonly string[], rowStart?: number, rowEnd?: number): Promise<Map<string, unknown[]>>
  close(): Promise<void>
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function invalid(relPath: string, err: unknown): VivaError {
  return new VivaError('DATASET_INVALID', `${relPath} is not a readable parquet file (${reason(err)})`, relPath)
}

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR')
}

function rangedBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size)
      const out = new Uint8Array(Math.max(0, stop - start))
      let done = 0
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done)
        if (bytesRead === 0) throw new Error(`file ended at byte ${start + done} of ${size}`)
        done += bytesRead
      }
      return out.buffer
    },
  }
}

/** A parquet file opened for reading: whole in memory when small, by range otherwise. */
export interface ParquetBytes {
  file: AsyncBuffer
  size: number
  close(): Promise<void>
}

/**
 * Open a parquet file through the safe read helper (regular files only, size checked against fstat, never read past
 * it). Throws what openRegularFile throws: the fs error for a missing or unreachable path, UnreadableFileError else.
 */
export async function openParquetBytes(absPath: string, options: { ranged?: boolean; limit?: ReadLimit } = {}): Promise<ParquetBytes> {
  const { handle, size } = await openRegularFile(absPath, options.limit ?? READ_LIMITS.parquet)
  if (size <= WHOLE_FILE_LIMIT && !options.ranged) {
    try {
      const bytes = await readHandle(handle, size)
      return { file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), size: bytes.byteLength, close: async () => undefined }
    } finally {
      await handle.close()
    }
  }
  let open = true
  return {
    file: rangedBuffer(handle, size),
    size,
    async close() {
      if (!open) return
      open = false
      await handle.close()
    },
  }
}

/**
 * Rows (and values, for list columns) a footer may declare per byte of file. Real tables are far sparser: every
 * table the readers take has a varying column (frame_index, index, timestamp, value), which no encoding stores in
 * less than a fraction of a byte per row, and a LeRobot row with its state and action lists takes tens of bytes. Only
 * a column constant over millions of rows (dictionary + RLE) gets denser, and no table read here is only that. Above
 * this the footer is lying, and taking it at its word would size arrays of hundreds of millions of entries (a 28 KB
 * file declaring 50 M rows took the server to 2.4 GB and the renderer down).
 */
export const MAX_ROWS_PER_BYTE = 64

/** Whatever the file size: beyond this no reader here could hold even one column of the table in memory. */
export const MAX_TABLE_ROWS = 100_000_000

/** A decompressed page beyond this is a lying header (writers cut pages at ~1 MB; pyarrow's default). */
const MAX_PAGE_BYTES = 256 * 1024 * 1024

/**
 * What is wrong with a footer's declared counts for a file of `size` bytes, or null: the row count must agree with
 * the row groups', and neither rows nor any column's values may exceed what the file can hold.
 */
export function declaredCountProblem(metadata: FileMetaData, size: number): string | null {
  const numRows = Number(metadata.num_rows)
  const groupRows = metadata.row_groups.reduce((n, g) => n + Number(g.num_rows), 0)
  // Readers size arrays by the row count; a footer whose count disagrees with its own row groups is corrupt.
  if (!Number.isSafeInteger(numRows) || numRows < 0 || numRows !== groupRows) {
    return `its footer says ${String(metadata.num_rows)} rows but its row groups hold ${groupRows}`
  }
  const cap = Math.min(MAX_TABLE_ROWS, size * MAX_ROWS_PER_BYTE)
  if (numRows > cap) {
    return numRows > MAX_TABLE_ROWS
      ? `its footer declares ${count(numRows)} rows, more than the ${count(MAX_TABLE_ROWS)} a table may have; the footer is corrupt`
      : `its footer declares ${count(numRows)} rows in ${count(size)} bytes, more than ${MAX_ROWS_PER_BYTE} rows per byte that any real table stays under; the footer is corrupt`
  }
  const values = new Map<string, number>()
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      const meta = column.meta_data
      if (!meta) continue
      const name = meta.path_in_schema.join('.')
      values.set(name, (values.get(name) ?? 0) + Number(meta.num_values))
    }
  }
  for (const [name, n] of values) {
    if (!Number.isSafeInteger(n) || n < 0 || n > size * MAX_ROWS_PER_BYTE) {
      return `its footer declares ${Number.isFinite(n) ? count(n) : String(n)} values for column "${name}" in ${count(size)} bytes; the footer is corrupt`
    }
  }
  return null
}

/** The decompressors, refusing a page whose header declares more than MAX_PAGE_BYTES before allocating for it. */
export const boundedCompressors: Compressors = Object.fromEntries(
  Object.entries(compressors).map(([codec, decompress]) => [
    codec,
    (input: Uint8Array, outputLength: number): Uint8Array => {
      if (!(outputLength <= MAX_PAGE_BYTES)) throw new Error(`a page declares ${String(outputLength)} bytes uncompressed, more than ${MAX_PAGE_BYTES} (a corrupt page header)`)
      return decompress(input, outputLength)
    },
  ]),
)

export interface OpenParquetOptions {
  /** Read by range whatever the size: for callers that want the footer only. */
  ranged?: boolean
}

/**
 * Open a parquet file and parse its footer. A missing file is NOT_FOUND; anything unreadable (empty, truncated,
 * not parquet) is DATASET_INVALID naming the file, so the caller can tell "absent" from "broken".
 */
export async function openParquet(
  absPath: string,
  relPath: string,
  options: OpenParquetOptions = {},
): Promise<ParquetTable> {
  let bytes: ParquetBytes
  try {
    bytes = await openParquetBytes(absPath, options)
  } catch (err) {
    if (isMissing(err)) throw new VivaError('NOT_FOUND', `${relPath} not found`, relPath)
    throw new VivaError('DATASET_INVALID', `${relPath} could not be read: ${fsReason(err)}`, relPath)
  }
  const { file } = bytes

  let metadata: FileMetaData
  let columns: string[]
  let numRows: number
  try {
    if (file.byteLength === 0) throw new Error('file is empty')
    metadata = await parquetMetadataAsync(file)
    columns = parquetSchema(metadata).children.map((c) => c.element.name)
    const problem = declaredCountProblem(metadata, bytes.size)
    if (problem !== null) throw new Error(problem)
    numRows = Number(metadata.num_rows)
  } catch (err) {
    await bytes.close()
    throw invalid(relPath, err)
  }
  const columnSet = new Set(columns)

  return {
    relPath,
    numRows,
    columns,
    metadata,
    has: (column) => columnSet.has(column),
    async read(wanted, rowStart = 0, rowEnd = numRows) {
      const start = Math.max(0, rowStart)
      const end = Math.min(numRows, rowEnd)
      const out = new Map<string, unknown[]>()
      if (end <= start || wanted.length === 0) {
        for (const column of wanted) out.set(column, [])
        return out
      }
      try {
        // Inside the try: a row count too large to allocate is a broken file, reported as one.
        for (const column of wanted) out.set(column, new Array<unknown>(end - start))
        await parquetRead({
          file,
          metadata,
          compressors: boundedCompressors,
          columns: [...wanted],
          rowStart: start,
          rowEnd: end,
          // Chunks may extend past the requested range: copy only the overlap, by absolute row number.
          onChunk: ({ columnName, columnData, rowStart: chunkStart }) => {
            const target = out.get(columnName)
            if (!target) return
            const from = Math.max(start, chunkStart)
            const to = Math.min(end, chunkStart + columnData.length)
            for (let row = from; row < to; row++) target[row - start] = columnData[row - chunkStart]
          },
        })
      } catch (err) {
        throw invalid(relPath, err)
      }
      return out
    },
    async close() {
      await bytes.close()
    },
  }
}

/** Open, use and always close a parquet file. */
export async function withParquet<T>(
  absPath: string,
  relPath: string,
  use: (table: ParquetTable) => Promise<T>,
  options: OpenParquetOptions = {},
): Promise<T> {
  const table = await openParquet(absPath, relPath, options)
  try {
    return await use(table)
  } finally {
    await table.close()
  }
}

/** A parquet cell as a number: int64 arrives as bigint, and hand-made tables sometimes store numbers as text. */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : null
  }
  return null
}

/** A list<string> cell (or a lone string, or null) as a string array. */
export function asStringList(value: unknown): string[] {
  if (value === null || value === undefined) return []
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, String)
  return [String(value)]
}
