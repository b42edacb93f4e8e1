// Large data (issue 7): many episodes, one very long episode, memory while it all runs. Writes
// bench/results/largeData.json and prints one PASS/FAIL (FLAT/NOT FLAT) line per target.
//   open1000     — a generated 1,000-episode × 3-camera LeRobot v3.0 dataset (one concatenated video file per
//                  camera, as LeRobot writes that many episodes): dataset.open through the real server, cold (first
//                  open in the server process) and warm, the episode list (dataset.get, and the UI's 1,000th row),
//                  episode.open of the first and last episode.                              target: open < 1.5 s
//   scoring1000  — one scoring job over all 1,000 episodes with the fastest bundled model: frames/s, episodes/s,
//                  and the main process's RSS at 10/50/90/100 % of the job with its slope.
//                  flat: RSS growth from 10 % to 100 % < 50 MiB. Then the same on the first 300 episodes with the
//                  viva-flow model (its latents are cached only for jobs that fit the 256 MiB cache; this one does not).
//   longEpisode  — one 10-minute episode (18,000 frames at 30 fps, 3 cameras, 640x480 H.264: ALOHA-style cameras'
//                  resolution and `viva generate`'s default): episode.open, then the memory of the main process (the
//                  `viva serve` child) and of the renderer sampled every 0.5 s while the browser-mode UI plays it and
//                  viva-reference scores it (started through the contract, as the Models panel does).
//                  target: RSS of main + the app's renderer process peak < 1.5 GiB (the measure); the whole
//                  Chromium tree (browser, GPU, utilities) is reported too, as summed RSS and as PSS.
// Generated datasets are cached under $VIVA_BENCH_CACHE (default <tmp>/viva-bench-cache), keyed by their parameters,
// so reruns skip generation (~1 min). The server runs as a child process so its RSS is its own; the benchmark talks
// to it over the app's RPC client (app/rpc.ts) on a WebSocket, as the renderer does. About 15 min on 2 cores.
//   npx tsx bench/largeData.ts   (VIVA_BENCH_LARGE_EPISODES, VIVA_BENCH_LONG_FRAMES, VIVA_BENCH_LARGE_MODEL,
//                                 VIVA_BENCH_LONG_MODEL, VIVA_BENCH_LONG_MAX_S, VIVA_BENCH_CACHE,
//                                 VIVA_BENCH_VIVA_EPISODES, VIVA_BENCH_LARGE_PARTS=large,long)
import { existsSync, mkdirSync, renameSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generateTaskFixture, makeFixture } from '../e2e/support/server'
import { toMB } from './procMem'
import { round, launch } from './largeDataSupport'
import { LARGE, LONG, openAndScore1000, longEpisode } from './largeDataParts'

const CACHE = process.env.VIVA_BENCH_CACHE ?? path.join(os.tmpdir(), 'viva-bench-cache')
/** Which parts to run (comma-separated: large, long); both by default. */
const PARTS = new Set((process.env.VIVA_BENCH_LARGE_PARTS ?? 'large,long').split(','))

function duBytes(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    total += e.isDirectory() ? duBytes(p) : statSync(p).size
  }
  return total
}

/**
 * A dataset under the cache folder, made once per parameter set. It is written beside its final name and renamed
 * into place only when complete, so an interrupted generation is never mistaken for a cached dataset.
 */
function cachedDataset(key: string, make: (out: string) => void): { root: string; generatedSeconds: number | null } {
  const root = path.join(CACHE, key)
  if (existsSync(path.join(root, 'meta', 'info.json'))) return { root, generatedSeconds: null }
  mkdirSync(CACHE, { recursive: true })
  const partial = `${root}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  const t0 = performance.now()
  make(partial)
  rmSync(root, { recursive: true, force: true })
  renameSync(partial, root)
  return { root, generatedSeconds: round((performance.now() - t0) / 1000) }
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const largeKey = `generate-${LARGE.format}-e${LARGE.episodes}-s${LARGE.seed}-fps${LARGE.fps}-${LARGE.width}x${LARGE.height}`
  const large = cachedDataset(largeKey, (out) =>
    generateTaskFixture(out, ['--episodes', String(LARGE.episodes), '--seed', String(LARGE.seed), '--format', LARGE.format, '--fps', String(LARGE.fps), '--width', String(LARGE.width), '--height', String(LARGE.height)]),
  )
  const longKey = `fixture-${LONG.format}-f${LONG.frames}-fps${LONG.fps}-${LONG.width}x${LONG.height}`
  const long = cachedDataset(longKey, (out) =>
    makeFixture(out, ['--format', LONG.format, '--episodes', '1', '--frames', String(LONG.frames), '--fps', String(LONG.fps), '--width', String(LONG.width), '--height', String(LONG.height)]),
  )
  process.stdout.write(`datasets: ${large.root} (${large.generatedSeconds ?? 'cached'} s), ${long.root} (${long.generatedSeconds ?? 'cached'} s)\n`)

  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryMB: toMB(os.totalmem()) },
    datasets: {
      large: {
        generator: `viva generate --format ${LARGE.format} --episodes ${LARGE.episodes} --seed ${LARGE.seed} --fps ${LARGE.fps} --width ${LARGE.width} --height ${LARGE.height}`,
        root: large.root,
        generatedSeconds: large.generatedSeconds,
        sizeMB: toMB(duBytes(large.root)),
      },
      long: {
        generator: `viva fixture --format ${LONG.format} --episodes 1 --frames ${LONG.frames} --fps ${LONG.fps} --width ${LONG.width} --height ${LONG.height}`,
        root: long.root,
        generatedSeconds: long.generatedSeconds,
        sizeMB: toMB(duBytes(long.root)),
      },
    },
  }
  const browser = await launch()
  try {
    if (PARTS.has('large')) Object.assign(results, await openAndScore1000(browser, large.root))
    if (PARTS.has('long')) results.longEpisode = await longEpisode(browser, long.root)
  } finally {
    await browser.close()
  }
  results.benchSeconds = round((performance.now() - t0) / 1000)

  const outDir = path.resolve('bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const file = path.join(outDir, 'largeData.json')
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`)
}

await main()
