import os from 'node:os'
import * as ort from 'onnxruntime-node'
import type { ProviderInfo, ProviderRequest } from '../../app/contract'
import { VivaError } from '../../app/errors'
import type { TensorSpec } from './manifest'

/** The GPU provider to try first on each platform when the user asks for 'auto'. */
export function gpuProviderFor(platform: NodeJS.Platform): string | null {
  if (platform === 'linux') return 'cuda'
  if (platform === 'win32') return 'dml'
  if (platform === 'darwin') return 'coreml'
  return null
}

/** Providers to try, in order; CPU always ends the list because it ships inside onnxruntime-node. */
export function providerOrder(requested: ProviderRequest, platform: NodeJS.Platform = process.platform): string[] {
  if (requested === 'cpu') return ['cpu']
  if (requested === 'auto') {
    const gpu = gpuProviderFor(platform)
    return gpu ? [gpu, 'cpu'] : ['cpu']
  }
  return [requested, 'cpu']
}

export function defaultThreads(): number {
  // Every core per session: the scoring pipeline overlaps encoder and denoiser calls, and with spinning off (below)
  // the two pools share the cores without stealing them (bench/scoring.ts, 2 cores: ~190 frames/s model alone).
  return Math.max(1, os.availableParallelism())
}

/** Why a provider could not be used, in words a user can act on. */
function explainFailure(provider: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (provider === 'cuda' && /shared librar|libonnxruntime_providers|cannot open/i.test(message)) {
    return 'CUDA provider libraries are not installed (see README: "GPU inference"); ' + message.split('\n')[0]
  }
  return `${provider} failed: ${message.split('\n')[0]}`
}

// The runtime logs a failed GPU provider load as an error on stderr; the fallback reason already says it, once.
ort.env.logLevel = 'fatal'

function supported(): Map<string, boolean> {
  const out = new Map<string, boolean>()
  for (const b of ort.listSupportedBackends()) out.set(b.name, b.bundled)
  return out
}

export interface OpenedSessions {
  sessions: Record<string, ort.InferenceSession>
  provider: ProviderInfo
}

/**
 * Create one session per graph on the first provider that works for all of them; each fallback keeps its reason
 * so the UI and the CLI can say why the GPU is not used.
 */
export async function openSessions(
  files: Record<string, string>,
  requested: ProviderRequest,
  threads: number = defaultThreads(),
): Promise<OpenedSessions> {
  const order = providerOrder(requested)
  const available = supported()
  const reasons: string[] = []
  const tried: string[] = []
  for (const provider of order) {
    tried.push(provider)
    if (provider !== 'cpu' && !available.has(provider)) {
      reasons.push(`${provider} is not part of this onnxruntime-node build (it has ${[...available.keys()].join(', ')})`)
      continue
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Encoder and denoiser sessions take turns; spinning idle workers of one pool steal the cores the other (and
      // ffmpeg) needs. Measured on 2 cores alternating the two graphs: 110 → 188 frames/s at batch 4 with it off.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    }
    const sessions: Record<string, ort.InferenceSession> = {}
    try {
      for (const [role, file] of Object.entries(files)) sessions[role] = await ort.InferenceSession.create(file, options)
      return {
        sessions,
        provider: { requested, tried, active: provider, fallbackReason: reasons.length > 0 ? reasons.join('; ') : null, threads },
      }
    } catch (err) {
      for (const s of Object.values(sessions)) await s.release().catch(() => undefined)
      if (provider === 'cpu') {
        const file = Object.values(files)[Object.keys(sessions).length] ?? Object.values(files)[0]
        throw new VivaError('MODEL_INVALID', `${file}: onnxruntime cannot load it: ${(err as Error).message.split('\n')[0]}`, file)
      }
      reasons.push(explainFailure(provider, err))
    }
  }
  throw new VivaError('MODEL_FAILED', `No execution provider could run the model: ${reasons.join('; ')}`)
}

/** Check a session's graph inputs/outputs against the manifest: names, element types, fixed dimensions. */
export function checkGraphIo(session: ort.InferenceSession, file: string, inputs: TensorSpec[], outputs: TensorSpec[]): void {
  const problems: string[] = []
  const compare = (kind: 'input' | 'output', meta: readonly ort.InferenceSession.ValueMetadata[], specs: TensorSpec[]): void => {
    const names = meta.map((m) => m.name)
    for (const spec of specs) {
      const m = meta.find((x) => x.name === spec.name)
      if (!m) {
        problems.push(`${kind} "${spec.name}" is in the manifest but not in the graph (graph ${kind}s: ${names.join(', ')})`)
        continue
      }
      if (!m.isTensor) {
        problems.push(`${kind} "${spec.name}" is not a tensor`)
        continue
      }
      if (m.type !== spec.dtype) problems.push(`${kind} "${spec.name}" is ${m.type} in the graph, ${spec.dtype} in the manifest`)
      if (m.shape.length > 0 && m.shape.length !== spec.shape.length) {
        problems.push(`${kind} "${spec.name}" has rank ${m.shape.length} in the graph, ${spec.shape.length} in the manifest`)
        continue
      }
      m.shape.forEach((d, i) => {
        const s = spec.shape[i]
        if (typeof d === 'number' && d > 0 && typeof s === 'number' && d !== s) {
          problems.push(`${kind} "${spec.name}" dimension ${i} is ${d} in the graph, ${s} in the manifest`)
        }
      })
    }
    for (const m of meta) {
      if (kind === 'input' && !specs.some((s) => s.name === m.name)) problems.push(`graph input "${m.name}" is not described by the manifest`)
    }
  }
  compare('input', session.inputMetadata, inputs)
  compare('output', session.outputMetadata, outputs)
  if (problems.length > 0) throw new VivaError('MODEL_INVALID', `${file}: graph does not match the manifest:\n  ${problems.join('\n  ')}`, file)
}
