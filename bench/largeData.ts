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
import { chromium, type Browser, type Page } from 'playwright-core'
import WebSocket from 'ws'
import type { JobInfo, VivaClient } from '../app/contract'
import { createRpcClient } from '../app/rpc'
import { generateTaskFixture, makeFixture, serve, type ServeHandle } from '../e2e/support/server'
import { rpcPortFromWebSocket } from '../main/server/wsPort'
import {
  argvOf,
  chromiumProcessType,
  descendants,
  linearSlope,
  medianAround,
  peakMean,
  processMemory,
  readParents,
  toMB,
  treeMemory,
  type ProcessMemory,
  type ProgressSample,
} from './procMem'

const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium'
const CACHE = process.env.VIVA_BENCH_CACHE ?? path.join(os.tmpdir(), 'viva-bench-cache')
const SAMPLE_MS = 500
const MiB = 1024 * 1024

// The simulated task at 10 fps, the setting the bundled models were trained on (14-D ALOHA state, ~86 frames per
// episode); a small frame size keeps generation (~30 s) and the 1,000-episode job (~8 min) affordable on 2 cores.
// Lower fps would shorten the job, but the generator fails to script some episodes below 10 fps (seed 7: episode
// 268 at 5 and 6 fps).
const LARGE = {
  episodes: Number(process.env.VIVA_BENCH_LARGE_EPISODES ?? 1000),
  seed: 7,
  fps: 10,
  width: 96,
  height: 72,
  format: 'v3.0',
} as const
const LONG = { frames: Number(process.env.VIVA_BENCH_LONG_FRAMES ?? 18_000), fps: 30, width: 640, height: 480, format: 'v3.0' } as const
/** The fastest bundled model (direct, one graph): ~2× viva-reference's frames/s on short episodes. */
const LARGE_MODEL = process.env.VIVA_BENCH_LARGE_MODEL ?? 'baseline-reference'
/** The app's headline model for the long episode: it also produces the future-state curve the UI plots. */
const LONG_MODEL = process.env.VIVA_BENCH_LONG_MODEL ?? 'viva-reference'
/** Longest the playback + scoring phase runs; a job not done by then is cancelled and reported as partial. */
const LONG_MAX_S = Number(process.env.VIVA_BENCH_LONG_MAX_S ?? 300)
const TARGET_TOTAL_MB = 1.5 * 1024
/** Episodes of the large dataset also scored with the viva-flow model (0 skips it): its memory is checked too. */
const VIVA_EPISODES = Number(process.env.VIVA_BENCH_VIVA_EPISODES ?? 300)
/** Which parts to run (comma-separated: large, long); both by default. */
const PARTS = new Set((process.env.VIVA_BENCH_LARGE_PARTS ?? 'large,long').split(','))
const FLAT_BOUND_MB = 50

const round = (x: number): number => Math.round(x * 10) / 10

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)] ?? NaN
}

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

async function connect(server: ServeHandle): Promise<VivaClient & { close(): void }> {
  const ws = new WebSocket(`${server.origin.replace(/^http/, 'ws')}/rpc?token=${encodeURIComponent(server.token)}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
  return {
    ...client,
    close: () => {
      client.close()
      ws.close()
    },
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: round(performance.now() - t0), value }
}

/** Latest state of one job, from score.progress events; resolves `ended` when it is done, cancelled or failed. */
function watchJob(client: VivaClient, jobId: string): { latest: () => JobInfo | null; ended: Promise<JobInfo>; off: () => void } {
  let latest: JobInfo | null = null
  let resolve: (info: JobInfo) => void = () => undefined
  const ended = new Promise<JobInfo>((r) => (resolve = r))
  const off = client.on('score.progress', (info) => {
    if (info.id !== jobId) return
    latest = info
    if (info.state === 'done' || info.state === 'cancelled' || info.state === 'failed') resolve(info)
  })
  return { latest: () => latest, ended, off }
}

async function modelId(client: VivaClient, name: string): Promise<string> {
  const models = await client.call('models.list', {})
  const m = models.find((x) => x.name === name && x.error === null)
  if (!m) throw new Error(`bundled model ${name} not found (have: ${models.map((x) => x.name).join(', ')})`)
  return m.id
}

/** Chromium processes started by this benchmark (playwright launches the browser as our child). */
function chromiumPids(serverPid: number): number[] {
  const parents = readParents()
  const serverTree = new Set([serverPid, ...descendants(parents, serverPid)])
  const roots = [...parents].filter(([pid, ppid]) => ppid === process.pid && !serverTree.has(pid) && /chrom/i.test(argvOf(pid)[0] ?? '')).map(([pid]) => pid)
  return roots.flatMap((r) => [r, ...descendants(parents, r)])
}

interface MemorySample {
  tS: number
  main: ProcessMemory
  /** ffmpeg decoders and probes the server runs (informative: not part of the main process). */
  mainChildrenRss: number
  renderer: ProcessMemory & { processes: number }
  /**
   * RSS of the renderer process(es) that run the app's page (Chromium's `--type=renderer`, not its own UI or
   * extensions): what "the renderer" is in the desktop app, where the browser and GPU processes are Electron's.
   */
  appRendererRss: number
  /** Each Chromium process (browser, renderer, gpu-process, zygote, utility:…), to see which one holds what. */
  chromium: ChromiumProcess[]
  progress: number
}

interface ChromiumProcess extends ProcessMemory {
  pid: number
  type: string
}

function chromiumMemory(serverPid: number): { total: ProcessMemory & { processes: number }; appRendererRss: number; processes: ChromiumProcess[] } {
  const processes: ChromiumProcess[] = []
  let appRendererRss = 0
  for (const pid of chromiumPids(serverPid)) {
    const m = processMemory(pid)
    if (!m) continue
    const argv = argvOf(pid)
    const type = chromiumProcessType(argv)
    processes.push({ pid, type, ...m })
    if (type === 'renderer' && !/--(top-chrome-webui|extension-process)\b/.test(argv.join(' '))) appRendererRss += m.rss
  }
  const pss = processes.reduce((a, p) => a + (p.pss ?? p.rss), 0)
  return { total: { rss: processes.reduce((a, p) => a + p.rss, 0), pss, processes: processes.length }, appRendererRss, processes }
}

/** Samples the server process (and, when asked, the Chromium tree) every SAMPLE_MS until stopped. */
function startSampler(serverPid: number, withRenderer: boolean, progress: () => number): { stop: () => MemorySample[] } {
  const samples: MemorySample[] = []
  const t0 = performance.now()
  const tick = (): void => {
    const main = processMemory(serverPid)
    if (!main) return
    const parents = readParents()
    const children = treeMemory(descendants(parents, serverPid))
    const chrome = withRenderer ? chromiumMemory(serverPid) : { total: { rss: 0, pss: 0, processes: 0 }, appRendererRss: 0, processes: [] }
    samples.push({
      tS: round((performance.now() - t0) / 1000),
      main,
      mainChildrenRss: children.rss,
      renderer: chrome.total,
      appRendererRss: chrome.appRendererRss,
      chromium: chrome.processes,
      progress: progress(),
    })
  }
  tick()
  const timer = setInterval(tick, SAMPLE_MS)
  return {
    stop: () => {
      clearInterval(timer)
      tick()
      return samples
    },
  }
}

/** At most `n` evenly spaced samples, for a timeline small enough to keep in the JSON. */
function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T)
}

async function waitAllViewsAt(page: Page, frame: number): Promise<void> {
  await page.locator('video[data-camera]').nth(2).waitFor({ timeout: 120_000 })
  await page.waitForFunction(
    (f) => {
      const vs = [...document.querySelectorAll('video[data-camera]')] as HTMLVideoElement[]
      return vs.length === 3 && vs.every((v) => v.dataset.presentedFrame === String(f))
    },
    frame,
    { timeout: 120_000 },
  )
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
  })
}

// ---------------------------------------------------------------------------------------------------------------

/** One scoring job through the contract, with the main process's RSS sampled against the job's progress. */
async function scoreWithMemory(client: VivaClient, server: ServeHandle, datasetId: string, modelName: string, episodes: number[]) {
  const model = await modelId(client, modelName)
  await new Promise((r) => setTimeout(r, 1000))
  const before = processMemory(server.pid)
  const job = await client.call('score.start', { datasetId, modelId: model, episodes, provider: 'cpu' })
  const watch = watchJob(client, job.id)
  const sampler = startSampler(server.pid, false, () => {
    const j = watch.latest()
    return j ? j.episodesDone / Math.max(1, j.episodes.length) : 0
  })
  const t0 = performance.now()
  const end = await watch.ended
  const seconds = (performance.now() - t0) / 1000
  const samples = sampler.stop()
  watch.off()
  if (end.state !== 'done') throw new Error(`scoring job ended ${end.state}: ${end.error?.message ?? ''}`)

  const series: ProgressSample[] = samples.map((s) => ({ progress: s.progress, bytes: s.main.rss }))
  const at = (p: number): number | null => {
    const bytes = medianAround(series, p)
    return bytes === null ? null : toMB(bytes)
  }
  const from10 = series.filter((s) => s.progress >= 0.1)
  const slopeBytesPerEpisode = linearSlope(
    from10.map((s) => s.progress * end.episodes.length),
    from10.map((s) => s.bytes),
  )
  const at10 = at(0.1)
  const at100 = at(1)
  const growth = at10 !== null && at100 !== null ? round(at100 - at10) : null
  return {
    model: modelName,
    provider: end.provider?.active ?? null,
    threads: end.provider?.threads ?? null,
    episodes: end.episodes.length,
    episodeErrors: end.episodeErrors.length,
    frames: end.framesDone,
    seconds: round(seconds),
    framesPerSecond: round(end.framesDone / seconds),
    episodesPerSecond: Math.round((end.episodes.length / seconds) * 100) / 100,
    mainRssMB: {
      how: 'median of the samples within ±5 % of job progress (RSS swings between garbage collections)',
      beforeJob: before ? toMB(before.rss) : null,
      at10,
      at50: at(0.5),
      at90: at(0.9),
      at100,
      peak: peakMean(series.map((s) => s.bytes)).peakMB,
    },
    growth10to100MB: growth,
    slopeMBPer100Episodes: round((slopeBytesPerEpisode * 100) / MiB),
    flatBoundMB: FLAT_BOUND_MB,
    flat: growth !== null && growth < FLAT_BOUND_MB,
    samples: samples.length,
    timeline: thin(samples, 40).map((s) => ({ tS: s.tS, progress: Math.round(s.progress * 1000) / 1000, mainRssMB: toMB(s.main.rss), ffmpegRssMB: toMB(s.mainChildrenRss) })),
  }
}

async function openAndScore1000(browser: Browser, root: string): Promise<{ open1000: Record<string, unknown>; scoring1000: Record<string, unknown> }> {
  const server = await serve([])
  const client = await connect(server)
  try {
    // ---- open, cold then warm, through the contract
    const cold = await timed(() => client.call('dataset.open', { path: root }))
    const summary = cold.value
    if (summary.episodes.length !== LARGE.episodes) throw new Error(`listed ${summary.episodes.length} episodes, expected ${LARGE.episodes}`)
    const warm: number[] = []
    const list: number[] = []
    for (let i = 0; i < 5; i++) {
      warm.push((await timed(() => client.call('dataset.open', { path: root }))).ms)
      list.push((await timed(() => client.call('dataset.get', { datasetId: summary.id }))).ms)
    }
    const last = summary.episodes[summary.episodes.length - 1]?.index ?? 0
    const firstEpisode = await timed(() => client.call('episode.open', { datasetId: summary.id, episode: 0 }))
    const lastEpisode = await timed(() => client.call('episode.open', { datasetId: summary.id, episode: last }))

    // ---- the UI: submit the path, wait for the last row (the server has the dataset open already)
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    await page.goto(server.url)
    await page.getByRole('table', { name: 'Episodes' }).waitFor()
    await page.getByRole('textbox', { name: 'Dataset folder' }).fill(root)
    const t0 = performance.now()
    await page.getByRole('button', { name: 'Open' }).click()
    await page.locator(`tr[data-episode="${last}"]`).waitFor({ state: 'attached', timeout: 60_000 })
    const uiOpenMs = round(performance.now() - t0)
    await page.close()

    const open1000 = {
      episodes: summary.episodes.length,
      totalFrames: summary.totalFrames,
      rpc: {
        openColdMs: cold.ms,
        openWarmMs: { runs: warm, median: median(warm) },
        listMs: { method: 'dataset.get (summary with every episode)', runs: list, median: median(list) },
        episodeOpenMs: { first: firstEpisode.ms, last: lastEpisode.ms },
      },
      uiOpenAndListMs: uiOpenMs,
      note: 'cold = first open in a fresh server process (files in the OS page cache); the UI open runs after the contract opened the dataset',
      targetMs: 1500,
      pass: cold.ms < 1500 && uiOpenMs < 1500,
    }
    process.stdout.write(`open1000: cold ${cold.ms} ms, warm ${median(warm)} ms, list ${median(list)} ms, UI ${uiOpenMs} ms\n`)

    // ---- one job over every episode, main-process RSS sampled along the way
    const scoring1000 = await scoreWithMemory(client, server, summary.id, LARGE_MODEL, [])
    process.stdout.write(
      `scoring1000: ${scoring1000.framesPerSecond} frames/s, ${scoring1000.episodesPerSecond} episodes/s, RSS 10 % ${scoring1000.mainRssMB.at10} MB → 100 % ${scoring1000.mainRssMB.at100} MB (${scoring1000.growth10to100MB} MB) — ${scoring1000.flat ? 'FLAT' : 'NOT FLAT'} (bound ${FLAT_BOUND_MB} MB)\n`,
    )
    // The same check for the viva-flow model on the first episodes: its job keeps camera latents in memory.
    if (VIVA_EPISODES > 0 && LARGE_MODEL !== LONG_MODEL) {
      const first = summary.episodes.slice(0, VIVA_EPISODES).map((e) => e.index)
      const viva = await scoreWithMemory(client, server, summary.id, LONG_MODEL, first)
      process.stdout.write(
        `scoring ${first.length} episodes with ${LONG_MODEL}: ${viva.framesPerSecond} frames/s, RSS 10 % ${viva.mainRssMB.at10} MB → 100 % ${viva.mainRssMB.at100} MB (${viva.growth10to100MB} MB) — ${viva.flat ? 'FLAT' : 'NOT FLAT'}\n`,
      )
      Object.assign(scoring1000, { vivaFlowModel: viva })
    }
    return { open1000, scoring1000 }
  } finally {
    client.close()
    await server.stop()
  }
}

async function longEpisode(browser: Browser, root: string): Promise<Record<string, unknown>> {
  const server = await serve([root])
  const client = await connect(server)
  try {
    const summary = await client.call('dataset.open', { path: root })
    const cold = await timed(() => client.call('episode.open', { datasetId: summary.id, episode: 0 }))
    if (cold.value.length !== LONG.frames) throw new Error(`long episode has ${cold.value.length} frames, expected ${LONG.frames}`)
    const warm: number[] = []
    for (let i = 0; i < 3; i++) warm.push((await timed(() => client.call('episode.open', { datasetId: summary.id, episode: 0 }))).ms)

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    const pageErrors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text())
    })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('crash', () => pageErrors.push('page crashed'))
    await page.goto(server.url)
    await page.getByRole('table', { name: 'Episodes' }).waitFor()
    await page.locator('tr[data-episode="0"]').click()
    const t0 = performance.now()
    await page.keyboard.press('Enter')
    await waitAllViewsAt(page, 0)
    const uiOpenMs = round(performance.now() - t0)
    process.stdout.write(`longEpisode open: contract cold ${cold.ms} ms, warm ${median(warm)} ms, UI ${uiOpenMs} ms\n`)
    await page.waitForTimeout(1000)
    const idle = { main: processMemory(server.pid), renderer: treeMemory(chromiumPids(server.pid)) }

    // ---- play, and score the same episode while it plays
    const model = await modelId(client, LONG_MODEL)
    const frameNow = async (): Promise<number> => Number(await page.getByTestId('current-frame').textContent())
    const fromFrame = await frameNow()
    await page.keyboard.press('Space')
    const playT0 = performance.now()
    const job = await client.call('score.start', { datasetId: summary.id, modelId: model, episodes: [0], provider: 'cpu' })
    const watch = watchJob(client, job.id)
    const sampler = startSampler(server.pid, true, () => {
      const j = watch.latest()
      return j ? j.framesDone / Math.max(1, j.framesTotal) : 0
    })
    const jobT0 = performance.now()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), LONG_MAX_S * 1000)))
    let end = await Promise.race([watch.ended, timeout])
    clearTimeout(timer)
    if (end === 'timeout') {
      process.stdout.write(`longEpisode: scoring not done after ${LONG_MAX_S} s, cancelling (reported as partial)\n`)
      await client.call('score.cancel', { jobId: job.id })
      end = await watch.ended
    }
    const jobSeconds = (performance.now() - jobT0) / 1000
    // Keep playing and sampling a little: the renderer fetches the finished curve after the job's last chunk.
    await page.waitForTimeout(5000)
    const toFrame = await frameNow()
    const playSeconds = (performance.now() - playT0) / 1000
    const samples = sampler.stop()
    watch.off()
    await page.keyboard.press('Space')
    const curveFrames = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="value-plot-legend"] li[data-curve-id]')].map((li) => Number(li.getAttribute('data-computed') ?? 'NaN')),
    )
    // The event detector is on by default and suggests candidates on the analysis curve: each one is a list row
    // and a plot shape, so their number (and the page's element count) explains most of the renderer's memory.
    const dom = await page.evaluate(() => ({
      elements: document.getElementsByTagName('*').length,
      suggestedEvents: document.querySelectorAll('[data-testid="accept-candidate"]').length,
    }))
    const jsHeap = await page.evaluate(() => {
      const m = (performance as Performance & { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } }).memory
      return m ? { usedMB: Math.round((m.usedJSHeapSize / 1024 / 1024) * 10) / 10, totalMB: Math.round((m.totalJSHeapSize / 1024 / 1024) * 10) / 10 } : null
    })
    await page.close()

    const pssOf = (m: ProcessMemory): number => m.pss ?? m.rss
    const totalRss = peakMean(samples.map((s) => s.main.rss + s.renderer.rss))
    const totalPss = peakMean(samples.map((s) => pssOf(s.main) + pssOf(s.renderer)))
    // The measure: RSS of the main process plus RSS of the renderer (the app page's process).
    const totalApp = peakMean(samples.map((s) => s.main.rss + s.appRendererRss))
    const passApp = totalApp.peakMB !== null && totalApp.peakMB < TARGET_TOTAL_MB
    const passPss = totalPss.peakMB !== null && totalPss.peakMB < TARGET_TOTAL_MB
    const passRssSum = totalRss.peakMB !== null && totalRss.peakMB < TARGET_TOTAL_MB
    // Each Chromium process at the first sample and at the sample where the total peaked: which one grew.
    const peakSample = samples.reduce<MemorySample | null>((best, s) => (!best || pssOf(s.main) + pssOf(s.renderer) > pssOf(best.main) + pssOf(best.renderer) ? s : best), null)
    const firstSample = samples[0]
    const chromiumProcesses = (peakSample?.chromium ?? [])
      .map((p) => {
        const start = firstSample?.chromium.find((q) => q.pid === p.pid)
        return {
          pid: p.pid,
          type: p.type,
          startPssMB: start ? toMB(pssOf(start)) : null,
          peakPssMB: toMB(pssOf(p)),
          startRssMB: start ? toMB(start.rss) : null,
          peakRssMB: toMB(p.rss),
        }
      })
      .sort((a, b) => b.peakPssMB - a.peakPssMB)
    const result = {
      episode: { frames: LONG.frames, fps: LONG.fps, cameras: 3, size: `${LONG.width}x${LONG.height}`, codec: 'h264', format: LONG.format },
      open: {
        contractColdMs: cold.ms,
        contractWarmMs: { runs: warm, median: median(warm) },
        uiOpenMs,
        note: `contract cold = first episode.open in the server (reads the frame times of 3 × ${LONG.frames} frames); the UI open (Enter → all three views showing frame 0) runs after it`,
      },
      memory: {
        sampleMs: SAMPLE_MS,
        samples: samples.length,
        seconds: round(samples[samples.length - 1]?.tS ?? 0),
        idleBeforePlay: {
          mainRssMB: idle.main ? toMB(idle.main.rss) : null,
          rendererRssMB: toMB(idle.renderer.rss),
          rendererPssMB: toMB(pssOf(idle.renderer)),
          rendererProcesses: idle.renderer.processes,
        },
        scoring: {
          model: LONG_MODEL,
          state: end.state,
          framesDone: end.framesDone,
          framesTotal: end.framesTotal,
          seconds: round(jobSeconds),
          framesPerSecond: round(end.framesDone / jobSeconds),
        },
        playback: { fromFrame, toFrame, seconds: round(playSeconds), framesPerSecond: round((toFrame - fromFrame) / playSeconds) },
        curvePointsInUi: curveFrames,
        pageAtEnd: dom,
        rendererJsHeapMB: jsHeap,
        rssMB: {
          main: peakMean(samples.map((s) => s.main.rss)),
          appRenderer: peakMean(samples.map((s) => s.appRendererRss)),
          mainPlusAppRenderer: totalApp,
          renderer: peakMean(samples.map((s) => s.renderer.rss)),
          total: totalRss,
          rendererProcesses: Math.max(0, ...samples.map((s) => s.renderer.processes)),
          serverFfmpegChildren: peakMean(samples.map((s) => s.mainChildrenRss)),
        },
        pssMB: {
          main: peakMean(samples.map((s) => pssOf(s.main))),
          renderer: peakMean(samples.map((s) => pssOf(s.renderer))),
          total: totalPss,
        },
        chromiumProcessesStartAndPeak: chromiumProcesses,
        note:
          'the target is judged on RSS of the main process (the server) plus RSS of the renderer process that runs the app page, as the issue states it. For the whole browser: renderer = every Chromium process (browser, zygotes, GPU, utilities, renderers) summed. Summed RSS counts the pages they share (the chromium binary, fonts, shared memory) once per process, so it overstates what the tree holds; PSS splits shared pages between their processes and sums to the real footprint. ffmpeg decoders the server spawns are listed apart (serverFfmpegChildren).',
        target: {
          totalPeakMB: TARGET_TOTAL_MB,
          judgedOn: 'RSS (main + app renderer process)',
          pass: passApp,
          passOnPssWithWholeChromiumTree: passPss,
          passOnSummedRssWithWholeChromiumTree: passRssSum,
        },
        timeline: thin(samples, 60).map((s) => ({
          tS: s.tS,
          scored: Math.round(s.progress * 1000) / 1000,
          mainRssMB: toMB(s.main.rss),
          rendererRssMB: toMB(s.renderer.rss),
          appRendererRssMB: toMB(s.appRendererRss),
          totalPssMB: toMB(pssOf(s.main) + pssOf(s.renderer)),
        })),
      },
      pageErrors,
    }
    process.stdout.write(
      `longEpisode memory: main + renderer RSS peak ${totalApp.peakMB} MB (mean ${totalApp.meanMB}) — ${passApp ? 'PASS' : 'FAIL'} (target < ${TARGET_TOTAL_MB} MB); ` +
        `whole Chromium tree PSS + main ${totalPss.peakMB} MB — ${passPss ? 'pass' : 'over'}; ` +
        `summed RSS peak ${totalRss.peakMB} MB (main ${result.memory.rssMB.main.peakMB}, Chromium ${result.memory.rssMB.renderer.peakMB}) — ${passRssSum ? 'pass' : 'over'} on summed RSS\n`,
    )
    return result
  } finally {
    client.close()
    await server.stop()
  }
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
