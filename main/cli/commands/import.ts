import path from 'node:path'
import { IMPORT_MODES } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { fsReason } from '../../fsErrors'
import { READ_LIMITS, readTextFile } from '../../safeRead'
import { choiceOption, defineCommand } from '../command'
import { openForAnnotations, projectOption } from '../projectServices'

export const importCommand = defineCommand({
  name: 'import',
  synopsis: 'import <dataset> <file.json> [--mode merge|replace] [--dry-run] [--force] [--project FILE]',
  description:
    'Validate a canonical JSON export and apply it in one transaction; a file made for other data (fps, episode\n' +
    'lengths) is refused unless --force',
  options: {
    mode: { type: 'string', value: 'M', help: `${IMPORT_MODES.join(' or ')} (default merge)` },
    'dry-run': { type: 'boolean', help: 'Say what would change; change nothing' },
    force: { type: 'boolean', help: 'Import a file made for other data anyway' },
    project: projectOption,
  },
  async run([root, file], values, ctx) {
    const usage = 'usage: viva import <dataset> <file.json> [--mode merge|replace] [--dry-run] [--force]'
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
