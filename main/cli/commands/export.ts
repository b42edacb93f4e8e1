import { EXPORT_FORMATS, exportFiltersSchema, PIPELINE_FORMATS, type ExportFilters, type ExportFormat, type PipelineFormat } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { choiceOption, defineCommand } from '../command'
import { pipelineExportOptions, runPipelineExport } from '../pipelineExport'
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
  synopsis:
    'export <dataset> --format json|csv|lerobot --out PATH [--task T]... [--outcome O]... [--status S]... [--episodes A-B] [--project FILE]\n' +
    '       export <dataset> --format lerobot-progress [--values FILE|DIR | --model DIR|NAME | --series KEY] [--proportions dataset|uniform] --out DIR\n' +
    '       export <dataset> --format success-flags [--copy] [--unknown error|failure] --out DIR\n' +
    '       export <dataset> --format rlinf --tag T (--values … | --model … | --series …) --failure-reward R [--k 50f] [--positive-fraction 0.3]\n' +
    '              [--scope dataset|task] [--gamma 1] [--dataset-type rollout|sft] --out DIR\n' +
    '       export <dataset> --format label-studio --out FILE.json [--video-url TEMPLATE]\n' +
    '       export <dataset> --format lerobot-language --out DIR\n' +
    '       export <dataset> --format lerobot-sarm [--proportions dataset|uniform] --out DIR',
  description:
    'Write the annotations (labeled evaluation set), or a file a training pipeline reads as it is: LeRobot\n' +
    "RA-BC progress, success flags, RLinf returns/advantages (a copy of the dataset), Label Studio timelines, LeRobot\n" +
    'subtask language and SARM subtask annotations (copies of the dataset); filters combine (outputs inside a dataset\n' +
    'copy take none)',
  options: {
    format: { type: 'string', value: 'F', help: `${[...EXPORT_FORMATS, ...PIPELINE_FORMATS].join(', ')} (default json)` },
    out: { type: 'string', value: 'PATH', help: 'The file (json, csv, label-studio) or folder (lerobot, pipeline formats) written' },
    task: { type: 'string', multiple: true, value: 'T', help: 'Only episodes of this task' },
    outcome: { type: 'string', multiple: true, value: 'O', help: 'Only episodes with this outcome' },
    status: { type: 'string', multiple: true, value: 'S', help: 'Only episodes with this review status' },
    episodes: { type: 'string', value: 'A-B', help: 'Only episodes A to B (or one, A)' },
    project: projectOption,
    ...pipelineExportOptions,
  },
  async run([root], values, ctx) {
    const usage = 'usage: viva export <dataset> --format json|csv|lerobot|lerobot-progress|success-flags|rlinf|label-studio|lerobot-language|lerobot-sarm --out PATH [filters] (viva export --help)'
    const format = choiceOption<ExportFormat | PipelineFormat>(values.format, 'format', [...EXPORT_FORMATS, ...PIPELINE_FORMATS], 'json')
    const filters = parseExportFilters({ tasks: values.task, outcomes: values.outcome, statuses: values.status, episodes: values.episodes })
    if ((PIPELINE_FORMATS as readonly string[]).includes(format)) return runPipelineExport(ctx, root, format as PipelineFormat, values, filters, usage)
    const pipelineOnly = Object.keys(pipelineExportOptions).filter((name) => values[name as keyof typeof pipelineExportOptions] !== undefined)
    if (pipelineOnly.length > 0) throw new VivaError('INVALID_ARGUMENT', `--${pipelineOnly[0]} is an option of the training-pipeline formats, not of --format ${format}`)
    const { services, summary } = await openForAnnotations(ctx, root, values.project, usage)
    if (!values.out) throw new VivaError('INVALID_ARGUMENT', usage)
    try {
      const { paths } = await services.projects.exportTo(summary.id, format as ExportFormat, filters, values.out)
      process.stdout.write(`Wrote ${paths.join(', ')}\n`)
    } finally {
      services.projects.close()
    }
    return 0
  },
})
