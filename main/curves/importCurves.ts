import { stat } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { decodeUtf8, READ_LIMITS, readRegularFile } from '../safeRead'
import { importCsv } from './import/csv'
import { importJson } from './import/json'
import { PAR1, importParquet } from './import/parquet'
import { CURVE_IMPORT_EXTENSIONS, type CurveImportResult, type CurveImportTarget, SUPPORTED_TEXT, Source, reason } from './import/source'

export { CURVE_IMPORT_EXTENSIONS, MAX_CURVE_NAME, MAX_WARNINGS, NAME_SEPARATOR } from './import/source'
export type { CurveImportResult, CurveImportTarget, ImportedCurve } from './import/source'

/**
 * Imports value curves computed outside the app (the ViVa reference implementation, LeRobot's reward labelers, or
 * a hand-made table) into the app's curve model: one Float32Array per (curve, episode), as long as the episode,
 * NaN where the file gives no value. Rows for episodes the open dataset lacks, and frames past an episode's end,
 * are skipped with a warning (a file computed on a superset or an older copy of the dataset is still useful);
 * anything that makes the file's meaning unclear (a missing column, a non-number, NaN/Inf, a duplicate row) rejects
 * the whole file with IMPORT_INVALID naming the file, the row and the problem.
 *
 * The entry point: main/curves/import/ holds one reader per format (parquet, CSV, JSON), which all come down to the
 * same table checks (table.ts) and curve building (curveBuilder.ts).
 */

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
