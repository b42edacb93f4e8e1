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
  makeFixture(dataset, ['--format', 'v2.1', '--episodes', '2', '--frames', '200', '--width', '160', '--height', '120'])
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

  // Reload: everything is there, nothing was held only in the page; the player comes back to its episode.
  await page.reload()
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  const row0 = page.locator('tr[data-episode="0"]')
  await expect(row0.getByTestId('outcome')).toHaveText('failure')
  await expect(row0.getByTestId('milestone-count')).toHaveText('2')
  await expect(row0.getByTestId('error-count')).toHaveText('1')
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
  expect(csv[0]).toBe('episode_index,frame_index,timestamp,time_from_frame_s,kind,direction,label,note,annotator')
  expect(csv).toHaveLength(4)
  // The fixture's table timestamps are frame/fps: both columns agree.
  expect(csv[2]).toMatch(/^0,15,0\.500000,0\.500000,error,-1,/)
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

test('a typed event frame: Enter commits and leaves the field, Esc reverts, a click elsewhere commits; one undo step each', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await player.waitSettled(0)
  // Milestones at 20 and 40 (the first key picks a preset: each test serves a fresh data folder).
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('m')
  await page.keyboard.press('4')
  await page.keyboard.press('1')
  await expect.poll(() => player.eventFrames()).toEqual([20]) // the taxonomy is saved: the next M offers its labels
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('m')
  await page.keyboard.press('2')
  await expect.poll(() => player.eventFrames()).toEqual([20, 40])
  const a = await player.eventIdAt(20)
  const b = await player.eventIdAt(40)
  const frameOf = (id: string) => page.locator(`li.event-row[data-event-id="${id}"]`).getAttribute('data-frame').then(Number)

  // Enter: the event moves to 131 and the field lets go, so the next digit does not append (131 → 1315 → 199).
  await player.typeEventFrame(a, '131')
  await page.keyboard.press('Enter')
  await expect.poll(() => frameOf(a)).toBe(131)
  await expect(player.eventFrameField(a)).not.toBeFocused()
  await page.keyboard.press('5')
  await page.keyboard.press('ArrowRight') // player keys work again: one frame on from the moved event
  await expect(page.getByTestId('current-frame')).toHaveText('132')
  expect(await frameOf(a)).toBe(131)
  await expect(player.eventFrameField(a)).toHaveValue('131')
  // One Ctrl+Z puts it back where it was.
  await page.keyboard.press('Control+z')
  await expect.poll(() => player.eventFrames()).toEqual([20, 40])

  // Esc: nothing changes and the field lets go; the move above stays the only redo, the add of b the next undo.
  await player.typeEventFrame(a, '131')
  await page.keyboard.press('Escape')
  await expect(player.eventFrameField(a)).not.toBeFocused()
  await expect(player.eventFrameField(a)).toHaveValue('20')
  await expect(page.locator('.player-screen')).toBeVisible() // Esc did not also leave the player
  await page.keyboard.press('5')
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('21')
  expect(await player.eventFrames()).toEqual([20, 40])
  await page.keyboard.press('Control+z')
  await expect.poll(() => player.eventFrames()).toEqual([20])
  await page.keyboard.press('Control+Shift+z')
  await expect.poll(() => player.eventFrames()).toEqual([20, 40])

  // Clicking another event's marker: the typed frame is committed (as Tab would) and the field lets go.
  await player.typeEventFrame(a, '131')
  await player.marker(b).click()
  await expect.poll(() => frameOf(a)).toBe(131)
  await expect(player.eventFrameField(a)).not.toBeFocused()
  await expect(page.getByTestId('current-frame')).toHaveText('40')
  await page.keyboard.press('5')
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('41')
  expect(await frameOf(a)).toBe(131)
  await page.keyboard.press('Control+z')
  await expect.poll(() => player.eventFrames()).toEqual([20, 40])
})

test('a note typed just before a reload is saved; its state shows next to it until the server has it', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(1)
  const note = page.getByLabel('Episode note')
  await note.click()
  await page.keyboard.type('lid jammed at the end')
  // Reload at once: the typing pause (when notes are saved) has not passed, and the field was never left.
  await page.reload()
  // The reload reopens the episode it was on, note saved.
  await expect(page.locator('.player-screen[data-episode="1"]')).toBeVisible()
  await expect(page.getByLabel('Episode note')).toHaveValue('lid jammed at the end')

  // Typing shows the note as not saved yet; leaving the field saves it, and says so once the server has it.
  await page.getByLabel('Episode note').click()
  await page.keyboard.type(', twice')
  await expect(page.getByTestId('note-status-episode')).toHaveAttribute('data-status', /unsaved|saving|saved/)
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('note-status-episode')).toHaveAttribute('data-status', 'saved')
  await expect(page.getByTestId('note-status-episode')).toHaveText('saved')
  await page.keyboard.press('Escape') // the field let go: Esc goes back to the episode list
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  await player.openEpisode(1)
  await expect(page.getByLabel('Episode note')).toHaveValue('lid jammed at the end, twice')
})
