import { matchToleranceSchema, methodSchemas, PROVIDERS, type ProviderRequest } from '../../app/contract'
import { VivaError } from '../../app/errors'
import { boundsHelp, describeBounds, intOption, numberBounds, type OptionSpec } from './command'

/** Options the analysis and scoring commands share, with the bounds of the contract's schemas. */
export const annotationsOption = { type: 'string', value: 'FILE.json', help: 'An annotation export (viva export, the app\'s JSON export)' } as const satisfies OptionSpec
export const valuesOption = { type: 'string', value: 'FILE|DIR', help: 'A curve file, or a folder of them (parquet, csv, json)' } as const satisfies OptionSpec

/** A time span's help: seconds or frames, each with the contract's bounds (app/timeSpan.ts). */
export function spanHelp(what: string): string {
  const [seconds, frames] = matchToleranceSchema.options
  return `${what}: seconds like 0.5s (${describeBounds(numberBounds(seconds.shape.seconds))}) or frames like 5f (${describeBounds(numberBounds(frames.shape.frames))})`
}

const score = methodSchemas['score.start'].shape

/** The scoring options of `viva score` and `viva detect --model`: bounds from the contract's score.start. */
export const scoringOptions = {
  steps: { type: 'string', value: 'N', help: boundsHelp('Flow integration steps', score.steps) },
  seed: { type: 'string', value: 'S', help: boundsHelp('Noise seed', score.seed) },
  provider: { type: 'string', value: 'P', help: PROVIDERS.join(', ') + ' (default auto)' },
  threads: { type: 'string', value: 'N', help: boundsHelp('CPU threads', score.threads) },
} as const satisfies Record<string, OptionSpec>

export { score as scoreSchema }

/** `--provider`, checked against the contract's list. */
function providerOption(raw: string | undefined): ProviderRequest {
  const provider = (raw ?? 'auto') as ProviderRequest
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new VivaError('INVALID_ARGUMENT', `--provider must be one of ${PROVIDERS.join(', ')}, got "${raw}"`)
  return provider
}

/**
 * The scoring options given, as the fields of the contract's score.start request; checked before anything is
 * opened or hashed, with the contract's limits.
 */
export function scoringRequest(v: { provider?: string | undefined; steps?: string | undefined; seed?: string | undefined; batch?: string | undefined; threads?: string | undefined }) {
  const provider = providerOption(v.provider)
  const steps = intOption(v.steps, 'steps', score.steps)
  const seed = intOption(v.seed, 'seed', score.seed)
  const batch = intOption(v.batch, 'batch', score.batch)
  const threads = intOption(v.threads, 'threads', score.threads)
  return {
    provider,
    ...(steps !== undefined ? { steps } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(batch !== undefined ? { batch } : {}),
    ...(threads !== undefined ? { threads } : {}),
  }
}
