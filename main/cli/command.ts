import { z } from 'zod'
import { VivaError } from '../../app/errors'
import type { Services } from '../compose'
import type { WriteGuard } from '../writeGuard'

/** One option of a command, as node:util parseArgs takes it, with what `--help` says about it. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
  /** The value's placeholder in help ("N", "DIR"); string options only. */
  value?: string
  /** One line; bounds read from the contract's schema are appended by boundsHelp. */
  help: string
  /** Still parsed (so that using it gets a clear message) but not listed. */
  hidden?: boolean
}

export type OptionTable = Record<string, OptionSpec>

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string
export type OptionValues<O extends OptionTable> = { [K in keyof O]?: ValueOf<O[K]> }

/** What every command gets besides its own options: the global options and the ways to build services. */
export interface CliContext {
  dataDir: string
  projectsDir: string | undefined
  version(): Promise<string>
  /**
   * The app's services (compose.ts) for this data folder and projects folder, as `viva serve` runs them; a command
   * that scores in the foreground passes `journalJobs: false`, so an interrupted run is not resumed by the app.
   */
  services(options?: { journalJobs?: boolean }): Promise<Services>
  /** The write guard of a command that writes without the services; `datasets` are the ones it reads. */
  guardFor(...datasets: (string | undefined)[]): WriteGuard
}

export interface Command<O extends OptionTable = OptionTable> {
  name: string
  /** Synopsis after `viva `: arguments and the options that matter most. */
  synopsis: string
  /** What the command does, a few lines. */
  description: string
  options: O
  /** The exit code; -1 keeps the process running (a server). */
  run(args: string[], values: OptionValues<O>, ctx: CliContext): Promise<number>
}

/** Keeps the option table's literal types, so `run` sees exactly its own options. */
export function defineCommand<const O extends OptionTable>(command: Command<O>): Command<O> {
  return command
}

/** A numeric schema of the contract, unwrapped from optional/nullable. */
function numberSchema(schema: z.ZodType): z.ZodNumber {
  let s: z.ZodType = schema
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType
  if (!(s instanceof z.ZodNumber)) throw new Error('not a number schema')
  return s
}

export interface NumberBounds {
  min: number
  max: number
  /** gt rather than min: the lower bound itself is refused. */
  minExclusive: boolean
  integer: boolean
}

/** The bounds a contract schema puts on a number, so the CLI states and checks exactly what the app does. */
export function numberBounds(schema: z.ZodType): NumberBounds {
  const s = numberSchema(schema)
  const min = s.minValue ?? -Infinity
  const max = s.maxValue ?? Infinity
  return { min, max, minExclusive: Number.isFinite(min) && !s.safeParse(min).success, integer: s.isInt === true }
}

/** "an integer from 1 to 100", "a number in (0, 1]": how help and errors state bounds. */
export function describeBounds(b: NumberBounds): string {
  if (b.integer && !b.minExclusive) return `an integer from ${b.min} to ${b.max}`
  return `${b.integer ? 'an integer' : 'a number'} in ${b.minExclusive ? '(' : '['}${b.min}, ${b.max}]`
}

/** An integer option checked by its contract schema; undefined when absent. */
export function intOption(raw: string | undefined, name: string, schema: z.ZodType): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  const b = numberBounds(schema)
  if (!Number.isInteger(n) || !numberSchema(schema).safeParse(n).success) {
    throw new VivaError('INVALID_ARGUMENT', `--${name} must be ${describeBounds(b)}, got "${raw}"`)
  }
  return n
}

/** A count or size with no bound in the contract (port, frames, width): any non-negative integer. */
export function countOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new VivaError('INVALID_ARGUMENT', `--${name} must be a non-negative integer, got "${value}"`)
  return n
}

/** A value among `choices`, or `fallback` when absent. */
export function choiceOption<const T extends string>(raw: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  const value = raw ?? fallback
  if (!(choices as readonly string[]).includes(value)) {
    const list = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`
    throw new VivaError('INVALID_ARGUMENT', `--${name} must be ${list}, got "${value}"`)
  }
  return value as T
}

/** Help text for an option bounded by a contract schema: its own text and the bounds. */
export function boundsHelp(help: string, schema: z.ZodType): string {
  return `${help} (${describeBounds(numberBounds(schema))})`
}
