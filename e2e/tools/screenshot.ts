// Regenerates the README's screenshots (e2e/screenshots/*.png): the demo dataset scored with both bundled models,
// then the player (light and dark), the sortable episode list with its per-model columns, the ? overlay, the
// figure export and the video render dialogs.   npm run screenshot
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { tempDir } from '../support/server'

const OUT = path.join('e2e', 'screenshots')
const FRAME = 137
const dataDir = tempDir('shot')
const child = spawn('node', ['main/cli/viva.mjs', 'demo', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise<string>((resolve) => {
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c
    const m = /Open: (\S+)/.exec(out)
    if (m?.[1]) resolve(m[1])
  })
})

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}.png`) })
  process.stderr.write(`wrote ${path.join(OUT, `${name}.png`)}\n`)
}

async function atFrame(page: Page, frame: number): Promise<void> {
  await page.keyboard.press('g')
  await page.keyboard.type(String(frame))
  await page.keyboard.press('Enter')
  await page.waitForFunction((f) => [...document.querySelectorAll('video')].every((v) => v.dataset.presentedFrame === String(f)), frame)
}

/** Score every episode with a bundled model from the Models tab and wait for its job to finish. */
async function scoreAll(page: Page, model: string): Promise<void> {
  await page.getByRole('tab', { name: 'Models' }).click()
  await page.getByTestId(`model-row-${model}`).click()
  await page.getByTestId('score-all').click()
  // Its job shows as queued or running, then leaves that state (finished jobs fold behind "N finished").
  const active = page.locator('[data-testid="job-row"][data-state="queued"], [data-testid="job-row"][data-state="running"]')
  await active.first().waitFor({ timeout: 60_000 })
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"][data-state="queued"], [data-testid="job-row"][data-state="running"]').length === 0, undefined, { timeout: 600_000, polling: 500 })
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] })
try {
  mkdirSync(OUT, { recursive: true })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' })
  const page = await context.newPage()
  await page.goto(url)
  await page.locator('tr[data-episode="0"]').click()
  await page.keyboard.press('Enter')
  await page.locator('video[data-camera]').nth(2).waitFor()
  await scoreAll(page, 'baseline-reference')
  await scoreAll(page, 'viva-reference')
  await page.getByRole('tab', { name: 'Annotations' }).click()
  await atFrame(page, FRAME)
  await page.locator('.state-plot .legendtext').first().waitFor()
  await shot(page, 'player')

  await page.emulateMedia({ colorScheme: 'dark' })
  await page.waitForTimeout(500) // the plots redraw in the theme's colours
  await shot(page, 'player-dark')
  await page.emulateMedia({ colorScheme: 'light' })

  await page.keyboard.press('Shift+Slash')
  await page.getByRole('dialog', { name: /Keyboard shortcuts/ }).waitFor()
  await shot(page, 'shortcuts')
  await page.keyboard.press('Escape')

  await page.locator('.figure-export-button').click()
  await page.getByTestId('figure-preview').waitFor()
  await shot(page, 'figure-export')
  await page.keyboard.press('Escape')

  await page.getByTestId('render-video-button').click()
  await page.getByRole('dialog', { name: 'Render video' }).waitFor()
  await shot(page, 'render-video')
  await page.keyboard.press('Escape')

  await page.keyboard.press('Escape') // back to the episode list
  await page.locator('tr[data-episode="0"]').waitFor()
  const header = page.locator('th[data-column] button.sort-header', { hasText: /^final/ }).last()
  await header.click()
  await header.click()
  await page.waitForFunction(() => !document.body.innerText.includes('checking…'), undefined, { timeout: 120_000, polling: 500 })
  await shot(page, 'episode-list')
} finally {
  await browser.close()
  child.kill('SIGTERM')
  rmSync(dataDir, { recursive: true, force: true })
}
