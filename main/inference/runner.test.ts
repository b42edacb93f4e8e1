import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejected } from '../../app/testing/thrown'
import { PACKAGE_ROOT } from '../paths'
import { loadModelPackage } from './manifest'
import { DirectRunner, VivaFlowRunner, openRunner } from './runner'

// Parity with the PyTorch code: reference.json holds inputs and outputs computed by models/viva/viva/export.py.
const VIVA = path.join(PACKAGE_ROOT, 'models', 'viva-reference')
const BASELINE = path.join(PACKAGE_ROOT, 'models', 'baseline-reference')

interface EncodedTensor {
  dtype: 'float32' | 'uint8' | 'int64'
  shape: number[]
  data: string
}

function decode(t: EncodedTensor): Float32Array | Uint8Array {
  const bytes = Buffer.from(t.data, 'base64')
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  if (t.dtype === 'uint8') return copy
  if (t.dtype === 'float32') return new Float32Array(copy.buffer)
  throw new Error(`unexpected dtype ${t.dtype}`)
}
const f32 = (t: EncodedTensor): Float32Array => decode(t) as Float32Array
const u8 = (t: EncodedTensor): Uint8Array => decode(t) as Uint8Array

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)))
  return m
}

interface FlowCase {
  inputs: { images_u8: EncodedTensor; state: EncodedTensor; task_id: number; noise: EncodedTensor }
  latents: EncodedTensor
  state_norm: EncodedTensor
  denoiser_step: { sigma: number; input: EncodedTensor; velocity: EncodedTensor }
  steps_1: { target_frames: EncodedTensor; progress: number; future_state: EncodedTensor; value_latent_mean: number }
  steps_4: { target_frames: EncodedTensor; progress: number; future_state: EncodedTensor; value_latent_mean: number }
}

const TOL = 1e-4

describe('viva-flow runner parity with the PyTorch reference vectors', () => {
  let runner: VivaFlowRunner
  let cases: FlowCase[]
  beforeAll(async () => {
    const pkg = await loadModelPackage(VIVA)
    runner = await VivaFlowRunner.open(pkg, { provider: 'cpu', threads: 1 })
    cases = (JSON.parse(await readFile(path.join(VIVA, 'reference.json'), 'utf8')) as { cases: FlowCase[] }).cases
    expect(cases.length).toBeGreaterThan(0)
  })
  afterAll(async () => runner.release())

  it('matches encoder outputs, one denoiser step and the 1- and 4-step predictions to 1e-4', async () => {
    for (const c of cases) {
      const latents = await runner.features(u8(c.inputs.images_u8), 1)
      expect(maxAbsDiff(latents, f32(c.latents))).toBeLessThan(TOL)

      const v = await runner.velocity(f32(c.denoiser_step.input), 1, c.denoiser_step.sigma, c.inputs.task_id)
      expect(maxAbsDiff(v, f32(c.denoiser_step.velocity))).toBeLessThan(TOL)

      for (const [steps, ref] of [[1, c.steps_1], [4, c.steps_4]] as const) {
        const targets = new Float32Array(f32(c.inputs.noise).length)
        const p = await runner.predict(latents, f32(c.inputs.state), 1, c.inputs.task_id, {
          steps,
          seed: 0,
          episode: 0,
          firstFrame: 0,
          noise: f32(c.inputs.noise),
          targetsOut: targets,
        })
        expect(maxAbsDiff(targets, f32(ref.target_frames))).toBeLessThan(TOL)
        expect(Math.abs((p.values[0] as number) - ref.progress)).toBeLessThan(TOL)
        expect(p.future).not.toBeNull()
        // Future state is in joint units (denormalized); the tolerance applies to the normalized prediction.
        expect(maxAbsDiff(p.future ?? [], f32(ref.future_state))).toBeLessThan(TOL * 4)
      }
    }
  })

  it('batches give the same values as single frames, and seeded noise is reproducible', async () => {
    const c = cases[0] as FlowCase
    const one = await runner.features(u8(c.inputs.images_u8), 1)
    const images = u8(c.inputs.images_u8)
    const two = new Uint8Array(images.length * 2)
    two.set(images, 0)
    two.set(images, images.length)
    const batch = await runner.features(two, 2)
    expect(maxAbsDiff(batch.subarray(0, one.length), one)).toBeLessThan(1e-5)
    const state = f32(c.inputs.state)
    const states = new Float32Array(state.length * 2)
    states.set(state, 0)
    states.set(state, state.length)
    const a = await runner.predict(batch, states, 2, 0, { steps: 2, seed: 7, episode: 3, firstFrame: 10 })
    const b = await runner.predict(one, state, 1, 0, { steps: 2, seed: 7, episode: 3, firstFrame: 11 })
    // Row 1 of the batch is frame 11: same noise, same inputs, same value.
    expect(Math.abs((a.values[1] as number) - (b.values[0] as number))).toBeLessThan(1e-5)
    const other = await runner.predict(one, state, 1, 0, { steps: 2, seed: 8, episode: 3, firstFrame: 11 })
    expect(other.values[0]).not.toBe(b.values[0])
  })

  it('refuses pixel buffers and states of the wrong size', async () => {
    expect((await rejected(() => runner.features(new Uint8Array(10), 1))).message).toMatch(/expected 1×3 images of 64×64×3 bytes, got 10 bytes/)
    const lat = new Float32Array(runner.featureSize)
    expect((await rejected(() => runner.predict(lat, new Float32Array(3), 1, 0, { steps: 1, seed: 0, episode: 0, firstFrame: 0 }))).message).toMatch(
      /state has 3 values for 1 frames; the model needs 14/,
    )
  })
})

describe('direct runner parity', () => {
  it('matches the baseline reference value (expected value over return bins) to 1e-4', async () => {
    const pkg = await loadModelPackage(BASELINE)
    const runner = await DirectRunner.open(pkg, { provider: 'cpu', threads: 1 })
    try {
      const ref = JSON.parse(await readFile(path.join(BASELINE, 'reference.json'), 'utf8')) as {
        cases: { inputs: { images_u8: EncodedTensor; state: EncodedTensor; task_id: number }; value: number }[]
      }
      for (const c of ref.cases) {
        const feats = await runner.features(u8(c.inputs.images_u8), 1)
        const p = await runner.predict(feats, f32(c.inputs.state), 1, c.inputs.task_id)
        expect(Math.abs((p.values[0] as number) - c.value)).toBeLessThan(TOL)
        expect(p.future).toBeNull()
      }
    } finally {
      await runner.release()
    }
  })
})

describe('provider selection', () => {
  it('falls back to CPU and says why when the GPU provider cannot load', async () => {
    const pkg = await loadModelPackage(BASELINE)
    const runner = await openRunner(pkg, { provider: 'cuda', threads: 1 })
    try {
      expect(runner.provider.requested).toBe('cuda')
      expect(runner.provider.tried).toEqual(['cuda', 'cpu'])
      if (runner.provider.active === 'cpu') expect(runner.provider.fallbackReason).toMatch(/cuda|CUDA/)
    } finally {
      await runner.release()
    }
  })

  it('names the graph file and the mismatch when the graph does not match the manifest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'viva-model-'))
    try {
      await cp(BASELINE, dir, { recursive: true })
      const file = path.join(dir, 'viva-model.json')
      const manifest = JSON.parse(await readFile(file, 'utf8')) as { files: { model: { inputs: { shape: (number | string)[] }[] } } }
      const images = manifest.files.model.inputs[0]
      if (images) images.shape = ['batch', 3, 3, 32, 32]
      await writeFile(file, JSON.stringify(manifest))
      const err = await rejected(async () => openRunner(await loadModelPackage(dir), { provider: 'cpu' }))
      expect(err.code).toBe('MODEL_INVALID')
      expect(err.message).toContain('baseline.onnx')
      expect(err.message).toMatch(/input "images" dimension 3 is 64 in the graph, 32 in the manifest/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
