// Scoring throughput (value-model issue): a generated 3-camera episode of 1,800 frames scored with the bundled ViVa
// model on this machine's CPU, three ways:
//   endToEnd   — the app's scoring job: ffmpeg decode at model size → encoder → denoiser → store → events
//   modelOnly  — the same runner on frames decoded beforehand (same batch, same encoder/denoiser overlap as the job)
//   torchEndToEnd — PyTorch frame by frame over the same weights and the same videos, as a reference implementation
//                   runs it: decode each camera's frame, resize in torch, encode, sample, read out (bench_torch_loop.py --videos)
//   torchModelLoop — the same PyTorch loop on pre-decoded frames (bench/torchLoop.ts → bench/results/torch-loop.json)
// Targets: endToEnd ≥ 30 frames/s, endToEnd ≥ 0.85 × modelOnly, endToEnd ≥ 2 × torchEndToEnd. Writes bench/results/scoring.json.
//   npx tsx bench/scoring.ts      (VIVA_BENCH_FRAMES, VIVA_BENCH_SIZE=WxH, VIVA_BENCH_BATCH, VIVA_BENCH_THREADS)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { composeServices } from '../main/compose'
import { writePatternDataset } from '../main/synth/patternDataset'
import { openLeRobotDataset } from '../main/datasets/lerobot/lerobot'
import { loadModelPackage } from '../main/inference/manifest'
import { openRunner } from '../main/inference/runner'
import { DEFAULT_BATCH } from '../main/jobs/episodeScoring'
import { decodeEpisode } from '../main/video/frameDecoder'
import { resolveMediaTools } from '../main/video/tools'

const FRAMES = Number(process.env.VIVA_BENCH_FRAMES ?? 1800)
const [W, H] = (process.env.VIVA_BENCH_SIZE ?? '640x480').split('x').map(Number) as [number, number]
const BATCH = Number(process.env.VIVA_BENCH_BATCH ?? DEFAULT_BATCH)
const THREADS = process.env.VIVA_BENCH_THREADS ? Number(process.env.VIVA_BENCH_THREADS) : undefined
const PACKAGE = path.resolve('models', 'viva-reference')

/** The PyTorch frame-by-frame loop over the same videos; null (with the reason printed) where torch is missing. */
function torchOverVideos(files: string[]): { framesPerSecond: number; seconds: number; frames: number; note: string } | { notRun: string } {
  const python = process.env.VIVA_PYTHON ?? '/usr/bin/python3'
  const env = { ...process.env, LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-openmp', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
  const r = spawnSync(python, [path.join('models', 'viva', 'bench_torch_loop.py'), '--package', PACKAGE, '--videos', files.join(','), '--video-size', `${W}x${H}`, '--threads', String(os.availableParallelism())], { env, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 })
  if (r.status !== 0) {
    const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n').pop() ?? 'failed'
    process.stderr.write(`torch end-to-end loop not run: ${why}\n`)
    return { notRun: why }
  }
  return JSON.parse(r.stdout) as { framesPerSecond: number; seconds: number; frames: number; note: string }
}

async function main(): Promise<void> {
  const tools = resolveMediaTools()
  const work = mkdtempSync(path.join(os.tmpdir(), 'viva-bench-score-'))
  try {
    const dataset = path.join(work, 'ds')
    const cameras = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({ key: `observation.images.${c}`, width: W, height: H }))
    await writePatternDataset({ out: dataset, lengths: [FRAMES], fps: 30, cameras, codec: 'h264', gop: 30, tools })
    const pkg = await loadModelPackage(PACKAGE)

    // Model alone on pre-decoded frames.
    const source = await openLeRobotDataset(dataset)
    const ep = await source.loadEpisode(0)
    const decoded: { first: number; count: number; pixels: Uint8Array }[] = []
    for await (const b of decodeEpisode(
      tools,
      ep.videos.map((v) => ({ file: v.file, from: v.fromTimestamp })),
      { width: pkg.manifest.image.width, height: pkg.manifest.image.height, count: ep.length, batch: BATCH },
    )) decoded.push(b)
    const runner = await openRunner(pkg, { provider: 'cpu', ...(THREADS ? { threads: THREADS } : {}) })
    const state = ep.state?.values ?? new Float32Array(ep.length * 14)
    const modelPass = async (): Promise<number> => {
      const t0 = performance.now()
      let predicting: Promise<unknown> = Promise.resolve()
      for (const b of decoded) {
        const features = await runner.features(b.pixels, b.count)
        await predicting
        predicting = runner.predict(features, state.subarray(b.first * 14, (b.first + b.count) * 14), b.count, 0, {
          steps: 1, seed: 0, episode: 0, firstFrame: b.first,
        })
      }
      await predicting
      return (performance.now() - t0) / 1000
    }
    await modelPass() // warm-up
    const modelSeconds = await modelPass()
    await runner.release()

    // End to end through the app's job queue (fresh cache, so every frame is decoded and scored).
    const services = composeServices({ mode: 'browser', version: 'bench', dataDir: path.join(work, 'data'), tools })
    const summary = await services.datasets.open(dataset)
    const models = await services.models.list()
    const modelId = models.find((m) => m.dir === PACKAGE)?.id ?? ''
    const t0 = performance.now()
    const job = await services.scoring.start({ datasetId: summary.id, modelId, episodes: [0], provider: 'cpu', batch: BATCH, ...(THREADS ? { threads: THREADS } : {}) })
    const end = await services.scoring.wait(job.id)
    const e2eSeconds = (performance.now() - t0) / 1000
    if (end.state !== 'done') throw new Error(`scoring job ended ${end.state}: ${end.error?.message ?? ''}`)
    await services.dispose()

    const torchE2E = torchOverVideos(ep.videos.map((v) => v.file))
    const torchFile = path.join('bench', 'results', 'torch-loop.json')
    const torch = existsSync(torchFile) ? (JSON.parse(readFileSync(torchFile, 'utf8')) as { framesPerSecond?: number }) : null
    const round = (x: number): number => Math.round(x * 10) / 10
    const e2eFps = FRAMES / e2eSeconds
    const modelFps = FRAMES / modelSeconds
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown' },
      episode: { frames: FRAMES, cameras: 3, size: `${W}x${H}`, codec: 'h264' },
      model: { package: 'models/viva-reference', kind: pkg.manifest.kind, steps: 1, batch: BATCH, threadsPerSession: end.provider?.threads ?? null, provider: end.provider?.active ?? null },
      endToEnd: { seconds: round(e2eSeconds), framesPerSecond: round(e2eFps) },
      modelOnly: { seconds: round(modelSeconds), framesPerSecond: round(modelFps) },
      torchEndToEnd: torchE2E,
      torchModelLoop: torch?.framesPerSecond !== undefined ? { framesPerSecond: torch.framesPerSecond, from: torchFile } : null,
      ratios: {
        endToEndOverModel: Math.round((e2eFps / modelFps) * 1000) / 1000,
        endToEndOverTorchEndToEnd: torchE2E && 'framesPerSecond' in torchE2E ? Math.round((e2eFps / torchE2E.framesPerSecond) * 100) / 100 : null,
        endToEndOverTorchModelLoop: torch?.framesPerSecond ? Math.round((e2eFps / torch.framesPerSecond) * 100) / 100 : null,
      },
      targets: { endToEndFramesPerSecond: 30, endToEndOverModel: 0.85, endToEndOverTorchEndToEnd: 2 },
    }
    mkdirSync(path.join('bench', 'results'), { recursive: true })
    writeFileSync(path.join('bench', 'results', 'scoring.json'), `${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
