import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { valueFigure } from '../../app/figures/valueFigure'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { writePatternDataset } from '../synth/patternDataset'
import type { EpisodeSource } from '../datasets/episodeSource'
import { decodeEpisode } from '../video/frameDecoder'
import { VideoProber } from '../video/probe'
import { resolveMediaTools } from '../video/tools'
import { WriteGuard } from '../writeGuard'
import { renderEpisodeVideo, renderLayout, type RenderEpisodeDeps } from './episodeVideo'

const tools = resolveMediaTools()
let dir: string
let root: string
let source: EpisodeSource
let deps: RenderEpisodeDeps

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'viva-render-'))
  root = path.join(dir, 'ds')
  // v3.0: cameras share files, so episode 1 starts mid-file; cameras of two sizes, so tiles differ in width.
  await writePatternDataset({
    out: root,
    format: 'v3.0',
    lengths: [24, 30],
    fps: 15,
    cameras: [
      { key: 'observation.images.cam_high', width: 160, height: 120 },
      { key: 'observation.images.cam_wide', width: 192, height: 108 },
    ],
    tools,
  })
  source = await openLeRobotDataset(root)
  const prober = new VideoProber(tools)
  deps = { tools, probe: (f, s) => prober.probe(f, s), guard: new WriteGuard([() => [{ kind: 'dataset', path: root }]]) }
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function ffprobe(file: string): { frames: number; width: number; height: number; rate: string } {
  const out = execFileSync(tools.ffprobe, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,r_frame_rate', '-of', 'json', file], { encoding: 'utf8' })
  const s = (JSON.parse(out) as { streams: { nb_read_frames: string; width: number; height: number; r_frame_rate: string }[] }).streams[0]!
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, rate: s.r_frame_rate }
}

function decodeMp4Frame(file: string, index: number, width: number, height: number): Uint8Array {
  return execFileSync(tools.ffmpeg, ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 << 20 }).subarray(0, width * height * 3)
}

const ramp = Float64Array.from({ length: 30 }, (_, i) => i / 29)

describe('renderEpisodeVideo', () => {
  it('writes an MP4 of exactly the range, whose first frame shows each camera\'s first frame of the range in its tile', async () => {
    const out = path.join(dir, 'ep1.mp4')
    const progress: number[] = []
    const result = await renderEpisodeVideo(deps, {
      source, episode: 1, from: 5, to: 21, out, tileHeight: 120,
      curves: [{ name: 'ramp', values: ramp }],
      events: [{ kind: 'milestone', frame: 12, label: 'grasp' }],
      onProgress: (done) => progress.push(done),
    })
    expect(result.frames).toBe(17)
    const probe = ffprobe(out)
    expect(probe).toEqual({ frames: 17, width: result.layout.width, height: result.layout.height, rate: '15/1' })
    expect(result.layout.tiles.map((t) => [t.width, t.height])).toEqual([[160, 120], [214, 120]])
    expect(progress.at(-1)).toBe(17)

    // Tile pixels of output frame 0 = frame 5 of each camera, decoded by the scoring decoder at the tile's size.
    const frame0 = decodeMp4Frame(out, 0, result.layout.width, result.layout.height)
    const data = await source.loadEpisode(1)
    for (const [c, tile] of result.layout.tiles.entries()) {
      const video = data.videos.find((v) => v.camera === tile.camera)!
      let expected: Uint8Array | undefined
      for await (const b of decodeEpisode(tools, [{ file: video.file, from: video.fromTimestamp }], { width: tile.width, height: tile.height, count: 6, start: 5, batch: 1, scaleFlags: 'bicubic' })) {
        expected = b.pixels
        break
      }
      let diff = 0
      let wrongFrameDiff = 0
      let other: Uint8Array | undefined
      for await (const b of decodeEpisode(tools, [{ file: video.file, from: video.fromTimestamp }], { width: tile.width, height: tile.height, count: 10, start: 9, batch: 1, scaleFlags: 'bicubic' })) {
        other = b.pixels
        break
      }
      for (let y = 0; y < tile.height; y++) {
        for (let x = 0; x < tile.width * 3; x++) {
          const got = frame0[(y * result.layout.width + tile.x) * 3 + x]!
          diff += Math.abs(got - expected![y * tile.width * 3 + x]!)
          wrongFrameDiff += Math.abs(got - other![y * tile.width * 3 + x]!)
        }
      }
      const n = tile.width * tile.height * 3
      expect(diff / n, `camera ${c}`).toBeLessThan(4)
      // and it is not some other frame of the episode
      expect(wrongFrameDiff / n, `camera ${c}`).toBeGreaterThan(diff / n + 2)
    }
  })

  it('moves a cursor across the plot strip: at the first frame of the range in frame 0, at the last in the last frame', async () => {
    const out = path.join(dir, 'cursor.mp4')
    const result = await renderEpisodeVideo(deps, { source, episode: 0, out, tileHeight: 96, curves: [{ name: 'ramp', values: ramp }], events: [] })
    const { width, height, plot } = { width: result.layout.width, height: result.layout.height, plot: result.layout.plot! }
    const fig = valueFigure([{ name: 'ramp', values: ramp }], [], { width, height: plot.height, from: 0, to: 23, theme: 'light' })
    const darkAt = (pixels: Uint8Array, x: number): number => {
      const y = plot.y + Math.round(fig.plot.top + fig.plot.height * 0.5)
      const at = (y * width + x) * 3
      return (pixels[at]! + pixels[at + 1]! + pixels[at + 2]!) / 3
    }
    const first = decodeMp4Frame(out, 0, width, height)
    const last = decodeMp4Frame(out, 23, width, height)
    const x0 = Math.round(fig.xOf(0)) - 1
    const xMid = Math.round(fig.xOf(12))
    const xEnd = Math.round(fig.xOf(23)) - 1
    expect(darkAt(first, x0)).toBeLessThan(80)
    expect(darkAt(first, xMid)).toBeGreaterThan(150)
    expect(darkAt(last, xEnd)).toBeLessThan(80)
    expect(darkAt(last, xMid)).toBeGreaterThan(150)
  })

  it('refuses bad ranges, unknown cameras and an output inside the dataset, naming the problem, and leaves no file', async () => {
    const base = { source, episode: 0, curves: [], events: [] }
    await expect(renderEpisodeVideo(deps, { ...base, out: path.join(dir, 'a.mp4'), from: 3, to: 24 })).rejects.toThrow('--to 24 is not a frame of episode 0 (frames 0–23)')
    await expect(renderEpisodeVideo(deps, { ...base, out: path.join(dir, 'a.mp4'), from: 9, to: 3 })).rejects.toThrow('--to 3 is before --from 9')
    await expect(renderEpisodeVideo(deps, { ...base, out: path.join(dir, 'a.mp4'), cameras: ['cam_left'] })).rejects.toThrow('no video for camera "cam_left" (cameras with video: cam_high, cam_wide)')
    await expect(renderEpisodeVideo(deps, { ...base, episode: 7, out: path.join(dir, 'a.mp4') })).rejects.toThrow('Episode 7 is not in dataset')
    await expect(renderEpisodeVideo(deps, { ...base, out: path.join(root, 'meta', 'x.mp4') })).rejects.toThrow(/Refusing to write .*x\.mp4: it is inside the dataset/)
    expect(existsSync(path.join(dir, 'a.mp4'))).toBe(false)
  })

  it('stops when cancelled and removes its partial file', async () => {
    const ctl = new AbortController()
    const out = path.join(dir, 'cancelled.mp4')
    const run = renderEpisodeVideo(deps, { source, episode: 1, out, curves: [], events: [], signal: ctl.signal, onProgress: () => ctl.abort() })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(dir).filter((f) => f.startsWith('cancelled'))).toEqual([])
  })

  it('an encoder that stops reading (it died, or Cancel killed it) ends the render instead of waiting for it forever', async () => {
    // An "ffmpeg" whose encoder exits at once without reading its input: the render's writes fill the pipe and no
    // 'drain' ever comes. Decoding still goes to the real ffmpeg.
    const fake = path.join(dir, 'ffmpeg-dead-encoder.sh')
    writeFileSync(fake, `#!/bin/sh\nfor a in "$@"; do [ "$a" = libx264 ] && exit 3; done\nexec "${tools.ffmpeg}" "$@"\n`)
    chmodSync(fake, 0o755)
    const out = path.join(dir, 'dead.mp4')
    // Tiles of 240 px: one batch of frames is far more than the pipe holds.
    const run = renderEpisodeVideo({ ...deps, tools: { ...tools, ffmpeg: fake } }, { source, episode: 0, out, tileHeight: 240, curves: [], events: [] })
    await expect(run).rejects.toMatchObject({ code: 'MEDIA_FAILED' })
    expect(readdirSync(dir).filter((f) => f.startsWith('dead'))).toEqual([])
  }, 20_000)
})

describe('renderLayout', () => {
  it('keeps each camera\'s aspect ratio at one tile height and caps the total width', () => {
    const l = renderLayout([{ camera: 'a', width: 640, height: 480 }, { camera: 'b', width: 1280, height: 720 }], 240, true)
    expect(l.tiles.map((t) => [t.x, t.width, t.height])).toEqual([[0, 320, 240], [320, 426, 240]])
    expect(l.width).toBe(746)
    expect(l.plot?.y).toBe(240)
    const wide = renderLayout(Array.from({ length: 12 }, (_, i) => ({ camera: String(i), width: 1920, height: 1080 })), 1080, false)
    expect(wide.width).toBeLessThanOrEqual(7680)
    expect(wide.plot).toBeNull()
  })
})
