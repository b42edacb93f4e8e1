import { expect, test, type Page } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { THEME_COLORS } from '../../app/figures/palette'
import { PlayerPage } from '../pages/PlayerPage'
import { generateTaskFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Figures and videos for papers (issue 17 item 5), from the player as a user makes them: the value plot exported as
// SVG and PNG at a typed size (checked with an independent decoder, ffprobe/ffmpeg, and the browser's XML parser), and
// an MP4 of a frame range rendered by the main side with progress and Cancel.

let fixtures: string
let dataset: string
let curves: string
let groundTruth: string
let server: ServeHandle
let length: number
let events: { kind: string; frame: number; label: string }[]

test.beforeAll(() => {
  fixtures = tempDir('paper')
  dataset = path.join(fixtures, 'task')
  // A failing episode: its ground truth has milestones and an error, so the figure shows both kinds of marker.
  generateTaskFixture(dataset, ['--episodes', '1', '--seed', '5', '--fps', '30', '--width', '96', '--height', '72', '--failure-rate', '1'])
  const first = readFileSync(path.join(dataset, 'meta', 'episodes.jsonl'), 'utf8').split('\n')[0] ?? ''
  length = (JSON.parse(first) as { length: number }).length
  groundTruth = path.join(dataset, 'meta', 'viva_ground_truth.json')
  events = (JSON.parse(readFileSync(groundTruth, 'utf8')) as { events: { episode: number; kind: string; frame: number; label: string }[] }).events
    .filter((e) => e.episode === 0)
    .map(({ kind, frame, label }) => ({ kind, frame, label }))
  const rows = ['episode,frame,value,name']
  for (let f = 0; f < length; f++) rows.push(`0,${f},${(f / (length - 1)).toFixed(6)},ramp`, `0,${f},${f < length / 2 ? 0.3 : 0.8},steps`)
  curves = path.join(fixtures, 'curves.csv')
  writeFileSync(curves, `${rows.join('\n')}\n`)
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** The episode-0 video file of a camera (the fixture has one episode, so its frame n is the episode's frame n). */
function videoOf(root: string, camera: string): string {
  const found = readdirSync(path.join(root, 'videos'), { recursive: true, encoding: 'utf8' }).filter((f) => f.includes(camera) && f.endsWith('.mp4'))
  if (found.length !== 1) throw new Error(`expected one ${camera} video in ${root}, found ${found.length}`)
  return path.join(root, 'videos', found[0] as string)
}

/** Frame `n` of a video as RGB bytes, after a filter (crop or scale), decoded by ffmpeg. */
function rgbFrame(file: string, n: number, filter: string): Uint8Array {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${n}),${filter}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`ffmpeg ${file}: ${r.stderr.toString()}`)
  return new Uint8Array(r.stdout)
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`frames of ${a.length} and ${b.length} bytes`)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number))
  return sum / a.length
}

/** Episode 0 open with the two imported curves and the generator's annotations. */
async function openAnnotatedEpisode(page: Page): Promise<PlayerPage> {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.importAnnotations(groundTruth)
  await player.openEpisode(0)
  await player.importCurves(curves, 2)
  await page.getByRole('tab', { name: 'Annotations' }).click()
  await expect(player.curveItems()).toHaveCount(2)
  return player
}

function ffprobe(file: string, entries: string, extra: string[] = []): Record<string, unknown> {
  const r = spawnSync('ffprobe', ['-v', 'error', ...extra, '-select_streams', 'v:0', '-show_entries', entries, '-of', 'json', file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`)
  return ((JSON.parse(r.stdout) as { streams: Record<string, unknown>[] }).streams[0] ?? {})
}

/** The top-left pixel of an image as #rrggbb, decoded by ffmpeg. */
function cornerColor(file: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'crop=1:1:0:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])
  if (r.status !== 0) throw new Error(`ffmpeg ${file}: ${r.stderr.toString()}`)
  return `#${[...r.stdout.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

test('Export figure: SVG and PNG at the asked size with legend and events, light by default or dark, nothing leaves the machine', async ({ page }) => {
  const outside: string[] = []
  page.on('request', (r) => {
    const url = r.url()
    if (!url.startsWith(server.origin) && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url)
  })
  const player = await openAnnotatedEpisode(page)
  const plotted = await player.curveItems().locator('.curve-name').allTextContents()
  const downloads = path.join(fixtures, 'downloads')
  mkdirSync(downloads, { recursive: true })
  const dialog = page.getByRole('dialog', { name: 'Export figure' })
  // Keys go to the open dialog, not the player: Escape closes the dialog and leaves the episode open.
  await page.getByRole('button', { name: 'Export figure…' }).click()
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  await page.getByRole('button', { name: 'Export figure…' }).click()
  const size = dialog.getByLabel('Figure size')

  // A size the figure cannot have: said at once, nothing to download.
  await size.fill('50×50')
  await expect(dialog.getByTestId('figure-error')).toHaveText('Figure width must be a whole number of pixels from 160 to 8000 (got 50)')
  await expect(dialog.getByRole('button', { name: 'Download SVG' })).toBeDisabled()

  const save = async (button: string, name: string): Promise<string> => {
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: button }).click()])
    const file = path.join(downloads, name)
    await download.saveAs(file)
    expect(existsSync(file)).toBe(true)
    return file
  }

  // ---- SVG, 900×420: parses, has the size, the legend names and a marker per annotated event.
  await size.fill('900×420')
  await expect(dialog.getByTestId('figure-preview')).toBeVisible()
  const svgFile = await save('Download SVG', 'figure.svg')
  await expect(dialog.getByRole('status')).toHaveText('Downloaded task-episode-0-value-900x420.svg')
  const svg = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
    const root = doc.documentElement
    return {
      errors: doc.getElementsByTagName('parsererror').length,
      width: root.getAttribute('width'),
      height: root.getAttribute('height'),
      legend: [...doc.querySelectorAll('g.legend text')].map((t) => t.textContent),
      events: [...doc.querySelectorAll('g.event')].map((g) => ({
        kind: g.getAttribute('data-kind'),
        frame: Number(g.getAttribute('data-frame')),
        label: g.querySelector('text')?.textContent ?? '',
        markers: g.querySelectorAll('polygon').length,
      })),
      background: doc.querySelector('rect')?.getAttribute('fill'),
    }
  }, readFileSync(svgFile, 'utf8'))
  expect(svg.errors).toBe(0)
  expect([svg.width, svg.height]).toEqual(['900', '420'])
  // The plot's curves in the plot's order, then the event kinds.
  expect([...plotted].sort()).toEqual(['ramp', 'steps'])
  expect(svg.legend).toEqual([...plotted, 'milestone', 'error'])
  expect(events.some((e) => e.kind === 'error')).toBe(true)
  expect(svg.events).toEqual(events.map((e) => ({ ...e, markers: 1 })))
  expect(svg.background).toBe(THEME_COLORS.light.background)

  // ---- PNG, 640×360: decodes (ffprobe) at exactly that size, on the light background.
  await size.fill('640 x 360')
  const pngFile = await save('Download PNG', 'figure.png')
  await expect(dialog.getByRole('status')).toHaveText('Downloaded task-episode-0-value-640x360.png')
  expect(ffprobe(pngFile, 'stream=codec_name,width,height')).toEqual({ codec_name: 'png', width: 640, height: 360 })
  expect(cornerColor(pngFile)).toBe(THEME_COLORS.light.background)

  // ---- Dark, 1200×500.
  await dialog.getByRole('radio', { name: 'dark' }).check()
  await size.fill('1200×500')
  const darkFile = await save('Download PNG', 'dark.png')
  expect(ffprobe(darkFile, 'stream=codec_name,width,height')).toEqual({ codec_name: 'png', width: 1200, height: 500 })
  expect(cornerColor(darkFile)).toBe(THEME_COLORS.dark.background)

  expect(outside).toEqual([])
})

test('Render video: a frame range of chosen cameras to an MP4 with exactly those frames', async ({ page }) => {
  await openAnnotatedEpisode(page)
  const outDir = path.join(fixtures, 'renders-range')
  mkdirSync(outDir, { recursive: true })
  await page.getByRole('button', { name: 'Render video…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Render video' })
  // Default: every camera, both curves, the whole episode.
  await expect(dialog.getByLabel('First frame')).toHaveValue('0')
  await expect(dialog.getByLabel('Last frame')).toHaveValue(String(length - 1))
  await dialog.getByRole('checkbox', { name: 'cam_left_wrist' }).uncheck()
  await dialog.getByRole('checkbox', { name: 'steps' }).uncheck()
  await dialog.getByLabel('First frame').fill('10')
  await dialog.getByLabel('Last frame').fill('9')
  await expect(dialog.getByTestId('render-form-error')).toHaveText('Last frame 9 is before first frame 10')
  await expect(dialog.getByRole('button', { name: 'Render' })).toBeDisabled()
  await dialog.getByLabel('Last frame').fill('29')
  await dialog.getByLabel('Tile height').fill('96')
  await dialog.getByLabel('Video path').fill(path.join(outDir, 'clip'))
  await dialog.getByRole('button', { name: 'Render' }).click()

  const out = path.join(outDir, 'clip.mp4')
  await expect(dialog.getByTestId('render-result')).toContainText(`Wrote ${out} · 20 frames at 30 fps`, { timeout: 60_000 })
  const stream = ffprobe(out, 'stream=codec_name,width,height,nb_read_frames', ['-count_frames'])
  // Two 96×72 cameras at 96 px high: 128 px wide each, side by side, the plot strip under them.
  expect(stream).toMatchObject({ codec_name: 'h264', width: 256, nb_read_frames: '20' })
  expect(readdirSync(outDir)).toEqual(['clip.mp4'])
  // The MP4's first frame shows cam_high's frame 10 (the range's first) in the first tile: its pixels are close to
  // that frame scaled to the tile, and farther from the episode's last frame.
  const camHigh = videoOf(dataset, 'cam_high')
  const tile = rgbFrame(out, 0, 'crop=128:96:0:0')
  const first = meanAbsDiff(tile, rgbFrame(camHigh, 10, 'scale=128:96:flags=bicubic'))
  const last = meanAbsDiff(tile, rgbFrame(camHigh, length - 1, 'scale=128:96:flags=bicubic'))
  expect(first).toBeLessThan(8)
  expect(first).toBeLessThan(last / 2)
  await expect(page.getByRole('alert')).toHaveCount(0)
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
})

test('Render video: Cancel stops the render, leaves no file and returns to idle without an error', async ({ page }) => {
  await openAnnotatedEpisode(page)
  const outDir = path.join(fixtures, 'renders-cancel')
  mkdirSync(outDir, { recursive: true })
  await page.getByRole('button', { name: 'Render video…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Render video' })
  // The whole episode at the largest tiles: long enough to cancel on the way.
  await dialog.getByLabel('Tile height').fill('1080')
  await dialog.getByLabel('Video path').fill(path.join(outDir, 'long.mp4'))
  await dialog.getByRole('button', { name: 'Render' }).click()

  const progress = dialog.getByTestId('render-progress')
  await expect(progress).toHaveText(new RegExp(`^[1-9]\\d*/${length} frames$`), { timeout: 60_000 })
  await expect(page.getByTestId('render-video-button')).toHaveText(/^Rendering \d+\/\d+…$/)
  await dialog.getByRole('button', { name: 'Cancel' }).click()

  await expect(dialog.getByRole('button', { name: 'Render' })).toBeEnabled()
  await expect(progress).toHaveCount(0)
  await expect(dialog.getByTestId('render-error')).toHaveCount(0)
  await expect(page.getByTestId('render-video-button')).toHaveText('Render video…')
  // The main side stops ffmpeg and removes its partial file; the video itself never appears.
  await expect.poll(() => readdirSync(outDir), { timeout: 20_000 }).toEqual([])
  expect(existsSync(path.join(outDir, 'long.mp4'))).toBe(false)
  await expect(page.getByRole('alert')).toHaveCount(0)
})
