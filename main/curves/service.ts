import { createHash } from 'node:crypto'
import path from 'node:path'
import type { CurveImportResult } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import type { CurveStore } from '../store/curveStore'
import type { CurveImportTarget, ImportedCurve } from './importCurves'

type Importer = (file: string, target: CurveImportTarget) => Promise<{ curves: ImportedCurve[]; warnings: string[] }>

/**
 * Import a curve file into the value cache. A curve's id derives from the file path, its name and episode, so
 * importing the same file again replaces its curves instead of duplicating them.
 */
export async function importedCurves(store: CurveStore, summary: DatasetSummary, file: string, importer: Importer): Promise<CurveImportResult> {
  const abs = path.resolve(file)
  const target: CurveImportTarget = { episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })) }
  const { curves, warnings } = await importer(abs, target)
  const infos = curves.map((c) =>
    store.putComplete(
      {
        id: `i-${createHash('sha256').update(JSON.stringify([summary.id, abs, c.name, c.episode])).digest('hex').slice(0, 24)}`,
        datasetId: summary.id,
        episode: c.episode,
        name: c.name,
        source: 'import',
        convention: c.convention,
        length: c.values.length,
        modelId: null,
        modelName: null,
        params: null,
        futureDim: 0,
        futureNames: [],
        futureOffset: 0,
        file: abs,
      },
      c.values,
    ),
  )
  return { curves: infos, warnings }
}
