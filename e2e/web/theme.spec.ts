import { expect, test, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { THEME_COLORS } from '../../app/figures/palette'
import { PlayerPage } from '../pages/PlayerPage'
import { makeFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Light and dark themes: the app follows the system's prefers-color-scheme (live, without a reload) until the user
// forces one in the Theme setting, which then wins over the system and survives a reload; the plots re-theme with
// the UI (their background is THEME_COLORS' background of the theme shown).

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('theme')
  dataset = path.join(fixtures, 'ds')
  makeFixture(dataset, ['--format', 'v2.1', '--episodes', '2', '--frames', '30', '--width', '96', '--height', '72'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

const background = (page: Page): Promise<string> => page.evaluate(() => getComputedStyle(document.body.parentElement as HTMLElement).backgroundColor)
const DARK_BG = 'rgb(15, 17, 21)'
const LIGHT_BG = 'rgb(244, 245, 247)'

function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return `rgb(${r}, ${g}, ${b})`
}

/** The feature plot's background (Plotly's paper colour on its svg). */
const plotBackground = (page: Page): Promise<string> =>
  page.getByTestId('state-plot').locator('svg.main-svg').first().evaluate((svg) => getComputedStyle(svg).backgroundColor)

test('follows the system theme, live; a forced theme wins over it and survives a reload; the plots re-theme', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  const player = new PlayerPage(page)
  await player.open(server.url)
  await expect.poll(() => background(page)).toBe(DARK_BG)
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  // The system switches: so does the app, without a reload.
  await page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(() => background(page)).toBe(LIGHT_BG)
  await expect(page.getByRole('combobox', { name: 'Theme' })).toHaveValue('system')

  // Forced dark while the system is light; the player's plots are dark too.
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark')
  await expect.poll(() => background(page)).toBe(DARK_BG)
  await player.openEpisode(0)
  await expect.poll(() => plotBackground(page)).toBe(rgb(THEME_COLORS.dark.background))

  // A reload keeps the forced theme whatever the system says.
  await page.reload()
  await expect(page.locator('.player-screen[data-episode="0"]')).toBeVisible()
  await expect.poll(() => background(page)).toBe(DARK_BG)
  await expect(page.getByRole('combobox', { name: 'Theme' })).toHaveValue('dark')
  await expect.poll(() => plotBackground(page)).toBe(rgb(THEME_COLORS.dark.background))

  // Light from the player's own setting: the plot redraws light, no reload.
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('light')
  await expect.poll(() => plotBackground(page)).toBe(rgb(THEME_COLORS.light.background))
  await expect.poll(() => background(page)).toBe(LIGHT_BG)
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(() => background(page)).toBe(LIGHT_BG)

  // Back to following the system (dark now).
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('system')
  await expect.poll(() => background(page)).toBe(DARK_BG)
  await expect.poll(() => plotBackground(page)).toBe(rgb(THEME_COLORS.dark.background))
})
