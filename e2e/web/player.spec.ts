import { expect, test } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { createRpcClient } from '../../app/rpc'
import { rpcPortFromWebSocket } from '../../main/server/wsPort'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, rawGet, serve, tempDir, type ServeHandle } from '../support/server'

// A generated 3-camera dataset whose frames carry their own index in pixels; every check below reads the frame
// back from each view and compares it with the frame number the UI shows.
let fixtures: string
let v21: string
let v30: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('fixtures')
  v21 = path.join(fixtures, 'v21')
  v30 = path.join(fixtures, 'v30')
  makeFixture(v21, ['--format', 'v2.1', '--episodes', '2', '--frames', '90', '--width', '640', '--height', '480'])
  makeFixture(v30, ['--format', 'v3.0', '--episodes', '3', '--frames', '45', '--width', '320', '--height', '240'])
})

test.beforeEach(async () => {
  server = await serve([v21, v30])
})

test.afterEach(async () => {
  await server.stop()
})

test.afterAll(() => {
  rmSync(fixtures, { recursive: true, force: true })
})

test('views stay frame-locked through stepping, typed seeks, Home/End and play-then-pause', async ({ page }) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(1)
  expect(await player.cameras()).toHaveLength(3)
  expect(await player.expectViewsShowUiFrame(1)).toBe(0)

  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight')
  expect(await player.expectViewsShowUiFrame(1)).toBe(3)
  await page.keyboard.press('Shift+ArrowRight')
  expect(await player.expectViewsShowUiFrame(1)).toBe(13)
  await page.keyboard.press('ArrowLeft')
  expect(await player.expectViewsShowUiFrame(1)).toBe(12)
  await page.keyboard.press('Shift+ArrowLeft')
  expect(await player.expectViewsShowUiFrame(1)).toBe(2)

  for (const typed of [57, 88, 31]) {
    await page.keyboard.press('g')
    await page.keyboard.type(String(typed))
    // Typing digits in the field must not step frames.
    await expect(page.getByTestId('current-frame')).toHaveText(String(typed === 57 ? 2 : typed === 88 ? 57 : 88))
    await page.keyboard.press('Enter')
    expect(await player.expectViewsShowUiFrame(1)).toBe(typed)
  }

  await page.keyboard.press('End')
  expect(await player.expectViewsShowUiFrame(1)).toBe(89)
  await page.keyboard.press('Home')
  expect(await player.expectViewsShowUiFrame(1)).toBe(0)

  await page.keyboard.press('Space')
  await expect.poll(() => player.uiFrame(), { timeout: 10_000 }).toBeGreaterThan(15)
  await page.keyboard.press('Space')
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible()
  const paused = await player.expectViewsShowUiFrame(1)
  expect(paused).toBeGreaterThan(15)

  // Play to the end: the player stops on the last frame, every view on it.
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('End')
  await player.waitSettled(89)
  await page.keyboard.press('Home')
  await player.waitSettled(0)
  await page.getByRole('combobox', { name: 'Playback speed' }).selectOption('4')
  await page.keyboard.press('Space')
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible({ timeout: 20_000 })
  expect(await player.expectViewsShowUiFrame(1)).toBe(89)

  expect(consoleErrors).toEqual([])
})

test('v3.0: episodes sharing one file per camera seek inside it', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await page.getByRole('combobox', { name: 'Dataset' }).selectOption({ label: 'v30' })
  await player.openEpisode(1)
  expect(await player.expectViewsShowUiFrame(1)).toBe(0)
  await page.keyboard.press('End')
  expect(await player.expectViewsShowUiFrame(1)).toBe(44)
  await page.keyboard.press('Escape')
  await player.openEpisode(2)
  await page.keyboard.press('Shift+ArrowRight')
  expect(await player.expectViewsShowUiFrame(2)).toBe(10)
})

test('requests without the session token are refused', async ({ playwright }) => {
  const request = await playwright.request.newContext()
  const noToken = await request.get(`${server.origin}/`)
  expect(noToken.status()).toBe(403)
  const wrongToken = await request.get(`${server.origin}/?token=nope`)
  expect(wrongToken.status()).toBe(403)
  const wrongPath = await request.get(`${server.origin}/s/nope/`)
  expect(wrongPath.status()).toBe(403)
  const ok = await request.get(server.url)
  expect(ok.status()).toBe(200)
  expect(ok.headers()['content-security-policy']).toContain("script-src 'self'")
  expect(ok.headers()['set-cookie']).toBeUndefined()

  const ws = await new Promise<string>((resolve) => {
    const socket = new WebSocket(`${server.origin.replace('http', 'ws')}/rpc`)
    socket.on('open', () => resolve('open'))
    socket.on('error', () => resolve('refused'))
  })
  expect(ws).toBe('refused')
})

test('media outside the dataset root is refused, inside is served with Range support', async ({ playwright }) => {
  // A fresh context per check: nothing carried over from another request.
  const request = await playwright.request.newContext()
  const t = `token=${encodeURIComponent(server.token)}`
  const list = await request.get(`${server.url}`)
  expect(list.status()).toBe(200)
  // Find the dataset id the server gave v2.1 through the same API the renderer uses.
  const id = await datasetId(server, 'v21')
  const good = `${server.origin}/media/${id}/videos/chunk-000/observation.images.cam_high/episode_000000.mp4?${t}`
  const ranged = await request.get(good, { headers: { Range: 'bytes=0-99' } })
  expect(ranged.status()).toBe(206)
  expect((await ranged.body()).length).toBe(100)
  const noTok = await (await playwright.request.newContext()).get(good.replace(`?${t}`, ''))
  expect(noTok.status()).toBe(403)
  for (const evil of [
    `/media/${id}/..%2f..%2f..%2fetc%2fpasswd`,
    `/media/${id}/%2e%2e/%2e%2e/etc/passwd`,
    `/media/${id}/../../../../etc/passwd`,
    `/media/${id}/%2Fetc%2Fpasswd`,
    `/media/${id}/videos`,
    `/media/unknown-root/meta/info.json`,
  ]) {
    expect(await rawGet(server.origin, `${evil}?${t}`), evil).toBe(403)
  }
  // Inside the root but not media the player asked for is still inside the root: allowed; outside never.
  expect(await rawGet(server.origin, `/media/${id}/meta/info.json?${t}`)).toBe(200)
})

async function datasetId(handle: ServeHandle, name: string): Promise<string> {
  const ws = new WebSocket(`${handle.origin.replace('http', 'ws')}/rpc?token=${encodeURIComponent(handle.token)}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((r, j) => {
    ws.on('open', r)
    ws.on('error', j)
  })
  const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
  const list = await client.call('dataset.list', {})
  ws.close()
  const found = list.find((d) => d.name === name)
  if (!found) throw new Error(`dataset ${name} not open`)
  return found.id
}
