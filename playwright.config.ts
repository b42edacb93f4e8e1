import { defineConfig } from '@playwright/test'

// Chromium comes from Debian (apt-get install chromium); Playwright's own browser download cannot run here.
const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // One retry: these specs drive a real server, ffmpeg and Chromium on 2 cores, and a timing flake must not hide the
  // rest of the run. Playwright still reports a test that needed it as "flaky": investigate those, do not ignore them
  // (the v3.0 bad-window spec's one flake was a real bug: a probe shared by the episode list's checks and the episode
  // view was cancelled with the list's request, failing a healthy camera — fixed by main/sharedRuns.ts).
  retries: 1,
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
