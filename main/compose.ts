import path from 'node:path'
import type { AppInfo } from '../app/contract'
import { DatasetService } from './datasets/service'
import { openLeRobotDataset } from './datasets/lerobot'
import type { EventBus } from './events'
import { createEventBus } from './events'
import type { Handlers } from './rpc/dispatch'
import { AnnotationProjects } from './store/projects'
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
}

export interface Services {
  handlers: Handlers
  events: EventBus
  media: MediaRoots
  datasets: DatasetService
  projects: AnnotationProjects
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
  }
  return { handlers, events, media, datasets, projects, initialDatasets }
}

/** Open the datasets named at startup; their ids become AppInfo.initialDatasets. */
export async function openInitialDatasets(services: Services, roots: string[]): Promise<void> {
  for (const root of roots) {
    const summary = await services.datasets.open(root)
    services.initialDatasets.push(summary.id)
  }
}
