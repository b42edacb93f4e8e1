// Value plot cursor while playing: 5 curves × 18,000 frames (plus the ground-truth line, detected candidates and the
// joint-state plot), measured in Chromium. Writes bench/results/plot.json.
//   cursorUpdatesPerSecond  — how often the value plot's cursor moved (style writes, from a MutationObserver)   target ≥ 50
//   paintedPerSecond        — animation frames in which the cursor showed a new frame (what reaches the screen)
//   frameChangesPerSecond   — how often the player's frame changed (the most the cursor can follow)
//   plotRedraws             — Plotly redraws of the value plot while playing (the cursor must never re-plot: 0)
// The episode is a generated 60 fps fixture (so playback at 1× changes frame 60 times a second) and the curves are
// imported from a CSV through the Models panel, as a user would.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { makeFixture, serve, tempDir } from '../e2e/support/server'

const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium'
const FRAMES = Number(process.env.VIVA_BENCH_PLOT_FRAMES ?? 18_000)
const CURVES = 5
const FPS = 60
const PLAY_MS = Number(process.env.VIVA_BENCH_PLOT_PLAY_MS ?? 8_000)
const TARGET_PER_SECOND = 50

const round = (x: number): number => Math.round(x * 10) / 10

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN
}

/** Five different-looking progress curves (ramps, steps, a dip, noise), one CSV row per frame and curve. */
function curvesCsv(frames: number): string {
  const rows: string[] = ['episode,frame,value,name']
  let seed = 42
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return (seed / 0x7fffffff - 0.5) * 0.04
  }
  for (let c = 0; c < CURVES; c++) {
    for (let f = 0; f < frames; f++) {
      const t = f / (frames - 1)
      let v: number
      if (c === 0) v = t
      else if (c === 1) v = Math.floor(t * 6) / 6 + 0.05 * Math.sin(f / 40)
      else if (c === 2) v = t < 0.6 ? t : t - 0.3 * Math.exp(-(t - 0.6) * 20)
      else if (c === 3) v = 0.5 + 0.5 * Math.sin(t * Math.PI - Math.PI / 2)
      else v = Math.sqrt(t)
      rows.push(`0,${f},${(v + noise()).toFixed(5)},curve ${c + 1}`)
    }
  }
  return `${rows.join('\n')}\n`
}

async function main(): Promise<void> {
  const work = tempDir('plotbench')
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    setup: { curves: CURVES, framesPerCurve: FRAMES, fps: FPS, speed: 1, playMs: PLAY_MS },
  }
  try {
    const dataset = path.join(work, 'long')
    makeFixture(dataset, ['--format', 'v2.1', '--episodes', '1', '--frames', String(FRAMES), '--fps', String(FPS), '--width', '64', '--height', '48'])
    const csv = path.join(work, 'curves.csv')
    writeFileSync(csv, curvesCsv(FRAMES))
    const server = await serve([dataset])
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
      const consoleErrors: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text())
      })
      await page.goto(server.url)
      await page.getByRole('table', { name: 'Episodes' }).waitFor()
      await page.locator('tr[data-episode="0"]').click()
      await page.keyboard.press('Enter')
      await page.locator('video[data-camera]').nth(2).waitFor()
      await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.dataset.presentedFrame === '0'))

      // Import the five curves, mark the episode a success (ground-truth line), back to the annotations.
      await page.getByRole('tab', { name: 'Models' }).click()
      await page.getByRole('textbox', { name: 'Curve file' }).fill(csv)
      await page.getByRole('textbox', { name: 'Curve file' }).press('Enter')
      await page.getByTestId('import-curves-result').waitFor({ timeout: 60_000 })
      await page.getByRole('tab', { name: 'Annotations' }).click()
      await page.keyboard.press('s')
      await page.getByTestId('gt-curve-legend').waitFor()
      const expected = JSON.stringify(Array.from({ length: CURVES }, () => FRAMES))
      await page.waitForFunction(
        (want) => {
          const el = document.querySelector('[data-testid="value-plot"]') as (HTMLElement & { data?: { type?: string; y?: ArrayLike<number> }[] }) | null
          const gl = (el?.data ?? []).filter((t) => t.type === 'scattergl').map((t) => t.y?.length ?? 0)
          return JSON.stringify(gl) === want
        },
        expected,
        { timeout: 60_000 },
      )
      // Let the first draws and the detector settle.
      await page.waitForTimeout(1_000)
      const plotted = await page.getByTestId('value-plot').evaluate((el) => {
        const data = (el as HTMLElement & { data?: { type?: string; name?: string; y?: ArrayLike<number>; x?: ArrayLike<number> }[] }).data ?? []
        return data.map((t) => ({ type: t.type ?? '', name: t.name ?? '', points: t.y?.length ?? t.x?.length ?? 0 }))
      })
      const webgl = await page.evaluate(() => {
        const c = document.createElement('canvas')
        const gl = (c.getContext('webgl') ?? c.getContext('experimental-webgl')) as WebGLRenderingContext | null
        if (!gl) return null
        const ext = gl.getExtension('WEBGL_debug_renderer_info')
        return ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER))
      })

      // Measure: cursor style writes (MutationObserver), the frame readout, and each animation frame.
      // Passed as source text: tsx would wrap named inner functions with a helper the page does not have.
      await page.evaluate(`(() => {
        const cursor = document.querySelector('[data-testid="value-plot-cursor"]')
        const readout = document.querySelector('[data-testid="current-frame"]')
        const plot = document.querySelector('[data-testid="value-plot"]')
        const m = { cursorTimes: [], frameTimes: [], rafTimes: [], painted: 0, inSync: 0, ticks: 0, redraws: 0, running: true }
        window.__plotBench = m
        new MutationObserver(() => m.cursorTimes.push(performance.now())).observe(cursor, { attributes: true, attributeFilter: ['data-frame'] })
        new MutationObserver(() => m.frameTimes.push(performance.now())).observe(readout, { childList: true, characterData: true, subtree: true })
        plot.on('plotly_afterplot', () => { if (m.running) m.redraws++ })
        let last = cursor.dataset.frame
        const tick = (now) => {
          if (!m.running) return
          m.rafTimes.push(now)
          m.ticks++
          const f = cursor.dataset.frame
          if (f !== last) m.painted++
          if (f === readout.textContent) m.inSync++
          last = f
          requestAnimationFrame(tick)
        }
        requestAnimationFrame(tick)
      })()`)
      await page.keyboard.press('Space')
      const t0 = Date.now()
      await page.waitForTimeout(PLAY_MS)
      const measured = await page.evaluate(() => {
        const m = (window as unknown as { __plotBench: { cursorTimes: number[]; frameTimes: number[]; rafTimes: number[]; painted: number; inSync: number; ticks: number; redraws: number; running: boolean } }).__plotBench
        m.running = false
        return { ...m }
      })
      const elapsedS = (Date.now() - t0) / 1000
      await page.keyboard.press('Space')
      const lastFrame = Number(await page.getByTestId('current-frame').textContent())

      // Steady state: drop the first half second (playback starting).
      const from = (measured.rafTimes[0] ?? 0) + 500
      const to = measured.rafTimes[measured.rafTimes.length - 1] ?? from
      const span = Math.max(0.001, (to - from) / 1000)
      const within = (ts: number[]): number[] => ts.filter((t) => t >= from && t <= to)
      const cursor = within(measured.cursorTimes)
      const frames = within(measured.frameTimes)
      const raf = within(measured.rafTimes)
      const gaps = cursor.slice(1).map((t, i) => t - (cursor[i] as number))
      const rafGaps = raf.slice(1).map((t, i) => t - (raf[i] as number))
      const cursorPerS = cursor.length / span
      results.plot = {
        traces: plotted,
        webglRenderer: webgl,
        playedSeconds: round(elapsedS),
        reachedFrame: lastFrame,
        cursorUpdatesPerSecond: round(cursorPerS),
        frameChangesPerSecond: round(frames.length / span),
        // Over the whole run (the counter includes the start), so a little below the steady state.
        paintedPerSecond: round(measured.painted / Math.max(0.001, (to - (measured.rafTimes[0] ?? to)) / 1000)),
        animationFramesPerSecond: round(raf.length / span),
        cursorIntervalMs: { p50: round(percentile(gaps, 50)), p95: round(percentile(gaps, 95)), max: round(Math.max(0, ...gaps)) },
        animationFrameIntervalMs: { p50: round(percentile(rafGaps, 50)), p95: round(percentile(rafGaps, 95)), max: round(Math.max(0, ...rafGaps)) },
        cursorOnCurrentFrame: round((measured.inSync / Math.max(1, measured.ticks)) * 1000) / 1000,
        plotRedrawsWhilePlaying: measured.redraws,
        target: `≥ ${TARGET_PER_SECOND} cursor updates/s`,
        pass: cursorPerS >= TARGET_PER_SECOND && measured.redraws === 0,
        consoleErrors,
      }
    } finally {
      await browser.close()
      await server.stop()
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const outDir = path.resolve('bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const file = path.join(outDir, 'plot.json')
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`)
}

await main()
