// What the large-data benchmark's parts share (bench/largeData.ts): the app's RPC client over the server's
// WebSocket, job watching, and the memory of the server process and the Chromium tree sampled over time.
import { chromium, type Browser, type Page } from 'playwright-core'
import WebSocket from 'ws'
import type { JobInfo, VivaClient } from '../app/contract'
import { createRpcClient } from '../app/rpc'
import type { ServeHandle } from '../e2e/support/server'
import { rpcPortFromWebSocket } from '../main/server/wsPort'
import { argvOf, chromiumProcessType, descendants, linearSlope, medianAround, peakMean, processMemory, readParents, toMB, treeMemory, type ProcessMemory, type ProgressSample } from './procMem'

export const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium'
export const SAMPLE_MS = 500
export const MiB = 1024 * 1024

export const FLAT_BOUND_MB = 50

export const round = (x: number): number => Math.round(x * 10) / 10

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)] ?? NaN
}

export async function connect(server: ServeHandle): Promise<VivaClient & { close(): void }> {
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

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: round(performance.now() - t0), value }
}

/** Latest state of one job, from score.progress events; resolves `ended` when it is done, cancelled or failed. */
export function watchJob(client: VivaClient, jobId: string): { latest: () => JobInfo | null; ended: Promise<JobInfo>; off: () => void } {
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

export async function modelId(client: VivaClient, name: string): Promise<string> {
  const models = await client.call('models.list', {})
  const m = models.find((x) => x.name === name && x.error === null)
  if (!m) throw new Error(`bundled model ${name} not found (have: ${models.map((x) => x.name).join(', ')})`)
  return m.id
}

/** Chromium processes started by this benchmark (playwright launches the browser as our child). */
export function chromiumPids(serverPid: number): number[] {
  const parents = readParents()
  const serverTree = new Set([serverPid, ...descendants(parents, serverPid)])
  const roots = [...parents].filter(([pid, ppid]) => ppid === process.pid && !serverTree.has(pid) && /chrom/i.test(argvOf(pid)[0] ?? '')).map(([pid]) => pid)
  return roots.flatMap((r) => [r, ...descendants(parents, r)])
}

export interface MemorySample {
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

export interface ChromiumProcess extends ProcessMemory {
  pid: number
  type: string
}

export function chromiumMemory(serverPid: number): { total: ProcessMemory & { processes: number }; appRendererRss: number; processes: ChromiumProcess[] } {
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
export function startSampler(serverPid: number, withRenderer: boolean, progress: () => number): { stop: () => MemorySample[] } {
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
export function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T)
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
  })
}

/** One scoring job through the contract, with the main process's RSS sampled against the job's progress. */
export async function scoreWithMemory(client: VivaClient, server: ServeHandle, datasetId: string, modelName: string, episodes: number[]) {
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

/**
 * The UI's open path as a user takes it: load the app, type the dataset folder, press Open; ms from the click until
 * the row of episode `lastEpisode` is in the table (largeData's open1000 and episodeList's sort bench both use it).
 */
export async function uiOpenMs(page: Page, url: string, root: string, lastEpisode: number): Promise<number> {
  await page.goto(url)
  await page.getByRole('table', { name: 'Episodes' }).waitFor()
  await page.getByRole('textbox', { name: 'Dataset folder' }).fill(root)
  const t0 = performance.now()
  await page.getByRole('button', { name: 'Open' }).click()
  await page.locator(`tr[data-episode="${lastEpisode}"]`).waitFor({ state: 'attached', timeout: 60_000 })
  return round(performance.now() - t0)
}
