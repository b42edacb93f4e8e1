import path from 'node:path'
import { IMPORT_MODES } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { fsReason } from '../../fsErrors'
import { READ_LIMITS, readTextFile } from '../../safeRead'
import { choiceOption, defineCommand } from '../command'
import { openForAnnotations, projectOption } from '../projectServices'

export const importCommand = defineCommand({
  name: 'import',
  synopsis:
    'import <dataset> <file.json> [--format json|label-studio] [--mode merge|replace] [--dry-run] [--force] [--project FILE]\n' +
    '       import <dataset> --format sarm [--head dense|sparse] [--mode merge|replace] [--dry-run] [--project FILE]',
  description:
    'Validate a canonical JSON export and apply it in one transaction; a file made for other data (fps, episode\n' +
    'lengths) is refused unless --force. --format label-studio reads a Label Studio JSON export of TimelineLabels\n' +
    '(one task per episode, data.episode_index): each region\'s end becomes a milestone (replace: each episode of the\n' +
    'file keeps exactly its milestones; errors stay). --format sarm reads the dataset\'s own SARM subtask annotations\n' +
    '(meta/episodes, e.g. from LeRobot\'s VLM annotator) the same way, each subtask\'s end frame a milestone',
  options: {
    format: { type: 'string', value: 'F', help: 'json (the canonical export, default), label-studio, or sarm (no file: the dataset\'s own annotations)' },
    head: { type: 'string', value: 'H', help: 'sarm: dense or sparse (default dense when the dataset has it)' },
    mode: { type: 'string', value: 'M', help: `${IMPORT_MODES.join(' or ')} (default merge)` },
    'dry-run': { type: 'boolean', help: 'Say what would change; change nothing' },
    force: { type: 'boolean', help: 'Import a file made for other data anyway' },
    project: projectOption,
  },
  async run([root, file], values, ctx) {
    const usage = 'usage: viva import <dataset> <file.json> [--format json|label-studio] [--mode merge|replace] [--dry-run] [--force] | viva import <dataset> --format sarm'
    const format = choiceOption(values.format, 'format', ['json', 'label-studio', 'sarm'], 'json')
    if (format !== 'sarm' && values.head !== undefined) throw new VivaError('INVALID_ARGUMENT', '--head is an option of --format sarm')
    if (format === 'sarm') {
      if (file !== undefined) throw new VivaError('INVALID_ARGUMENT', `--format sarm reads the dataset's own meta/episodes, not a file; drop ${file}`)
      if (values.force) throw new VivaError('INVALID_ARGUMENT', '--force is for canonical exports made for other data')
      const head = values.head === undefined ? undefined : choiceOption(values.head, 'head', ['dense', 'sparse'] as const, 'dense')
      const mode = choiceOption(values.mode, 'mode', IMPORT_MODES, 'merge')
      const { services, summary } = await openForAnnotations(ctx, root, values.project, usage)
      try {
        const r = await services.pipelines.importSarm({ datasetId: summary.id, mode, dryRun: values['dry-run'] === true, head })
        process.stdout.write(
          `${r.dryRun ? 'Would import' : 'Imported'} the SARM ${r.head} annotations of ${summary.root} (${mode}): ${r.milestonesAdded} milestones added, ` +
            `${r.milestonesRemoved} removed, ${r.milestonesKept} already there; ${r.episodes} episodes\n`,
        )
        if (r.unknownLabels.length > 0) process.stderr.write(`viva: warning: subtasks not in the task's taxonomy, imported as written: ${r.unknownLabels.join(', ')}\n`)
        if (r.unannotatedTasks > 0) process.stderr.write(`viva: ${r.unannotatedTasks} episodes without subtasks skipped\n`)
        return 0
      } finally {
        services.projects.close()
        await services.dispose()
      }
    }
    if (format === 'label-studio' && values.force) throw new VivaError('INVALID_ARGUMENT', '--force is for canonical exports made for other data; a Label Studio file names its episodes itself')
    const { services, summary } = await openForAnnotations(ctx, root, values.project, usage)
    if (!file) throw new VivaError('INVALID_ARGUMENT', usage)
    const mode = choiceOption(values.mode, 'mode', IMPORT_MODES, 'merge')
    let text: string
    try {
      text = await readTextFile(path.resolve(file), READ_LIMITS.annotations)
    } catch (err) {
      throw new VivaError('NOT_FOUND', `Cannot read ${file}: ${fsReason(err)}`, file)
    }
    try {
      if (format === 'label-studio') {
        const r = services.pipelines.importLabelStudio({ datasetId: summary.id, name: file, text, mode, dryRun: values['dry-run'] === true })
        process.stdout.write(
          `${r.dryRun ? 'Would import' : 'Imported'} ${file} (label-studio, ${mode}): ${r.milestonesAdded} milestones added, ${r.milestonesRemoved} removed, ` +
            `${r.milestonesKept} already there; ${r.episodes} episodes\n`,
        )
        if (r.unknownLabels.length > 0) process.stderr.write(`viva: warning: ${file}: labels not in the task's taxonomy, imported as written: ${r.unknownLabels.join(', ')}\n`)
        if (r.ignoredResults > 0) process.stderr.write(`viva: warning: ${file}: ${r.ignoredResults} results of other types than timelinelabels skipped\n`)
        if (r.unannotatedTasks > 0) process.stderr.write(`viva: ${file}: ${r.unannotatedTasks} tasks without a submitted annotation skipped\n`)
        return 0
      }
      const options = { force: values.force === true }
      const result = values['dry-run']
        ? services.projects.previewImport(summary.id, text, mode, options)
        : services.projects.import(summary.id, text, mode, options)
      // How the file's dataset differs from this one (compareDatasetIdentity), on stderr like other warnings.
      for (const note of result.identityNotes ?? []) process.stderr.write(`viva: warning: ${file}: ${note}\n`)
      process.stdout.write(
        `${values['dry-run'] ? 'Would import' : 'Imported'} ${file} (${mode}): ${result.eventsAdded} events added, ` +
          `${result.eventsUpdated} updated, ${result.eventsRemoved} removed; ${result.episodesChanged} episodes changed; ` +
          `${result.taxonomiesAdded} taxonomy versions added\n`,
      )
    } finally {
      services.projects.close()
    }
    return 0
  },
})
