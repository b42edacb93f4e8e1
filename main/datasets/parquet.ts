import { open, readFile, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { AsyncBuffer, FileMetaData } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { VivaError } from '../../app/errors'
import { fsReason } from '../fsErrors'

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
  let handle: FileHandle | null = null
  let file: AsyncBuffer
  try {
    const { size } = await stat(absPath)
    if (size <= WHOLE_FILE_LIMIT && !options.ranged) {
      const bytes = await readFile(absPath)
      file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    } else {
      handle = await open(absPath, 'r')
      file = rangedBuffer(handle, size)
    }
  } catch (err) {
    await handle?.close()
    if (isMissing(err)) throw new VivaError('NOT_FOUND', `${relPath} not found`, relPath)
    throw new VivaError('DATASET_INVALID', `${relPath} could not be read: ${fsReason(err)}`, relPath)
  }

  let metadata: FileMetaData
  let columns: string[]
  let numRows: number
  try {
    if (file.byteLength === 0) throw new Error('file is empty')
    metadata = await parquetMetadataAsync(file)
    columns = parquetSchema(metadata).children.map((c) => c.element.name)
    numRows = Number(metadata.num_rows)
    // Readers size arrays by the row count; a footer whose count disagrees with its own row groups is corrupt, and
    // taking it at its word would allocate (or fail to allocate) for rows that are not there.
    const groupRows = metadata.row_groups.reduce((n, g) => n + Number(g.num_rows), 0)
    if (!Number.isSafeInteger(numRows) || numRows < 0 || numRows !== groupRows) {
      throw new Error(`its footer says ${String(metadata.num_rows)} rows but its row groups hold ${groupRows}`)
    }
  } catch (err) {
    await handle?.close()
    throw invalid(relPath, err)
  }
  const columnSet = new Set(columns)

  return {
    relPath,
    numRows,
    columns,
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
          compressors,
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
      await handle?.close()
      handle = null
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
