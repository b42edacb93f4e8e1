import { expect, test, type Page } from '@playwright/test'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { generateTaskFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Value analysis on the episode plot: imported curves with the ground-truth line, display smoothing, detected
// candidates (list, plot, keyboard accept / dismiss, undo), the RECAP advantage band, zoom shared between plots.
//
// One curve ("steps") is a clean staircase with a drop, so the detector's candidates are known exactly: milestones
// at the first frame of each step up, an error at the drop. A second curve ("ramp") is a straight line.

let fixtures: string
let dataset: string
let curves: string
let server: ServeHandle
let length: number
let steps: { s1: number; s2: number; drop: number; s3: number }

function stepValue(f: number): number {
  const { s1, s2, drop, s3 } = steps
  return f < s1 ? 0.1 : f < s2 ? 0.35 : f < drop ? 0.6 : f < s3 ? 0.4 : 0.9
}

test.beforeAll(() => {
  fixtures = tempDir('valueplot')
  dataset = path.join(fixtures, 'task')
  generateTaskFixture(dataset, ['--episodes', '1', '--seed', '5', '--fps', '30', '--width', '96', '--height', '72', '--failure-rate', '0'])
  const first = readFileSync(path.join(dataset, 'meta', 'episodes.jsonl'), 'utf8').split('\n')[0] ?? ''
  length = (JSON.parse(first) as { length: number }).length
  steps = { s1: Math.round(length * 0.25), s2: Math.round(length * 0.5), drop: Math.round(length * 0.65), s3: Math.round(length * 0.8) }
  const rows = ['episode,frame,value,name']
  for (let f = 0; f < length; f++) rows.push(`0,${f},${stepValue(f)},steps`, `0,${f},${(f / (length - 1)).toFixed(6)},ramp`)
  curves = path.join(fixtures, 'curves.csv')
  writeFileSync(curves, `${rows.join('\n')}\n`)
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

interface Trace {
  type: string
  name: string
  y: number[]
}

/** What the value plot draws (Plotly keeps the data on its div). */
function traces(page: Page): Promise<Trace[]> {
  return page.getByTestId('value-plot').evaluate((el) => {
    const data = (el as HTMLElement & { data?: { type?: string; name?: string; y?: ArrayLike<number | null> }[] }).data ?? []
    return data.map((t) => ({ type: t.type ?? '', name: t.name ?? '', y: Array.from(t.y ?? [], (v) => (v === null ? NaN : Number(v))) }))
  })
}

function xRange(page: Page, testId: string): Promise<number[]> {
  return page.getByTestId(testId).evaluate((el) => {
    const r = (el as HTMLElement & { layout?: { xaxis?: { range?: number[] } } }).layout?.xaxis?.range ?? []
    return r.map(Number)
  })
}

const candidateFrames = (page: Page): Promise<number[]> =>
  page.locator('li.candidate-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame'))))
const eventRows = (page: Page) => page.getByRole('list', { name: 'Events' }).locator('li.event-row')

test('value plot: ground truth, smoothing, suggested events accepted and dismissed by keyboard, advantages, shared zoom', async ({ page }) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.importCurves(curves, 2)
  await page.getByRole('tab', { name: 'Annotations' }).click()
  await expect(player.curveItems()).toHaveCount(2)

  // ---- Ground truth: absent with a note while the outcome is unknown; S draws it (dashed, 1/2 + 1/2T … 1).
  await expect(page.getByTestId('gt-curve-note')).toBeVisible()
  await page.keyboard.press('s')
  await expect(page.getByTestId('gt-curve-note')).toHaveCount(0)
  await expect(page.getByTestId('gt-curve-legend')).toContainText('success')
  await expect.poll(async () => (await traces(page)).some((t) => t.name === 'ground truth')).toBe(true)
  const gt = (await traces(page)).find((t) => t.name === 'ground truth')!
  expect(gt.type).toBe('scatter')
  expect(gt.y).toHaveLength(length)
  expect(gt.y[0]).toBeCloseTo(0.5 + 1 / (2 * length), 5)
  expect(gt.y[length - 1]).toBeCloseTo(1, 5)

  // ---- Display smoothing: s_t = a·s_{t−1} + (1−a)·v_t on the drawn curve only.
  const stepsAt = async (f: number): Promise<number> => (await traces(page)).find((t) => t.name === 'steps')!.y[f]!
  expect(await stepsAt(steps.s1)).toBeCloseTo(0.35, 5)
  await page.getByTestId('smoothing-input').fill('50')
  await expect(page.getByTestId('smoothing-value')).toHaveText('50 %')
  await expect.poll(() => stepsAt(steps.s1)).toBeCloseTo(0.5 * 0.1 + 0.5 * 0.35, 5)
  expect(await stepsAt(steps.s1 + 1)).toBeCloseTo(0.5 * 0.225 + 0.5 * 0.35, 5)
  await page.getByTestId('smoothing-input').fill('0')
  await expect.poll(() => stepsAt(steps.s1)).toBeCloseTo(0.35, 5)

  // ---- Candidates on the "steps" curve: milestones at the steps up, an error at the drop; in the list and the plot.
  await page.getByTestId('analysis-curve').selectOption({ label: 'steps (import curves.csv)' })
  await expect(page.getByTestId('detector-panel')).toBeVisible()
  // No annotated episode to calibrate on: the defaults, and the panel says why.
  await expect(page.getByTestId('detector-calibration')).toContainText('not calibrated: 0 annotated episodes')
  await expect(page.getByTestId('detector-source')).toHaveText('default settings')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s1, steps.s2, steps.drop, steps.s3])
  await expect(page.getByTestId(`candidate-${steps.drop}`)).toHaveAttribute('data-kind', 'error')
  await expect(page.getByTestId(`candidate-${steps.drop}`)).toContainText('suggested')
  await expect.poll(async () => (await traces(page)).find((t) => t.name === 'candidates')?.y.length).toBe(4)

  // Clicking a candidate's marker on the plot selects it (and seeks to it).
  const marker = await page.getByTestId('value-plot').evaluate((el, frame) => {
    const data = (el as HTMLElement & { data?: { type?: string; name?: string; x?: ArrayLike<number> }[] }).data ?? []
    const svgTraces = data.filter((t) => t.type === 'scatter')
    const at = svgTraces.findIndex((t) => t.name === 'candidates')
    const trace = el.querySelectorAll('.scatterlayer .trace')[at]
    const i = Array.from(svgTraces[at]?.x ?? []).indexOf(frame)
    const r = trace?.querySelectorAll('path.point')[i]?.getBoundingClientRect()
    return r ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null
  }, steps.s3)
  if (!marker) throw new Error('no candidate marker')
  await page.mouse.click(marker.x, marker.y)
  await expect(page.getByTestId(`candidate-${steps.s3}`)).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('current-frame')).toHaveText(String(steps.s3))

  // Select from the list (seeks), A opens the label picker at the candidate's frame (preset first: no taxonomy yet).
  await page.getByTestId(`candidate-${steps.s1}`).click()
  await expect(page.getByTestId('current-frame')).toHaveText(String(steps.s1))
  await expect(page.getByTestId(`candidate-${steps.s1}`)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('a')
  await expect(page.getByRole('dialog', { name: 'Choose a taxonomy preset' })).toBeVisible()
  await page.keyboard.press('4')
  await expect(page.getByRole('dialog', { name: 'Choose milestone label' })).toBeVisible()
  await page.keyboard.press('1')
  await expect(eventRows(page)).toHaveCount(1)
  await expect(eventRows(page).first()).toHaveAttribute('data-frame', String(steps.s1))
  // Now an event: no longer suggested. Undo brings the suggestion back, redo takes it away again.
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.drop, steps.s3])
  await page.keyboard.press('Control+z')
  await expect(eventRows(page)).toHaveCount(0)
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s1, steps.s2, steps.drop, steps.s3])
  await page.keyboard.press('Control+Shift+z')
  await expect(eventRows(page)).toHaveCount(1)
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.drop, steps.s3])

  // Shift+. selects the next candidate after the current frame; X dismisses it and selects the next; Delete too.
  await page.keyboard.press('>')
  await expect(page.getByTestId(`candidate-${steps.s2}`)).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('current-frame')).toHaveText(String(steps.s2))
  await page.keyboard.press('x')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.drop, steps.s3])
  await expect(page.getByTestId(`candidate-${steps.drop}`)).toHaveAttribute('aria-selected', 'true')
  // Undo takes back the dismissal (the last action), not the event accepted before it; the next undo removes that.
  await page.keyboard.press('Control+z')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.drop, steps.s3])
  await expect(page.getByTestId(`candidate-${steps.s2}`)).toHaveAttribute('aria-selected', 'true')
  await expect(eventRows(page)).toHaveCount(1)
  await page.keyboard.press('Control+z')
  await expect(eventRows(page)).toHaveCount(0)
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s1, steps.s2, steps.drop, steps.s3])
  // Redo both, in order: the event, then the dismissal.
  await page.keyboard.press('Control+Shift+z')
  await expect(eventRows(page)).toHaveCount(1)
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.drop, steps.s3])
  await page.keyboard.press('Control+Shift+z')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.drop, steps.s3])
  await page.getByTestId(`candidate-${steps.drop}`).click()
  await expect(page.getByTestId(`candidate-${steps.drop}`)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('Delete')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s3])
  await expect(eventRows(page)).toHaveCount(1) // Delete dismissed the suggestion, not the event
  // The dismiss button in the list.
  await page.getByTestId(`candidate-${steps.s3}`).getByTestId('dismiss-candidate').click()
  await expect(page.locator('li.candidate-row')).toHaveCount(0)
  // New parameters: the dismissed candidates are offered again (the accepted one stays an event).
  // (the window is a duration: 0.2 s = 6 frames at this dataset's 30 fps)
  await page.getByTestId('detector-window').fill('0.2')
  await expect(page.getByTestId('detector-source')).toHaveText('your settings')
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.drop, steps.s3])
  // Accept with the list's button.
  await page.getByTestId(`candidate-${steps.drop}`).getByTestId('accept-candidate').click()
  await expect(page.getByRole('dialog', { name: 'Choose error label' })).toBeVisible()
  await page.keyboard.press('1')
  await expect(eventRows(page)).toHaveCount(2)
  await expect.poll(() => candidateFrames(page)).toEqual([steps.s2, steps.s3])

  // ---- RECAP advantages of the analysis curve: a band of positive frames and the threshold.
  await page.getByTestId('advantages-toggle').check()
  await expect(page.getByTestId('advantages-threshold')).toBeVisible()
  await expect(page.getByTestId('advantage-band')).toBeVisible()
  const runs = await page.getByTestId('advantage-band').locator('.advantage-run').count()
  expect(runs).toBeGreaterThan(0)
  await expect.poll(async () => (await traces(page)).some((t) => t.name === 'advantage')).toBe(true)
  // RECAP's convention: the top 30 % of the series' frames in the task; the share and the pool can be changed.
  await expect(page.getByTestId('advantages-positive-percent')).toHaveValue('30')
  await expect(page.getByTestId('advantages-summary')).toContainText('top 30 % of')
  await page.getByTestId('advantages-scope').selectOption('dataset')
  await page.getByTestId('advantages-positive-percent').fill('50')
  await expect(page.getByTestId('advantages-summary')).toContainText('top 50 % of')
  await expect(page.getByTestId('advantages-summary')).toContainText('of the dataset')
  await page.getByTestId('advantages-toggle').uncheck()
  await expect(page.getByTestId('advantage-band')).toHaveCount(0)

  // ---- Zoom: a drag on the value plot zooms the state plot to the same frames; a double click resets both.
  // (after the redraw that removes the band: a redraw rebuilds the plot's drag layer)
  await expect.poll(async () => (await traces(page)).some((t) => t.name === 'advantage')).toBe(false)
  const dragArea = page.getByTestId('value-plot').locator('.nsewdrag')
  await expect.poll(async () => (await dragArea.boundingBox()) !== null).toBe(true)
  const area = await dragArea.boundingBox()
  if (!area) throw new Error('no plot area')
  await page.mouse.move(area.x + area.width * 0.2, area.y + area.height / 2)
  await page.mouse.down()
  await page.mouse.move(area.x + area.width * 0.6, area.y + area.height / 2, { steps: 6 })
  await page.mouse.up()
  await expect.poll(async () => (await xRange(page, 'value-plot'))[1]! - (await xRange(page, 'value-plot'))[0]!).toBeLessThan(length * 0.6)
  const zoomed = await xRange(page, 'value-plot')
  await expect.poll(() => xRange(page, 'state-plot')).toEqual(zoomed)
  await page.mouse.dblclick(area.x + area.width * 0.5, area.y + area.height / 2)
  await expect.poll(() => xRange(page, 'state-plot')).toEqual([0, length - 1])
  await expect.poll(() => xRange(page, 'value-plot')).toEqual([0, length - 1])

  // ---- Joint toggles go through the store: legend click, hide all / show all.
  const hiddenJoints = (): Promise<number> =>
    page.getByTestId('state-plot').evaluate((el) => ((el as HTMLElement & { data?: { visible?: unknown }[] }).data ?? []).filter((t) => t.visible === 'legendonly').length)
  await page.getByTestId('state-plot').locator('.legendtoggle').nth(4).click()
  await expect.poll(hiddenJoints).toBe(1)
  await page.getByRole('button', { name: 'hide all' }).click()
  await expect.poll(hiddenJoints).toBe(14)
  await page.getByRole('button', { name: 'show all' }).click()
  await expect.poll(hiddenJoints).toBe(0)

  // ---- The cursor is a DOM line over the plot at the current frame.
  await page.keyboard.press('End')
  await expect(page.getByTestId('value-plot-cursor')).toHaveAttribute('data-frame', String(length - 1))
  await expect(page.getByTestId('state-plot-cursor')).toHaveAttribute('data-frame', String(length - 1))

  expect(consoleErrors).toEqual([])
})
