import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Outcome } from '../../app/annotations'
import { DEFAULT_ADVANTAGE_OPTIONS, THRESHOLD_SCOPES, advantageIndicators, advantageThresholds, defaultK, kStepAdvantages, stepRewards, thresholdKey, type ThresholdScope } from '../../app/advantages'
import { distinctImportNames, seriesKey, toDisplay } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { annotatedEpisodes } from '../../app/detectorCalibration'
import { VivaError } from '../../app/errors'
import { parseImportDocument } from '../../app/exchange'
import type { ErsVariant } from '../../app/metrics'
import { buildMetricsReport, metricsReportText, type MetricsInput } from '../../app/metricsReport'
import { DEFAULT_ERS_WINDOW, parseSpan } from '../../app/timeSpan'
import { CURVE_IMPORT_EXTENSIONS, importCurveFile, type ImportedCurve } from '../curves/importCurves'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { formatCsv } from '../formats/csv'
import { encodeParquet } from '../formats/parquetWrite'
import { fsReason } from '../fsErrors'
import { READ_LIMITS, readTextFile } from '../safeRead'
import type { WriteGuard } from '../writeGuard'
import { intIn } from './score'

/** An annotation export: outcomes, events, and which episodes are annotated (annotatedEpisodes). */
export async function readAnnotations(file: string): Promise<{ outcomes: Map<number, Outcome>; events: MetricsInput['events']; annotated: Set<number> }> {
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
  return { outcomes: new Map(doc.episodes.map((e) => [e.episode, e.outcome])), events: doc.events, annotated: annotatedEpisodes(doc.events, doc.episodes) }
}

/** A curve read from a file; `sourceId` (the file) keeps curves of equal names from two files apart. */
type FileCurve = ImportedCurve & { sourceId: string }

/**
 * Curves from a file, or from every supported file of a folder. Each file is its own source: curve names that two
 * files share get what tells the files apart (distinctImportNames), as the app names its imports.
 */
export async function readCurves(target: string, summary: DatasetSummary): Promise<{ curves: FileCurve[]; warnings: string[] }> {
  const episodes = { episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })) }
  const st = await stat(target).catch(() => null)
  if (!st) throw new VivaError('NOT_FOUND', `${target} does not exist`, target)
  const files = st.isDirectory()
    ? (await readdir(target)).filter((n) => (CURVE_IMPORT_EXTENSIONS as readonly string[]).includes(path.extname(n).toLowerCase())).sort().map((n) => path.join(target, n))
    : [target]
  if (files.length === 0) throw new VivaError('NOT_FOUND', `${target} holds no curve files (${CURVE_IMPORT_EXTENSIONS.join(', ')})`, target)
  const curves: FileCurve[] = []
  const warnings: string[] = []
  for (const f of files) {
    const r = await importCurveFile(f, episodes)
    curves.push(...r.curves.map((c) => ({ ...c, sourceId: f })))
    warnings.push(...r.warnings)
  }
  const names = distinctImportNames(curves.map((c) => ({ sourceId: c.sourceId, name: c.name, file: c.sourceId })))
  return { curves: curves.map((c, i) => ({ ...c, name: names[i] as string })), warnings }
}

export interface AnalysisCliValues {
  annotations?: string
  values?: string
  window?: string
  variant?: string
  json?: boolean
  k?: string
  /** Replaced by positive-fraction; still parsed so that using it gets a clear message. */
  percentile?: string
  'positive-fraction'?: string
  scope?: string
  out?: string
}

/** `viva metrics`: the metrics view's tables in the terminal (or JSON). */
export async function metricsCommand(root: string | undefined, v: AnalysisCliValues): Promise<number> {
  const usage = 'usage: viva metrics <dataset> --annotations FILE.json --values FILE|DIR [--window 0.167s|5f] [--variant relative|absolute] [--json]'
  if (!root || !v.annotations || !v.values) throw new VivaError('INVALID_ARGUMENT', usage)
  const variant = (v.variant ?? 'relative') as ErsVariant
  if (variant !== 'relative' && variant !== 'absolute') throw new VivaError('INVALID_ARGUMENT', `--variant must be relative or absolute, got "${v.variant}"`)
  // A duration (scaled by the dataset's fps) or exact frames; default the paper's 5 frames at 30 fps, as 1/6 s.
  const window = v.window === undefined ? DEFAULT_ERS_WINDOW : parseSpan(v.window, '--window')
  const source = await openLeRobotDataset(path.resolve(root))
  const { outcomes, events } = await readAnnotations(path.resolve(v.annotations))
  const { curves, warnings } = await readCurves(path.resolve(v.values), source.summary)
  for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
  const report = buildMetricsReport(
    {
      fps: source.summary.fps,
      episodes: source.summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, task: e.tasks[0] ?? '', length: e.length })),
      outcomes,
      events,
      curves: curves.map((c) => ({
        info: { source: 'import', modelId: null, params: null, name: c.name, sourceId: c.sourceId, convention: c.convention, episode: c.episode, length: c.values.length },
        values: c.values,
      })),
    },
    { window, variant },
  )
  process.stdout.write(v.json ? `${JSON.stringify({ dataset: source.summary.name, ...report }, null, 2)}\n` : metricsReportText(report))
  return 0
}

/** `viva advantages`: per-frame K-step advantages and RECAP indicators for policy training. */
export async function advantagesCommand(root: string | undefined, v: AnalysisCliValues, writeGuard: WriteGuard): Promise<number> {
  const usage = 'usage: viva advantages <dataset> --values FILE|DIR --annotations FILE.json --out FILE.parquet|.csv [--k K] [--positive-fraction 0.3] [--scope task|dataset]'
  if (!root || !v.values || !v.out || !v.annotations) throw new VivaError('INVALID_ARGUMENT', usage)
  const guard = writeGuard.with([{ path: root, kind: 'dataset' }])
  const out = await guard.check(v.out)
  const ext = path.extname(out).toLowerCase()
  if (ext !== '.parquet' && ext !== '.csv') throw new VivaError('INVALID_ARGUMENT', `--out must end in .parquet or .csv, got ${v.out}`)
  if (v.percentile !== undefined) {
    throw new VivaError('INVALID_ARGUMENT', '--percentile was replaced by --positive-fraction: the share of frames labelled positive, the highest advantages (RECAP: 0.3, the top 30 %)')
  }
  const fraction = v['positive-fraction'] === undefined ? DEFAULT_ADVANTAGE_OPTIONS.positiveFraction : Number(v['positive-fraction'])
  if (!(fraction > 0 && fraction <= 1)) {
    throw new VivaError('INVALID_ARGUMENT', `--positive-fraction must be a fraction of the frames in (0, 1] (0.3 labels the top 30 %), got "${v['positive-fraction']}"`)
  }
  const scope = (v.scope ?? DEFAULT_ADVANTAGE_OPTIONS.scope) as ThresholdScope
  if (!THRESHOLD_SCOPES.includes(scope)) throw new VivaError('INVALID_ARGUMENT', `--scope must be task or dataset, got "${v.scope}"`)
  const source = await openLeRobotDataset(path.resolve(root))
  const summary = source.summary
  const k = intIn(v.k, 'k', 1, 100_000) ?? defaultK(summary.fps)
  const { outcomes } = await readAnnotations(path.resolve(v.annotations))
  const { curves, warnings } = await readCurves(path.resolve(v.values), summary)
  for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
  const taskOf = new Map(summary.episodes.map((e) => [e.index, e.tasks[0] ?? '']))
  const usable = curves.filter((c) => {
    const o = outcomes.get(c.episode)
    if (o === 'success' || o === 'failure') return true
    process.stderr.write(`viva: episode ${c.episode} (${c.name}) left out: no success/failure outcome for its rewards\n`)
    return false
  })
  if (usable.length === 0) throw new VivaError('INVALID_ARGUMENT', 'No curve belongs to an episode with a success/failure outcome')
  const items = usable.map((c) => ({
    series: seriesKey({ source: 'import', modelId: null, params: null, name: c.name, sourceId: c.sourceId }),
    task: taskOf.get(c.episode) ?? '',
    advantages: kStepAdvantages(toDisplay(c.values, c.convention, c.values.length), stepRewards(c.values.length, outcomes.get(c.episode) as 'success' | 'failure'), k),
  }))
  const pools = advantageThresholds(items, fraction, scope)
  const rows = { series: [] as string[], episode: [] as bigint[], frame: [] as bigint[], value: [] as number[], advantage: [] as number[], indicator: [] as boolean[] }
  usable.forEach((c, i) => {
    const item = items[i] as (typeof items)[number]
    const a = item.advantages
    const threshold = pools.get(thresholdKey(item.series, item.task, scope))?.threshold ?? Number.NaN
    const ind = advantageIndicators(a, threshold)
    const shown = toDisplay(c.values, c.convention, c.values.length)
    for (let f = 0; f < a.length; f++) {
      rows.series.push(c.name)
      rows.episode.push(BigInt(c.episode))
      rows.frame.push(BigInt(f))
      rows.value.push(shown[f] as number)
      rows.advantage.push(a[f] as number)
      rows.indicator.push(ind[f] === 1)
    }
  })
  // One entry per pool: what RECAP labelled, so a run can be checked (about positiveFraction of each pool's frames).
  const nameOf = new Map(usable.map((c, i) => [items[i]?.series as string, c.name]))
  const thresholds = Object.fromEntries(
    [...pools.values()].map((p) => [
      p.task === null ? (nameOf.get(p.series) ?? p.series) : `${nameOf.get(p.series) ?? p.series} | ${p.task}`,
      { threshold: p.threshold, episodes: p.episodes, frames: p.frames, positives: p.positives, positiveRate: p.positives / p.frames },
    ]),
  )
  const settings = { k, kSeconds: k / summary.fps, fps: summary.fps, positiveFraction: fraction, scope, thresholds }
  let data: Uint8Array | string
  if (ext === '.parquet') {
    data = encodeParquet(
      [
        { name: 'series', type: 'STRING', data: rows.series, nullable: false },
        { name: 'episode_index', type: 'INT64', data: rows.episode, nullable: false },
        { name: 'frame_index', type: 'INT64', data: rows.frame, nullable: false },
        { name: 'value', type: 'FLOAT', data: rows.value },
        { name: 'advantage', type: 'DOUBLE', data: rows.advantage },
        { name: 'advantage_positive', type: 'BOOLEAN', data: rows.indicator, nullable: false },
      ],
      { metadata: { 'viva-studio': JSON.stringify(settings) } },
    )
  } else {
    const header = ['series', 'episode_index', 'frame_index', 'value', 'advantage', 'advantage_positive']
    data = formatCsv([header, ...rows.value.map((v, i) => [rows.series[i] as string, rows.episode[i] as bigint, rows.frame[i] as bigint, v, rows.advantage[i] as number, rows.indicator[i] ? 1 : 0])])
  }
  await guard.writeFile(out, data, 'export')
  process.stdout.write(`${JSON.stringify({ out, rows: rows.value.length, episodes: usable.length, ...settings }, null, 2)}\n`)
  return 0
}
