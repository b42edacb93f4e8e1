import { createHash, randomBytes } from 'node:crypto'
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejected } from '../../app/testing/thrown'
import { loadModelPackage, MANIFEST_FILE } from './manifest'
import { DirectRunner, openRunner } from './runner'

// Broken models must fail with a clear error naming the file, never produce NaN curves or crash the app.
// The fixtures come from models/viva/make_bad_fixtures.py (see its header to regenerate them).
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const NAN_VALUE = path.join(FIXTURES, 'nan-value')
const SHAPE_MISMATCH = path.join(FIXTURES, 'shape-mismatch')

let tmp = ''
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-badmodels-')))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** One frame of the fixtures' input: 1 camera of 8 × 8 RGB pixels and a 2-dimensional state. */
function oneFrame(): { pixels: Uint8Array; state: Float32Array } {
  return { pixels: new Uint8Array(8 * 8 * 3).fill(100), state: new Float32Array([0.25, -0.5]) }
}

describe('model fixtures', () => {
  it('are valid packages whose hashes match (regenerated files must keep the manifest in step)', async () => {
    for (const dir of [NAN_VALUE, SHAPE_MISMATCH]) {
      const pkg = await loadModelPackage(dir)
      expect(pkg.manifest.kind).toBe('direct')
      expect(path.basename(pkg.files.model ?? '')).toBe('model.onnx')
    }
  })
})

describe('a model whose value output is NaN', () => {
  it('opens, then predict rejects with MODEL_FAILED naming the .onnx file', async () => {
    const pkg = await loadModelPackage(NAN_VALUE)
    const runner = await openRunner(pkg, { provider: 'cpu', threads: 1 })
    try {
      expect(runner).toBeInstanceOf(DirectRunner)
      const { pixels, state } = oneFrame()
      const features = await runner.features(pixels, 1)
      expect(features.every(Number.isFinite)).toBe(true)
      const err = await rejected(() => runner.predict(features, state, 1, 0, { steps: 0, seed: 0, episode: 0, firstFrame: 0 }))
      expect(err.code).toBe('MODEL_FAILED')
      expect(err.file).toBe(pkg.files.model)
      expect(err.message).toContain(path.join('nan-value', 'model.onnx'))
      expect(err.message).toMatch(/NaN/)
      expect(err.message).toContain('row 0')

      // A batch: the first bad row is named.
      const two = new Uint8Array(2 * pixels.length).fill(7)
      const batchErr = await rejected(async () => runner.predict(await runner.features(two, 2), new Float32Array(4), 2, 0, { steps: 0, seed: 0, episode: 0, firstFrame: 0 }))
      expect(batchErr.code).toBe('MODEL_FAILED')
      expect(batchErr.file).toBe(pkg.files.model)
    } finally {
      await runner.release()
    }
  })
})

describe('a graph whose inputs differ from the manifest', () => {
  it('is refused at open with MODEL_INVALID naming the file and the input', async () => {
    const pkg = await loadModelPackage(SHAPE_MISMATCH)
    const err = await rejected(() => DirectRunner.open(pkg, { provider: 'cpu', threads: 1 }))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(pkg.files.model)
    expect(err.message).toContain(path.join('shape-mismatch', 'model.onnx'))
    expect(err.message).toContain('input "state"')
    expect(err.message).toMatch(/dimension 1 is 3 in the graph, 2 in the manifest/)
  })
})

describe('an .onnx file that is not an ONNX graph', () => {
  it('passes the hash check (manifest updated) but is refused at open with MODEL_INVALID naming the file', async () => {
    const dir = path.join(tmp, 'random-bytes')
    await cp(NAN_VALUE, dir, { recursive: true })
    const bytes = randomBytes(4096)
    // Make sure the bytes cannot be mistaken for a protobuf that happens to parse: start with an invalid tag.
    bytes[0] = 0xff
    bytes[1] = 0xff
    await writeFile(path.join(dir, 'model.onnx'), bytes)
    const manifestFile = path.join(dir, MANIFEST_FILE)
    const m = JSON.parse(await readFile(manifestFile, 'utf8')) as { files: { model: { sha256: string; bytes: number } } }
    m.files.model.sha256 = createHash('sha256').update(bytes).digest('hex')
    m.files.model.bytes = bytes.length
    await writeFile(manifestFile, JSON.stringify(m, null, 2))

    const pkg = await loadModelPackage(dir)
    const err = await rejected(() => openRunner(pkg, { provider: 'cpu', threads: 1 }))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(path.join(dir, 'model.onnx'))
    expect(err.message).toContain(path.join(dir, 'model.onnx'))
    expect(err.message).toMatch(/onnxruntime cannot load it/)
  })
})
