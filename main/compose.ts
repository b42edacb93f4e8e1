import path from 'node:path'
import type { AppInfo } from '../app/contract'
import type { DatasetSummary } from '../app/dataset'
import { VivaError } from '../app/errors'
import { importCurveFile } from './curves/importCurves'
import { DATASET_SETTINGS_FILE, DatasetSettings } from './datasets/datasetSettings'
import { DatasetService } from './datasets/service'
import { EpisodeChecks } from './datasets/episodeChecks'
import { HfCacheLocator, resolveDatasetSpec, type HfCacheEnv } from './datasets/sources'
import { openLeRobotDataset } from './datasets/lerobot/lerobot'
import type { EventBus } from './events'
import { createEventBus } from './events'
import { uploadsOf, type CallContext, type Handlers } from './rpc/dispatch'
import { UploadStore } from './rpc/uploads'
import { ModelRegistry } from './inference/registry'
import { ScoringQueue } from './jobs/scoring'
import { PACKAGE_ROOT } from './paths'
import { PipelineExports } from './pipelineExports/service'
import { ChildProcesses, removeStaleFiles } from './processes'
import { RenderService } from './render/service'
import { CurveStore } from './store/curveStore'
import { AnnotationProjects, type ReattachAction } from './store/projects'
import { importedCurves } from './curves/service'
import { AnalysisService } from './analysis/analysis'
import { MediaRoots } from './video/mediaFiles'
import { VideoProber } from './video/probe'
import { ProxyCache } from './video/proxy'
import type { MediaTools } from './video/tools'
import { resolveMediaTools } from './video/tools'
import { WriteGuard } from './writeGuard'

export interface ComposeConfig {
  mode: AppInfo['mode']
  version: string
  /** Per-user (or per-test) folder for caches such as transcoded proxies. */
  dataDir: string
  tools?: MediaTools
  /** Where annotation projects live; default `<dataDir>/projects`. */
  projectsDir?: string
  /** Folders holding bundled model packages; default the app's models/ folder. */
  bundledModelDirs?: string[]
  /** Decode with hardware acceleration when ffmpeg finds one (default true). */
  hwaccel?: boolean
  /** Keep unfinished scoring jobs on disk and resume them on the next start (default true; `viva score` says false). */
  journalJobs?: boolean
  /** Where HF_HOME, HF_LEROBOT_HOME and friends are read (default process.env). */
  env?: HfCacheEnv
}

export interface WriteGuardConfig {
  dataDir: string
  /** Default `<dataDir>/projects`. */
  projectsDir?: string
  /** Roots of the datasets open now (read at each check). */
  datasets?: () => Iterable<string>
  /** Project files outside the projects folder (`--project FILE`), read at each check. */
  projectFiles?: () => Iterable<string>
}

/**
 * The guard every user-chosen output path goes through (main/writeGuard.ts): nothing is written inside an open
 * dataset, the data folder, the projects folder or onto a project file. Commands that write without the services
 * (`viva backup`, `viva tensors`, `viva advantages`, `viva fixture`, `viva generate`) build theirs here too.
 */
export function composeWriteGuard(config: WriteGuardConfig): WriteGuard {
  const projectsDir = config.projectsDir ?? path.join(config.dataDir, 'projects')
  return new WriteGuard([
    () => [
      { path: config.dataDir, kind: 'data folder' },
      { path: projectsDir, kind: 'projects folder' },
    ],
    () => [...(config.datasets?.() ?? [])].map((root) => ({ path: root, kind: 'dataset' as const })),
    () => [...(config.projectFiles?.() ?? [])].map((file) => ({ path: file, kind: 'project file' as const })),
  ])
}

export interface Services {
  handlers: Handlers
  events: EventBus
  media: MediaRoots
  datasets: DatasetService
  projects: AnnotationProjects
  models: ModelRegistry
  curves: CurveStore
  scoring: ScoringQueue
  /** Files training pipelines read (LeRobot, RLinf, Label Studio) and the Label Studio import: app and CLI alike. */
  pipelines: PipelineExports
  /** Checks every user-chosen output path against the open datasets, the data folder and the project files. */
  writeGuard: WriteGuard
  /** ffmpeg/ffprobe as the services run them (their children tracked). */
  tools: MediaTools
  /** Every ffmpeg/ffprobe the services run; dispose() kills those still running. */
  children: ChildProcesses
  /** Files the renderer sends in chunks (import files); one session per connection or window. */
  uploads: UploadStore
  /**
   * Act on a moved dataset's re-attach offer: take over its old project (and the curves and camera choices made for
   * its old id), or start fresh. The one path for the app and the CLI.
   */
  reattach(datasetId: string, action: ReattachAction, projectPath?: string): Promise<void>
  /** Resume the scoring jobs a previous run left unfinished (after the datasets named at startup are open). */
  resumeJobs(): Promise<void>
  /** Kill the children still running (ffmpeg), stop jobs, and release model sessions and files. */
  dispose(): Promise<void>
  /** Datasets opened at startup, shown first by the renderer. */
  initialDatasets: string[]
}

/** The one composition root: every service is built here from config, and nowhere else. */
export function composeServices(config: ComposeConfig): Services {
  const children = new ChildProcesses()
  const tools: MediaTools = { ...(config.tools ?? resolveMediaTools()), children }
  const events = createEventBus()
  const media = new MediaRoots()
  const proxies = new ProxyCache(tools, path.join(config.dataDir, 'proxies'))
  // At start: what killed runs left behind, partial proxies (transcodes wait for this) and settings files half
  // written (`writeFilesAtomic`'s temporary names).
  void proxies.sweepStale()
  void removeStaleFiles(config.dataDir, /^\..+\.(\d+)-[0-9a-f]{8}\.partial$/)
  const prober = new VideoProber(tools)
  // Folders, and repo ids of datasets in the local Hugging Face cache; a downloader would be another locator here.
  const locators = [new HfCacheLocator(config.env ?? process.env)]
  const datasets = new DatasetService({
    open: (root) => openLeRobotDataset(root),
    resolve: (spec) => resolveDatasetSpec(spec, locators),
    prober,
    proxies,
    media,
    events,
    settings: new DatasetSettings(path.join(config.dataDir, DATASET_SETTINGS_FILE)),
  })
  const episodeChecks = new EpisodeChecks({ source: (id) => datasets.get(id), probe: (file, signal) => prober.probe(file, signal), tools })
  const projectsDir = config.projectsDir ?? path.join(config.dataDir, 'projects')
  const writeGuard = composeWriteGuard({
    dataDir: config.dataDir,
    projectsDir,
    datasets: () => datasets.list().map((s) => s.root),
    projectFiles: () => projects.files(),
  })
  const projects = new AnnotationProjects({
    projectsDir,
    summary: (id) => datasets.get(id).summary,
    fingerprint: (id) => datasets.get(id).fingerprint,
    events,
    writeGuard,
    timestamps: (id, episodes) => datasets.recordedTimestamps(id, episodes),
  })
  const models = new ModelRegistry({
    // Packaged, the models sit in app.asar.unpacked (electron-builder.yml), where native code can open them.
    bundledDirs: config.bundledModelDirs ?? [path.join(PACKAGE_ROOT.replace(/app\.asar$/, 'app.asar.unpacked'), 'models')],
    settingsFile: path.join(config.dataDir, 'models.json'),
  })
  const curves = new CurveStore(path.join(config.dataDir, 'values.sqlite'))
  const scoring = new ScoringQueue({ source: (id) => datasets.get(id), checkVideo: (id, data, camera, signal) => datasets.checkVideoWindow(id, data, camera, signal), models, store: curves, events, tools, hwaccel: config.hwaccel, journal: config.journalJobs ?? true })
  const analysis = new AnalysisService({ summary: (id) => datasets.get(id).summary, projects, curves })
  const cameras = (datasetId: string) => datasets.get(datasetId).summary.cameras
  const initialDatasets: string[] = []
  // Every summary the renderer gets says whether the dataset's annotations wait in another path's project.
  const withOffer = (summary: DatasetSummary): DatasetSummary => ({ ...summary, reattach: projects.reattachOffer(summary.id) })
  const uploads = new UploadStore()
  /** An import's text: given inline (small files) or uploaded in chunks beforehand. */
  const importText = (p: { text?: string | undefined; uploadId?: string | undefined }, ctx: CallContext): string =>
    p.text ?? uploadsOf(ctx).text(p.uploadId ?? '')
  const reattach = async (datasetId: string, action: ReattachAction, projectPath?: string): Promise<void> => {
    const from = await projects.resolveReattach(datasetId, action, projectPath)
    if (from === null) return
    // Scored curves can be recomputed, imported ones cannot: both follow the annotations to the new id.
    if (curves.adoptDataset(from, datasetId) > 0) events.emit('curves.changed', { datasetId, episode: null })
    await models.adoptDataset(from, datasetId)
  }
  const pipelines = new PipelineExports({ source: (id) => datasets.get(id), projects, curves, guard: writeGuard })
  const render = new RenderService({ datasets, projects, curves, tools, probe: (file, signal) => prober.probe(file, signal), guard: writeGuard })
  const handlers: Handlers = {
    'app.info': async () => ({ version: config.version, mode: config.mode, initialDatasets: [...initialDatasets] }),
    'dataset.open': async ({ path: root }) => withOffer(await datasets.open(root)),
    'dataset.get': async ({ datasetId }) => withOffer(datasets.get(datasetId).summary),
    'dataset.list': async () => datasets.list().map(withOffer),
    'dataset.reattachProject': async ({ datasetId, action, projectPath }) => {
      await reattach(datasetId, action, projectPath)
      return withOffer(datasets.get(datasetId).summary)
    },
    'dataset.checkEpisodes': async ({ datasetId, episodes }, ctx) => episodeChecks.check(datasetId, episodes, ctx.signal),
    'episode.open': async ({ datasetId, episode, features }, ctx) => datasets.openEpisode(datasetId, episode, ctx.signal, features),
    'episode.features': async ({ datasetId, episode, keys }, ctx) => datasets.episodeFeatures(datasetId, episode, keys, ctx.signal),
    'dataset.setStateKey': async ({ datasetId, key }) => withOffer(await datasets.setStateKey(datasetId, key)),
    'media.prepare': async ({ datasetId, episode, camera }, ctx) =>
      datasets.prepareMedia(datasetId, episode, camera, ctx.signal),
    'annotations.load': async ({ datasetId }) => projects.snapshot(datasetId),
    'annotations.apply': async ({ datasetId, edits, origin }) => projects.apply(datasetId, edits, origin ?? null),
    'annotations.export': async ({ datasetId, format, filters }) => projects.exportText(datasetId, format, filters),
    'annotations.exportTo': async ({ datasetId, format, filters, outPath }) =>
      projects.exportTo(datasetId, format, filters, outPath),
    'annotations.importPreview': async (p, ctx) => projects.previewImport(p.datasetId, importText(p, ctx), p.mode, { force: p.force === true }),
    'annotations.import': async (p, ctx) => {
      const summary = await projects.import(p.datasetId, importText(p, ctx), p.mode, { force: p.force === true })
      if (p.uploadId !== undefined) uploadsOf(ctx).discard(p.uploadId)
      return summary
    },
    'upload.begin': async ({ name, size }, ctx) => uploadsOf(ctx).begin(name, size),
    'upload.append': async ({ uploadId, offset, data }, ctx) => uploadsOf(ctx).append(uploadId, offset, data),
    'upload.discard': async ({ uploadId }, ctx) => ({ discarded: uploadsOf(ctx).discard(uploadId) }),
    'models.list': async () => models.list(),
    'models.addFolder': async ({ path: dir }) => models.addFolder(dir),
    'models.cameraMap': async ({ datasetId, modelId }) => models.cameraMap(datasetId, await models.get(modelId), cameras(datasetId)),
    'models.setCameraMap': async ({ datasetId, modelId, slots }) =>
      models.setCameraMap(datasetId, await models.get(modelId), cameras(datasetId), slots),
    'models.check': async ({ datasetId, modelId }) => scoring.check(datasetId, modelId),
    'models.setStateMap': async ({ datasetId, modelId, map }) => scoring.setStateMap(datasetId, modelId, map),
    'score.start': async (params) => scoring.start(params),
    'score.jobs': async () => scoring.list(),
    'score.pause': async ({ jobId, paused }) => scoring.pause(jobId, paused),
    'score.cancel': async ({ jobId }) => scoring.cancel(jobId),
    'curves.list': async ({ datasetId, episode }) => {
      datasets.get(datasetId)
      return curves.list(datasetId, episode)
    },
    'curves.get': async ({ datasetId, curveId }) => {
      const data = curves.get(curveId)
      if (data.info.datasetId !== datasetId) throw new VivaError('NOT_FOUND', `No curve ${curveId} in this dataset`)
      return data
    },
    'curves.import': async ({ datasetId, path: file }) => {
      const result = await importedCurves(curves, datasets.get(datasetId).summary, file, importCurveFile)
      events.emit('curves.changed', { datasetId, episode: null })
      return result
    },
    'curves.delete': async ({ datasetId, curveId }) => {
      const info = curves.info(curveId)
      if (!info || info.datasetId !== datasetId) return { deleted: false }
      const deleted = curves.delete(curveId)
      events.emit('curves.changed', { datasetId, episode: info.episode })
      return { deleted }
    },
    'metrics.compute': async ({ datasetId, window, variant }) => analysis.report(datasetId, { window, variant }),
    'metrics.export': async ({ datasetId, window, variant, format }) => analysis.exportText(datasetId, { window, variant }, format),
    'advantages.compute': async ({ datasetId, curveId, k, positiveFraction, scope }) => analysis.advantages(datasetId, curveId, k, positiveFraction, scope),
    'detector.calibrate': async ({ datasetId, curveId, tolerance }, ctx) => analysis.calibrateDetector(datasetId, curveId, tolerance, ctx.signal),
    'triage.drops': async ({ datasetId, series, window, threshold, tolerance }) =>
      analysis.triage(datasetId, { window, threshold, ...(series !== undefined ? { series } : {}), ...(tolerance ? { tolerance } : {}) }),
    'pipelines.series': async ({ datasetId }) => pipelines.series(datasetId),
    'pipelines.export': async (request, ctx) => {
      // Progress at most every 250 ms, and at the start and the end: a copy is thousands of files, most of them links.
      let shownAt = -Infinity
      return pipelines.export(request, {
        signal: ctx.signal,
        onProgress: (done, total) => {
          const now = performance.now()
          if (done !== 0 && done < total && now - shownAt < 250) return
          shownAt = now
          events.emit('pipelines.progress', { token: request.token ?? null, done, total })
        },
      })
    },
    'pipelines.importLabelStudio': async (p, ctx) => {
      const summary = pipelines.importLabelStudio({ ...p, text: importText(p, ctx) })
      if (!p.dryRun && p.uploadId !== undefined) uploadsOf(ctx).discard(p.uploadId)
      return summary
    },
    'pipelines.importSarm': async (p) => pipelines.importSarm(p),
    'triage.episodeStats': async ({ datasetId, window, threshold }) => analysis.episodeStats(datasetId, { window, threshold }),
    'render.video': async (params, ctx) => {
      // Progress at most every 10 frames and at the end: a render is seconds to minutes of frames.
      let shown = 0
      return render.video(params, ctx.signal, (done, total) => {
        if (done - shown < 10 && done < total) return
        shown = done
        events.emit('render.progress', { token: params.token ?? null, done, total })
      })
    },
  }
  const resumeJobs = async (): Promise<void> => {
    await scoring.restore((root) => datasets.open(root))
  }
  const dispose = async (): Promise<void> => {
    // Jobs are cancelled first (synchronously, keeping their journal for the next start), then every child is
    // killed so nothing waits on one; a killed transcode removes its partial file as it fails.
    const jobsStopped = scoring.dispose()
    children.killAll()
    await proxies.settled()
    await jobsStopped
    await models.dispose()
    curves.close()
  }
  return { handlers, events, media, datasets, projects, models, curves, scoring, pipelines, writeGuard, tools, children, uploads, reattach, resumeJobs, dispose, initialDatasets }
}

/** Open the datasets named at startup; their ids become AppInfo.initialDatasets. */
export async function openInitialDatasets(services: Services, roots: string[]): Promise<void> {
  for (const root of roots) {
    const summary = await services.datasets.open(root)
    services.initialDatasets.push(summary.id)
  }
}

/**
 * What `viva metrics`, `viva advantages` and `viva detect --values` read: the dataset's summary from its folder, and
 * nothing from the data folder (no value cache, no project). They compute with main/analysis/compute.ts as the app.
 */
export async function readDatasetSummary(root: string): Promise<DatasetSummary> {
  return (await openLeRobotDataset(path.resolve(root))).summary
}
