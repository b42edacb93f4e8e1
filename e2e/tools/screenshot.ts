// Regenerates e2e/screenshots/player.png for the README: the demo dataset in the player, mid-episode.
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { tempDir } from '../support/server'

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
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] })
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.goto(url)
  await page.locator('tr[data-episode="0"]').click()
  await page.keyboard.press('Enter')
  await page.locator('video[data-camera]').nth(2).waitFor()
  await page.keyboard.press('g')
  await page.keyboard.type('137')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.dataset.presentedFrame === '137'))
  await page.locator('.state-plot .legendtext').first().waitFor()
  mkdirSync(path.join('e2e', 'screenshots'), { recursive: true })
  await page.screenshot({ path: path.join('e2e', 'screenshots', 'player.png') })
} finally {
  await browser.close()
  child.kill('SIGTERM')
  rmSync(dataDir, { recursive: true, force: true })
}
