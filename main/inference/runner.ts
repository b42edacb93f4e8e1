import * as ort from 'onnxruntime-node'
import type { ModelInfo, ProviderInfo, ProviderRequest } from '../../app/contract'
import { VivaError } from '../../app/errors'
import {
  denormalizeState,
  drawSeed,
  EPISODE_NOISE_FRAME,
  eulerStep,
  expectedFromLogits,
  firstNonFinite,
  flowSigmas,
  frameMean,
  frameNoise,
  imagesToInput,
  latentToProgress,
  normalizeState,
  repeatPad,
  unpadState,
} from './flowMath'
import { cameraSlotNames, type DirectManifest, type ModelPackage, type VivaFlowManifest } from './manifest'
import { checkGraphIo, openSessions } from './session'

export interface RunnerOptions {
  provider?: ProviderRequest
  threads?: number
}

export interface PredictOptions {
  steps: number
  seed: number
  episode: number
  /** Frame index of the first row, for the per-frame noise. */
  firstFrame: number
  /** Initial noise of the target frames (count × 2 × latent size), instead of the seeded noise (parity tests). */
  noise?: Float32Array
  /** Receives the final target frames (count × 2 × latent size) when given (parity tests). */
  targetsOut?: Float32Array
}

export interface Prediction {
  /** One value per frame as progress (higher = closer to success), whatever the manifest's convention. */
  values: Float32Array
  /** count × stateDim predicted future state in original units; null for direct models. */
  future: Float32Array | null
}

/**
 * A value model, as two stages so the scoring pipeline can overlap them: `features` turns decoded frames into what
 * `predict` consumes (camera latents for viva-flow, normalized images for direct models).
 */
export interface ValueRunner {
  readonly pkg: ModelPackage
  readonly provider: ProviderInfo
  /** Floats per frame that `features` produces. */
  readonly featureSize: number
  /** Whether features depend only on the pixels and the graph (so they can be cached per frame). */
  readonly cacheableFeatures: boolean
  /** pixels: count × cameras × H × W × 3 (rgb24). */
  features(pixels: Uint8Array, count: number): Promise<Float32Array>
  /** state: count × stateDim in original units. */
  predict(features: Float32Array, state: Float32Array, count: number, taskId: number, options: PredictOptions): Promise<Prediction>
  release(): Promise<void>
}

function output(result: ort.InferenceSession.ReturnType, name: string, file: string): Float32Array {
  const t = result[name]
  if (!t || !(t.data instanceof Float32Array)) throw new VivaError('MODEL_FAILED', `${file}: output "${name}" missing or not float32`, file)
  return t.data
}

function checkFinite(values: Float32Array, file: string, what: string, perRow: number): void {
  const at = firstNonFinite(values)
  if (at >= 0) {
    throw new VivaError(
      'MODEL_FAILED',
      `${file}: ${what} contains ${String(values[at])} (row ${Math.floor(at / perRow)} of the batch); the model is broken or its inputs are out of range`,
      file,
    )
  }
}

function checkState(state: Float32Array, count: number, dim: number): void {
  if (state.length !== count * dim) {
    throw new VivaError('INVALID_ARGUMENT', `state has ${state.length} values for ${count} frames; the model needs ${dim} per frame`)
  }
}

export class VivaFlowRunner implements ValueRunner {
  readonly cacheableFeatures = true
  readonly featureSize: number
  private readonly m: VivaFlowManifest
  private readonly latentN: number

  private constructor(
    readonly pkg: ModelPackage,
    readonly provider: ProviderInfo,
    private readonly encoder: ort.InferenceSession,
    private readonly denoiser: ort.InferenceSession,
  ) {
    this.m = pkg.manifest as VivaFlowManifest
    this.latentN = this.m.latent.channels * this.m.latent.height * this.m.latent.width
    this.featureSize = this.m.cameras.length * this.latentN
  }

  static async open(pkg: ModelPackage, options: RunnerOptions = {}): Promise<VivaFlowRunner> {
    const m = pkg.manifest
    if (m.kind !== 'viva-flow') throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: kind ${m.kind}, expected viva-flow`, pkg.manifestFile)
    const files = { encoder: pkg.files.encoder ?? '', denoiser: pkg.files.denoiser ?? '' }
    const opened = await openSessions(files, options.provider ?? 'auto', options.threads)
    const encoder = opened.sessions.encoder as ort.InferenceSession
    const denoiser = opened.sessions.denoiser as ort.InferenceSession
    try {
      checkGraphIo(encoder, files.encoder, m.files.encoder.inputs ?? [], m.files.encoder.outputs ?? [])
      checkGraphIo(denoiser, files.denoiser, m.files.denoiser.inputs ?? [], m.files.denoiser.outputs ?? [])
      const enc = m.files.encoder
      const den = m.files.denoiser
      if (enc.inputs?.length !== 1 || enc.outputs?.length !== 1) throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: files.encoder needs one input and one output`, pkg.manifestFile)
      if (den.inputs?.length !== 3 || den.outputs?.length !== 1) {
        throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: files.denoiser needs inputs (latents, sigma, task_id) and one output`, pkg.manifestFile)
      }
    } catch (err) {
      await encoder.release()
      await denoiser.release()
      throw err
    }
    return new VivaFlowRunner(pkg, opened.provider, encoder, denoiser)
  }

  async features(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const { height: H, width: W, normalization, channel_order } = this.m.image
    const cams = this.m.cameras.length
    if (pixels.length !== count * cams * H * W * 3) {
      throw new VivaError('INVALID_ARGUMENT', `expected ${count}×${cams} images of ${W}×${H}×3 bytes, got ${pixels.length} bytes`)
    }
    const input = new Float32Array(count * cams * 3 * H * W)
    imagesToInput(pixels, 0, count * cams, H, W, normalization.scale, normalization.offset, channel_order === 'BGR', input, 0)
    const enc = this.m.files.encoder
    const inName = enc.inputs?.[0]?.name ?? 'image'
    const outName = enc.outputs?.[0]?.name ?? 'latent'
    const result = await this.encoder.run({ [inName]: new ort.Tensor('float32', input, [count * cams, 3, H, W]) })
    const latents = output(result, outName, this.pkg.files.encoder ?? '')
    if (latents.length !== count * this.featureSize) {
      throw new VivaError('MODEL_FAILED', `${this.pkg.files.encoder}: output has ${latents.length} values, expected ${count * this.featureSize}`, this.pkg.files.encoder)
    }
    checkFinite(latents, this.pkg.files.encoder ?? '', `output "${outName}"`, this.latentN * cams)
    return latents
  }

  async predict(features: Float32Array, state: Float32Array, count: number, taskId: number, o: PredictOptions): Promise<Prediction> {
    const m = this.m
    const D = m.state.dim
    checkState(state, count, D)
    const n = this.latentN
    const F = m.latent.num_frames
    const cams = m.cameras.length
    const qn = normalizeState(state, m.state.min, m.state.max, m.state.normalization.eps)
    // Sequence [blank, q_t, cameras..., future state, value] per row; the target frames are filled per draw below.
    const seq = new Float32Array(count * F * n)
    for (let b = 0; b < count; b++) {
      const row = b * F * n
      repeatPad(qn, b * D, D, seq, row + n, n)
      seq.set(features.subarray(b * cams * n, (b + 1) * cams * n), row + 2 * n)
    }
    // Explicit noise (parity tests) is one draw; otherwise the manifest's readout (absent: one seeded draw).
    const readout = o.noise ? { noise: 'sample' as const, samples: 1 } : { noise: m.scheduler.readout?.noise ?? 'sample', samples: m.scheduler.readout?.samples ?? 1 }
    const sum = readout.samples > 1 ? new Float32Array(count * 2 * n) : null
    for (let k = 0; k < readout.samples; k++) {
      for (let b = 0; b < count; b++) {
        const at = b * F * n + (F - 2) * n
        if (o.noise) seq.set(o.noise.subarray(b * 2 * n, (b + 1) * 2 * n), at)
        else if (readout.noise === 'zero') seq.fill(0, at, at + 2 * n)
        else if (readout.noise === 'episode') {
          if (b === 0) frameNoise(drawSeed(o.seed, k), o.episode, EPISODE_NOISE_FRAME, seq, at, 2 * n)
          else seq.copyWithin(at, F * n - 2 * n, F * n)
        } else if (readout.noise === 'antithetic') {
          // Draws 2j and 2j + 1 are the pair (n_j, −n_j); draw 0 is still the single-draw noise.
          frameNoise(drawSeed(o.seed, k >> 1), o.episode, o.firstFrame + b, seq, at, 2 * n)
          if (k % 2 === 1) for (let j = at; j < at + 2 * n; j++) seq[j] = -(seq[j] as number)
        } else frameNoise(drawSeed(o.seed, k), o.episode, o.firstFrame + b, seq, at, 2 * n)
      }
      await this.denoise(seq, count, taskId, o.steps)
      if (sum) for (let b = 0; b < count; b++) for (let j = 0; j < 2 * n; j++) sum[b * 2 * n + j] = (sum[b * 2 * n + j] as number) + (seq[b * F * n + (F - 2) * n + j] as number)
    }
    // The average of the draws' final target frames: its value-frame mean is the mean of the draws' value means.
    if (sum) for (let b = 0; b < count; b++) for (let j = 0; j < 2 * n; j++) seq[b * F * n + (F - 2) * n + j] = (sum[b * 2 * n + j] as number) / readout.samples
    if (o.targetsOut) for (let b = 0; b < count; b++) o.targetsOut.set(seq.subarray(b * F * n + (F - 2) * n, (b + 1) * F * n), b * 2 * n)
    const values = new Float32Array(count)
    const futureNorm = new Float32Array(count * D)
    for (let b = 0; b < count; b++) {
      const row = b * F * n
      const mean = frameMean(seq, row + (F - 1) * n, n)
      values[b] = m.value.convention === 'progress' ? latentToProgress(mean) : 1 - latentToProgress(mean)
      futureNorm.set(unpadState(seq, row + (F - 2) * n, n, D), b * D)
    }
    return { values, future: denormalizeState(futureNorm, m.state.min, m.state.max, m.state.normalization.eps) }
  }

  /** The Euler sampler on the target frames of `seq` (count rows), in place; the conditioning prefix stays clean. */
  private async denoise(seq: Float32Array, count: number, taskId: number, steps: number): Promise<void> {
    const m = this.m
    const n = this.latentN
    const F = m.latent.num_frames
    const sigmas = flowSigmas(steps, m.scheduler.shift)
    const den = m.files.denoiser
    const [seqName, sigmaName, taskName] = (den.inputs ?? []).map((i) => i.name)
    const outName = den.outputs?.[0]?.name ?? 'velocity'
    const file = this.pkg.files.denoiser ?? ''
    const tasks = new BigInt64Array(count).fill(BigInt(taskId))
    const target = new Float32Array(2 * n)
    for (let i = 0; i < sigmas.length; i++) {
      const s = sigmas[i] as number
      const next = sigmas[i + 1] ?? 0
      const result = await this.denoiser.run({
        [seqName ?? 'latents']: new ort.Tensor('float32', seq, [count, F, m.latent.channels, m.latent.height, m.latent.width]),
        [sigmaName ?? 'sigma']: new ort.Tensor('float32', new Float32Array(count).fill(s), [count]),
        [taskName ?? 'task_id']: new ort.Tensor('int64', tasks, [count]),
      })
      const v = output(result, outName, file)
      checkFinite(v, file, `output "${outName}"`, F * n)
      for (let b = 0; b < count; b++) {
        const at = b * F * n + (F - 2) * n
        target.set(seq.subarray(at, at + 2 * n))
        eulerStep(target, v, at, next - s)
        seq.set(target, at)
      }
    }
  }

  /** One raw denoiser call (parity tests). */
  async velocity(seq: Float32Array, count: number, sigma: number, taskId: number): Promise<Float32Array> {
    const m = this.m
    const [seqName, sigmaName, taskName] = (m.files.denoiser.inputs ?? []).map((i) => i.name)
    const result = await this.denoiser.run({
      [seqName ?? 'latents']: new ort.Tensor('float32', seq, [count, m.latent.num_frames, m.latent.channels, m.latent.height, m.latent.width]),
      [sigmaName ?? 'sigma']: new ort.Tensor('float32', new Float32Array(count).fill(sigma), [count]),
      [taskName ?? 'task_id']: new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(taskId)), [count]),
    })
    return output(result, m.files.denoiser.outputs?.[0]?.name ?? 'velocity', this.pkg.files.denoiser ?? '')
  }

  async release(): Promise<void> {
    await this.encoder.release()
    await this.denoiser.release()
  }
}

export class DirectRunner implements ValueRunner {
  readonly cacheableFeatures = false
  readonly featureSize: number
  private readonly m: DirectManifest

  private constructor(
    readonly pkg: ModelPackage,
    readonly provider: ProviderInfo,
    private readonly session: ort.InferenceSession,
  ) {
    this.m = pkg.manifest as DirectManifest
    this.featureSize = this.m.cameras.length * 3 * this.m.image.height * this.m.image.width
  }

  static async open(pkg: ModelPackage, options: RunnerOptions = {}): Promise<DirectRunner> {
    const m = pkg.manifest
    if (m.kind !== 'direct') throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: kind ${m.kind}, expected direct`, pkg.manifestFile)
    const file = pkg.files.model ?? ''
    const opened = await openSessions({ model: file }, options.provider ?? 'auto', options.threads)
    const session = opened.sessions.model as ort.InferenceSession
    try {
      checkGraphIo(session, file, m.files.model.inputs ?? [], m.files.model.outputs ?? [])
      const names = (m.files.model.inputs ?? []).map((i) => i.name)
      if (!names.includes('images')) throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: a direct model needs an input named "images"`, pkg.manifestFile)
      const outs = (m.files.model.outputs ?? []).map((o) => o.name)
      if (!outs.includes('value') && !outs.includes('logits')) {
        throw new VivaError('MODEL_INVALID', `${pkg.manifestFile}: a direct model needs an output named "value" or "logits"`, pkg.manifestFile)
      }
    } catch (err) {
      await session.release()
      throw err
    }
    return new DirectRunner(pkg, opened.provider, session)
  }

  async features(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const { height: H, width: W, normalization, channel_order } = this.m.image
    const cams = this.m.cameras.length
    if (pixels.length !== count * cams * H * W * 3) {
      throw new VivaError('INVALID_ARGUMENT', `expected ${count}×${cams} images of ${W}×${H}×3 bytes, got ${pixels.length} bytes`)
    }
    const input = new Float32Array(count * this.featureSize)
    imagesToInput(pixels, 0, count * cams, H, W, normalization.scale, normalization.offset, channel_order === 'BGR', input, 0)
    return input
  }

  async predict(features: Float32Array, state: Float32Array, count: number, taskId: number): Promise<Prediction> {
    const m = this.m
    const D = m.state.dim
    checkState(state, count, D)
    const file = this.pkg.files.model ?? ''
    const feeds: Record<string, ort.Tensor> = {}
    for (const spec of m.files.model.inputs ?? []) {
      if (spec.name === 'images') feeds.images = new ort.Tensor('float32', features, [count, m.cameras.length, 3, m.image.height, m.image.width])
      else if (spec.name === 'state') feeds.state = new ort.Tensor('float32', normalizeState(state, m.state.min, m.state.max, m.state.normalization.eps), [count, D])
      else if (spec.name === 'task_id') feeds.task_id = new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(taskId)), [count])
      else throw new VivaError('MODEL_INVALID', `${this.pkg.manifestFile}: unknown direct-model input "${spec.name}"`, this.pkg.manifestFile)
    }
    const result = await this.session.run(feeds)
    let values: Float32Array
    if (result.value) {
      values = Float32Array.from(output(result, 'value', file))
    } else {
      const logits = output(result, 'logits', file)
      const bins = m.direct?.bins ?? logits.length / count
      values = new Float32Array(count)
      for (let b = 0; b < count; b++) values[b] = expectedFromLogits(logits, b * bins, bins)
    }
    if (values.length !== count) throw new VivaError('MODEL_FAILED', `${file}: value output has ${values.length} entries for ${count} frames`, file)
    checkFinite(values, file, 'the value output', 1)
    if (m.value.convention === 'remaining') for (let b = 0; b < count; b++) values[b] = 1 - (values[b] as number)
    return { values, future: null }
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}

export async function openRunner(pkg: ModelPackage, options: RunnerOptions = {}): Promise<ValueRunner> {
  return pkg.manifest.kind === 'viva-flow' ? VivaFlowRunner.open(pkg, options) : DirectRunner.open(pkg, options)
}

/** What the renderer is told about a package. */
export function modelInfo(pkg: ModelPackage, source: ModelInfo['source']): ModelInfo {
  const m = pkg.manifest
  return {
    id: pkg.id,
    name: m.name,
    kind: m.kind,
    dir: pkg.dir,
    source,
    cameras: cameraSlotNames(m),
    stateDim: m.state.dim,
    stateNames: m.state.names,
    fps: m.fps,
    horizon: m.K,
    defaultSteps: m.kind === 'viva-flow' ? m.scheduler.default_steps : 0,
    imageSize: [m.image.width, m.image.height],
    error: null,
  }
}
