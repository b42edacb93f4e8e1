import { expect, test, type Page } from '@playwright/test'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, generateTaskFixture, serve, tempDir, writeCurveCsv, type ServeHandle } from '../support/server'

// Error triage in the browser: a generated task dataset (three short episodes, one a failure with an annotated
// error) with its ground truth imported, and an imported curve file that drops in every episode by a known amount:
// at the failure's error (the largest drop), and at two places where nothing was annotated. The triage view ranks
// the drops largest first, marks which one is at an error, gives precision/recall against the annotated errors,
// and N / Shift+N open each drop's episode at its frame in the player.

interface GroundTruth {
  episodes: { episode: number; outcome: string }[]
  events: { episode: number; kind: string; frame: number }[]
}

let fixtures: string
let dataset: string
let truthFile: string
let curves: string
let server: ServeHandle
/** The drops built into the curve file, largest first: [episode, frame, size]. */
let drops: [number, number, number][]

test.beforeAll(() => {
  fixtures = tempDir('triage')
  dataset = path.join(fixtures, 'task')
  generateTaskFixture(dataset, ['--episodes', '3', '--seed', '3', '--fps', '10', '--width', '96', '--height', '72', '--failure-rate', '0.5'])
  truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth
  const lengths = episodeLengths(dataset)
  const error = truth.events.find((e) => e.kind === 'error')
  if (!error) throw new Error('seed 3 at failure rate 0.5 should give an episode with an error')
  const others = [0, 1, 2].filter((e) => e !== error.episode)
  drops = [
    [error.episode, error.frame, 0.4],
    [others[0] as number, 12, 0.25],
    [others[1] as number, 20, 0.15],
  ]
  curves = writeCurveCsv(path.join(fixtures, 'drops.csv'), lengths, (episode, f) => {
    const [, at, size] = drops.find((d) => d[0] === episode) as [number, number, number]
    return f < at ? 0.7 : 0.7 - size
  })
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** The player shows `episode` at `frame`. */
async function expectPlayerAt(page: Page, episode: number, frame: number): Promise<void> {
  await expect(page.locator(`.player-screen[data-episode="${episode}"]`)).toBeVisible()
  await expect(page.getByTestId('current-frame')).toHaveText(String(frame))
}

test('triage: drops ranked largest first with P/R against annotated errors; N / Shift+N open each drop in the player', async ({ page }) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (err) => consoleErrors.push(`${err.name}: ${err.message}`))
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.importAnnotations(truthFile)
  // The curve file is imported from the player's Models panel.
  await player.openEpisode(0)
  await player.importCurves(curves, 3)
  await page.getByRole('button', { name: '← Episodes' }).click()
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()

  // ---- The triage view: every drop, largest first, each marked against the annotated errors.
  await page.getByTestId('triage-open').click()
  const view = page.getByTestId('triage-view')
  await expect(view).toBeVisible()
  const rows = view.locator('tbody tr')
  await expect(rows).toHaveCount(3)
  for (const [i, [episode, frame]] of drops.entries()) {
    await expect(view.getByTestId(`triage-row-${i}`)).toHaveAttribute('data-episode', String(episode))
    await expect(view.getByTestId(`triage-row-${i}`)).toHaveAttribute('data-frame', String(frame))
  }
  await expect(view.getByTestId('triage-row-0')).toHaveAttribute('data-matched', 'true')
  await expect(view.getByTestId('triage-row-0')).toContainText('0.400')
  await expect(view.getByTestId('triage-row-1')).toHaveAttribute('data-matched', 'false')
  // One of three drops is at the one annotated error: P 1/3, R 1.
  await expect(view.getByTestId('triage-score')).toContainText('P 0.33 / R 1.00 on 3 annotated episodes')
  await expect(view.getByTestId('triage-summary')).toContainText('window 5 frames = 0.5 s at 10 fps')

  // ---- N opens the largest drop: its episode, at its frame.
  await page.keyboard.press('n')
  await expectPlayerAt(page, drops[0]![0], drops[0]![1])
  await expect(page.getByTestId('triage-badge')).toContainText('drop 1/3')
  // N again: the next drop, in another episode.
  await page.keyboard.press('n')
  await expectPlayerAt(page, drops[1]![0], drops[1]![1])
  await expect(page.getByTestId('triage-badge')).toContainText('drop 2/3')
  await page.keyboard.press('n')
  await expectPlayerAt(page, drops[2]![0], drops[2]![1])
  // Shift+N walks back.
  await page.keyboard.press('Shift+N')
  await expectPlayerAt(page, drops[1]![0], drops[1]![1])
  await page.keyboard.press('Shift+N')
  await expectPlayerAt(page, drops[0]![0], drops[0]![1])

  // ---- Back in the view, the current drop is selected; a click opens another one.
  await page.keyboard.press('Escape')
  await expect(view.getByTestId('triage-row-0')).toHaveAttribute('aria-selected', 'true')
  await view.getByTestId('triage-row-2').click()
  await expectPlayerAt(page, drops[2]![0], drops[2]![1])

  // ---- A larger threshold leaves the smaller drops out.
  await page.keyboard.press('Escape')
  await view.getByTestId('triage-threshold').fill('0.3')
  await expect(rows).toHaveCount(1)
  await expect(view.getByTestId('triage-score')).toContainText('P 1.00 / R 1.00')
  expect(consoleErrors).toEqual([])
})
