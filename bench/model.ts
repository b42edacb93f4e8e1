// Model speed with onnxruntime (CPU): image encoder on the three views + one denoiser step, per frame.
// Target (model issue): ≥ 30 three-view frames per second on the 2-core machine. Writes bench/results/model.json.
//   npx tsx bench/model.ts [package-dir]   (default models/viva-reference)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as ort from 'onnxruntime-node'

interface TensorSpec {
  name: string
  shape: (number | string)[]
  dtype: string
}
interface Manifest {
  kind: string
  files: Record<string, { path: string; inputs?: TensorSpec[]; outputs?: TensorSpec[] }>
  scheduler: { readout?: { samples?: number } }
}

const FRAMES = Number(process.env.VIVA_BENCH_FRAMES ?? 120)

function tensorFor(spec: TensorSpec, batch: number): ort.Tensor {
  const shape = spec.shape.map((d) => (typeof d === 'number' ? d : batch))
  const n = shape.reduce((a, b) => a * b, 1)
  if (spec.dtype === 'int64') return new ort.Tensor('int64', new BigInt64Array(n), shape)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5
  if (spec.name === 'sigma') data.fill(1)
  return new ort.Tensor('float32', data, shape)
}

function feeds(specs: TensorSpec[] | undefined, batch: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {}
  for (const s of specs ?? []) out[s.name] = tensorFor(s, batch)
  return out
}

async function measure(label: string, threads: number, pipelined: boolean, dir: string, m: Manifest) {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] }
  const enc = m.files.encoder
  const den = m.files.denoiser
  if (!enc || !den) throw new Error('package has no encoder/denoiser files')
  const encoder = await ort.InferenceSession.create(path.join(dir, enc.path), opts)
  const denoiser = await ort.InferenceSession.create(path.join(dir, den.path), opts)
  const encFeeds = feeds(enc.inputs, 3)
  const denFeeds = feeds(den.inputs, 1)
  // The manifest's readout runs the denoiser once per noise draw (scheduler.readout.samples, default 1).
  const draws = m.scheduler.readout?.samples ?? 1
  const denoise = async (): Promise<void> => {
    for (let k = 0; k < draws; k++) await denoiser.run(denFeeds)
  }
  for (let i = 0; i < 5; i++) {
    await encoder.run(encFeeds)
    await denoiser.run(denFeeds)
  }
  const t0 = performance.now()
  if (pipelined) {
    // Encoder of frame t+1 overlaps the denoiser of frame t (the runtime's pipeline does the same).
    let pending: Promise<unknown> = Promise.resolve()
    for (let i = 0; i < FRAMES; i++) {
      const encoded = encoder.run(encFeeds)
      await pending
      await encoded
      pending = denoise()
    }
    await pending
  } else {
    for (let i = 0; i < FRAMES; i++) {
      await encoder.run(encFeeds)
      await denoise()
    }
  }
  const seconds = (performance.now() - t0) / 1000
  await encoder.release()
  await denoiser.release()
  return { label, threadsPerSession: threads, pipelined, denoiserRunsPerFrame: draws, frames: FRAMES, framesPerSecond: Math.round((FRAMES / seconds) * 10) / 10 }
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? path.join('models', 'viva-reference'))
  const manifestFile = path.join(dir, 'viva-model.json')
  if (!existsSync(manifestFile)) {
    process.stdout.write(`No model package at ${dir} (viva-model.json missing): model benchmark not run.\n`)
    return
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
  if (manifest.kind !== 'viva-flow') throw new Error(`${manifestFile}: kind ${manifest.kind}, expected viva-flow`)
  const runs = [
    await measure('sequential, 2 threads per session', 2, false, dir, manifest),
    await measure('pipelined, 1 thread per session', 1, true, dir, manifest),
  ]
  const best = Math.max(...runs.map((r) => r.framesPerSecond))
  const result = { date: new Date().toISOString(), package: dir, provider: 'cpu', runs, bestFramesPerSecond: best, targetFramesPerSecond: 30 }
  mkdirSync(path.join('bench', 'results'), { recursive: true })
  writeFileSync(path.join('bench', 'results', 'model.json'), `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

await main()
