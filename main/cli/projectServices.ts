import { VivaError } from '../../app/errors'
import type { DatasetSummary } from '../../app/dataset'
import type { Services } from '../compose'
import type { CliContext } from './command'

/** `--project FILE`: the annotation project to use instead of the one the data folder keeps for the dataset. */
export const projectOption = { type: 'string', value: 'FILE', help: 'Use this project file instead of the data folder\'s' } as const

/** The services for one dataset's annotations (export, import, reattach), with the optional explicit project file. */
export async function openForAnnotations(
  ctx: CliContext,
  root: string | undefined,
  project: string | undefined,
  usage: string,
  options: { journalJobs?: boolean } = {},
): Promise<{ services: Services; summary: DatasetSummary }> {
  if (!root) throw new VivaError('INVALID_ARGUMENT', usage)
  const services = await ctx.services(options)
  const summary = await services.datasets.open(root)
  if (project) services.projects.setProjectFile(summary.id, project)
  return { services, summary }
}
