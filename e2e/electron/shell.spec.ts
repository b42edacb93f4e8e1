import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import { tempDir } from '../support/server'
// @ts-expect-error plain .mjs helper shared with `npm start`
import { electronBinary } from '../../main/electron/binary.mjs'

const binary = (electronBinary as () => string | null)()

// Where no Electron binary could be installed (ELECTRON_SKIP_BINARY_DOWNLOAD, offline machines) this reports as
// skipped — "not run" — never as passed.
test.skip(binary === null, 'Electron binary not present on this machine: not run')

const APP_URL = /^viva-app:\/\/renderer\//

let dir = ''
let app: ElectronApplication
let page: Page

/**
 * One call through the preload's byte pipe, framed by hand as app/rpc.ts frames it (uint32 header length, JSON
 * header, padding to 8): resolves with the answer's `t` once the main side has answered.
 */
function rpcRoundTrip(p: Page): Promise<string> {
  return p.evaluate(
    () =>
      new Promise<string>((resolve) => {
        type Bridge = { send(d: ArrayBuffer): void; onMessage(l: (d: ArrayBuffer) => void): () => void }
        const bridge = (globalThis as unknown as { vivaBridge: Bridge }).vivaBridge
        const id = 1_000_000_000
        const off = bridge.onMessage((d) => {
          const length = new DataView(d).getUint32(0, true)
          const header = JSON.parse(new TextDecoder().decode(new Uint8Array(d, 4, length))) as { t: string; id?: number }
          if (header.id !== id) return
          off()
          resolve(header.t)
        })
        const json = new TextEncoder().encode(JSON.stringify({ t: 'call', id, method: 'app.info', params: {} }))
        const frame = new Uint8Array((4 + json.byteLength + 7) & ~7)
        new DataView(frame.buffer).setUint32(0, json.byteLength, true)
        frame.set(json, 4)
        bridge.send(frame.buffer)
      }),
  )
}

test.beforeEach(async () => {
  dir = tempDir('electron-shell')
  app = await electron.launch({ executablePath: binary ?? '', args: ['.'], env: { ...process.env, VIVA_DATA_DIR: dir } })
  page = await app.firstWindow()
  await expect(page.getByRole('table', { name: 'Episodes' })).toBeVisible({ timeout: 120_000 })
})

test.afterEach(async () => {
  await app.close()
  rmSync(dir, { recursive: true, force: true })
})

test('desktop shell: the window opens on the demo, sandboxed, with one bridge object (a byte pipe that answers)', async () => {
  await expect(page).toHaveTitle(/ViVa Studio/)
  expect(page.url()).toMatch(APP_URL)
  const probe = await page.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    bridge: Object.keys((globalThis as { vivaBridge?: object }).vivaBridge ?? {}).sort(),
  }))
  expect(probe).toEqual({ require: 'undefined', process: 'undefined', bridge: ['onClose', 'onMessage', 'send'] })
  expect(await rpcRoundTrip(page)).toBe('result')
  // The demo is listed and its episodes open.
  await page.keyboard.press('Enter')
  await expect(page.locator('video[data-camera]')).toHaveCount(3)
})

test('desktop shell: navigation and window.open are blocked; only its own links open externally', async () => {
  await app.evaluate(({ shell }) => {
    const opened: string[] = []
    ;(globalThis as { __opened?: string[] }).__opened = opened
    shell.openExternal = async (url: string) => {
      opened.push(url)
    }
  })
  await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 42))

  for (const url of ['https://example.com/', 'file:///etc/passwd', 'data:text/html,<h1>x</h1>']) {
    await page.evaluate((u) => {
      window.location.href = u
    }, url)
    // An RPC round trip after the attempt: the page is still ours and still answers.
    expect(await rpcRoundTrip(page)).toBe('result')
    expect(page.url()).toMatch(APP_URL)
    expect(await page.evaluate(() => (globalThis as { __marker?: number }).__marker)).toBe(42)
  }

  expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true)
  expect(await page.evaluate(() => window.open('viva-app://renderer/index.html') === null)).toBe(true)
  expect(app.windows()).toHaveLength(1)
  expect(await app.evaluate(() => (globalThis as { __opened?: string[] }).__opened)).toEqual([])

  // The Help menu's link is the app's own: it goes to the OS browser.
  await app.evaluate(({ Menu }) => {
    const help = Menu.getApplicationMenu()?.items.find((i) => i.label.replace(/&/g, '') === 'Help')
    help?.submenu?.items.find((i) => i.label.startsWith('ViVa method'))?.click()
  })
  await expect.poll(() => app.evaluate(() => (globalThis as { __opened?: string[] }).__opened)).toEqual(['https://viva-value-model.github.io/'])
})

test('desktop shell: the application menu has File, Edit, View and Help', async () => {
  const menu = await app.evaluate(({ Menu }) =>
    (Menu.getApplicationMenu()?.items ?? []).map((top) => ({
      label: top.label.replace(/&/g, ''),
      items: (top.submenu?.items ?? []).filter((i) => i.type !== 'separator').map((i) => i.label || i.role),
    })),
  )
  const byLabel = new Map(menu.map((m) => [m.label, m.items]))
  expect(byLabel.get('File')).toEqual(expect.arrayContaining(['Open dataset…', 'Open recent', 'Open model folder…', 'Export annotations…']))
  expect(byLabel.get('Edit')).toEqual(expect.arrayContaining(['Undo', 'Redo']))
  expect(byLabel.get('View')?.length).toBeGreaterThan(0)
  expect(byLabel.get('Help')).toEqual(expect.arrayContaining(['Keyboard shortcuts']))
  // Not packaged here, so development: developer tools are offered; a packaged app has neither them nor reload.
  expect(await app.evaluate(({ app: a }) => a.isPackaged)).toBe(false)
})
