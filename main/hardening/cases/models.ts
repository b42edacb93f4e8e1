import { writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import { expect } from 'vitest'
import { MANIFEST_FILE } from '../../inference/manifest'
import { symlinkLoop, truncateTo, zeroBytes } from '../badInputs'
import { call, copyModel, editManifest, scoreOneFrame, type Case } from '../corpus'

/** The bad-input corpus: model packages. */
export const cases: Case[] = [
  // Models ------------------------------------------------------------------------------------------------------------
  {
    name: 'ONNX graph whose value is NaN',
    reader: 'models',
    build: (dir) => copyModel('nan-value', dir),
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_FAILED', messageIncludes: [path.join('nan-value', 'model.onnx'), 'NaN'] },
  },
  {
    name: 'ONNX graph whose input shape differs from the manifest',
    reader: 'models',
    build: (dir) => copyModel('shape-mismatch', dir),
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [path.join('shape-mismatch', 'model.onnx'), 'input "state"', 'dimension 1 is 3 in the graph, 2 in the manifest'] },
  },
  {
    name: '.onnx file of random bytes (hash updated)',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      const bytes = randomBytes(4096)
      bytes[0] = 0xff
      bytes[1] = 0xff
      await writeFile(path.join(pkg, 'model.onnx'), bytes)
      await editManifest(pkg, (m) => {
        const model = (m.files as { model: { sha256: string; bytes: number } }).model
        model.sha256 = createHash('sha256').update(bytes).digest('hex')
        model.bytes = bytes.length
      })
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: ['model.onnx', 'onnxruntime cannot load it'] },
  },
  {
    name: 'truncated .onnx file',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await truncateTo(path.join(pkg, 'model.onnx'), 0.5)
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: ['model.onnx', 'size 219 bytes, the manifest says 438', 'truncated'] },
  },
  {
    name: 'model folder that is a symlink loop',
    reader: 'models',
    build: async (dir) => {
      const loop = path.join(dir, 'models-loop')
      await symlinkLoop(loop)
      return loop
    },
    act: async (folder) => {
      await call('models.addFolder', { path: folder })
    },
    expect: { thrown: 'NOT_FOUND', messageIncludes: ['models-loop', 'loops back on itself'] },
  },
  {
    name: 'zero-byte manifest',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await zeroBytes(path.join(pkg, MANIFEST_FILE))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'not valid JSON'] },
  },
  {
    name: 'manifest whose state.min/max disagree with state.dim',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.state as { dim: number }).dim = 3))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'state.min has 2 entries, state.dim is 3'] },
  },
  {
    name: 'manifest with an image height of 1e12',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.image as { height: number }).height = 1e12))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'image.height'] },
  },
  {
    name: 'manifest with a zero tensor dimension',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.files as { model: { inputs: { shape: unknown[] }[] } }).model.inputs[1] = { name: 'state', shape: ['batch', 0], dtype: 'float32' } as never))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'files.model.inputs.1.shape'] },
  },
  {
    name: 'manifest that is a symlink loop',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await symlinkLoop(path.join(pkg, MANIFEST_FILE))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'cannot read', 'too many symbolic links'] },
  },
  {
    name: 'model folder added whose only package is broken',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => (m.kind = 'mystery'))
      return pkg
    },
    act: async (pkg) => {
      const info = await call('models.addFolder', { path: pkg })
      return info.error ? [info.error] : []
    },
    expect: { reported: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'kind "mystery" is not supported'] },
    after: async (pkg) => expect((await call('models.list', {})).find((m) => m.dir === pkg)?.error?.code).toBe('MODEL_INVALID'),
  },
]
