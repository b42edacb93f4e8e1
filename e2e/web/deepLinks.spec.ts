import { expect, test, type Page } from '@playwright/test'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, makeFixture, serve, tempDir, writeCurveCsv, type ServeHandle } from '../support/server'

// Issue 17 item 2, deep links in browser mode: a URL names dataset, episode, frame and the curves shown; opening it
// shows that frame in every camera (read from the pixels: the fixture's frames carry their episode and frame as a
// code) with those curves; the URL follows the user, so a reload comes back; Copy link gives a URL that reproduces
// the view; a link the dataset cannot satisfy says why and never crashes the page.

let fixtures: string
let dataset: string
let curves: string
let server: ServeHandle
const FRAMES = 60

test.beforeAll(() => {
  fixtures = tempDir('links')
  dataset = path.join(fixtures, 'ds')
  makeFixture(dataset, ['--format', 'v2.1', '--episodes', '3', '--frames', String(FRAMES), '--width', '160', '--height', '120'])
  const lengths = episodeLengths(dataset)
  // Two named curves for every episode: alpha rises, beta falls.
  const alpha = writeCurveCsv(path.join(fixtures, 'alpha.csv'), lengths, (_e, f) => f / FRAMES)
  const beta = writeCurveCsv(path.join(fixtures, 'beta.csv'), lengths, (_e, f) => 1 - f / FRAMES)
  curves = path.join(fixtures, 'curves.csv')
  const rows = (file: string, name: string): string[] =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => `${r},${name}`)
  writeFileSync(curves, `${['episode,frame,value,name', ...rows(alpha, 'alpha'), ...rows(beta, 'beta')].join('\n')}\n`)
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** Fail the test on any uncaught error or console error of the page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  return errors
}

const legendToggle = (page: Page, name: string) => page.locator('li.curve-item', { has: page.locator('.curve-name', { hasText: name }) }).locator('input[type="checkbox"]')

/** Names of the curves the value plot draws (Plotly keeps its traces on the div). */
function drawnCurves(page: Page): Promise<string[]> {
  return page.getByTestId('value-plot').evaluate((el) => ((el as HTMLElement & { data?: { name?: string }[] }).data ?? []).map((t) => t.name ?? ''))
}

/** The view a link must give: this episode and frame in every camera's pixels, beta shown and alpha hidden. */
async function expectView(page: Page, episode: number, frame: number): Promise<void> {
  const player = new PlayerPage(page)
  await expect(page.locator(`.player-screen[data-episode="${episode}"]`)).toBeVisible()
  await expect(page.locator('video[data-camera]')).toHaveCount(3)
  await expect(page.getByTestId('current-frame')).toHaveText(String(frame))
  expect(await player.expectViewsShowUiFrame(episode)).toBe(frame)
  await expect(legendToggle(page, 'beta')).toBeChecked()
  await expect(legendToggle(page, 'alpha')).not.toBeChecked()
  await expect.poll(() => drawnCurves(page)).toContain('beta')
  expect(await drawnCurves(page)).not.toContain('alpha')
}

test('a deep link opens dataset, episode and frame in every camera with its curves; a reload comes back; Copy link reproduces the view', async ({ page, context }) => {
  const errors = watchErrors(page)
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.importCurves(curves)
  await expect(player.curveItems()).toHaveCount(2)
  // Hide alpha: the URL now names the curves shown, beta only.
  await legendToggle(page, 'alpha').uncheck()
  await expect.poll(() => page.evaluate(() => window.location.hash)).toMatch(/^#\/dataset\/[^/]+\/episode\/0\/frame\/0\?curves=[^,]+$/)
  const hash = await page.evaluate(() => window.location.hash)
  const datasetId = /^#\/dataset\/([^/]+)/.exec(hash)?.[1] ?? ''
  const query = hash.slice(hash.indexOf('?'))

  // A link written by hand, opened in a new tab that has never seen this dataset.
  const link = `${server.url}#/dataset/${datasetId}/episode/2/frame/37${query}`
  const tab = await context.newPage()
  const tabErrors = watchErrors(tab)
  await tab.goto(link)
  await expectView(tab, 2, 37)

  // Moving updates the URL in place (no history entry per frame); a reload comes back to the frame left on.
  const historyLength = await tab.evaluate(() => window.history.length)
  for (let i = 0; i < 4; i++) await tab.keyboard.press('ArrowRight')
  await expect(tab.getByTestId('current-frame')).toHaveText('41')
  await expect.poll(() => tab.evaluate(() => window.location.hash)).toBe(`#/dataset/${datasetId}/episode/2/frame/41${query}`)
  expect(await tab.evaluate(() => window.history.length)).toBe(historyLength)
  await tab.reload()
  await expectView(tab, 2, 41)

  // Copy link: on the clipboard and in a selectable field; it reproduces the view in another tab.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin })
  await tab.getByTestId('copy-link').click()
  await expect(tab.getByTestId('copy-link-popover')).toHaveAttribute('data-status', 'copied')
  const copied = await tab.getByTestId('copied-link').inputValue()
  expect(copied).toBe(`${server.url}#/dataset/${datasetId}/episode/2/frame/41${query}`)
  expect(await tab.evaluate(() => navigator.clipboard.readText())).toBe(copied)
  const third = await context.newPage()
  await third.goto(copied)
  await expectView(third, 2, 41)

  expect(errors).toEqual([])
  expect(tabErrors).toEqual([])
})

test('a link the dataset cannot satisfy says why and goes as far as it is valid; nothing crashes', async ({ page, context }) => {
  const errors = watchErrors(page)
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(1)
  const datasetId = /^#\/dataset\/([^/]+)/.exec(await page.evaluate(() => window.location.hash))?.[1] ?? ''
  expect(datasetId).not.toBe('')
  const toast = (p: Page) => p.locator('.toast .toast-message')
  /** The link opened in a new tab, as a pasted link is. */
  const fresh = async (hash: string): Promise<Page> => {
    const p = await context.newPage()
    const pageErrors = watchErrors(p)
    await p.goto(`${server.url}${hash}`)
    p.on('close', () => errors.push(...pageErrors))
    return p
  }

  // An episode the dataset does not have: the episode list, and why.
  const noEpisode = await fresh(`#/dataset/${datasetId}/episode/99/frame/3`)
  await expect(toast(noEpisode)).toHaveText('Cannot follow the link: ds has no episode 99 (its episodes are 0–2)')
  await expect(noEpisode.getByRole('table', { name: 'Episodes' })).toBeVisible()
  await noEpisode.close()

  // A frame past the episode's end: refused, not clamped; the episode at its first frame, and why.
  const noFrame = await fresh(`#/dataset/${datasetId}/episode/2/frame/${FRAMES}`)
  await expect(noFrame.locator('.player-screen[data-episode="2"]')).toBeVisible()
  await expect(toast(noFrame)).toHaveText(`Cannot follow the link: Frame ${FRAMES} is past the end of episode 2 of ds (frames 0–${FRAMES - 1}); showing frame 0`)
  expect(await new PlayerPage(noFrame).expectViewsShowUiFrame(2)).toBe(0)
  await noFrame.close()

  // A dataset this server has not opened, and a malformed link: a message, and the app starts as usual.
  const noDataset = await fresh('#/dataset/0123456789ab/episode/0/frame/0')
  await expect(toast(noDataset)).toHaveText('Cannot follow the link: The link names dataset 0123456789ab, which is not open here (open: ds)')
  await expect(noDataset.getByRole('table', { name: 'Episodes' })).toBeVisible()
  await noDataset.close()
  const malformed = await fresh(`#/dataset/${datasetId}/episode/two`)
  await expect(toast(malformed)).toHaveText('Cannot follow the link: episode "two" is not a whole number ≥ 0')
  await expect(malformed.getByRole('table', { name: 'Episodes' })).toBeVisible()
  await malformed.close()

  // A hash pasted into the address bar of an open tab is followed too (the same checks, without a reload).
  await page.evaluate((id) => (window.location.hash = `#/dataset/${id}/episode/9`), datasetId)
  await expect(toast(page)).toHaveText('Cannot follow the link: ds has no episode 9 (its episodes are 0–2)')
  await page.evaluate((id) => (window.location.hash = `#/dataset/${id}/episode/2/frame/12`), datasetId)
  await expect(page.locator('.player-screen[data-episode="2"]')).toBeVisible()
  expect(await player.expectViewsShowUiFrame(2)).toBe(12)
  expect(errors).toEqual([])
})
