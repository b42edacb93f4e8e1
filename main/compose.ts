import path from 'node:path'
import type { AppInfo } from '../app/contract'
import { DatasetService } from './datasets/service'
import { openLeRobotDataset } from './datasets/lerobot'
import type { EventBus } from './events'
import { createEventBus } from './events'
import type { Handlers } from './rpc/dispatch'
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
}

export interface Services {
  handlers: Handlers
  events: EventBus
  media: MediaRoots
  datasets: DatasetService
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
  const initialDatasets: string[] = []
  const handlers: Handlers = {
    'app.info': async () => ({ version: config.version, mode: config.mode, initialDatasets: [...initialDatasets] }),
    'dataset.open': async ({ path: root }) => datasets.open(root),
    'dataset.get': async ({ datasetId }) => datasets.get(datasetId).summary,
    'dataset.list': async () => datasets.list(),
    'episode.open': async ({ datasetId, episode }, ctx) => datasets.openEpisode(datasetId, episode, ctx.signal),
    'media.prepare': async ({ datasetId, episode, camera }, ctx) =>
      datasets.prepareMedia(datasetId, episode, camera, ctx.signal),
  }
  return { handlers, events, media, datasets, initialDatasets }
}

/** Open the datasets named at startup; their ids become AppInfo.initialDatasets. */
export async function openInitialDatasets(services: Services, roots: string[]): Promise<void> {
  for (const root of roots) {
    const summary = await services.datasets.open(root)
    services.initialDatasets.push(summary.id)
  }
}
