import { expect, test, type Page } from '@playwright/test'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('annotate')
  dataset = path.join(fixtures, 'ds')
  makeFixture(dataset, ['--format', 'v2.1', '--episodes', '2', '--frames', '60', '--width', '160', '--height', '120'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

const eventRows = (page: Page) => page.getByRole('list', { name: 'Events' }).locator('li.event-row')

async function eventFrames(page: Page): Promise<number[]> {
  return (await eventRows(page).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame')))))
}

test('annotate with the keyboard only, undo/redo, outcome; everything survives a reload and exports', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.waitSettled(0)

  // Milestone at frame 5: M, then a digit. The task has no taxonomy yet, so the first digit picks a preset.
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight')
  await page.keyboard.press('m')
  await expect(page.getByRole('dialog', { name: 'Choose a taxonomy preset' })).toBeVisible()
  await page.keyboard.press('4')
  await expect(page.getByRole('dialog', { name: 'Choose milestone label' })).toBeVisible()
  const milestoneLabels = await page.locator('.picker-options li').allTextContents()
  await page.keyboard.press('2')
  await expect(eventRows(page)).toHaveCount(1)

  // Error at frame 15: E then 1.
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('e')
  const errorLabels = await page.locator('.picker-options li').allTextContents()
  await page.keyboard.press('1')
  await expect(eventRows(page)).toHaveCount(2)

  // Milestone at frame 35 by type-ahead.
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('m')
  const third = milestoneLabels[2]!.replace(/^\s*\d\s*/, '').trim()
  await page.keyboard.type(third.slice(0, 4))
  await page.keyboard.press('Enter')
  await expect(eventRows(page)).toHaveCount(3)
  await expect.poll(() => eventFrames(page)).toEqual([5, 15, 35])
  await expect(page.locator('.scrubber .marker-milestone')).toHaveCount(2)
  await expect(page.locator('.scrubber .marker-error')).toHaveCount(1)

  // Jump between events.
  await page.keyboard.press('Home')
  await page.keyboard.press('.')
  await expect(page.getByTestId('current-frame')).toHaveText('5')
  await page.keyboard.press('.')
  await expect(page.getByTestId('current-frame')).toHaveText('15')

  // Delete the selected (error) event, undo, redo, undo.
  await page.keyboard.press('Delete')
  await expect.poll(() => eventFrames(page)).toEqual([5, 35])
  await page.keyboard.press('Control+z')
  await expect(eventRows(page)).toHaveCount(3)
  await page.keyboard.press('Control+Shift+z')
  await expect(eventRows(page)).toHaveCount(2)
  await page.keyboard.press('Control+z')
  await expect(eventRows(page)).toHaveCount(3)
  await expect.poll(() => eventFrames(page)).toEqual([5, 15, 35])

  // Outcome: F, undo back to unknown, redo.
  await page.keyboard.press('f')
  await expect(page.getByRole('radio', { name: 'failure' })).toHaveAttribute('aria-checked', 'true')
  await page.keyboard.press('Control+z')
  await expect(page.getByRole('radio', { name: 'unknown' })).toHaveAttribute('aria-checked', 'true')
  await page.keyboard.press('Control+y')
  await expect(page.getByRole('radio', { name: 'failure' })).toHaveAttribute('aria-checked', 'true')

  // Reload: everything is there, nothing was held only in the page.
  await page.reload()
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  const row0 = page.locator('tr[data-episode="0"]')
  await expect(row0.getByTestId('outcome')).toHaveText('failure')
  await expect(row0.getByTestId('event-counts')).toHaveText('▲2 ▼1')
  const rows = page.locator('table[aria-label="Episodes"] tbody tr')
  await page.getByRole('combobox', { name: 'Outcome filter' }).selectOption('failure')
  await expect(rows).toHaveCount(1)
  await page.getByRole('combobox', { name: 'Outcome filter' }).selectOption('')
  await page.getByRole('combobox', { name: 'Event filter' }).selectOption('none')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toHaveAttribute('data-episode', '1')
  await page.getByRole('combobox', { name: 'Event filter' }).selectOption('any')
  await player.openEpisode(0)
  await expect.poll(() => eventFrames(page)).toEqual([5, 15, 35])
  const labels = await eventRows(page).locator('select[aria-label="Event label"]').evaluateAll((els) => els.map((e) => (e as HTMLSelectElement).value))
  const clean = (s: string | undefined): string => (s ?? '').replace(/^\s*\d\s*/, '').trim()
  expect(labels).toEqual([clean(milestoneLabels[1]), clean(errorLabels[0]), third])
  await page.keyboard.press('Escape')

  // Export JSON and CSV through the dialog (downloads), and check their contents.
  await page.getByRole('button', { name: 'Export / import…' }).click()
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
  const doc = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8')) as {
    schema: string
    version: number
    events: { episode: number; frame: number; kind: string; direction: number; label: string }[]
    episodes: { episode: number; outcome: string }[]
  }
  expect(doc.schema).toBe('viva-studio/annotations')
  expect(doc.version).toBe(1)
  expect(doc.events.map((e) => [e.episode, e.frame, e.kind, e.direction, e.label])).toEqual([
    [0, 5, 'milestone', 1, clean(milestoneLabels[1])],
    [0, 15, 'error', -1, clean(errorLabels[0])],
    [0, 35, 'milestone', 1, third],
  ])
  expect(doc.episodes.find((e) => e.episode === 0)?.outcome).toBe('failure')

  await page.getByRole('radio', { name: 'CSV' }).check()
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
  const csv = readFileSync(await csvDownload.path(), 'utf8').trim().split(/\r?\n/)
  expect(csv[0]).toBe('episode,frame,timestamp,kind,direction,label,note,annotator')
  expect(csv).toHaveLength(4)
  expect(csv[2]).toMatch(/^0,15,0\.500000,error,-1,/)
})

test('two windows on one project: an edit in one shows up in the other', async ({ browser }) => {
  const a = await browser.newPage()
  const b = await browser.newPage()
  const pa = new PlayerPage(a)
  const pb = new PlayerPage(b)
  await pa.open(server.url)
  await pb.open(server.url)
  await pa.openEpisode(1)
  await pb.openEpisode(1)
  await pa.waitSettled(0)
  await a.keyboard.press('Shift+ArrowRight')
  await a.keyboard.press('e')
  // Each test serves with a fresh data folder, so the task has no taxonomy yet.
  await expect(a.getByRole('dialog', { name: 'Choose a taxonomy preset' })).toBeVisible()
  await a.keyboard.press('4')
  await a.keyboard.press('1')
  await expect(eventRows(a)).toHaveCount(1)
  await expect(eventRows(b)).toHaveCount(1)
  await expect.poll(() => eventFrames(b)).toEqual([10])
  await a.close()
  await b.close()
})
