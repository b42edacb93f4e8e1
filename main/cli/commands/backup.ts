import { VivaError } from '../../../app/errors'
import { backupDataDir } from '../../store/backup'
import { defineCommand } from '../command'

export const backupCommand = defineCommand({
  name: 'backup',
  synopsis: 'backup --out DIR [--skip-values]',
  description:
    'Copy annotation projects, the value cache and settings out of the data folder (consistent while the app\n' +
    'runs; restore: copy back, app closed)',
  options: {
    out: { type: 'string', value: 'DIR', help: 'Where the copy goes' },
    'skip-values': { type: 'boolean', help: 'Leave out the value cache (it can be recomputed)' },
  },
  async run(_args, values, ctx) {
    if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'usage: viva backup --out DIR [--skip-values] [--data-dir DIR] [--projects-dir DIR]')
    const result = await backupDataDir({
      dataDir: ctx.dataDir,
      ...(ctx.projectsDir ? { projectsDir: ctx.projectsDir } : {}),
      out: values.out,
      skipValues: values['skip-values'] === true,
      version: await ctx.version(),
      writeGuard: ctx.guardFor(),
    })
    const total = result.files.reduce((a, f) => a + f.bytes, 0)
    process.stdout.write(`Backed up ${result.files.length} files (${(total / 1e6).toFixed(1)} MB) from ${ctx.dataDir} to ${result.out}\n`)
    for (const f of result.files) process.stdout.write(`  ${f.kind.padEnd(8)} ${f.path}\n`)
    return 0
  },
})
