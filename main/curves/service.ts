import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import type { CurveImportResult } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { importSourceId, type CurveStore } from '../store/curveStore'
import type { CurveImportTarget, ImportedCurve } from './importCurves'

type Importer = (file: string, target: CurveImportTarget) => Promise<{ curves: ImportedCurve[]; warnings: string[] }>

/** sha256 of a file's content, streamed (curve files can be large). */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  } catch (err) {
    throw new VivaError('NOT_FOUND', `${path.basename(file)}: cannot read the curve file (${(err as Error).message})`, file)
  }
  return hash.digest('hex')
}

/**
 * Import a curve file into the value cache as one source: its curves form their own series, whatever their names.
 * The same file imported again (same real path, or the same content elsewhere) replaces its source's curves, so a
 * rerun written over the old file refreshes its series instead of adding one; any other file is a new source.
 */
export async function importedCurves(store: CurveStore, summary: DatasetSummary, file: string, importer: Importer): Promise<CurveImportResult> {
  const target: CurveImportTarget = { episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })) }
  // The importer reports a missing or unreadable file with its own clear message.
  const { curves, warnings } = await importer(path.resolve(file), target)
  const real = await realpath(path.resolve(file)).catch((err: Error) => {
    throw new VivaError('NOT_FOUND', `${path.basename(file)}: cannot read the curve file (${err.message})`, file)
  })
  const fileHash = await fileSha256(real)
  const sourceId = store.findImportSource(summary.id, real, fileHash) ?? importSourceId(summary.id, real, fileHash)
  const infos = store.putImport(summary.id, { sourceId, file: real, fileHash }, curves)
  return { curves: infos, warnings }
}
