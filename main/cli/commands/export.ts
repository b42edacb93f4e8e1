import { EXPORT_FORMATS, exportFiltersSchema, type ExportFilters } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { choiceOption, defineCommand } from '../command'
import { openForAnnotations, projectOption } from '../projectServices'

/** Command-line filters → the contract's ExportFilters, validated by the same schema as the app's. */
function parseExportFilters(raw: { tasks?: string[] | undefined; outcomes?: string[] | undefined; statuses?: string[] | undefined; episodes?: string | undefined }): ExportFilters {
  const candidate: Record<string, unknown> = {}
  if (raw.tasks?.length) candidate.tasks = raw.tasks
  if (raw.outcomes?.length) candidate.outcomes = raw.outcomes
  if (raw.statuses?.length) candidate.statuses = raw.statuses
  if (raw.episodes !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(raw.episodes)
    if (!m) throw new VivaError('INVALID_ARGUMENT', `--episodes must look like 10-20 or 7, got "${raw.episodes}"`)
    candidate.episodeRange = [Number(m[1]), Number(m[2] ?? m[1])]
  }
  const parsed = exportFiltersSchema.safeParse(candidate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new VivaError('INVALID_ARGUMENT', `Invalid filter ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)
  }
  return parsed.data
}

export const exportCommand = defineCommand({
  name: 'export',
  synopsis: 'export <dataset> --format json|csv|lerobot --out PATH [--task T]... [--outcome O]... [--status S]... [--episodes A-B] [--project FILE]',
  description: 'Write the annotations (labeled evaluation set); filters combine',
  options: {
    format: { type: 'string', value: 'F', help: `${EXPORT_FORMATS.join(', ')} (default json)` },
    out: { type: 'string', value: 'PATH', help: 'The file (json, csv) or folder (lerobot) written' },
    task: { type: 'string', multiple: true, value: 'T', help: 'Only episodes of this task' },
    outcome: { type: 'string', multiple: true, value: 'O', help: 'Only episodes with this outcome' },
    status: { type: 'string', multiple: true, value: 'S', help: 'Only episodes with this review status' },
    episodes: { type: 'string', value: 'A-B', help: 'Only episodes A to B (or one, A)' },
    project: projectOption,
  },
  async run([root], values, ctx) {
    const usage = 'usage: viva export <dataset> --format json|csv|lerobot --out PATH [filters]'
    const { services, summary } = await openForAnnotations(ctx, root, values.project, usage)
    const format = choiceOption(values.format, 'format', EXPORT_FORMATS, 'json')
    if (!values.out) throw new VivaError('INVALID_ARGUMENT', usage)
    const filters = parseExportFilters({ tasks: values.task, outcomes: values.outcome, statuses: values.status, episodes: values.episodes })
    try {
      const { paths } = await services.projects.exportTo(summary.id, format, filters, values.out)
      process.stdout.write(`Wrote ${paths.join(', ')}\n`)
    } finally {
      services.projects.close()
    }
    return 0
  },
})
