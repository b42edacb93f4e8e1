import { expect, test, type Page } from '@playwright/test'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { generateTaskFixture, serve, tempDir, type ServeHandle } from '../support/server'
import { DEFAULT_BATCH } from '../../main/jobs/episodeScoring'

// Acceptance of value-model scoring in the browser: open a generated episode, score it with the bundled viva-flow
// model, watch the curve grow while the job runs, cancel midway and resume (the stored frames are reused, not
// recomputed), then reload and see the cached curve at once.
//
// One simulated task episode at 30 fps (~250 frames, 3 cameras, 14-D state). With 5 flow steps the model scores
// ~15–20 frames/s on a 2-core CPU, so the job runs for several seconds: long enough to see it grow and cancel it.
const MODEL = 'viva-reference'
const STEPS = 5
/** Cancel once this many frames are on the curve (well before the end of the episode). */
const CANCEL_AFTER = 48

let fixtures: string
let dataset: string
let server: ServeHandle
/** Frames of episode 0, from the dataset's own metadata. */
let length: number

test.beforeAll(() => {
  fixtures = tempDir('scoring')
  dataset = path.join(fixtures, 'task')
  generateTaskFixture(dataset, ['--episodes', '1', '--seed', '1', '--fps', '30', '--width', '160', '--height', '120', '--failure-rate', '0'])
  const first = readFileSync(path.join(dataset, 'meta', 'episodes.jsonl'), 'utf8').split('\n')[0] ?? ''
  length = (JSON.parse(first) as { length: number }).length
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
// serve() gives every test its own --data-dir, so values.sqlite (the curve cache) starts empty each time.
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

interface Snapshot {
  /** Job rows, newest first. */
  jobs: { id: string; state: string; done: number; total: number; text: string }[]
  curve: { id: string; computed: number; complete: boolean } | null
}

/** Jobs and the first curve of the open episode as the UI shows them, read in one go. */
function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const jobs = [...document.querySelectorAll('[data-testid="job-row"]')].map((row) => {
      const progress = row.querySelector('[data-testid="job-progress"]')?.textContent ?? ''
      const m = /(\d+)\s*\/\s*(\d+)/.exec(progress)
      return {
        id: row.getAttribute('data-job-id') ?? '',
        state: row.getAttribute('data-state') ?? '',
        done: m ? Number(m[1]) : -1,
        total: m ? Number(m[2]) : -1,
        text: row.textContent ?? '',
      }
    })
    const item = document.querySelector('[data-testid="value-plot-legend"] li[data-curve-id]')
    const curve = item
      ? {
          id: item.getAttribute('data-curve-id') ?? '',
          computed: Number(item.getAttribute('data-computed') ?? 'NaN'),
          complete: item.getAttribute('data-complete') === 'true',
        }
      : null
    return { jobs, curve }
  })
}

/** Traces drawn in the value plot: how many frames of each have a finite value (Plotly keeps the data on its div). */
function plottedTraces(page: Page): Promise<{ type: string; finite: number; length: number }[]> {
  return page.getByTestId('value-plot').evaluate((el) => {
    const data = (el as HTMLElement & { data?: { type?: string; y?: ArrayLike<number> }[] }).data ?? []
    return data
      .filter((t) => t.type === 'scattergl')
      .map((t) => {
        const y = t.y ?? []
        let finite = 0
        for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) finite++
        return { type: t.type ?? '', finite, length: y.length }
      })
  })
}

function isNonDecreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= (values[i - 1] as number))
}

test('score an episode: the curve grows live, cancel keeps a partial curve, Score again resumes, a reload shows the cached curve', async ({
  page,
}) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)

  // The bundled model, with more flow steps than its default so the job is slow enough to watch.
  await player.selectModel(MODEL)
  const steps = page.getByRole('textbox', { name: 'Flow steps' })
  await steps.fill(String(STEPS))
  await steps.press('Enter')
  await expect(steps).toHaveValue(String(STEPS))
  await expect(page.getByTestId('camera-map-warning')).toHaveCount(0)
  await expect(page.getByTestId('value-plot-legend')).toHaveCount(0)

  // ---- 1. Score: the curve grows while the job runs.
  const scoreStarted = Date.now()
  await player.scoreEpisode()
  const firstJobId = (await player.jobRow(0).getAttribute('data-job-id')) ?? ''
  expect(firstJobId).not.toBe('')
  await expect(player.curveItems()).toHaveCount(1)
  const curveId = (await player.curveIds())[0] ?? ''
  expect(curveId).not.toBe('')

  const grown: number[] = [] // distinct data-computed values seen while the job said running
  let total: number
  for (;;) {
    const s = await snapshot(page)
    const job = s.jobs[0]
    expect(job?.id).toBe(firstJobId)
    expect(job?.state, `the job ended before it could be cancelled (curve at ${s.curve?.computed ?? 0} frames)`).toMatch(
      /^(queued|running)$/,
    )
    total = job?.total ?? 0
    if (job?.state === 'running' && s.curve && s.curve.computed > 0 && s.curve.computed !== grown[grown.length - 1]) {
      grown.push(s.curve.computed)
      expect(s.curve.complete).toBe(false)
    }
    if (grown.length >= 3 && (grown[grown.length - 1] as number) >= CANCEL_AFTER) break
    expect(Date.now() - scoreStarted, `curve growth seen so far: ${grown.join(', ')}`).toBeLessThan(30_000)
    await page.waitForTimeout(50)
  }
  expect(isNonDecreasing(grown), `computed over time: ${grown.join(', ')}`).toBe(true)
  expect(new Set(grown).size).toBeGreaterThanOrEqual(3)
  expect(total).toBe(length)
  expect(length).toBeGreaterThan(150)
  // The partial curve is drawn while it grows.
  await expect(page.getByTestId('value-plot')).toBeVisible()
  await expect(page.getByTestId(`curve-progress-${curveId}`)).toHaveText(/computing \d+\/\d+/)

  // ---- 2. Cancel midway: the job says cancelled and the curve keeps what was computed (partial).
  await player.cancelJob(0)
  await expect(player.jobRow(0).getByTestId('job-pause')).toHaveCount(0)
  // Once the last chunk has landed, the curve shows exactly the frames the job reports as done.
  let cancelled = 0
  await expect(async () => {
    const s = await snapshot(page)
    expect(s.jobs[0]?.state).toBe('cancelled')
    expect(s.curve?.computed).toBe(s.jobs[0]?.done)
    cancelled = s.curve?.computed ?? 0
  }).toPass({ timeout: 5_000 })
  expect(cancelled).toBeGreaterThanOrEqual(grown[grown.length - 1] as number)
  expect(cancelled).toBeLessThan(total)
  await expect(player.curveItems().first()).toHaveAttribute('data-complete', 'false')
  await expect(page.getByTestId(`curve-progress-${curveId}`)).toHaveText(`partial ${cancelled}/${total}`)
  // Nothing more arrives for a cancelled job.
  await page.waitForTimeout(500)
  expect(await player.curvePoints(curveId)).toBe(cancelled)
  expect(await player.jobProgress(0)).toEqual({ done: cancelled, total })

  // ---- 3. Score again: a new job resumes from the stored frames instead of starting over.
  await player.scoreEpisode()
  const secondJobId = (await player.jobRow(0).getAttribute('data-job-id')) ?? ''
  expect(secondJobId).not.toBe(firstJobId)
  expect(await player.jobRow(1).getAttribute('data-job-id')).toBe(firstJobId)
  expect(await player.jobState(1)).toBe('cancelled')
  const resumedDone: number[] = []
  const resumedCurve: number[] = []
  let pausedAt = 0
  const resumeStarted = Date.now()
  for (;;) {
    const s = await snapshot(page)
    const job = s.jobs[0]
    expect(job?.id).toBe(secondJobId)
    if (job && job.done >= 0 && job.state !== 'queued') resumedDone.push(job.done)
    if (s.curve) resumedCurve.push(s.curve.computed)
    if (job?.state === 'done') break
    expect(job?.state ?? '', `resumed job progress: ${resumedDone.join(', ')}`).toMatch(/^(queued|running)$/)
    if (!pausedAt && job && job.done >= cancelled + 16) {
      // Pause on the way: nothing grows while paused, and Resume carries on from there.
      await player.pauseJob(0)
      await expect(page.getByTestId(`curve-progress-${curveId}`)).toHaveText(/^paused \d+\/\d+$/)
      // The batch already in the model when Pause came may still land (at most one: DEFAULT_BATCH frames; with the
      // 4-draw readout it can take over a second on loaded cores); after that nothing grows while paused.
      const atPause = (await snapshot(page)).jobs[0]?.done ?? 0
      let before = await snapshot(page)
      for (let settled = false; !settled; ) {
        await page.waitForTimeout(800)
        const now = await snapshot(page)
        settled = now.jobs[0]?.done === before.jobs[0]?.done && now.curve?.computed === before.curve?.computed
        before = now
      }
      const after = before
      expect(after.jobs[0]?.state).toBe('paused')
      expect((after.jobs[0]?.done ?? 0) - atPause).toBeLessThanOrEqual(DEFAULT_BATCH)
      await page.waitForTimeout(800)
      const later = await snapshot(page)
      expect(later.jobs[0]?.done).toBe(after.jobs[0]?.done)
      expect(later.curve?.computed).toBe(after.curve?.computed)
      pausedAt = after.jobs[0]?.done ?? 0
      expect(pausedAt).toBeLessThan(total)
      await player.resumeJob(0)
      continue
    }
    expect(Date.now() - resumeStarted, `resumed job progress: ${resumedDone.join(', ')}`).toBeLessThan(40_000)
    await page.waitForTimeout(50)
  }
  expect(resumedDone.length).toBeGreaterThan(0)
  expect(pausedAt, 'the resumed job was paused once on the way').toBeGreaterThan(cancelled)
  // The job counts the stored frames once it has opened the episode (it reads 0/total until then); from then on it
  // never shows less than what the cancelled job left: the stored frames were reused, not recomputed from frame 0.
  const counted = resumedDone.filter((d) => d > 0)
  expect(counted[0], `resumed job progress: ${resumedDone.join(', ')}`).toBeGreaterThanOrEqual(cancelled)
  expect(isNonDecreasing(resumedDone), `resumed job progress: ${resumedDone.join(', ')}`).toBe(true)
  expect(Math.min(...resumedCurve), `curve during resume: ${resumedCurve.join(', ')}`).toBeGreaterThanOrEqual(cancelled)
  expect(isNonDecreasing(resumedCurve), `curve during resume: ${resumedCurve.join(', ')}`).toBe(true)
  expect(await player.jobProgress(0)).toEqual({ done: total, total })
  await expect(player.jobRow(0)).toContainText(`${cancelled} reused`)
  await expect(player.curveItems()).toHaveCount(1)
  expect((await player.curveIds())[0]).toBe(curveId)
  await expect(player.curveItems().first()).toHaveAttribute('data-complete', 'true')
  await expect(player.curveItems().first()).toHaveAttribute('data-computed', String(total))
  await expect(page.getByTestId(`curve-progress-${curveId}`)).toHaveCount(0)

  // ---- 5. The plot draws the whole curve; the flow model's foresight is offered.
  await expect(page.getByTestId('value-plot')).toBeVisible()
  await expect.poll(() => plottedTraces(page)).toEqual([{ type: 'scattergl', finite: total, length: total }])
  await expect(page.getByTestId('foresight')).toBeVisible()
  expect(existsSync(path.join(server.dataDir, 'values.sqlite'))).toBe(true)

  // ---- 4. Reload: back on the same episode, the cached curve is there at once, complete, with no job computing it.
  await page.reload()
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  const opened = Date.now()
  await expect(player.curveItems()).toHaveCount(1, { timeout: 3_000 })
  await expect(player.curveItems().first()).toHaveAttribute('data-complete', 'true', { timeout: 3_000 })
  const cachedAfterMs = Date.now() - opened
  expect((await player.curveIds())[0]).toBe(curveId)
  expect(await player.curvePoints(curveId)).toBe(total)
  await expect.poll(() => plottedTraces(page), { timeout: 3_000 }).toEqual([{ type: 'scattergl', finite: total, length: total }])
  await player.openModelsPanel()
  await expect(page.getByTestId('job-row')).toHaveCount(2)
  expect(
    await page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))),
  ).toEqual(['done', 'cancelled'])
  test.info().annotations.push({
    type: 'timing',
    description: `first run grew ${grown.join('→')}, cancelled at ${cancelled}/${total}, resume counted from ${counted[0]}, paused at ${pausedAt}; cached curve shown ${cachedAfterMs} ms after opening the episode`,
  })

  expect(consoleErrors).toEqual([])
})
