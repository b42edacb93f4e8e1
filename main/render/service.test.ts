import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeServices, type Services } from '../compose'
import { PACKAGE_ROOT } from '../paths'

// render.video through the app's handler (what the UI calls and `viva render` runs): the episode's stored curves by
// name, its annotated events, the range and cameras asked for; and `viva render` on the command line.

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-render-svc-'))
const ds = path.join(dir, 'task')
const viva = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
let services: Services
let datasetId: string

beforeAll(async () => {
  execFileSync('node', [viva, 'generate', '--out', ds, '--episodes', '2', '--seed', '6', '--width', '96', '--height', '72', '--fps', '10'])
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  datasetId = (await services.datasets.open(ds)).id
  const truth = readFileSync(path.join(ds, 'meta', 'viva_ground_truth.json'), 'utf8')
  await services.handlers['annotations.import']({ datasetId, text: truth, mode: 'merge' }, { signal: new AbortController().signal })
  const lengths = readFileSync(path.join(ds, 'meta', 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { length: number }).length)
  const rows = ['episode,frame,value']
  lengths.forEach((n, e) => {
    for (let f = 0; f < n; f++) rows.push(`${e},${f},${(f / n).toFixed(4)}`)
  })
  writeFileSync(path.join(dir, 'ramp.csv'), `${rows.join('\n')}\n`)
  await services.handlers['curves.import']({ datasetId, path: path.join(dir, 'ramp.csv') }, { signal: new AbortController().signal })
}, 120_000)
afterAll(async () => {
  await services.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const call = (p: Parameters<Services['handlers']['render.video']>[0], signal = new AbortController().signal) => services.handlers['render.video'](p, { signal })

describe('render.video', () => {
  it("draws the episode's stored curves by default, with the cameras and range asked for", async () => {
    const progress: number[] = []
    const off = services.events.subscribe((name, payload) => {
      if (name === 'render.progress') progress.push((payload as { done: number }).done)
    })
    const out = path.join(dir, 'a.mp4')
    const r = await call({ datasetId, episode: 1, from: 4, to: 30, cameras: ['cam_left_wrist', 'cam_high'], out, tileHeight: 96, token: 't1' })
    off()
    expect(r).toMatchObject({ file: out, frames: 27, fps: 10, cameras: ['observation.images.cam_left_wrist', 'observation.images.cam_high'], curves: ['ramp'] })
    const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', out], { encoding: 'utf8' }).trim()
    expect(probe).toBe(`${r.width},${r.height},27`)
    expect(progress.at(-1)).toBe(27)
  })

  it('names the curves an episode has when asked for one it does not', async () => {
    await expect(call({ datasetId, episode: 0, curves: ['viva-reference'], out: path.join(dir, 'b.mp4') })).rejects.toThrow('Episode 0 has no curve "viva-reference" (its curves: ramp)')
  })
})

describe('viva render', () => {
  it('writes the video and prints what it drew; refuses an --out that is not .mp4', () => {
    const dataDir = path.join(dir, 'data')
    const out = path.join(dir, 'cli.mp4')
    const ok = spawnSync('node', [viva, 'render', ds, '--episode', '0', '--out', out, '--to', '9', '--curves', 'none', '--data-dir', dataDir], { encoding: 'utf8' })
    expect(ok.status, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ file: out, frames: 10, curves: [] })
    const bad = spawnSync('node', [viva, 'render', ds, '--episode', '0', '--out', path.join(dir, 'x.gif'), '--data-dir', dataDir], { encoding: 'utf8' })
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toContain('--out must end in .mp4')
  })
})
