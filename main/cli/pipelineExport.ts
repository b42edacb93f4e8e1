/**
 * `viva export --format lerobot-progress|success-flags|rlinf|label-studio|lerobot-language|lerobot-sarm`: the options of the
 * training-pipeline formats, checked with the contract's schema and run by the same service as the app's
 * pipelines.export (main/pipelineExports/service.ts), so both write the same files.
 */
import path from 'node:path'
import type { z } from 'zod'
import { PIPELINE_FORMAT_NAMES, pipelineExportSchema, type ExportFilters, type PipelineFormat, type PipelineSeries } from '../../app/contract'
import { seriesKey } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { parseSpan, resolveSpan } from '../../app/timeSpan'
import { readCurves } from '../analysis/fileInput'
import type { SeriesValues } from '../pipelineExports/inputs'
import { scoringOptions, scoringRequest, valuesOption } from './analysisOptions'
import type { CliContext, OptionSpec, OptionValues } from './command'
import { scoreWithModel } from './modelScoring'
import { openForAnnotations } from './projectServices'
import { countProgress } from './progress'

export const pipelineExportOptions = {
  values: { ...valuesOption, help: 'lerobot-progress, rlinf: the value curves, from a curve file or a folder of them' },
  model: { type: 'string', value: 'DIR|NAME', help: 'lerobot-progress, rlinf: score every episode with this model first and use its curves' },
  ...scoringOptions,
  series: { type: 'string', value: 'KEY|NAME', help: 'lerobot-progress, rlinf: a value series of the data folder (or, with --values, a curve name in the files)' },
  proportions: { type: 'string', value: 'P', help: 'lerobot-progress, lerobot-sarm: SARM stage proportions, dataset (annotated durations, default) or uniform' },
  copy: { type: 'boolean', help: 'success-flags: write a copy of the dataset whose data files carry the flags (default: a sidecar parquet)' },
  unknown: { type: 'string', value: 'U', help: 'success-flags, rlinf: an episode with no outcome is an error (default) or a failure' },
  tag: { type: 'string', value: 'T', help: 'rlinf: the tag in meta/returns_<tag>.parquet and meta/advantages_<tag>.parquet' },
  k: { type: 'string', value: 'K', help: 'rlinf: advantage horizon, frames like 50f or seconds like 1.67s (default 50 frames at 30 fps, scaled)' },
  'positive-fraction': { type: 'string', value: 'F', help: 'rlinf: share of frames labelled advantage-positive (default 0.3)' },
  scope: { type: 'string', value: 'S', help: 'rlinf: dataset (RLinf\'s unified threshold, default) or task' },
  'failure-reward': { type: 'string', value: 'R', help: 'rlinf: reward of a failed episode\'s last step (required, e.g. -300)' },
  gamma: { type: 'string', value: 'G', help: 'rlinf: discount of the returns (default 1)' },
  'dataset-type': { type: 'string', value: 'T', help: 'rlinf: rollout (default) or sft (every episode a success)' },
  'video-url': { type: 'string', value: 'URL', help: 'label-studio: each task\'s video, {episode} or {episode6} (zero-padded) replaced (default /data/local-files/?d=episode_{episode6}.mp4)' },
} as const satisfies Record<string, OptionSpec>

export type PipelineExportValues = OptionValues<typeof pipelineExportOptions> & { out?: string | undefined; project?: string | undefined }

function number(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n)) throw new VivaError('INVALID_ARGUMENT', `--${name} must be a number, got "${raw}"`)
  return n
}

/** A stored series by its key or its name (names must pick one). */
function storedSeriesKey(list: readonly PipelineSeries[], wanted: string): string {
  const byKey = list.find((s) => s.key === wanted)
  if (byKey) return byKey.key
  const named = list.filter((s) => s.name === wanted)
  if (named.length === 1) return (named[0] as PipelineSeries).key
  const known = list.map((s) => `${s.name} (${s.key})`).join(', ') || 'none: score the dataset or import curves first'
  throw new VivaError('NOT_FOUND', named.length > 1 ? `--series ${wanted}: several series have that name; give its key: ${known}` : `--series ${wanted}: no such series in the data folder (its series: ${known})`)
}

/** The curves of curve files (`--values`), one series: the only one, or the one `--series` names. */
async function seriesFromFiles(target: string, summary: DatasetSummary, wanted: string | undefined): Promise<SeriesValues> {
  const { curves, warnings } = await readCurves(target, summary)
  for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
  const bySeries = new Map<string, SeriesValues>()
  for (const c of curves) {
    const key = seriesKey(c.info)
    const s = bySeries.get(key) ?? { key, name: c.info.name, curves: [] }
    s.curves.push({ episode: c.info.episode, values: c.values, convention: c.info.convention })
    bySeries.set(key, s)
  }
  const all = [...bySeries.values()]
  const picked = wanted === undefined ? all : all.filter((s) => s.name === wanted || s.key === wanted)
  if (picked.length !== 1) {
    const names = all.map((s) => s.name).join(', ')
    throw new VivaError('INVALID_ARGUMENT', wanted === undefined ? `${target} holds several curve series (${names}); pick one with --series NAME` : `--series ${wanted}: ${target} has no such curve (its curves: ${names})`)
  }
  return picked[0] as SeriesValues
}

/** The request's field as its command-line option: positiveFraction → --positive-fraction. */
function optionName(field: PropertyKey | undefined): string {
  return `--${String(field ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

/** A schema issue of the request in terms of the options given. */
function optionProblem(issue: z.core.$ZodIssue | undefined, format: PipelineFormat): string {
  if (!issue) return 'invalid options'
  if (issue.code === 'unrecognized_keys') return `${issue.keys.map(optionName).join(', ')} ${issue.keys.length > 1 ? 'are not options' : 'is not an option'} of --format ${format}`
  const field = issue.path[0]
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return field === 'series' ? `--format ${format} needs value curves: give --values, --model or --series` : `${optionName(field)} is required for --format ${format}`
  }
  return `${optionName(field)}: ${issue.message}`
}

export async function runPipelineExport(ctx: CliContext, root: string | undefined, format: PipelineFormat, v: PipelineExportValues, filters: ExportFilters, usage: string): Promise<number> {
  if ([v.values, v.model].filter((x) => x !== undefined).length > 1) throw new VivaError('INVALID_ARGUMENT', 'give one of --values and --model')
  const { services, summary } = await openForAnnotations(ctx, root, v.project, usage, { journalJobs: v.model === undefined })
  const ctl = new AbortController()
  const stop = (): void => ctl.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    if (!v.out) throw new VivaError('INVALID_ARGUMENT', usage)
    let values: SeriesValues | undefined
    let series: string | undefined
    if (v.values !== undefined) {
      values = await seriesFromFiles(path.resolve(v.values), summary, v.series)
      series = values.key
    } else if (v.model !== undefined) {
      const curves = await scoreWithModel(services, summary.id, v.model, scoringRequest(v))
      if (!curves[0]) throw new VivaError('NOT_FOUND', `--model ${v.model}: no episode could be scored`)
      series = seriesKey(curves[0].info)
    } else if (v.series !== undefined) {
      series = storedSeriesKey(services.pipelines.series(summary.id), v.series)
    }
    const k = v.k === undefined ? undefined : resolveSpan(parseSpan(v.k, '--k'), summary.fps).frames
    const candidate = {
      datasetId: summary.id,
      format,
      out: path.resolve(v.out),
      ...(Object.keys(filters).length > 0 ? { filters } : {}),
      ...(series !== undefined ? { series } : {}),
      ...(v.proportions !== undefined ? { proportions: v.proportions } : {}),
      ...(v.copy ? { copy: true } : {}),
      ...(v.unknown !== undefined ? { unknown: v.unknown } : {}),
      ...(v.tag !== undefined ? { tag: v.tag } : {}),
      ...(k !== undefined ? { k } : {}),
      ...(v['positive-fraction'] !== undefined ? { positiveFraction: number(v['positive-fraction'], 'positive-fraction') } : {}),
      ...(v.scope !== undefined ? { scope: v.scope } : {}),
      ...(v['failure-reward'] !== undefined ? { failureReward: number(v['failure-reward'], 'failure-reward') } : {}),
      ...(v.gamma !== undefined ? { gamma: number(v.gamma, 'gamma') } : {}),
      ...(v['dataset-type'] !== undefined ? { datasetType: v['dataset-type'] } : {}),
      ...(v['video-url'] !== undefined ? { videoUrl: v['video-url'] } : {}),
    }
    const parsed = pipelineExportSchema.safeParse(candidate)
    if (!parsed.success) throw new VivaError('INVALID_ARGUMENT', optionProblem(parsed.error.issues[0], format))
    const progress = countProgress(process.stderr, 'copied', 'files of the dataset')
    const result = await services.pipelines
      .export(parsed.data, { signal: ctl.signal, onProgress: (done, total) => progress.update(done, total), ...(values ? { values } : {}) })
      .finally(() => progress.finish())
    process.stdout.write(`Wrote ${result.paths.join(', ')} (${PIPELINE_FORMAT_NAMES[format]}; ${result.episodes} episodes, ${result.frames} frames)\n`)
    for (const note of result.notes) process.stdout.write(`  ${note}\n`)
    process.stdout.write(`${result.usage}\n`)
    return 0
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    services.projects.close()
    await services.dispose()
  }
}
