import path from 'node:path'
import type { AppInfo } from '../app/contract'
import { VivaError } from '../app/errors'
import { importCurveFile } from './curves/importCurves'
import { DatasetService } from './datasets/service'
import { openLeRobotDataset } from './datasets/lerobot'
import type { EventBus } from './events'
import { createEventBus } from './events'
import type { Handlers } from './rpc/dispatch'
import { ModelRegistry } from './inference/registry'
import { ScoringQueue } from './jobs/scoring'
import { PACKAGE_ROOT } from './paths'
import { CurveStore } from './store/curveStore'
import { AnnotationProjects } from './store/projects'
import { importedCurves } from './curves/service'
import { AnalysisService } from './analysis/analysis'
import { MediaRoots } from './video/mediaFiles'
import { VideoProber } from './video/probe'
import { ProxyCache } from './video/proxy'
import type { MediaTools } from './video/tools'
import { resolveMediaTools } from './video/tools'

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
  /** Resume the scoring jobs a previous run left unfinished (after the datasets named at startup are open). */
  resumeJobs(): Promise<void>
  /** Stop jobs and release model sessions and files. */
  dispose(): Promise<void>
  /** Datasets opened at startup, shown first by the renderer. */
  initialDatasets: string[]
}

/** The one composition root: every service is built here from config, and nowhere else. */
export function composeServices(config: ComposeConfig): Services {
  const tools = config.tools ?? resolveMediaTools()
  const events = createEventBus()
  const media = new MediaRoots()
  const datasets = new DatasetService({
    open: (root) => openLeRobotDataset(root),
    prober: new VideoProber(tools),
    proxies: new ProxyCache(tools, path.join(config.dataDir, 'proxies')),
    media,
    events,
  })
  const projects = new AnnotationProjects({
    projectsDir: config.projectsDir ?? path.join(config.dataDir, 'projects'),
    summary: (id) => datasets.get(id).summary,
    events,
  })
  const models = new ModelRegistry({
    // Packaged, the models sit in app.asar.unpacked (electron-builder.yml), where native code can open them.
    bundledDirs: config.bundledModelDirs ?? [path.join(PACKAGE_ROOT.replace(/app\.asar$/, 'app.asar.unpacked'), 'models')],
    settingsFile: path.join(config.dataDir, 'models.json'),
  })
  const curves = new CurveStore(path.join(config.dataDir, 'values.sqlite'))
  const scoring = new ScoringQueue({ source: (id) => datasets.get(id), models, store: curves, events, tools, hwaccel: config.hwaccel, journal: config.journalJobs ?? true })
  const analysis = new AnalysisService({ summary: (id) => datasets.get(id).summary, projects, curves })
  const cameras = (datasetId: string) => datasets.get(datasetId).summary.cameras
  const initialDatasets: string[] = []
  const handlers: Handlers = {
    'app.info': async () => ({ version: config.version, mode: config.mode, initialDatasets: [...initialDatasets] }),
    'dataset.open': async ({ path: root }) => datasets.open(root),
    'dataset.get': async ({ datasetId }) => datasets.get(datasetId).summary,
    'dataset.list': async () => datasets.list(),
    'episode.open': async ({ datasetId, episode }, ctx) => datasets.openEpisode(datasetId, episode, ctx.signal),
    'media.prepare': async ({ datasetId, episode, camera }, ctx) =>
      datasets.prepareMedia(datasetId, episode, camera, ctx.signal),
    'annotations.load': async ({ datasetId }) => projects.snapshot(datasetId),
    'annotations.apply': async ({ datasetId, edits, origin }) => projects.apply(datasetId, edits, origin ?? null),
    'annotations.export': async ({ datasetId, format, filters }) => projects.exportText(datasetId, format, filters),
    'annotations.exportTo': async ({ datasetId, format, filters, outPath }) =>
      projects.exportTo(datasetId, format, filters, outPath),
    'annotations.importPreview': async ({ datasetId, text, mode }) => projects.previewImport(datasetId, text, mode),
    'annotations.import': async ({ datasetId, text, mode }) => projects.import(datasetId, text, mode),
    'models.list': async () => models.list(),
    'models.addFolder': async ({ path: dir }) => models.addFolder(dir),
    'models.cameraMap': async ({ datasetId, modelId }) => models.cameraMap(datasetId, await models.get(modelId), cameras(datasetId)),
    'models.setCameraMap': async ({ datasetId, modelId, slots }) =>
      models.setCameraMap(datasetId, await models.get(modelId), cameras(datasetId), slots),
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
  }
  const resumeJobs = async (): Promise<void> => {
    await scoring.restore((root) => datasets.open(root))
  }
  const dispose = async (): Promise<void> => {
    await scoring.dispose()
    await models.dispose()
    curves.close()
  }
  return { handlers, events, media, datasets, projects, models, curves, scoring, resumeJobs, dispose, initialDatasets }
}

/** Open the datasets named at startup; their ids become AppInfo.initialDatasets. */
export async function openInitialDatasets(services: Services, roots: string[]): Promise<void> {
  for (const root of roots) {
    const summary = await services.datasets.open(root)
    services.initialDatasets.push(summary.id)
  }
}
