import { expect, test } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { generateTaskFixture, makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Issue 14, item 6 in the app: the Models panel says before Start whether the model fits the dataset, a state map
// makes a 12-D dataset fit the 14-D bundled model, and a curve scored on out-of-range input carries a badge.
const MODEL = 'viva-reference'

let fixtures: string
let twelve: string
let degrees: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('model-check')
  twelve = path.join(fixtures, 'twelve')
  degrees = path.join(fixtures, 'degrees')
  makeFixture(twelve, ['--episodes', '1', '--frames', '15', '--fps', '10', '--width', '64', '--height', '48', '--state-dim', '12'])
  generateTaskFixture(degrees, ['--episodes', '1', '--seed', '1', '--fps', '10', '--width', '96', '--height', '72', '--failure-rate', '0', '--state-scale', String(180 / Math.PI)])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.afterEach(async () => {
  await server.stop()
})

test('a 12-D dataset: the panel says why the 14-D model cannot score it, a state map fixes it, the job scores', async ({ page }) => {
  server = await serve([twelve])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.selectModel(MODEL)

  const check = page.getByTestId('model-check')
  await expect(check).toHaveAttribute('data-ok', 'false')
  await expect(check.locator('[data-level="error"]')).toContainText("twelve's state observation.state has 12 dimensions, viva-reference expects 14")
  await expect(page.getByTestId('score-episode')).toBeDisabled()
  await expect(page.getByTestId('score-all')).toBeDisabled()
  // The camera guess says how it matched.
  await expect(page.getByTestId('camera-match-cam_high')).toHaveText('by name')

  await page.getByTestId('state-map-suggest').click()
  await expect(page.getByTestId('state-map-input')).toHaveValue('0-11,pad:mid,pad:mid')
  await page.getByTestId('state-map-input').press('Enter')
  await expect(check).toHaveAttribute('data-ok', 'true')
  await expect(check.locator('[data-code="STATE_MAP"]')).toContainText('state mapped 12 → 14 joints (0-11,pad:mid,pad:mid), 2 padded')

  // A map that does not parse is refused where it was typed.
  await page.getByTestId('state-map-input').fill('0-12')
  await page.getByTestId('state-map-input').press('Enter')
  await expect(page.getByTestId('state-map-error')).toContainText("the dataset's state has 12 joints")
  await page.getByTestId('state-map-input').fill('0-11,pad:mid,pad:mid')
  await page.getByTestId('state-map-input').press('Enter')
  await expect(page.getByTestId('state-map-error')).toHaveCount(0)

  await player.scoreEpisode()
  await expect(player.jobRow(0)).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(player.jobRow(0).getByTestId('job-progress')).toHaveText('15/15')
})

test('a state in degrees for a model trained on radians: warned before scoring and badged on the curve', async ({ page }) => {
  server = await serve([degrees])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.selectModel(MODEL)

  const range = page.getByTestId('model-check').locator('[data-code="STATE_RANGE"]')
  await expect(range).toHaveAttribute('data-level', 'warning')
  await expect(range).toContainText('look like degrees where the model was trained on radians')
  await expect(page.getByTestId('score-episode')).toBeEnabled()

  await player.scoreEpisode()
  await expect(player.jobRow(0).getByTestId('job-warnings')).toContainText('degrees')
  await expect(player.jobRow(0)).toHaveAttribute('data-state', 'done', { timeout: 90_000 })
  const badge = page.locator('[data-testid^="curve-warning-"]')
  await expect(badge).toHaveCount(1)
  await expect(badge).toHaveText('⚠ input out of range')
  await expect(badge).toHaveAttribute('title', /look like degrees/)
})
