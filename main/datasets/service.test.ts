import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MediaProgress } from '../../app/contract'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-service-'))
const cameras = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({ key: `observation.images.${c}`, width: 64, height: 48 }))
let services: Services

beforeAll(async () => {
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  await writePatternDataset({ out: path.join(dir, 'v30'), format: 'v3.0', lengths: [12, 15, 9], fps: 10, cameras })
  await writePatternDataset({
    out: path.join(dir, 'quirky'),
    format: 'v2.1',
    lengths: [10, 10],
    fps: 10,
    cameras,
    quirks: { wrongDeclaredCodec: 'av1', videoFrameDelta: { episode: 1, camera: 'observation.images.cam_high', delta: -3 } },
  })
  await writePatternDataset({ out: path.join(dir, 'mpeg4'), format: 'v2.1', lengths: [8], fps: 10, cameras: cameras.slice(0, 1), codec: 'mpeg4' })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('DatasetService episode views', () => {
  it('maps each v3.0 episode to its own window of the shared files', async () => {
    const summary = await services.datasets.open(path.join(dir, 'v30'))
    const view = await services.datasets.openEpisode(summary.id, 1)
    expect(view.length).toBe(15)
    expect(view.cameras).toHaveLength(3)
    for (const cam of view.cameras) {
      expect(cam.status).toBe('ready')
      expect(cam.media).toEqual({ rootId: summary.id, path: `videos/${cam.key}/chunk-000/file-000.mp4` })
      expect(cam.videoFrames).toBe(15)
      // Episode 1 starts after episode 0's 12 frames at 10 fps: frame k sits between 1.2 + k/10 and the next frame.
      expect(cam.frameTimes[0]).toBeCloseTo(1.25, 3)
      expect(cam.frameTimes[14]).toBeCloseTo(2.65, 3)
    }
    expect(view.state?.dim).toBe(14)
    expect(view.state?.values.length).toBe(15 * 14)
  })

  it('reports a wrong declared codec and a short video, holding its last frame', async () => {
    const summary = await services.datasets.open(path.join(dir, 'quirky'))
    const view = await services.datasets.openEpisode(summary.id, 1)
    const codes = view.warnings.map((w) => w.code)
    expect(codes).toContain('CODEC_MISMATCH')
    const short = view.warnings.find((w) => w.code === 'VIDEO_FRAMES_MISMATCH')
    expect(short?.message).toMatch(/cam_high: video has 7 frames .* table has 10 rows/)
    const high = view.cameras.find((c) => c.key.endsWith('cam_high'))
    expect(high?.videoFrames).toBe(7)
    expect(high?.frameTimes[9]).toBeCloseTo(high?.frameTimes[6] ?? -1, 6)
  })

  it('marks unplayable video for a proxy, then makes one with progress events and serves it from the cache root', async () => {
    const summary = await services.datasets.open(path.join(dir, 'mpeg4'))
    const view = await services.datasets.openEpisode(summary.id, 0)
    expect(view.cameras[0]?.status).toBe('needs-proxy')
    expect(view.cameras[0]?.media).toBeNull()
    const progress: MediaProgress[] = []
    const off = services.events.subscribe((name, payload) => {
      if (name === 'media.progress') progress.push(payload as MediaProgress)
    })
    const ready = await services.datasets.prepareMedia(summary.id, 0, cameras[0]!.key)
    off()
    expect(ready.status).toBe('ready')
    expect(ready.codec).toBe('h264')
    // The header names the dataset's codec, not the proxy's.
    expect(ready.sourceCodec).toBe('mpeg4')
    expect(ready.media?.rootId).toBe('proxies')
    expect(ready.videoFrames).toBe(8)
    expect(progress.at(-1)).toMatchObject({ done: true, fraction: 1 })
    expect(await services.media.resolve('proxies', ready.media!.path)).toContain('proxies')
    // Reopening the episode now finds the proxy at once.
    const again = await services.datasets.openEpisode(summary.id, 0)
    expect(again.cameras[0]?.status).toBe('ready')
    expect(again.cameras[0]?.media?.rootId).toBe('proxies')
    expect(again.cameras[0]?.sourceCodec).toBe('mpeg4')
  })

  it('refuses unknown datasets and episodes with typed errors', async () => {
    await expect(services.datasets.openEpisode('nope', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const summary = await services.datasets.open(path.join(dir, 'v30'))
    await expect(services.datasets.openEpisode(summary.id, 99)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
