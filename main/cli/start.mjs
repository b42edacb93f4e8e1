// `npm start`: build what is stale, then open the built-in demo in Electron where its binary exists, otherwise in
// browser mode (`viva demo`), which prints the URL to open.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { electronBinary } from '../electron/binary.mjs'

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (!existsSync('dist/renderer/index.html') || process.argv.includes('--rebuild')) run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts'])
/**
 * Run the app as a child that stops when this launcher is told to (otherwise it, and its ffmpeg, would outlive it).
 * Not SIGINT: Ctrl+C already reaches the whole foreground group, and a second one means "quit now" to `viva serve`.
 */
const launch = (cmd, args) => {
  const child = spawn(cmd, args, { stdio: 'inherit' })
  process.on('SIGINT', () => undefined)
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (c) => process.exit(c ?? 0))
}

const electron = electronBinary()
if (electron && !process.argv.includes('--browser')) {
  run('node', ['main/electron/build.mjs'])
  launch(electron, ['.', ...process.argv.slice(2).filter((a) => !a.startsWith('--'))])
} else {
  if (!process.argv.includes('--browser')) {
    console.warn('Electron binary not available here: starting browser mode instead. Open the URL below in Chromium.')
  }
  const port = process.env.VIVA_PORT ? ['--port', process.env.VIVA_PORT] : []
  launch('node', ['main/cli/viva.mjs', 'demo', ...port])
}
