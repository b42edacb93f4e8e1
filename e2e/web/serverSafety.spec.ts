import { expect, test, type Page } from '@playwright/test'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { createRpcClient } from '../../app/rpc'
import { rpcPortFromWebSocket } from '../../main/server/wsPort'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Browser mode as a careless or hostile user meets it: an import file far over the limit previewed from the UI is
// refused by name and size and the server carries on (it used to go up as one WebSocket frame and kill the server);
// the session token lives in the app's path, and no cookie carries it to other servers on 127.0.0.1.

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('safety')
  dataset = path.join(fixtures, 'ds')
  makeFixture(dataset, ['--episodes', '2', '--frames', '12', '--width', '64', '--height', '48'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** The dataset's annotations as the canonical JSON export, through the contract as the renderer gets it. */
async function exportJson(): Promise<{ datasetId: string; doc: { episodes: unknown[] } }> {
  const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/rpc?token=${encodeURIComponent(server.token)}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((r, j) => {
    ws.on('open', r)
    ws.on('error', j)
  })
  try {
    const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
    const [summary] = await client.call('dataset.list', {})
    const datasetId = summary?.id ?? ''
    const exported = await client.call('annotations.export', { datasetId, format: 'json', filters: {} })
    return { datasetId, doc: JSON.parse(exported.content) as { episodes: unknown[] } }
  } finally {
    ws.close()
  }
}

async function openDialog(page: Page): Promise<ReturnType<Page['getByRole']>> {
  await page.goto(server.url)
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  await page.getByRole('button', { name: 'Export / import…' }).click()
  return page.getByRole('dialog', { name: 'Export and import annotations' })
}

test('a ~90 MB import file is refused by name and size; the server carries on and a 6 MB file imports', async ({ page }) => {
  const huge = path.join(fixtures, 'huge.json')
  writeFileSync(huge, Buffer.alloc(90 * 1000 * 1000, 0x20))
  const { doc } = await exportJson()
  doc.episodes = [{ episode: 1, outcome: 'failure', status: 'done', note: 'imported in chunks', updatedAt: '2026-01-01T00:00:00.000Z' }]
  // Trailing whitespace keeps it valid JSON while making it larger than one WebSocket message may be.
  const big = path.join(fixtures, 'big.json')
  writeFileSync(big, JSON.stringify(doc) + ' '.repeat(6 * 1024 * 1024))

  const dialog = await openDialog(page)
  await dialog.getByLabel('Annotation file').setInputFiles(huge)
  await dialog.getByRole('button', { name: 'Preview' }).click()
  await expect(dialog.getByTestId('import-error')).toContainText('"huge.json" is 85.8 MB; files sent to ViVa Studio are limited to 64.0 MB')

  // Same page, same connection: the server is alive and takes a file bigger than one message, in chunks.
  await dialog.getByLabel('Annotation file').setInputFiles(big)
  await dialog.getByRole('button', { name: 'Preview' }).click()
  await expect(dialog.getByTestId('import-preview')).toContainText('1 episodes changed')
  await dialog.getByRole('button', { name: 'Apply import' }).click()
  await expect(dialog.getByRole('status').first()).toContainText('Imported big.json')
  await dialog.getByRole('button', { name: 'Close' }).click()
  await expect(page.locator('tr[data-episode="1"] td[data-testid="outcome"]')).toHaveText('failure')
})

test('the app loads under /s/<token>/ with no cookie; the printed URL of before still works; a wrong path token is refused', async ({ page, context, playwright }) => {
  const setCookies: string[] = []
  const failed: string[] = []
  page.on('response', async (r) => {
    const header = await r.headerValue('set-cookie')
    if (header !== null) setCookies.push(`${r.url()}: ${header}`)
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
  })
  await page.goto(server.url)
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  expect(new URL(page.url()).pathname).toBe(`/s/${server.token}/`)
  // Scripts, styles and the icon came through the path token.
  expect(failed).toEqual([])
  expect(setCookies).toEqual([])
  expect(await context.cookies()).toEqual([])

  await page.goto(`${server.origin}/?token=${encodeURIComponent(server.token)}`)
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  expect(new URL(page.url()).pathname).toBe(`/s/${server.token}/`)

  const request = await playwright.request.newContext()
  expect((await request.get(`${server.origin}/s/${'x'.repeat(server.token.length)}/`)).status()).toBe(403)
  expect((await request.get(`${server.origin}/index.html`, { headers: { Cookie: `viva_token=${server.token}` } })).status()).toBe(403)
})
