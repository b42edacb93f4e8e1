import { expect, test } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { rewriteParquet } from '../../main/hardening/badInputs'
import { PlayerPage } from '../pages/PlayerPage'
import { spawnServe } from '../../main/testing/serveProcess'
import { generateTaskFixture, makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

const SHARED = path.resolve('..', 'shared', 'datasets')
let fixtures: string
let mpeg4: string

test.beforeAll(() => {
  fixtures = tempDir('fixtures')
  mpeg4 = path.join(fixtures, 'mpeg4')
  makeFixture(mpeg4, ['--format', 'v2.1', '--episodes', '2', '--frames', '40', '--width', '320', '--height', '240', '--codec', 'mpeg4'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))

let server: ServeHandle | null = null
test.afterEach(async () => {
  await server?.stop()
  server = null
})

test('a codec Chromium cannot play is transcoded with visible progress, then plays frame-accurately', async ({ page }) => {
  server = await serve([mpeg4])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  // Never a blank view: either a progress panel or the video.
  await expect(page.locator('figure.view')).toHaveCount(3)
  await expect(page.locator('video[data-camera]')).toHaveCount(3, { timeout: 60_000 })
  expect(await player.expectViewsShowUiFrame(0)).toBe(0)
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('ArrowRight')
  expect(await player.expectViewsShowUiFrame(0)).toBe(11)
  await page.keyboard.press('End')
  expect(await player.expectViewsShowUiFrame(0)).toBe(39)
})

test('episode list: keyboard selection, filters, Enter opens; Escape returns', async ({ page }) => {
  const ds = path.join(fixtures, 'list')
  makeFixture(ds, ['--format', 'v2.1', '--episodes', '6', '--frames', '10', '--width', '64', '--height', '48'])
  server = await serve([ds])
  const player = new PlayerPage(page)
  await player.open(server.url)
  const rows = page.locator('table[aria-label="Episodes"] tbody tr')
  await expect(rows).toHaveCount(6)
  await expect(page.locator('tr[aria-selected="true"]')).toHaveAttribute('data-episode', '0')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowDown')
  await expect(page.locator('tr[aria-selected="true"]')).toHaveAttribute('data-episode', '2')
  await page.keyboard.press('ArrowUp')
  await expect(page.locator('tr[aria-selected="true"]')).toHaveAttribute('data-episode', '1')
  await page.keyboard.press('Enter')
  await expect(page.locator('.player-screen[data-episode="1"]')).toBeVisible()
  await page.keyboard.press('PageDown')
  await expect(page.locator('.player-screen[data-episode="2"]')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(rows).toHaveCount(6)

  // Text filter: typing in it must not move the selection; task filter narrows the list.
  await page.keyboard.press('/')
  await page.keyboard.type('4')
  await expect(rows).toHaveCount(1)
  await page.getByRole('searchbox', { name: 'Filter episodes' }).fill('')
  const tasks = await page.getByRole('combobox', { name: 'Task filter' }).locator('option').allTextContents()
  expect(tasks.length).toBeGreaterThan(1)
  await page.getByRole('combobox', { name: 'Task filter' }).selectOption({ index: 1 })
  const filtered = await rows.count()
  expect(filtered).toBeGreaterThan(0)
  expect(filtered).toBeLessThan(6)
})

test('the shared real datasets load and play (AV1 and H.264, quirks reported)', async ({ page }) => {
  server = await serve([path.join(SHARED, 'unitree-g1-bottle-pick'), path.join(SHARED, 'gr00t-sim-gr1-picknplace')])
  const player = new PlayerPage(page)
  await player.open(server.url)

  await page.getByRole('combobox', { name: 'Dataset' }).selectOption({ label: 'unitree-g1-bottle-pick' })
  await expect(page.getByTestId('episode-count')).toHaveText('100 of 100 episodes')
  await expect(page.locator('tr[data-episode="0"]')).toContainText('missing on disk')
  await player.openEpisode(4)
  await player.waitSettled(0)
  await page.keyboard.press('Shift+ArrowRight')
  await player.waitSettled(10)
  expect(await meanLuma(page)).toBeGreaterThan(20)
  await expect(page.getByTestId('state-plot').locator('.legendtext').first()).toHaveText('kLeftShoulderPitch', { timeout: 30_000 })
  await page.keyboard.press('Escape')

  await page.getByRole('combobox', { name: 'Dataset' }).selectOption({ label: 'gr00t-sim-gr1-picknplace' })
  await expect(page.getByText(/egoview.*no video files/i).first()).toBeAttached()
  await player.openEpisode(2)
  await page.keyboard.press('End')
  await player.waitSettled(469)
  expect(await meanLuma(page)).toBeGreaterThan(10)
  await expect(page.locator('.player-screen .warnings summary')).toContainText('Episode warnings')
})

test('a corrupt episode gives a clear error naming the file; a missing camera file leaves the other views playing', async ({ page }) => {
  const ds = path.join(fixtures, 'broken')
  makeFixture(ds, ['--format', 'v2.1', '--episodes', '3', '--frames', '20', '--width', '160', '--height', '120'])
  const parquet = path.join(ds, 'data', 'chunk-000', 'episode_000001.parquet')
  writeFileSync(parquet, readFileSync(parquet).subarray(0, 200))
  rmSync(path.join(ds, 'videos', 'chunk-000', 'observation.images.cam_left_wrist', 'episode_000002.mp4'))
  server = await serve([ds])
  const player = new PlayerPage(page)
  await player.open(server.url)

  await page.locator('tr[data-episode="1"]').click()
  await page.keyboard.press('Enter')
  const toast = page.getByRole('alert').locator('.toast')
  await expect(toast).toContainText('episode_000001.parquet')
  await page.getByRole('button', { name: 'Dismiss' }).click()

  // The app stays usable: other episodes open; the one with a missing camera says so in that view only.
  await player.openEpisode(2)
  await expect(page.locator('figure.view[data-status="missing"]')).toContainText('cam_left_wrist')
  await expect(page.locator('video[data-camera]')).toHaveCount(2)
  await page.keyboard.press('ArrowRight')
  expect(await player.expectViewsShowUiFrame(2)).toBe(1)
  await page.keyboard.press('Escape')
  await player.openEpisode(0)
  expect(await player.expectViewsShowUiFrame(0)).toBe(0)
})

test("a v3.0 video window past its file's end shows an error in that camera's pane; the other cameras play", async ({ page }) => {
  const ds = path.join(fixtures, 'bad-window')
  makeFixture(ds, ['--format', 'v3.0', '--episodes', '3', '--frames', '20', '--width', '160', '--height', '120'])
  const wrist = 'observation.images.cam_left_wrist'
  // 60 frames at 30 fps in each shared file (0–2 s); episode 1's wrist window now points 97 s past its end.
  await rewriteParquet(path.join(ds, 'meta', 'episodes', 'chunk-000', 'file-000.parquet'), (rows) => {
    const row = rows[1] as Record<string, unknown>
    row[`videos/${wrist}/from_timestamp`] = 99
    row[`videos/${wrist}/to_timestamp`] = 99.6667
  })
  server = await serve([ds])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(1)

  const pane = page.locator(`figure.view[data-camera="${wrist}"]`)
  await expect(pane).toHaveAttribute('data-status', 'failed')
  await expect(pane.getByRole('alert')).toContainText('Cannot show cam_left_wrist')
  for (const part of ['episode 1', '99.000–99.667 s', `videos/${wrist}/chunk-000/file-000.mp4`, "starts past the file's last frame", 'lasts 2.000 s']) {
    await expect(pane).toContainText(part)
  }
  await expect(pane.locator('video')).toHaveCount(0)
  // The two other cameras are episode 1's own frames, locked to the UI's frame.
  await expect(page.locator('video[data-camera]')).toHaveCount(2)
  await page.keyboard.press('ArrowRight')
  expect(await player.expectViewsShowUiFrame(1)).toBe(1)
  await page.keyboard.press('Escape')
  await player.openEpisode(2)
  await expect(page.locator('video[data-camera]')).toHaveCount(3)
  expect(await player.expectViewsShowUiFrame(2)).toBe(0)
})

test("a moved dataset shows where its annotations were found; Re-attach brings them back, nothing is lost", async ({ page }) => {
  const before = path.join(fixtures, 'bimanual-before-move')
  generateTaskFixture(before, ['--episodes', '2', '--seed', '3', '--width', '96', '--height', '72'])
  const dataDir = tempDir('reattach-data')
  // Annotate it at its first path (the generator's ground truth, imported as a user would).
  const imported = spawnSync('node', [path.resolve('main/cli/viva.mjs'), 'import', before, path.join(before, 'meta', 'viva_ground_truth.json'), '--data-dir', dataDir], { encoding: 'utf8' })
  expect(imported.status, imported.stderr).toBe(0)
  const events = Number(/(\d+) events added/.exec(imported.stdout)?.[1] ?? 0)
  expect(events).toBeGreaterThan(0)
  const after = path.join(fixtures, 'bimanual-after-move')
  renameSync(before, after)

  const { child, url } = await spawnServe([after], dataDir)
  try {
    const player = new PlayerPage(page)
    await player.open(url.href)
    const banner = page.getByRole('region', { name: 'Annotations found elsewhere' })
    await expect(banner).toContainText(`This dataset's annotations were found at ${before} (${events} events)`)
    await expect(page.getByTestId('milestone-count').filter({ hasText: /\d/ })).toHaveCount(0)
    await banner.getByRole('button', { name: 'Re-attach' }).click()
    await expect(banner).toHaveCount(0)
    await expect(page.getByTestId('milestone-count').filter({ hasText: /\d/ })).toHaveCount(2)
  } finally {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
})

function meanLuma(page: import('@playwright/test').Page): Promise<number> {
  return page.locator('video[data-camera]').first().evaluate((el) => {
    const v = el as HTMLVideoElement
    const c = document.createElement('canvas')
    c.width = v.videoWidth
    c.height = v.videoHeight
    const ctx = c.getContext('2d')
    if (!ctx) return 0
    ctx.drawImage(v, 0, 0)
    const d = ctx.getImageData(0, 0, c.width, c.height).data
    let s = 0
    for (let i = 0; i < d.length; i += 4) s += ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0)) / 3
    return s / (d.length / 4)
  })
}
