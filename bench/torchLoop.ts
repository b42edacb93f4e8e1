// Comparison point for bench/model.ts: a PyTorch frame-by-frame inference loop (batch 1, torch.no_grad()) over the
// same model as the bundled package, the way a reference implementation runs it: 3 uint8 views + state → normalize →
// image encoder → 7-frame sequence → N-step flow-matching sampler → value + future state. The torch modules are
// rebuilt from the manifest's config with the weights of the package's ONNX initializers and checked against its
// reference.json (see models/viva/bench_torch_loop.py). Writes bench/results/torch-loop.json.
//   npx tsx bench/torchLoop.ts [package-dir]   (default models/viva-reference)
// Env: VIVA_PYTHON (default /usr/bin/python3), VIVA_BENCH_TORCH_FRAMES (300), VIVA_BENCH_TORCH_STEPS (1),
//      VIVA_BENCH_TORCH_THREADS (2), VIVA_BENCH_TORCH_CHECKPOINT (fallback weights if the ONNX mapping fails).
// Without Python/torch it prints "not run: …" and exits 0 without writing results.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const PYTHON = process.env.VIVA_PYTHON ?? '/usr/bin/python3'
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp'
const FRAMES = Number(process.env.VIVA_BENCH_TORCH_FRAMES ?? 300)
const STEPS = Number(process.env.VIVA_BENCH_TORCH_STEPS ?? 1)
const THREADS = Number(process.env.VIVA_BENCH_TORCH_THREADS ?? 2)
const TIMEOUT_MS = 120_000
const SCRIPT = path.join('models', 'viva', 'bench_torch_loop.py')

function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'ignore' }
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = env.LD_LIBRARY_PATH ? `${OPENBLAS}:${env.LD_LIBRARY_PATH}` : OPENBLAS
  return env
}

function notRun(reason: string): void {
  process.stdout.write(`torch loop benchmark not run: ${reason}\n`)
}

function main(): void {
  const dir = path.resolve(process.argv[2] ?? path.join('models', 'viva-reference'))
  if (!existsSync(path.join(dir, 'viva-model.json'))) return notRun(`no model package at ${dir} (viva-model.json missing)`)
  if (!existsSync(SCRIPT)) return notRun(`${SCRIPT} missing`)
  const env = pythonEnv()
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { env, encoding: 'utf8', timeout: 60_000 })
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr || '').trim().split('\n').at(-1)
    return notRun(`${PYTHON} cannot import torch/numpy (${why}); install python3-torch python3-numpy (Debian), or set VIVA_PYTHON`)
  }
  const args = [SCRIPT, '--package', dir, '--frames', String(FRAMES), '--steps', String(STEPS), '--threads', String(THREADS)]
  if (process.env.VIVA_BENCH_TORCH_CHECKPOINT) args.push('--checkpoint', process.env.VIVA_BENCH_TORCH_CHECKPOINT)
  const run = spawnSync(PYTHON, args, { env, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 16 << 20 })
  if (run.error) throw new Error(`${SCRIPT}: ${run.error.message}`)
  if (run.status !== 0) throw new Error(`${SCRIPT} exited with ${run.status}:\n${run.stderr}`)
  const torchLoop = JSON.parse(run.stdout) as Record<string, unknown>
  const cpus = os.cpus()
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', platform: os.platform(), arch: os.arch(), python: PYTHON },
    ...torchLoop,
  }
  mkdirSync(path.join('bench', 'results'), { recursive: true })
  writeFileSync(path.join('bench', 'results', 'torch-loop.json'), `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

main()
