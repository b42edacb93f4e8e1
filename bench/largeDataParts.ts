// The large-data benchmark's parts (bench/largeData.ts describes them): open1000 + scoring1000 on the generated
// 1,000-episode dataset, and longEpisode on the 10-minute one.
import type { Browser, Page } from 'playwright-core'
import { serve } from '../e2e/support/server'
import { peakMean, processMemory, toMB, treeMemory, type ProcessMemory } from './procMem'
import { SAMPLE_MS, FLAT_BOUND_MB, round, median, connect, timed, watchJob, modelId, chromiumPids, type MemorySample, startSampler, thin, scoreWithMemory, uiOpenMs } from './largeDataSupport'

// The simulated task at 10 fps, the setting the bundled models were trained on (14-D ALOHA state, ~86 frames per
// episode); a small frame size keeps generation (~30 s) and the 1,000-episode job (~8 min) affordable on 2 cores.
// Lower fps would shorten the job, but the generator fails to script some episodes below 10 fps (seed 7: episode
// 268 at 5 and 6 fps).
export const LARGE = {
  episodes: Number(process.env.VIVA_BENCH_LARGE_EPISODES ?? 1000),
  seed: 7,
  fps: 10,
  width: 96,
  height: 72,
  format: 'v3.0',
} as const
export const LONG = { frames: Number(process.env.VIVA_BENCH_LONG_FRAMES ?? 18_000), fps: 30, width: 640, height: 480, format: 'v3.0' } as const
/** The fastest bundled model (direct, one graph): ~2× viva-reference's frames/s on short episodes. */
const LARGE_MODEL = process.env.VIVA_BENCH_LARGE_MODEL ?? 'baseline-reference'
/** The app's headline model for the long episode: it also produces the future-state curve the UI plots. */
const LONG_MODEL = process.env.VIVA_BENCH_LONG_MODEL ?? 'viva-reference'
/** Longest the playback + scoring phase runs; a job not done by then is cancelled and reported as partial. */
const LONG_MAX_S = Number(process.env.VIVA_BENCH_LONG_MAX_S ?? 300)
const TARGET_TOTAL_MB = 1.5 * 1024
/** Episodes of the large dataset also scored with the viva-flow model (0 skips it): its memory is checked too. */
const VIVA_EPISODES = Number(process.env.VIVA_BENCH_VIVA_EPISODES ?? 300)

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

export async function openAndScore1000(browser: Browser, root: string): Promise<{ open1000: Record<string, unknown>; scoring1000: Record<string, unknown> }> {
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
    const uiOpen = await uiOpenMs(page, server.url, root, last)
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
      uiOpenAndListMs: uiOpen,
      note: 'cold = first open in a fresh server process (files in the OS page cache); the UI open runs after the contract opened the dataset',
      targetMs: 1500,
      pass: cold.ms < 1500 && uiOpen < 1500,
    }
    process.stdout.write(`open1000: cold ${cold.ms} ms, warm ${median(warm)} ms, list ${median(list)} ms, UI ${uiOpen} ms\n`)

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

export async function longEpisode(browser: Browser, root: string): Promise<Record<string, unknown>> {
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
    const uiEpisodeMs = round(performance.now() - t0)
    process.stdout.write(`longEpisode open: contract cold ${cold.ms} ms, warm ${median(warm)} ms, UI ${uiEpisodeMs} ms\n`)
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
        uiOpenMs: uiEpisodeMs,
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
