import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { VivaError } from '../../app/errors'
import { composeServices, composeWriteGuard } from '../compose'
import { defaultDataDir, PACKAGE_ROOT } from '../paths'
import type { CliContext, Command, OptionSpec, OptionTable, OptionValues } from './command'

/** Options every command takes. */
const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h', help: 'This help; `viva <command> --help` for one command' },
  'data-dir': { type: 'string', value: 'DIR', help: `Caches, demo, projects (default ${defaultDataDir()})` },
  'projects-dir': { type: 'string', value: 'DIR', help: 'Annotation projects (default <data-dir>/projects)' },
} satisfies OptionTable

function optionLines(options: OptionTable): string[] {
  return Object.entries(options)
    .filter(([, o]) => !o.hidden)
    .map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'X'}` : ''}${o.multiple ? ' (repeatable)' : ''}`
      return `      ${flag.padEnd(30)} ${o.help}`
    })
}

export function commandHelp(c: Command): string {
  const lines = [`  viva ${c.synopsis}`, ...c.description.split('\n').map((l) => `      ${l}`)]
  const own = optionLines(c.options)
  return [...lines, ...(own.length > 0 ? ['    options:', ...own] : [])].join('\n')
}

export function usage(commands: readonly Command[]): string {
  return [
    'viva — ViVa Studio command line',
    '',
    ...commands.flatMap((c) => [commandHelp(c), '']),
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
  ].join('\n')
}

/**
 * The command named in `argv`: the first argument that is neither an option nor an option's value. Read with every
 * command's options, so `viva --data-dir D score ...` finds `score`.
 */
function commandName(argv: string[], commands: readonly Command[]): string | undefined {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS }
  for (const c of commands) Object.assign(all, c.options)
  const { tokens } = parseArgs({ args: joinNegativeValues(argv, all), options: parseOptions(all), allowPositionals: true, strict: false, tokens: true })
  return tokens.find((t) => t.kind === 'positional')?.value
}

/**
 * `--failure-reward -300` as `--failure-reward=-300`: parseArgs refuses a value that starts with a dash as ambiguous
 * (it could be a forgotten value followed by an option), but no option is named like a negative number, so a
 * string option followed by one takes it.
 */
export function joinNegativeValues(argv: readonly string[], options: OptionTable): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const next = argv[i + 1]
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : null
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

/** An option table as parseArgs takes it. */
function parseOptions(options: OptionTable): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }]),
  )
}

function context(values: { 'data-dir'?: string; 'projects-dir'?: string }): CliContext {
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir()
  const projectsDir = values['projects-dir'] ? path.resolve(values['projects-dir']) : undefined
  const version = async (): Promise<string> => (JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version
  return {
    dataDir,
    projectsDir,
    version,
    services: async (options = {}) => composeServices({ mode: 'browser', version: await version(), dataDir, ...(projectsDir ? { projectsDir } : {}), ...options }),
    guardFor: (...datasets) =>
      composeWriteGuard({ dataDir, ...(projectsDir ? { projectsDir } : {}), datasets: () => datasets.flatMap((d) => (d ? [path.resolve(d)] : [])) }),
  }
}

/** Parses `argv` against the named command's own options (and the global ones), then runs it. */
export async function runCli(argv: string[], commands: readonly Command[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const name = commandName(argv, commands)
  const command = commands.find((c) => c.name === name)
  if (name !== undefined && name !== 'help' && !command) {
    throw new VivaError('INVALID_ARGUMENT', `Unknown command "${name}". Run viva --help.`)
  }
  const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) }
  const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, options), allowPositionals: true, options: parseOptions(options) })
  const help = values.help === true
  if (!command) {
    // `viva help score` is `viva score --help`.
    const about = commands.find((c) => c.name === positionals[1])
    out.write(`${about ? commandHelp(about) : usage(commands)}\n`)
    return name === undefined && !help ? 1 : 0
  }
  if (help) {
    out.write(`${commandHelp(command)}\n\nOptions of every command:\n${optionLines(GLOBAL_OPTIONS).join('\n')}\n`)
    return 0
  }
  return command.run(positionals.slice(1), values as OptionValues<OptionTable>, context(values as { 'data-dir'?: string; 'projects-dir'?: string }))
}
