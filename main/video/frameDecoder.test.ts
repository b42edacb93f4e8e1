import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFrameCode } from '../../app/frameCode'
import { rejected } from '../../app/testing/thrown'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { writePatternDataset } from '../synth/patternDataset'
import { decodeEpisode, type CameraSource, type FrameBatch } from './frameDecoder'
import { resolveMediaTools } from './tools'

// Frames of the pattern datasets carry their own frame and episode index, so every decoded frame can be checked.
const tools = resolveMediaTools()
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-decode-'))
const W = 128
const H = 96
const cameras = [
  { key: 'observation.images.cam_a', width: W, height: H },
  { key: 'observation.images.cam_b', width: W, height: H },
]
let v21: CameraSource[][]
let v30: CameraSource[][]

async function sources(dir: string, format: 'v2.1' | 'v3.0'): Promise<CameraSource[][]> {
  await writePatternDataset({ out: dir, format, lengths: [40, 25], fps: 10, cameras, codec: 'h264', gop: 8, tools })
  const ds = await openLeRobotDataset(dir)
  const out: CameraSource[][] = []
  for (const e of [0, 1]) {
    const data = await ds.loadEpisode(e)
    out.push(cameras.map((c) => {
      const v = data.videos.find((x) => x.camera === c.key)!
      return { file: v.file, from: v.fromTimestamp }
    }))
  }
  return out
}

async function collect(src: CameraSource[], count: number, batch: number, start = 0): Promise<FrameBatch[]> {
  const out: FrameBatch[] = []
  for await (const b of decodeEpisode(tools, src, { width: W, height: H, count, batch, start })) out.push(b)
  return out
}

function codes(batches: FrameBatch[], cams: number): { frame: number; episode: number }[][] {
  const frameBytes = W * H * 3
  const out: { frame: number; episode: number }[][] = []
  for (const b of batches) {
    for (let f = 0; f < b.count; f++) {
      const row: { frame: number; episode: number }[] = []
      for (let c = 0; c < cams; c++) {
        const at = (f * cams + c) * frameBytes
        const code = readFrameCode(b.pixels.subarray(at, at + frameBytes), W, H, 3)
        expect(code).not.toBeNull()
        row.push(code!)
      }
      out.push(row)
    }
  }
  return out
}

beforeAll(async () => {
  v21 = await sources(path.join(root, 'v21'), 'v2.1')
  v30 = await sources(path.join(root, 'v30'), 'v3.0')
}, 120_000)
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('decodeEpisode', () => {
  it('delivers every camera of every frame together, in order, in batches', async () => {
    const batches = await collect(v21[0]!, 40, 7)
    expect(batches.map((b) => [b.first, b.count])).toEqual([[0, 7], [7, 7], [14, 7], [21, 7], [28, 7], [35, 5]])
    codes(batches, 2).forEach((row, i) => expect(row).toEqual([{ frame: i, episode: 0 }, { frame: i, episode: 0 }]))
  })

  it('starts at a later frame with exact indices (resume)', async () => {
    const batches = await collect(v21[0]!, 40, 4, 13)
    expect(batches[0]!.first).toBe(13)
    codes(batches, 2).forEach((row, i) => expect(row[0]).toEqual({ frame: 13 + i, episode: 0 }))
  })

  it('reads an episode that starts inside a shared v3.0 file', async () => {
    expect(v30[1]![0]!.from).toBeGreaterThan(0)
    const batches = await collect(v30[1]!, 25, 10)
    codes(batches, 2).forEach((row, i) => expect(row[1]).toEqual({ frame: i, episode: 1 }))
  })

  it('pads a video shorter than its episode with its last frame', async () => {
    const batches = await collect(v21[1]!, 30, 8)
    const c = codes(batches, 2)
    expect(c).toHaveLength(30)
    expect(c[24]![0]).toEqual({ frame: 24, episode: 1 })
    for (let i = 25; i < 30; i++) expect(c[i]![0]).toEqual({ frame: 24, episode: 1 })
  })

  it('names the file when a video cannot be decoded', async () => {
    const bad = path.join(root, 'broken.mp4')
    writeFileSync(bad, 'not a video at all')
    const err = await rejected(() => collect([{ file: bad, from: 0 }], 10, 4))
    expect(err.code).toBe('MEDIA_FAILED')
    expect(err.message).toContain(bad)
  })

  it('stops ffmpeg when the consumer stops early', async () => {
    const gen = decodeEpisode(tools, v21[0]!, { width: W, height: H, count: 40, batch: 4 })
    const first = await gen.next()
    expect(first.done).toBe(false)
    await gen.return(undefined)
  })
})
