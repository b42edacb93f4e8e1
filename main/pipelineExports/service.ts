/**
 * The training-pipeline exports and the Label Studio import, for the app (pipelines.* methods) and `viva export` /
 * `viva import` alike, so both write the same files. Builders (pure) live beside this file; here they get their
 * inputs (dataFiles.ts, inputs.ts) and their output goes through the write guard: single files as temporary files
 * renamed into place, dataset copies built beside the output and renamed whole (datasetCopy.ts). The source dataset
 * is never written.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { defaultK } from '../../app/advantages'
import type { ImportMode, LabelStudioImportSummary, PipelineExportRequest, PipelineExportResult, PipelineSeries, SarmImportSummary } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import type { Edit } from '../../app/annotations'
import { VivaError } from '../../app/errors'
import { applyEdits, latestTaxonomy } from '../../app/annotationEdits'
import type { EpisodeSource } from '../datasets/episodeSource'
import { encodeParquet } from '../formats/parquetWrite'
import type { CurveStore } from '../store/curveStore'
import type { AnnotationProjects } from '../store/projects'
import type { WriteGuard } from '../writeGuard'
import { scanDataFiles } from './dataFiles'
import { writeDatasetCopy, type DatasetCopyPlan, type DatasetCopyResult } from './datasetCopy'
import { datasetEpisodes, filteredEpisodes, filtersGiven, listSeries, storedSeries, tableColumns, type SeriesValues } from './inputs'
import { buildLabelStudioTasks, parseLabelStudioTimeline } from './labelStudio'
import { planLabelStudioImport } from './labelStudioImport'
import { readSarmMilestones, SARM_ANNOTATOR, stageOrder, type SarmHead } from './sarmImport'
import { languageColumns } from './languageColumns'
import { buildSubtaskLanguage, LANGUAGE_FEATURES } from './lerobotLanguage'
import { advantagesFileName, buildRlinfAdvantages, buildRlinfReturns, returnsFileName } from './rlinf'
import { buildSarmAnnotations, sarmEpisodeColumns, sarmEpisodesJsonl, sarmProportionFiles } from './sarmAnnotations'
import { buildSarmProgress, SARM_PROGRESS_FILE } from './sarmProgress'
import { buildSuccessFlags, episodeOutcomes, successFeatureInfo, successFlagsForRows } from './successFlags'
import type { ExportAnnotations, ExportEpisode, Table } from './table'
import { exportAnnotationsOf } from './table'

export interface PipelineExportsDeps {
  source: (datasetId: string) => EpisodeSource
  projects: AnnotationProjects
  curves: CurveStore
  guard: WriteGuard
  now?: () => string
  newId?: () => string
}

export interface PipelineExportOptions {
  signal?: AbortSignal
  /** A series read from files (the CLI's --values), used instead of the curve store's `request.series`. */
  values?: SeriesValues
  /** Files of a dataset copy written so far, out of all (copies only: single files are written at once). */
  onProgress?: (done: number, total: number) => void
}

/** What one export needs about its dataset and project. */
interface Context {
  summary: DatasetSummary
  annotations: ExportAnnotations
  state: ReturnType<ReturnType<AnnotationProjects['store']>['load']>
  guard: WriteGuard
  signal: AbortSignal | undefined
  onProgress: ((done: number, total: number) => void) | undefined
}

export const SUCCESS_FLAGS_FILE = 'success_flags.parquet'

function shortList(values: readonly (string | number)[]): string {
  return values.slice(0, 10).join(', ') + (values.length > 10 ? ` … (${values.length} in all)` : '')
}

function frames(episodes: readonly ExportEpisode[]): number {
  return episodes.reduce((n, e) => n + e.length, 0)
}

function parquetOf(table: Table): Uint8Array {
  return encodeParquet(tableColumns(table), { metadata: table.metadata })
}

/** `out` itself when it names a file with the extension, else `name` inside the folder `out`. */
function fileIn(out: string, name: string): string {
  return path.extname(out).toLowerCase() === path.extname(name) ? out : path.join(out, name)
}

/** meta/info.json of the copy: the source's, with `features` added (LeRobot writes it with 4 spaces). */
function withFeatures(features: Record<string, unknown>): (existing: string | null) => string {
  return (existing) => {
    const info = parseJsonObject(existing, 'meta/info.json')
    const current = info.features
    if (typeof current !== 'object' || current === null || Array.isArray(current)) throw new VivaError('DATASET_INVALID', 'meta/info.json has no "features" object', 'meta/info.json')
    return `${JSON.stringify({ ...info, features: { ...current, ...features } }, null, 4)}\n`
  }
}

function copyDataset(ctx: Context, out: string, plan: DatasetCopyPlan): Promise<DatasetCopyResult> {
  return writeDatasetCopy(ctx.summary.root, out, ctx.guard, plan, {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  })
}

function leftoverNotes(removed: readonly string[]): string[] {
  return removed.length === 0 ? [] : [`removed what an earlier copy that never finished left behind: ${shortList(removed)}`]
}

function parseJsonObject(text: string | null, file: string): Record<string, unknown> {
  if (text === null) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new VivaError('DATASET_INVALID', `${file} is not JSON (${err instanceof Error ? err.message : String(err)})`, file)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new VivaError('DATASET_INVALID', `${file} is not a JSON object`, file)
  return value as Record<string, unknown>
}

export class PipelineExports {
  private readonly now: () => string
  private readonly newId: () => string

  constructor(private readonly deps: PipelineExportsDeps) {
    this.now = deps.now ?? (() => new Date().toISOString())
    this.newId = deps.newId ?? randomUUID
  }

  series(datasetId: string): PipelineSeries[] {
    this.deps.source(datasetId)
    return listSeries(this.deps.curves, datasetId)
  }

  private context(datasetId: string, options: PipelineExportOptions): Context {
    const { summary } = this.deps.source(datasetId)
    const store = this.deps.projects.store(datasetId)
    const state = store.load()
    const guard = this.deps.guard.with([
      { path: summary.root, kind: 'dataset' },
      { path: store.file, kind: 'project file' },
    ])
    return { summary, state, annotations: exportAnnotationsOf(state), guard, signal: options.signal, onProgress: options.onProgress }
  }

  private values(datasetId: string, series: string, options: PipelineExportOptions): SeriesValues {
    if (options.values) return options.values
    return storedSeries(this.deps.curves, datasetId, series)
  }

  async export(request: PipelineExportRequest, options: PipelineExportOptions = {}): Promise<PipelineExportResult> {
    const ctx = this.context(request.datasetId, options)
    try {
      return await this.write(ctx, request, options)
    } catch (err) {
      // What the annotations or values lack (an unknown outcome, a missing curve) is said for the file it stops.
      const out = path.resolve(request.out)
      if (err instanceof VivaError && err.code === 'INVALID_ARGUMENT' && !err.message.includes(out)) throw new VivaError(err.code, `${out}: ${err.message}`, out)
      throw err
    }
  }

  private async write(ctx: Context, request: PipelineExportRequest, options: PipelineExportOptions): Promise<PipelineExportResult> {
    switch (request.format) {
      case 'lerobot-progress':
        return this.progress(ctx, request, options)
      case 'success-flags':
        return this.successFlags(ctx, request)
      case 'rlinf':
        return this.rlinf(ctx, request, options)
      case 'label-studio':
        return this.labelStudio(ctx, request)
      case 'lerobot-language':
        return this.language(ctx, request)
      case 'lerobot-sarm':
        return this.sarm(ctx, request)
    }
  }

  /** Episodes after the filters; refuses an export that keeps none. */
  private selected(ctx: Context, all: ExportEpisode[], filters: PipelineExportRequest['filters']): ExportEpisode[] {
    const episodes = filteredEpisodes(ctx.state, ctx.summary, all, filters)
    if (episodes.length === 0) throw new VivaError('INVALID_ARGUMENT', `No episode of ${ctx.summary.name} matches the filters`)
    return episodes
  }

  /** Outputs inside a dataset copy hold every episode: a filter would leave some without their values. */
  private refuseFilters(ctx: Context, request: PipelineExportRequest, why: string): void {
    if (filtersGiven(request.filters)) throw new VivaError('INVALID_ARGUMENT', `${path.resolve(request.out)}: ${why}; a filtered export would leave episodes out. Remove the filters.`, request.out)
    const missing = ctx.summary.episodes.filter((e) => !e.present).map((e) => e.index)
    if (missing.length > 0) throw new VivaError('DATASET_INVALID', `${ctx.summary.root}: episodes ${shortList(missing)} have no data file; ${why}`, ctx.summary.root)
  }

  private async progress(ctx: Context, request: Extract<PipelineExportRequest, { format: 'lerobot-progress' }>, options: PipelineExportOptions): Promise<PipelineExportResult> {
    const scanned = await scanDataFiles(ctx.summary.root, { timestamps: false, signal: ctx.signal })
    const episodes = this.selected(ctx, datasetEpisodes(ctx.summary, scanned), request.filters)
    const values = request.series !== undefined ? this.values(request.datasetId, request.series, options) : null
    const kept = new Set(episodes.map((e) => e.index))
    const result = buildSarmProgress(episodes, ctx.annotations, {
      proportions: request.proportions ?? 'dataset',
      ...(values ? { dense: values.curves.filter((c) => kept.has(c.episode)) } : {}),
      source: values ? `viva-studio value series: ${values.name}` : 'viva-studio annotations',
    })
    const file = fileIn(request.out, SARM_PROGRESS_FILE)
    const [written] = await ctx.guard.writeFiles([{ path: file, data: parquetOf(result.table) }])
    const notes: string[] = []
    if (result.unannotated.length > 0) notes.push(`progress_sparse is NaN (RA-BC gives those frames its fallback weight) in episodes ${shortList(result.unannotated)}: no milestone, outcome or done status`)
    if (values && result.denseMissing > 0) notes.push(`${result.denseMissing} frames have no progress_dense value (NaN): their episodes have no complete curve of ${values.name}`)
    for (const [task, stages] of result.proportions) {
      notes.push(`stage proportions of "${task}": ${Object.entries(stages).map(([s, p]) => `${s} ${p.toFixed(3)}`).join(', ')}`)
    }
    return {
      format: 'lerobot-progress',
      paths: [written as string],
      episodes: episodes.length,
      frames: frames(episodes),
      notes,
      // LeRobot's TrainPipelineConfig (src/lerobot/configs/train.py) takes RA-BC as `sample_weighting` (type rabc,
      // progress_path, head_mode); releases before it used the flat use_rabc / rabc_progress_path / rabc_head_mode
      // fields, which it still migrates from saved configs (_migrate_legacy_rabc_fields).
      usage:
        `LeRobot reward-aligned BC reads it as the progress file: lerobot-train --dataset.root=${ctx.summary.root} --sample_weighting.type=rabc ` +
        `--sample_weighting.progress_path=${written} --sample_weighting.head_mode=${values ? 'dense' : 'sparse'} (LeRobot releases before sample_weighting: ` +
        `--use_rabc=true --rabc_progress_path=${written} --rabc_head_mode=${values ? 'dense' : 'sparse'}; or copy it to <dataset>/${SARM_PROGRESS_FILE}, where RA-BC looks by default)`,
    }
  }

  private async successFlags(ctx: Context, request: Extract<PipelineExportRequest, { format: 'success-flags' }>): Promise<PipelineExportResult> {
    const unknown = { unknown: request.unknown ?? 'error' } as const
    if (request.copy) {
      this.refuseFilters(ctx, request, 'a copy of the dataset carries the flags of every episode')
      const all = datasetEpisodes(ctx.summary, null)
      // Checked before the copy starts: an unknown outcome would otherwise stop it at the first data file.
      episodeOutcomes(all, ctx.annotations, unknown)
      const plan: DatasetCopyPlan = {
        columns: [
          {
            under: 'data/',
            add: async (table) => {
              if (!table.has('episode_index') || !table.has('frame_index')) throw new VivaError('DATASET_INVALID', `${table.relPath} has no episode_index or frame_index column`, table.relPath)
              const cols = await table.read(['episode_index', 'frame_index'])
              const flags = successFlagsForRows(table.relPath, { episode: cols.get('episode_index') as bigint[], frame: cols.get('frame_index') as bigint[] }, all, ctx.annotations, unknown)
              return flags.map((c) => ({ name: c.name, type: 'BOOLEAN', data: c.data as boolean[], nullable: false }))
            },
          },
        ],
        edits: { 'meta/info.json': withFeatures(successFeatureInfo()) },
      }
      const { dir, removedLeftovers } = await copyDataset(ctx, request.out, plan)
      return {
        format: 'success-flags',
        paths: [dir],
        episodes: all.length,
        frames: frames(all),
        notes: leftoverNotes(removedLeftovers),
        usage: `A copy of the dataset whose data files carry next.success and is_success (true on the last frame of successful episodes): RLinf's compute_returns.py reads is_success (data.dataset_path=${dir}); LeRobot loads it as any dataset (--dataset.root=${dir})`,
      }
    }
    const scanned = await scanDataFiles(ctx.summary.root, { timestamps: false, signal: ctx.signal })
    const episodes = this.selected(ctx, datasetEpisodes(ctx.summary, scanned), request.filters)
    const table = buildSuccessFlags(episodes, ctx.annotations, unknown)
    const [written] = await ctx.guard.writeFiles([{ path: fileIn(request.out, SUCCESS_FLAGS_FILE), data: parquetOf(table) }])
    return {
      format: 'success-flags',
      paths: [written as string],
      episodes: episodes.length,
      frames: table.rows,
      notes: [],
      usage: 'A sidecar with the dataset\'s index, episode_index and frame_index: join it to the data files on index (or on episode_index and frame_index)',
    }
  }

  private async rlinf(ctx: Context, request: Extract<PipelineExportRequest, { format: 'rlinf' }>, options: PipelineExportOptions): Promise<PipelineExportResult> {
    this.refuseFilters(ctx, request, 'RLinf reads every frame of every episode (rlinf/datasets/return_loaders.py, load_returns_sidecar)')
    const all = datasetEpisodes(ctx.summary, null)
    const values = this.values(request.datasetId, request.series, options)
    const shared = { datasetType: request.datasetType ?? 'rollout', unknown: request.unknown ?? 'error' } as const
    const returns = buildRlinfReturns(all, ctx.annotations, { failureReward: request.failureReward, ...(request.gamma !== undefined ? { gamma: request.gamma } : {}), ...shared })
    const advantages = buildRlinfAdvantages(all, ctx.annotations, values.curves, {
      k: request.k ?? defaultK(ctx.summary.fps),
      ...(request.positiveFraction !== undefined ? { positiveFraction: request.positiveFraction } : {}),
      scope: request.scope ?? 'dataset',
      datasetName: path.basename(path.resolve(request.out)),
      series: values.key,
      ...shared,
    })
    const returnsFile = `meta/${returnsFileName(request.tag)}`
    const advantagesFile = `meta/${advantagesFileName(request.tag)}`
    const edits: DatasetCopyPlan['edits'] = {
      [returnsFile]: () => parquetOf(returns.table),
      [advantagesFile]: () => parquetOf(advantages.table),
      'meta/stats.json': (existing) => `${JSON.stringify({ ...parseJsonObject(existing, 'meta/stats.json'), ...returns.stats }, null, 4)}\n`,
      'meta/info.json': withFeatures(returns.features),
      ...(advantages.mixture ? { 'mixture_config.yaml': mixtureWith(request.tag, advantages.mixture) } : {}),
    }
    const { dir, removedLeftovers } = await copyDataset(ctx, request.out, { edits })
    const positives = (advantages.table.columns.find((c) => c.name === 'advantage')?.data as boolean[]).filter(Boolean).length
    return {
      format: 'rlinf',
      paths: [dir],
      episodes: all.length,
      frames: frames(all),
      notes: [
        ...advantages.thresholds.map((t) => `threshold${t.task === null ? '' : ` (task "${t.task}")`}: ${t.threshold.toFixed(6)} over ${t.frames} frames of ${t.episodes} episodes`),
        `${positives} of ${advantages.table.rows} frames advantage-positive; values: ${values.name}`,
        ...leftoverNotes(removedLeftovers),
      ],
      usage: `RLinf reads ${returnsFile} and ${advantagesFile} of the copy ${dir}: train with its dataset path and advantage tag ${request.tag} (the threshold is in ${path.join(dir, 'mixture_config.yaml')} under tags.${request.tag})`,
    }
  }

  private async labelStudio(ctx: Context, request: Extract<PipelineExportRequest, { format: 'label-studio' }>): Promise<PipelineExportResult> {
    if (path.extname(request.out).toLowerCase() !== '.json') throw new VivaError('INVALID_ARGUMENT', `${request.out}: a Label Studio export is a .json file (its labeling config goes beside it as .config.xml)`, request.out)
    const episodes = this.selected(ctx, datasetEpisodes(ctx.summary, null), request.filters)
    const template = request.videoUrl ?? '/data/local-files/?d=episode_{episode6}.mp4'
    const { tasks, config } = buildLabelStudioTasks(episodes, ctx.annotations, {
      fps: ctx.summary.fps,
      videoUrl: (episode) => template.replaceAll('{episode6}', String(episode).padStart(6, '0')).replaceAll('{episode}', String(episode)),
    })
    const configFile = request.out.replace(/\.json$/i, '.config.xml')
    const paths = await ctx.guard.writeFiles([
      { path: request.out, data: `${JSON.stringify(tasks, null, 2)}\n` },
      { path: configFile, data: `${config}\n` },
    ])
    const regions = tasks.reduce((n, t) => n + (t.annotations[0]?.result.length ?? 0), 0)
    return {
      format: 'label-studio',
      paths,
      episodes: episodes.length,
      frames: frames(episodes),
      notes: [`${regions} segments in ${tasks.length} tasks; frames are 1-based in Label Studio, the project's video frameRate is the dataset's ${ctx.summary.fps} fps`],
      usage: `In Label Studio: create a project with the labeling config ${configFile}, then import ${request.out} (each task's data.video must be a URL Label Studio can play, one video per episode: --video-url, e.g. clips from viva render)`,
    }
  }

  private async language(ctx: Context, request: Extract<PipelineExportRequest, { format: 'lerobot-language' }>): Promise<PipelineExportResult> {
    this.refuseFilters(ctx, request, 'a copy of the dataset carries the subtasks of every episode')
    const scanned = await scanDataFiles(ctx.summary.root, { timestamps: true, signal: ctx.signal })
    const all = datasetEpisodes(ctx.summary, scanned)
    const rows = buildSubtaskLanguage(all, ctx.annotations)
    const plan: DatasetCopyPlan = {
      columns: [{ under: 'data/', add: (table) => languageColumns(table, rows) }],
      edits: { 'meta/info.json': withFeatures(LANGUAGE_FEATURES) },
    }
    const { dir, removedLeftovers } = await copyDataset(ctx, request.out, plan)
    const count = [...rows.values()].reduce((n, r) => n + r.length, 0)
    return {
      format: 'lerobot-language',
      paths: [dir],
      episodes: all.length,
      frames: frames(all),
      notes: [`${count} subtask rows in ${rows.size} episodes (style "subtask", at the frames' own timestamps)`, ...leftoverNotes(removedLeftovers)],
      usage: `A copy of the dataset with language_persistent / language_events in its data files, for LeRobot's language-conditioned training (--dataset.root=${dir})`,
    }
  }

  private async sarm(ctx: Context, request: Extract<PipelineExportRequest, { format: 'lerobot-sarm' }>): Promise<PipelineExportResult> {
    this.refuseFilters(ctx, request, 'a copy of the dataset carries the subtasks of every episode')
    const all = datasetEpisodes(ctx.summary, null)
    const sarm = buildSarmAnnotations(all, ctx.annotations, request.proportions ?? 'dataset')
    const lengths = new Map(all.map((e) => [e.index, e.length]))
    const fps = ctx.summary.fps
    const v3 = ctx.summary.format === 'v3.0'
    const proportionFiles = Object.fromEntries(Object.entries(sarmProportionFiles(sarm)).map(([rel, text]) => [rel, () => text]))
    const plan: DatasetCopyPlan = v3
      ? {
          columns: [
            {
              under: 'meta/episodes/',
              add: async (table) => {
                if (!table.has('episode_index')) throw new VivaError('DATASET_INVALID', `${table.relPath} has no episode_index column`, table.relPath)
                const episodeIndex = (await table.read(['episode_index'])).get('episode_index') as bigint[]
                return sarmEpisodeColumns(sarm, episodeIndex, lengths, fps)
              },
            },
          ],
          edits: proportionFiles,
        }
      : {
          edits: {
            ...proportionFiles,
            'meta/episodes.jsonl': (existing) => {
              if (existing === null) throw new VivaError('DATASET_INVALID', `${ctx.summary.root} has no meta/episodes.jsonl`, 'meta/episodes.jsonl')
              return sarmEpisodesJsonl(sarm, existing, 'meta/episodes.jsonl', fps)
            },
          },
        }
    const { dir, removedLeftovers } = await copyDataset(ctx, request.out, plan)
    const notes = [`stages (dense, in this order): ${sarm.stages.map((s) => `${s} ${(sarm.proportions[s] ?? 0).toFixed(3)}`).join(', ')}`]
    if (sarm.incomplete.length > 0) {
      notes.push(`episodes ${shortList(sarm.incomplete)} stop before the final stage: SARM reads the frames after their last milestone as the final stage almost done (sarm_utils.py find_stage_and_tau), so train on the complete ones`)
    }
    if (sarm.unannotated.length > 0) notes.push(`episodes ${shortList(sarm.unannotated)} have no milestone (no annotation in the copy; SARM gives them no progress): leave them out of training`)
    notes.push(...leftoverNotes(removedLeftovers))
    if (!v3) notes.push(`${ctx.summary.format} dataset: the subtasks are in meta/episodes.jsonl; LeRobot's SARM reads v3.0, and LeRobot's convert_dataset_v21_to_v30 (src/lerobot/datasets/v30/) carries them into its meta/episodes`)
    const camera = ctx.summary.cameras[0]?.key ?? '<a camera key>'
    const subset = sarm.incomplete.length + sarm.unannotated.length > 0 ? ` --dataset.episodes='[${sarm.complete.join(',')}]'` : ''
    return {
      format: 'lerobot-sarm',
      paths: [dir],
      episodes: all.length,
      frames: frames(all),
      notes,
      // The dense-only training command of LeRobot's SARM guide (docs/source/sarm.mdx); the milestones are the dense
      // stages. SARM reads one camera: the dataset's first, which the user may change. SARM is a reward model now
      // (src/lerobot/rewards/sarm/, `--reward_model.*`); releases before that had it as a policy (`--policy.*`).
      usage:
        `${v3 ? '' : 'After converting the copy to v3.0: '}Train LeRobot's SARM on the milestones: lerobot-train --dataset.repo_id=local/${path.basename(dir)} --dataset.root=${dir}` +
        ` --reward_model.type=sarm --reward_model.annotation_mode=dense_only --reward_model.image_key=${camera}${subset}` +
        ` (LeRobot releases before its rewards package: --policy.type=sarm --policy.annotation_mode=dense_only --policy.image_key=${camera})`,
    }
  }

  /** Milestones from a Label Studio JSON export, through the project's one transaction (dry run: only the summary). */
  importLabelStudio(p: { datasetId: string; name: string; text: string; mode: ImportMode; dryRun?: boolean | undefined }): LabelStudioImportSummary {
    const { summary } = this.deps.source(p.datasetId)
    const lengths = new Map(summary.episodes.filter((e) => e.present).map((e) => [e.index, e.length]))
    const tasks = new Map(summary.episodes.map((e) => [e.index, e.tasks[0] ?? '']))
    const imported = parseLabelStudioTimeline(p.name, p.text, lengths)
    const state = this.deps.projects.store(p.datasetId).load()
    const plan = planLabelStudioImport(p.name, state, imported, (e) => tasks.get(e) ?? '', p.mode, this.now(), this.newId)
    if (!p.dryRun && plan.edits.length > 0) this.deps.projects.apply(p.datasetId, plan.edits)
    return { dryRun: p.dryRun === true, mode: p.mode, ...plan.summary }
  }

  /** The dataset's own SARM subtask annotations as milestones, through the project's one transaction (dry run: only the summary). */
  async importSarm(p: { datasetId: string; mode: ImportMode; dryRun?: boolean | undefined; head?: SarmHead | undefined }): Promise<SarmImportSummary> {
    const { summary } = this.deps.source(p.datasetId)
    const imported = await readSarmMilestones(summary, p.head)
    const tasks = new Map(summary.episodes.map((e) => [e.index, e.tasks[0] ?? '']))
    const state = this.deps.projects.store(p.datasetId).load()
    // A task without a taxonomy gets one with the subtasks as its stages (the milestones need a taxonomy version).
    const at = this.now()
    const stages = stageOrder(imported.milestones)
    const created: Edit[] = [...new Set(imported.annotatedEpisodes.map((e) => tasks.get(e) ?? ''))]
      .filter((task) => latestTaxonomy(state, task) === null)
      .map((task) => ({ op: 'taxonomy.save', before: null, after: { task, version: 1, milestones: stages, errorTypes: [], preset: null, createdAt: at } }))
    const plan = planLabelStudioImport(imported.file, applyEdits(state, created), imported, (e) => tasks.get(e) ?? '', p.mode, at, this.newId, SARM_ANNOTATOR)
    const edits = [...created, ...plan.edits]
    if (!p.dryRun && edits.length > 0) this.deps.projects.apply(p.datasetId, edits)
    const taxonomiesCreated = created.flatMap((e) => (e.op === 'taxonomy.save' ? [e.after.task] : []))
    return { dryRun: p.dryRun === true, mode: p.mode, head: imported.head, taxonomiesCreated, stages, ...plan.summary }
  }
}

/** mixture_config.yaml with `tags.<tag>` set, other content kept (compute_advantages.py merges the same way). */
function mixtureWith(tag: string, stats: { unified_threshold: number; positive_quantile: number }): (existing: string | null) => string {
  return (existing) => {
    let config: unknown = {}
    if (existing !== null) {
      try {
        config = parseYaml(existing) ?? {}
      } catch (err) {
        throw new VivaError('DATASET_INVALID', `mixture_config.yaml is not YAML (${err instanceof Error ? err.message : String(err)})`, 'mixture_config.yaml')
      }
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new VivaError('DATASET_INVALID', 'mixture_config.yaml is not a mapping', 'mixture_config.yaml')
    const doc = config as Record<string, unknown>
    const tags = typeof doc.tags === 'object' && doc.tags !== null && !Array.isArray(doc.tags) ? (doc.tags as Record<string, unknown>) : {}
    return stringifyYaml({ ...doc, tags: { ...tags, [tag]: stats } })
  }
}
