import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePatternDataset } from '../synth/patternDataset'
import { startServeProcess, type ServeProcess } from '../testing/serveProcess'

// A killed `viva serve` used to leave its ffmpeg transcoding and a `.partial.mp4` in the proxy cache forever. Now a
// stop by signal kills its children (and their partial files go with them), and a start after a SIGKILL removes the
// partial files no live process owns.

const root = mkdtempSync(path.join(os.tmpdir(), 'viva-serve-exit-'))
const dataset = path.join(root, 'mpeg4')
const CAMERA = 'observation.images.cam'
// ffmpeg reading its input at the video's own rate (-re): a 300-frame transcode takes 10 s, long enough to be
// caught running whatever the machine's speed.
const slowFfmpeg = path.join(root, 'slow-ffmpeg')
let running: ServeProcess | null = null

beforeAll(async () => {
  await writePatternDataset({ out: dataset, codec: 'mpeg4', lengths: [300], cameras: [{ key: CAMERA, width: 64, height: 48 }] })
  writeFileSync(slowFfmpeg, '#!/bin/sh\ncase " $* " in *" -i "*) exec ffmpeg -re "$@";; esac\nexec ffmpeg "$@"\n')
  chmodSync(slowFfmpeg, 0o755)
}, 120_000)

afterAll(async () => {
  await running?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** A process that still runs (a zombie waiting to be reaped has ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** ffmpeg processes whose parent is `pid`. */
function ffmpegChildren(pid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8').trim()
      const [, comm = '', rest = ''] = /^\d+ \((.*)\) (.*)$/.exec(stat) ?? []
      if (comm === 'ffmpeg' && Number(rest.split(' ')[1]) === pid) out.push(Number(name))
    } catch {
      // Gone meanwhile.
    }
  }
  return out
}

const partials = (dataDir: string): string[] =>
  existsSync(path.join(dataDir, 'proxies')) ? readdirSync(path.join(dataDir, 'proxies')).filter((n) => n.endsWith('.partial.mp4')) : []

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Start the server and a proxy transcode of the MPEG-4 camera; resolves once ffmpeg is writing its partial file. */
async function serveTranscoding(dataDir: string): Promise<{ app: ServeProcess; ffmpeg: number }> {
  const app = await startServeProcess([dataset], dataDir, { VIVA_FFMPEG: slowFfmpeg })
  running = app
  const [summary] = await app.client.call('dataset.list', {})
  void app.client.call('media.prepare', { datasetId: summary?.id ?? '', episode: 0, camera: CAMERA }).catch(() => null)
  const pid = app.child.pid ?? 0
  const [ffmpeg = 0] = await until('ffmpeg to start', () => {
    const found = ffmpegChildren(pid)
    return found.length > 0 && found
  })
  await until('the partial proxy', () => partials(dataDir).length === 1)
  return { app, ffmpeg }
}

async function exited(app: ServeProcess): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return
  await new Promise((r) => app.child.once('exit', r))
}

describe('viva serve and its ffmpeg children', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: no ffmpeg survives the server, no partial proxy is left', async (signal) => {
    const dataDir = path.join(root, `data-${signal}`)
    const { app, ffmpeg } = await serveTranscoding(dataDir)
    expect(alive(ffmpeg)).toBe(true)
    app.child.kill(signal)
    await exited(app)
    running = null
    expect(app.child.exitCode).toBe(0)
    expect(alive(ffmpeg), `ffmpeg ${ffmpeg} still runs after the server got ${signal}`).toBe(false)
    expect(partials(dataDir)).toEqual([])
  })

  it('SIGKILL: the next start removes the partial proxy the dead server owned', async () => {
    const dataDir = path.join(root, 'data-kill')
    const { app, ffmpeg } = await serveTranscoding(dataDir)
    const [partial = ''] = partials(dataDir)
    expect(partial).toContain(`.${app.child.pid}.partial.mp4`)
    app.child.kill('SIGKILL')
    await exited(app)
    running = null
    expect(partials(dataDir)).toEqual([partial])
    try {
      // Nobody is left to stop a transcode that was running (ffmpeg ignores SIGPIPE): it runs to the end of its video,
      // and the next start removes its file whether it is still writing it or not.
      const again = await startServeProcess([], dataDir)
      running = again
      await until('the stale partial to be removed', () => partials(dataDir).length === 0)
      await again.stop()
      running = null
    } finally {
      if (alive(ffmpeg)) process.kill(ffmpeg, 'SIGKILL')
    }
  })
})
