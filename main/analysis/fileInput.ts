import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Outcome } from '../../app/annotations'
import { distinctImportNames } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { annotatedEpisodes } from '../../app/detectorCalibration'
import { VivaError } from '../../app/errors'
import { parseImportDocument } from '../../app/exchange'
import { CURVE_IMPORT_EXTENSIONS, importCurveFile, type ImportedCurve } from '../curves/importCurves'
import { fsReason } from '../fsErrors'
import { READ_LIMITS, readTextFile } from '../safeRead'
import type { AnalysisCurve, AnalysisInput } from './compute'

/**
 * The analysis inputs of the command line: an annotation export and curve files instead of a project and the value
 * cache. What is computed from them is main/analysis/compute.ts, as for the app.
 */
export type FileAnnotations = Pick<AnalysisInput, 'outcomes' | 'events' | 'annotated'>

/** An annotation export: outcomes, events, and which episodes are annotated (annotatedEpisodes). */
export async function readAnnotations(file: string): Promise<FileAnnotations> {
  let text: string
  try {
    text = await readTextFile(file, READ_LIMITS.annotations)
  } catch (err) {
    throw new VivaError('NOT_FOUND', `${file}: cannot read the annotations file: ${fsReason(err)}`, file)
  }
  let doc
  try {
    doc = parseImportDocument(text)
  } catch (err) {
    throw new VivaError('IMPORT_INVALID', `${file}: ${(err as Error).message}`, file)
  }
  return { outcomes: new Map<number, Outcome>(doc.episodes.map((e) => [e.episode, e.outcome])), events: doc.events, annotated: annotatedEpisodes(doc.events, doc.episodes) }
}

/** A curve read from a file; `sourceId` (the file) keeps curves of equal names from two files apart. */
type FileCurve = ImportedCurve & { sourceId: string }

/**
 * Curves from a file, or from every supported file of a folder, as analysis curves. Each file is its own source:
 * curve names that two files share get what tells the files apart (distinctImportNames), as the app names its imports.
 */
export async function readCurves(target: string, summary: DatasetSummary): Promise<{ curves: AnalysisCurve[]; warnings: string[] }> {
  const episodes = { episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })) }
  const st = await stat(target).catch(() => null)
  if (!st) throw new VivaError('NOT_FOUND', `${target} does not exist`, target)
  const files = st.isDirectory()
    ? (await readdir(target)).filter((n) => (CURVE_IMPORT_EXTENSIONS as readonly string[]).includes(path.extname(n).toLowerCase())).sort().map((n) => path.join(target, n))
    : [target]
  if (files.length === 0) throw new VivaError('NOT_FOUND', `${target} holds no curve files (${CURVE_IMPORT_EXTENSIONS.join(', ')})`, target)
  const read: FileCurve[] = []
  const warnings: string[] = []
  for (const f of files) {
    const r = await importCurveFile(f, episodes)
    read.push(...r.curves.map((c) => ({ ...c, sourceId: f })))
    warnings.push(...r.warnings)
  }
  const names = distinctImportNames(read.map((c) => ({ sourceId: c.sourceId, name: c.name, file: c.sourceId })))
  const curves = read.map((c, i) => ({
    info: { source: 'import' as const, modelId: null, params: null, name: names[i] as string, sourceId: c.sourceId, convention: c.convention, episode: c.episode, length: c.values.length },
    values: c.values,
  }))
  return { curves, warnings }
}
