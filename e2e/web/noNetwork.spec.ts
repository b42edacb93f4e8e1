import { expect, test, type Request } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, generateTaskFixture, serve, tempDir, writeCurveCsv, type ServeHandle } from '../support/server'

// The README promises that nothing leaves the machine. Walk the screens a user touches (episode list, player with
// the state and value plots and their toolbars, models panel with an imported curve, metrics, triage) and record every
// request the page makes: all must go to the local server. Plotly's toolbar must offer no "Share chart…" (cloud
// upload) button.

let fixtures: string
let dataset: string
let curves: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('no-network')
  dataset = path.join(fixtures, 'task')
  generateTaskFixture(dataset, ['--episodes', '2', '--seed', '4', '--fps', '10', '--width', '96', '--height', '72'])
  const lengths = episodeLengths(dataset)
  curves = writeCurveCsv(path.join(fixtures, 'ramp.csv'), lengths, (e, f) => Number((f / (lengths[e] ?? 1)).toFixed(4)))
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

test('no request leaves 127.0.0.1, and the plot toolbars offer no cloud upload', async ({ page }) => {
  const requests: string[] = []
  const record = (r: Request): void => void requests.push(r.url())
  page.on('request', record)
  page.on('websocket', (ws) => requests.push(ws.url()))
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.importCurves(curves, 2)

  // Every Plotly toolbar on the player: hover each plot so its mode bar renders, then look for cloud buttons.
  const plots = page.locator('.js-plotly-plot')
  await expect(plots.first()).toBeVisible()
  const count = await plots.count()
  expect(count).toBeGreaterThanOrEqual(2)
  for (let i = 0; i < count; i++) {
    await plots.nth(i).hover()
    await expect(plots.nth(i).locator('.modebar-btn').first()).toBeAttached()
  }
  await expect(page.locator('.modebar-btn[data-title^="Share"]')).toHaveCount(0)
  await expect(page.locator('.modebar-btn[data-title*="Chart Studio"]')).toHaveCount(0)
  await expect(page.locator('.modebar-btn[data-title^="Download plot"]').first()).toBeAttached()

  await page.getByRole('button', { name: '← Episodes' }).click()
  await page.getByTestId('triage-open').click()
  await expect(page.getByTestId('triage-view')).toBeVisible()

  const local = new URL(server.url).host
  const external = requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:')) return false
    return new URL(u).host !== local
  })
  expect(requests.length).toBeGreaterThan(5)
  expect(external).toEqual([])
})
