import { rename, stat } from 'node:fs/promises'
import path from 'node:path'
import { READ_LIMITS, readTextFile } from './safeRead'
import type { Services } from './compose'
import { generateTaskDataset } from './synth/taskDataset'
import { removeStaleFiles } from './processes'
import type { MediaTools } from './video/tools'

/** Bumped whenever the demo content changes, so old copies are not reused. */
const DEMO_VERSION = 2
const GROUND_TRUTH = path.join('meta', 'viva_ground_truth.json')

/**
 * The built-in demo: a generated 3-camera bimanual task (successes and failures), written once into the data folder
 * (no binaries ship in the repository). Generating takes several seconds on first start.
 */
export async function ensureDemoDataset(dataDir: string, tools?: MediaTools): Promise<string> {
  const root = path.join(dataDir, 'demo', `task-v${DEMO_VERSION}`)
  if (await stat(path.join(root, 'meta', 'info.json')).then(() => true, () => false)) return root
  // Half-generated copies of runs killed while generating (another live instance's stays).
  await removeStaleFiles(path.dirname(root), /^task-v\d+\.(\d+)\.tmp$/, () => true)
  const staging = `${root}.${process.pid}.tmp`
  await generateTaskDataset({ out: staging, episodes: 8, seed: 7, failureRate: 0.5, format: 'v2.1', ...(tools ? { tools } : {}) })
  await rename(staging, root)
  return root
}

/**
 * Open the demo and, while its project is still empty, fill it with the generator's ground truth, so the demo shows
 * annotated episodes (markers, outcomes, the per-task overview) from the first start. Never touches a project the
 * user has annotated.
 */
export async function openDemo(services: Services, dataDir: string): Promise<string> {
  const root = await ensureDemoDataset(dataDir, services.tools)
  const summary = await services.datasets.open(root)
  const snapshot = services.projects.snapshot(summary.id)
  // A data folder moved elsewhere brings its demo project along: that one is offered for re-attaching instead.
  const offered = services.projects.reattachOffer(summary.id) !== null
  if (!offered && snapshot.events.length === 0 && snapshot.taxonomies.length === 0 && snapshot.episodes.length === 0) {
    const text = await readTextFile(path.join(root, GROUND_TRUTH), READ_LIMITS.annotations)
    services.projects.import(summary.id, text, 'replace')
  }
  services.initialDatasets.push(summary.id)
  return summary.id
}
