import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { FileMetaData } from 'hyparquet'
import { boundedCompressors, declaredCountProblem, openParquetBytes, type ParquetBytes } from '../../formats/parquetRead'
import { READ_LIMITS } from '../../safeRead'
import { CurveBuilder } from './curveBuilder'
import { type CurveImportResult, type CurveImportTarget, Source, columnText, plural, reason } from './source'
import { OK, type TableData, ingestTable, neededColumns, numericColumn, putCell, resolveRoles } from './table'

// Parquet

export const PAR1 = 0x31524150 // "PAR1" read as little-endian uint32

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

export async function importParquet(src: Source, target: CurveImportTarget): Promise<CurveImportResult> {
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
