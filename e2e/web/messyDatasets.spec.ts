import { expect, test } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { writePatternDataset } from '../../main/synth/patternDataset'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Issue 14, in the browser: a dataset with the quirk classes real ones have (videos away from video_path, a camera
// with no files, a frozen and a black camera, a short video, drifting timestamps) shows each problem where users
// look (the episode list's Warnings column, the player's camera panes and warnings, the Models tab), the recorded
// time, the source codec; and a reload comes back to the same episode and frame.

const A = 'observation.images.a'
const B = 'observation.images.b'
const GHOST = 'observation.images.ghost'
let fixtures: string
let messy: string
let mpeg4: string
let server: ServeHandle | null = null

test.beforeAll(async () => {
  fixtures = tempDir('messy')
  messy = path.join(fixtures, 'messy')
  await writePatternDataset({
    out: messy,
    format: 'v2.1',
    lengths: [20, 24, 18],
    fps: 10,
    cameras: [A, B].map((key) => ({ key, width: 160, height: 120 })),
    quirks: {
      videoFilesAt: { camera: A, template: 'video/chunk_{episode_chunk}/{short_key}/file-{episode_index:03d}.mp4' },
      phantomCamera: GHOST,
      frozenCamera: { camera: A, episode: 1 },
      blackCamera: { camera: B, episode: 2 },
      videoFrameDelta: { episode: 0, camera: B, delta: -2 },
      timestampOffset: 0.05,
      timestampDrift: 1.4,
    },
  })
  mpeg4 = path.join(fixtures, 'mpeg4')
  makeFixture(mpeg4, ['--format', 'v2.1', '--episodes', '1', '--frames', '20', '--width', '160', '--height', '120', '--codec', 'mpeg4'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.afterEach(async () => {
  await server?.stop()
  server = null
})

const warningsCell = (page: import('@playwright/test').Page, episode: number) =>
  page.locator(`tr[data-episode="${episode}"] [data-testid="episode-warnings"]`)

test('the Warnings column shows each episode\'s problems; the player shows every camera on disk and why the others are empty', async ({ page }) => {
  server = await serve([messy])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await expect(page.getByTestId('missing-camera')).toContainText('ghost (no video files)')

  // Filled in by the background checks, without opening any episode.
  for (const [episode, code] of [
    [0, 'VIDEO_FRAMES_MISMATCH'],
    [1, 'CAMERA_FROZEN'],
    [2, 'CAMERA_BLACK'],
  ] as const) {
    const cell = warningsCell(page, episode)
    await expect(cell).toHaveAttribute('data-checked', 'true', { timeout: 60_000 })
    expect((await cell.getAttribute('data-codes'))?.split(' ')).toContain(code)
    await expect(cell).toContainText(code.toLowerCase().replaceAll('_', ' '))
  }
  expect(await warningsCell(page, 1).getAttribute('title')).toContain(`camera "${A}" shows the same picture all through episode 1`)
  expect((await warningsCell(page, 0).getAttribute('data-codes'))?.split(' ')).not.toContain('CAMERA_FROZEN')

  await player.openEpisode(1)
  // Camera a plays from where its files really are; b plays; the ghost has a pane that says what was expected.
  await expect(page.locator('video[data-camera]')).toHaveCount(2)
  expect(await player.cameras()).toEqual([A, B])
  const ghost = page.getByTestId(`camera-error-${GHOST}`)
  await expect(ghost).toContainText('No video for ghost')
  await expect(ghost).toContainText('searched video/, videos/')
  await expect(page.locator('.warnings li[data-code="CAMERA_FROZEN"]')).toHaveCount(1)
  // The recorded time of frame 0 (the table starts 0.05 s late), with frame/fps beside it.
  await expect(page.getByTestId('frame-time')).toContainText('t = 0.050 s')
  await page.keyboard.press('End')
  await expect(page.getByTestId('current-frame')).toHaveText('23')
  // 2.3 s from frame/fps, recorded at 2.3 + 0.05 + 1.4.
  await expect(page.getByTestId('frame-time')).toContainText('t = 3.750 s')
  await expect(page.getByTestId('frame-time')).toContainText('frame/fps 2.300 s')

  // The Models tab says which camera is missing and why, instead of leaving the mapping a dead end.
  await page.getByRole('tab', { name: 'Models' }).click()
  await page.locator('[data-testid^="model-row-"]:not([aria-disabled="true"])').first().click()
  await expect(page.getByTestId('missing-cameras')).toContainText('ghost')
  await expect(page.getByTestId('missing-cameras')).toContainText('videos/chunk-000/observation.images.ghost/episode_000000.mp4')
})

test('a reload reopens the episode and frame it was on', async ({ page }) => {
  server = await serve([messy])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(2)
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('5')
  await expect.poll(() => page.evaluate(() => window.location.hash)).toMatch(/^#\/dataset\/[^/]+\/episode\/2\/frame\/5$/)
  await page.reload()
  await expect(page.locator('.player-screen[data-episode="2"]')).toBeVisible()
  await expect(page.getByTestId('current-frame')).toHaveText('5')
  expect(await player.waitSettled(5)).toBe(5)
  // Back to the list and reload: the list, not the player.
  await page.keyboard.press('Escape')
  await expect.poll(() => page.evaluate(() => window.location.hash)).toMatch(/^#\/dataset\/[^/]+$/)
  await page.reload()
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
})

test('the camera header names the source codec; the proxy that plays is noted', async ({ page }) => {
  server = await serve([mpeg4])
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  await expect(page.locator('video[data-camera]')).toHaveCount(3, { timeout: 60_000 })
  const header = page.getByTestId('camera-codec-observation.images.cam_high')
  await expect(header).toContainText('mpeg4 160×120')
  await expect(header).toContainText('plays as h264 proxy')
})
