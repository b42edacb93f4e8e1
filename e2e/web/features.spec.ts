import { expect, test, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { patternStateValue } from '../../main/synth/patternDataset'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Issue 14, item 2: a dataset whose state is stored as `state` and its action as `actions` (plus velocity and
// effort) plots its state and its action in the player, and the feature picker switches between them.
const FPS = 30
const FRAMES = 24
const DIM = 14

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('features')
  dataset = path.join(fixtures, 'renamed')
  makeFixture(dataset, [
    '--episodes', '1', '--frames', String(FRAMES), '--fps', String(FPS), '--width', '64', '--height', '48',
    '--state-key', 'state', '--action-key', 'actions', '--extra', 'velocity,effort',
  ])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

interface Trace {
  name: string
  y: number[]
}

/** The traces Plotly draws in the feature plot (name and values), as the user's chart holds them. */
function traces(page: Page): Promise<Trace[]> {
  return page.getByTestId('state-plot').evaluate((el) =>
    ((el as HTMLElement & { data?: { name?: string; y?: ArrayLike<number> }[] }).data ?? [])
      .filter((t) => t.name !== 'events')
      .map((t) => ({ name: t.name ?? '', y: Array.from(t.y ?? []) })),
  )
}

const stateAt = (frame: number, joint: number): number => Math.fround(patternStateValue(1, FPS, 0, frame, joint))

test('plots state and action of a dataset keyed state/actions; the picker switches features', async ({ page }) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)

  // Before: "No state vector in this dataset." Now the state plots, and every numeric feature is offered.
  await expect(page.getByText(/No state/)).toHaveCount(0)
  const picker = page.getByTestId('feature-picker')
  await expect(picker.getByRole('checkbox')).toHaveCount(4)
  await expect(page.getByTestId('feature-toggle-state').locator('xpath=..')).toHaveText('state (14)')
  await expect(picker).toContainText('actions (14) · action')
  await expect(picker).toContainText('observation.velocity (14)')
  await expect(picker).toContainText('observation.effort (14)')
  await expect(page.getByTestId('feature-toggle-state')).toBeChecked()
  await expect(page.getByTestId('state-key-select')).toContainText('automatic (state)')

  await expect.poll(async () => (await traces(page)).length).toBe(DIM)
  let shown = await traces(page)
  expect(shown[0]?.name).toBe('left_waist')
  expect(shown[0]?.y[5]).toBe(stateAt(5, 0))

  // Add the action: both plotted, named by feature.
  await page.getByTestId('feature-toggle-actions').check()
  await expect.poll(async () => (await traces(page)).length).toBe(2 * DIM)
  shown = await traces(page)
  expect(shown.map((t) => t.name).slice(0, 2)).toEqual(['state · left_waist', 'state · left_shoulder'])
  const action = shown.find((t) => t.name === 'actions · left_elbow')
  // The pattern's action at frame f is its state at f + 1.
  expect(action?.y[3]).toBe(stateAt(4, 2))
  await expect(page.getByTestId('feature-plot')).toHaveAttribute('data-series', String(2 * DIM))

  // Switch to the action alone, then to the velocity.
  await page.getByTestId('feature-toggle-state').uncheck()
  await expect.poll(async () => (await traces(page)).map((t) => t.name)[0]).toBe('left_waist')
  shown = await traces(page)
  expect(shown).toHaveLength(DIM)
  expect(shown[1]?.y[0]).toBe(stateAt(1, 1))
  await page.getByTestId('feature-toggle-actions').uncheck()
  await page.getByTestId('feature-toggle-observation.velocity').check()
  await expect.poll(async () => (await traces(page)).length).toBe(DIM)
  shown = await traces(page)
  expect(shown[0]?.y[0]).toBeCloseTo((stateAt(1, 0) - stateAt(0, 0)) * FPS, 3)

  // The choice of features stays with the dataset when another episode view opens.
  await page.keyboard.press('Escape')
  await player.openEpisode(0)
  await expect.poll(async () => (await traces(page)).length).toBe(DIM)
  await expect(page.getByTestId('feature-toggle-observation.velocity')).toBeChecked()
  await expect(page.getByTestId('feature-toggle-state')).not.toBeChecked()

  expect(consoleErrors).toEqual([])
})
