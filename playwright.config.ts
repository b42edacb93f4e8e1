import { defineConfig } from '@playwright/test'

// Chromium comes from Debian (apt-get install chromium); Playwright's own browser download cannot run here.
const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  projects: [
    {
      name: 'web',
      testDir: 'e2e/web',
      use: {
        browserName: 'chromium',
        viewport: { width: 1600, height: 1000 },
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
        },
      },
    },
    { name: 'electron', testDir: 'e2e/electron' },
  ],
})
