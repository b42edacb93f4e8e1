import { expect, test, type Locator, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, generateTaskFixture, makeFixture, serve, tempDir, writeCurveCsv, type ServeHandle } from '../support/server'

// The player's layout on a laptop screen (1280×800) and a desktop one (1600×1000): the value and feature plots are
// on screen without scrolling, each camera tile has its video's aspect ratio (no black bars), the feature plot's
// 14 joints have 14 colours, event labels are not cut short, and the panes (side panel, plot heights) can be
// dragged and stay as dragged after a reload.

let fixtures: string
let task: string
let wide: string
let truthFile: string
let curves: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('layout')
  task = path.join(fixtures, 'task')
  generateTaskFixture(task, ['--episodes', '2', '--seed', '3', '--fps', '10', '--width', '160', '--height', '120'])
  truthFile = path.join(task, 'meta', 'viva_ground_truth.json')
  curves = writeCurveCsv(path.join(fixtures, 'values.csv'), episodeLengths(task), (_, f) => Math.min(1, f / 80))
  // 16:9 cameras: the tiles follow each dataset's own aspect ratio.
  wide = path.join(fixtures, 'wide')
  makeFixture(wide, ['--format', 'v2.1', '--episodes', '1', '--frames', '30', '--width', '256', '--height', '144'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.afterEach(async () => {
  await server.stop()
})

/** The element's box lies inside the viewport. */
async function expectOnScreen(page: Page, el: Locator, what: string): Promise<void> {
  const box = await el.boundingBox()
  const vp = page.viewportSize()
  expect(box, what).not.toBeNull()
  expect(vp).not.toBeNull()
  expect(box!.height, `${what} height`).toBeGreaterThan(60)
  expect(box!.y, `${what} top`).toBeGreaterThanOrEqual(0)
  expect(box!.y + box!.height, `${what} bottom within ${vp!.height}`).toBeLessThanOrEqual(vp!.height)
  expect(box!.x + box!.width, `${what} right`).toBeLessThanOrEqual(vp!.width)
}

/** Each camera's tile: its video's aspect over the aspect of the box it is shown in, and the part of that box not covered by the picture. */
function tileFits(page: Page): Promise<{ camera: string; ratio: number; bars: number; tile: number }[]> {
  return page.locator('video[data-camera]').evaluateAll((els) =>
    els.map((el) => {
      const v = el as HTMLVideoElement
      const w = v.clientWidth
      const h = v.clientHeight
      const aspect = v.videoWidth / v.videoHeight
      // object-fit: contain draws the picture as large as fits; what it leaves is bars.
      const shown = Math.min(w, h * aspect) * Math.min(h, w / aspect)
      const figure = v.closest('figure') as HTMLElement
      return { camera: v.dataset.camera ?? '', ratio: aspect / (w / h), bars: 1 - shown / (w * h), tile: v.clientWidth / figure.clientWidth }
    }),
  )
}

async function expectTilesFit(page: Page): Promise<void> {
  await expect.poll(() => page.locator('video[data-camera]').evaluateAll((els) => els.every((v) => (v as HTMLVideoElement).videoWidth > 0))).toBe(true)
  const fits = await tileFits(page)
  expect(fits).toHaveLength(3)
  for (const f of fits) {
    expect(Math.abs(f.ratio - 1), `${f.camera}: tile aspect / video aspect`).toBeLessThan(0.02)
    expect(f.bars, `${f.camera}: black bar fraction`).toBeLessThan(0.02)
    expect(f.tile, `${f.camera}: the video spans its tile`).toBeGreaterThan(0.98)
  }
}

test('1280×800 and 1600×1000: plots on screen, tiles at the video aspect, 14 joint colours, full event labels', async ({ page }) => {
  server = await serve([task])
  await page.setViewportSize({ width: 1280, height: 800 })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.importAnnotations(truthFile)
  await player.openEpisode(0)
  await player.importCurves(curves, 2)
  await page.getByRole('tab', { name: 'Annotations' }).click()
  const valuePlot = page.getByTestId('value-plot')
  const statePlot = page.getByTestId('state-plot')
  await expect(valuePlot.locator('svg.main-svg').first()).toBeVisible()
  await expect(statePlot.locator('.legendtext').first()).toBeVisible()

  for (const size of [{ width: 1280, height: 800 }, { width: 1600, height: 1000 }]) {
    await page.setViewportSize(size)
    await expect.poll(() => page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(0)
    await expectOnScreen(page, valuePlot, `value plot at ${size.width}×${size.height}`)
    await expectOnScreen(page, statePlot, `feature plot at ${size.width}×${size.height}`)
    await expectTilesFit(page)
  }

  // 14 joints, 14 colours (the legend's line samples are the traces' colours).
  const colours = await statePlot.locator('.legend .traces path.js-line').evaluateAll((paths) => paths.map((p) => getComputedStyle(p).stroke))
  expect(colours).toHaveLength(14)
  expect(new Set(colours).size).toBe(14)

  // Every event label is shown whole ("Grasp object", not "Grasp ob"), with the full text on hover too.
  const labels = page.getByLabel('Event label')
  await expect(labels.first()).toBeVisible()
  const fits = await labels.evaluateAll((els) =>
    els.map((el) => {
      const select = el as HTMLSelectElement
      const style = getComputedStyle(select)
      const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
      const text = select.selectedOptions[0]?.text ?? ''
      // The arrow and the padding take about 28 px of the box.
      return { text, title: select.title, room: select.clientWidth - 28 - ctx.measureText(text).width }
    }),
  )
  for (const f of fits) {
    expect(f.room, `"${f.text}" fits its field`).toBeGreaterThanOrEqual(0)
    expect(f.title).toBe(f.text)
  }
})

test('16:9 cameras get 16:9 tiles', async ({ page }) => {
  server = await serve([wide])
  await page.setViewportSize({ width: 1280, height: 800 })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await expectTilesFit(page)
  await expectOnScreen(page, page.getByTestId('state-plot'), 'feature plot')
})

test('the side panel and the plot height are dragged, and stay so after a reload', async ({ page }) => {
  server = await serve([task])
  await page.setViewportSize({ width: 1280, height: 800 })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  const side = page.locator('.side-column')
  const plot = page.getByTestId('state-plot')
  await expect(plot.locator('.legendtext').first()).toBeVisible()
  const sideBefore = (await side.boundingBox())!.width
  const plotBefore = (await plot.boundingBox())!.height

  const drag = async (handle: Locator, dx: number, dy: number): Promise<void> => {
    const b = (await handle.boundingBox())!
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2)
    await page.mouse.down()
    await page.mouse.move(b.x + b.width / 2 + dx / 2, b.y + b.height / 2 + dy / 2)
    await page.mouse.move(b.x + b.width / 2 + dx, b.y + b.height / 2 + dy)
    await page.mouse.up()
  }
  // The side panel's splitter to the left widens the panel; the feature plot's down makes it taller.
  await drag(page.getByTestId('side-panel-splitter'), -120, 0)
  await expect.poll(async () => Math.round((await side.boundingBox())!.width - sideBefore)).toBe(120)
  await drag(page.getByTestId('state-plot-splitter'), 0, -40)
  await expect.poll(async () => Math.round((await plot.boundingBox())!.height - plotBefore)).toBe(-40)
  // The arrow keys still step frames: the drag did not take the keyboard.
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('1')

  await page.reload()
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  await expect(plot.locator('.legendtext').first()).toBeVisible()
  await expect.poll(async () => Math.round((await side.boundingBox())!.width - sideBefore)).toBe(120)
  await expect.poll(async () => Math.round((await plot.boundingBox())!.height - plotBefore)).toBe(-40)
  await expect(page.getByRole('separator', { name: 'Side panel width' })).toHaveAttribute('aria-valuenow', String(360 + 120))
})
