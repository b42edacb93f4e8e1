import { expect, test, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { SHORTCUTS, type ShortcutDef } from '../../app/shortcuts'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Issue 17 item 3: `?` shows every shortcut (browser mode too), from the registry the key handlers use; Esc closes
// it; while it is open no key reaches the player. Letter keys match the key's place, not the layout's character.

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('shortcuts')
  dataset = path.join(fixtures, 'ds')
  makeFixture(dataset, ['--format', 'v2.1', '--episodes', '2', '--frames', '30', '--width', '160', '--height', '120'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** Every shortcut that works in a browser (the desktop menu's are listed only on the desktop). */
const BROWSER_SHORTCUTS = (SHORTCUTS as readonly ShortcutDef[]).filter((s) => !s.scopes.includes('menu'))

async function expectOverlayListsEverything(page: Page): Promise<void> {
  const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(overlay).toBeVisible()
  const rows = overlay.locator('tr[data-shortcut]')
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-shortcut')))).toEqual(BROWSER_SHORTCUTS.map((s) => s.id))
  for (const s of BROWSER_SHORTCUTS) await expect(overlay.locator(`tr[data-shortcut="${s.id}"] td`)).toHaveText(s.does)
  // Keys are named (on a US layout, or as the browser's keyboard map labels them).
  await expect(overlay.locator('tr[data-shortcut="help.toggle"] kbd')).toHaveText('?')
  await expect(overlay.locator('tr[data-shortcut="frame.next10"] kbd')).toHaveText('Shift+→')
  await expect(overlay.locator('tr[data-shortcut="picker.pick"] kbd')).toHaveText('1–9')
  await expect(overlay.locator('tr[data-shortcut="edit.redo"] kbd')).toHaveText(['Ctrl+Shift+Z', 'Ctrl+Y'])
  await expect(overlay.getByText('Desktop menu')).toHaveCount(0)
}

test('? lists every shortcut on the episode list and in the player; Esc closes it; keys do not leak behind it', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)

  await page.keyboard.press('Shift+Slash')
  await expectOverlayListsEverything(page)
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0)

  await player.openEpisode(0)
  await page.keyboard.press('?')
  await expectOverlayListsEverything(page)
  // While open, the player gets no key: → does not step, Esc closes the overlay and leaves the episode open.
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('0')
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0)
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('current-frame')).toHaveText('1')
  // `?` again toggles it off.
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0)
})

test('a French AZERTY keyboard: the M position (typing ",") marks a milestone; "?" typed with Shift+Comma opens help', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.openEpisode(0)
  // What Chromium sends on AZERTY, key by key (Playwright types US-layout events, so these are dispatched as is).
  const press = (code: string, key: string, shiftKey = false) =>
    page.evaluate(([c, k, s]) => window.dispatchEvent(new KeyboardEvent('keydown', { code: c, key: k, shiftKey: s, bubbles: true, cancelable: true })), [
      code,
      key,
      shiftKey,
    ] as const)
  await press('KeyM', '?', true)
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  await page.keyboard.press('Escape')
  await press('KeyM', ',')
  await expect(page.getByRole('dialog', { name: /label|preset/i })).toBeVisible()
})
