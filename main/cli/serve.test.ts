import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePatternDataset } from '../synth/patternDataset'
import { PACKAGE_ROOT } from '../paths'
import { startServeProcess, type ServeProcess } from '../testing/serveProcess'

// `viva serve A B` with a folder that is not a dataset: the good ones open, each bad one is named with the reason on
// stderr, and only when none opens does the command fail.

const root = mkdtempSync(path.join(os.tmpdir(), 'viva-serve-cli-'))
const good = path.join(root, 'good')
const notDataset = path.join(root, 'photos')
const missing = path.join(root, 'no-such-folder')
let running: ServeProcess | null = null

beforeAll(async () => {
  await writePatternDataset({ out: good, lengths: [8], cameras: [{ key: 'observation.images.cam', width: 64, height: 48 }] })
  mkdirSync(notDataset)
  writeFileSync(path.join(notDataset, 'cat.jpg'), 'not a dataset')
}, 60_000)
afterAll(async () => {
  await running?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('viva serve with a bad dataset among good ones', () => {
  it('opens the good one and names each bad one with its reason', async () => {
    const app = await startServeProcess([notDataset, good, missing], path.join(root, 'data1'))
    running = app
    const list = await app.client.call('dataset.list', {})
    expect(list.map((d) => d.root)).toEqual([good])
    expect((await app.client.call('app.info', {})).initialDatasets).toEqual([list[0]?.id])
    const lines = app.stderr().trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^viva: not opened: .*${notDataset}.*meta/info\\.json`))
    expect(lines[1]).toMatch(new RegExp(`^viva: not opened: .*${missing}`))
    await app.stop()
    running = null
  })

  it('fails, naming every one, when none opens', async () => {
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs'), 'serve', notDataset, missing, '--data-dir', path.join(root, 'data2')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    expect(code).toBe(1)
    expect(stdout).not.toContain('Open:')
    expect(stderr).toContain(notDataset)
    expect(stderr).toContain(missing)
    expect(stderr.trim().split('\n').at(-1)).toBe('viva: none of the 2 datasets could be opened.')
  })
})
