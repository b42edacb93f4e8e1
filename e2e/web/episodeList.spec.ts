import { expect, test, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, generateTaskFixture, serve, tempDir, writeCurveCsv, type ServeHandle } from '../support/server'

// The episode list of a generated task dataset (four episodes of different lengths, its ground truth imported) with
// an imported curve file whose values are known: a level per episode, and in episodes 0 and 2 a drop of 0.3 halfway.
// Sorting by a column orders the rows by it (a second click reverses it), the curve's series gets mean / final /
// drops columns, the sort survives a reload, and filters that hide every episode say so.

const LEVEL = [0.5, 0.8, 0.3, 0.6]
const DROPS_IN = new Set([0, 2])

let fixtures: string
let dataset: string
let truthFile: string
let curves: string
let lengths: number[]
let server: ServeHandle

const value = (episode: number, f: number): number => (LEVEL[episode] as number) - (DROPS_IN.has(episode) && f >= Math.floor((lengths[episode] as number) / 2) ? 0.3 : 0)

test.beforeAll(() => {
  fixtures = tempDir('episode-list')
  dataset = path.join(fixtures, 'task')
  generateTaskFixture(dataset, ['--episodes', '4', '--seed', '3', '--fps', '10', '--width', '96', '--height', '72', '--failure-rate', '0.5'])
  truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
  lengths = episodeLengths(dataset)
  curves = writeCurveCsv(path.join(fixtures, 'levels.csv'), lengths, value)
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** Episode indices in the order the list shows them. */
function rowOrder(page: Page): Promise<number[]> {
  return page.locator('table[aria-label="Episodes"] tbody tr[data-episode]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-episode'))))
}

/** Indices 0..n−1 ordered by `key`, ties in index order. */
function orderBy(key: (e: number) => number, direction: 1 | -1 = 1): number[] {
  return [0, 1, 2, 3].sort((a, b) => direction * (key(a) - key(b)) || a - b)
}

const mean = (e: number): number => {
  let sum = 0
  for (let f = 0; f < (lengths[e] as number); f++) sum += Math.fround(value(e, f))
  return sum / (lengths[e] as number)
}

test('episode list: sortable columns, a mean / final / drops column per curve series, remembered across reloads', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.importAnnotations(truthFile)
  const table = page.getByRole('table', { name: 'Episodes' })

  // ---- A click sorts by a column, a second click reverses it; the header says which way.
  const frames = table.getByRole('columnheader', { name: /^Frames/ })
  await frames.getByRole('button').click()
  await expect(frames).toHaveAttribute('aria-sort', 'ascending')
  await expect.poll(() => rowOrder(page)).toEqual(orderBy((e) => lengths[e] as number))
  await frames.getByRole('button').click()
  await expect(frames).toHaveAttribute('aria-sort', 'descending')
  await expect(frames).toContainText('▼')
  await expect.poll(() => rowOrder(page)).toEqual(orderBy((e) => lengths[e] as number, -1))

  // Annotation counts have their own columns: the failure (episode 2 of seed 3) has the errors.
  const errors = table.getByRole('columnheader', { name: /Errors/ })
  await errors.getByRole('button').click()
  await errors.getByRole('button').click()
  const mostErrors = (await rowOrder(page))[0] as number
  await expect(table.locator(`tr[data-episode="${mostErrors}"]`).getByTestId('outcome')).toHaveText('failure')
  await expect(table.locator(`tr[data-episode="${mostErrors}"]`).getByTestId('error-count')).not.toHaveText('')

  // ---- Import the curve file (from the player's Models panel): the list gets the series' columns.
  await player.openEpisode(0)
  await player.importCurves(curves, 4)
  await page.getByRole('button', { name: '← Episodes' }).click()
  const group = table.locator('th.series-group')
  await expect(group).toHaveCount(1)
  const statHeaders = table.locator('th.stat')
  await expect(statHeaders).toHaveText([/^mean/, /^final/, /^drops/])

  await statHeaders.nth(0).getByRole('button').click()
  await expect.poll(() => rowOrder(page)).toEqual(orderBy(mean))
  await statHeaders.nth(1).getByRole('button').click()
  await expect.poll(() => rowOrder(page)).toEqual(orderBy((e) => value(e, (lengths[e] as number) - 1)))
  const row0 = table.locator('tr[data-episode="0"]')
  await expect(row0.locator('td.stat')).toHaveText([mean(0).toFixed(3), (0.2).toFixed(3), '1'])
  // Drops, most first: the two episodes with a drop (in episode order), then the others.
  const drops = statHeaders.nth(2)
  await drops.getByRole('button').click()
  await drops.getByRole('button').click()
  await expect(drops).toHaveAttribute('aria-sort', 'descending')
  await expect.poll(() => rowOrder(page)).toEqual([0, 2, 1, 3])

  // ---- The sort is remembered: a reload shows the list sorted the same way.
  await page.reload()
  await expect(table).toBeVisible()
  await expect(table.locator('th.stat').nth(2)).toHaveAttribute('aria-sort', 'descending')
  await expect.poll(() => rowOrder(page)).toEqual([0, 2, 1, 3])
  // PageDown in the player walks the list in the order shown.
  await player.openEpisode(2)
  await page.keyboard.press('PageDown')
  await expect(page.locator('.player-screen[data-episode="1"]')).toBeVisible()
})

test('filters that hide every episode say "No episodes match", and Clear filters brings them back', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await page.getByRole('searchbox', { name: 'Filter episodes' }).fill('no such task')
  await expect(page.getByTestId('no-episodes-match')).toHaveText(/No episodes match the filters\./)
  await expect(page.getByTestId('episode-count')).toHaveText('0 of 4 episodes')
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await expect(page.getByTestId('no-episodes-match')).toHaveCount(0)
  await expect.poll(() => rowOrder(page)).toHaveLength(4)
  await expect(page.getByRole('searchbox', { name: 'Filter episodes' })).toHaveValue('')
})
