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
const electron = electronBinary()
if (electron && !process.argv.includes('--browser')) {
  run('node', ['main/electron/build.mjs'])
  spawn(electron, ['.', ...process.argv.slice(2).filter((a) => !a.startsWith('--'))], { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 0))
} else {
  if (!process.argv.includes('--browser')) {
    console.warn('Electron binary not available here: starting browser mode instead. Open the URL below in Chromium.')
  }
  const port = process.env.VIVA_PORT ? ['--port', process.env.VIVA_PORT] : []
  spawn('node', ['main/cli/viva.mjs', 'demo', ...port], { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 0))
}
