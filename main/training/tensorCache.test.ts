import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeWriteGuard } from '../compose'
import { rewriteParquet } from '../hardening/badInputs'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { generateTaskDataset, type TaskDatasetResult } from '../synth/taskDataset'
import { writeTensorCache } from './tensorCache'

/** The file's bytes as their own ArrayBuffer (small Buffers share a pool, so `.buffer` alone is not the file). */
function bytes(file: string): ArrayBuffer {
  const b = readFileSync(file)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-tensors-'))
const dataset = path.join(dir, 'task')
let generated: TaskDatasetResult
const writeGuard = composeWriteGuard({ dataDir: path.join(dir, 'app-data') })

beforeAll(async () => {
  generated = await generateTaskDataset({ out: dataset, episodes: 3, seed: 11, fps: 10, width: 96, height: 72, failureRate: 0.5, format: 'v3.0' })
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('tensor cache for PyTorch training', () => {
  it('writes frames at the model size, states and indices in episode order, with outcomes from the ground truth', async () => {
    const out = path.join(dir, 'cache')
    const result = await writeTensorCache({ dataset, writeGuard, out, size: 32 })
    const meta = JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8')) as {
      K: number
      cameras: string[]
      size: number[]
      episodes: { index: number; length: number; outcome: string }[]
      num_frames: number
      source: { frame_size: { width: number; height: number } | null }
    }
    const n = generated.episodes.reduce((a, e) => a + e.length, 0)
    expect(result.frames).toBe(n)
    expect(meta.num_frames).toBe(n)
    expect(meta.K).toBe(17) // 50 frames at 30 fps, scaled to 10 fps
    expect(meta.cameras).toEqual(['cam_high', 'cam_left_wrist', 'cam_right_wrist'])
    // The frames' size before resizing, which the exporter puts in the manifest (image.source).
    expect(meta.source.frame_size).toEqual({ width: 96, height: 72 })
    expect(meta.episodes.map((e) => [e.index, e.length, e.outcome])).toEqual(generated.episodes.map((e) => [e.index, e.length, e.outcome]))
    for (const cam of meta.cameras) expect(statSync(path.join(out, `frames_${cam}.u8`)).size).toBe(n * 32 * 32 * 3)

    // States are the table's, frame by frame.
    const source = await openLeRobotDataset(dataset)
    const ep1 = await source.loadEpisode(1)
    const state = new Float32Array(bytes(path.join(out, 'state.f32')))
    const first = generated.episodes[0]!.length
    expect(Array.from(state.subarray(first * 14, (first + 2) * 14))).toEqual(Array.from(ep1.state!.values.subarray(0, 28)))
    const episode = new Int32Array(bytes(path.join(out, 'episode.i32')))
    const frame = new Int32Array(bytes(path.join(out, 'frame.i32')))
    expect([episode[first - 1], frame[first - 1], episode[first], frame[first]]).toEqual([0, first - 1, 1, 0])

    // Pixels of episode 1, frame 5 (inside the shared v3.0 file) match a direct decode of that frame.
    const video = ep1.videos.find((v) => v.camera.endsWith('cam_high'))!
    const global = Math.round(video.fromTimestamp * 10) + 5
    const direct = execFileSync('ffmpeg', ['-v', 'error', '-i', video.file, '-vf', `select=eq(n\\,${global}),scale=32:32:flags=area`, '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'])
    const cached = readFileSync(path.join(out, 'frames_cam_high.u8')).subarray((first + 5) * 3072, (first + 6) * 3072)
    let diff = 0
    for (let i = 0; i < 3072; i++) diff += Math.abs((cached[i] ?? 0) - (direct[i] ?? 0))
    expect(diff / 3072).toBeLessThan(2)
  })

  it('skips an episode whose v3.0 video window does not fit its file, with the reason, instead of training on other frames', async () => {
    const broken = path.join(dir, 'task-bad-window')
    cpSync(dataset, broken, { recursive: true })
    const key = 'videos/observation.images.cam_left_wrist/from_timestamp'
    await rewriteParquet(path.join(broken, 'meta', 'episodes', 'chunk-000', 'file-000.parquet'), (rows) => {
      for (const r of rows) if (Number(r.episode_index) === 1) r[key] = 1e6
    })
    const result = await writeTensorCache({ dataset: broken, writeGuard, out: path.join(dir, 'cache-bad-window'), size: 16 })
    expect(result.skipped.map((s) => s.episode)).toEqual([1])
    expect(result.skipped[0]?.reason).toMatch(/cam_left_wrist/)
    expect(result.skipped[0]?.reason).toMatch(/episode 1/)
    expect(result.frames).toBe(generated.episodes.reduce((a, e) => a + (e.index === 1 ? 0 : e.length), 0))
  })

  it('is read by the Python training code', async () => {
    const python = '/usr/bin/python3'
    const probe = spawnSync(python, ['-c', 'import torch, numpy'])
    if (probe.status !== 0) return // Debian's torch not installed here; models/viva/run_tests.sh reports that.
    const out = path.join(dir, 'cache-py')
    await writeTensorCache({ dataset, writeGuard, out, size: 32 })
    const r = spawnSync(python, ['-c', `from viva.data import read_cache; c = read_cache(${JSON.stringify(out)}); print(c.N, c.D, c.K, int(c.success.sum()))`], {
      cwd: path.resolve('models/viva'),
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    const n = generated.episodes.reduce((a, e) => a + e.length, 0)
    const successFrames = generated.episodes.filter((e) => e.outcome === 'success').reduce((a, e) => a + e.length, 0)
    expect(r.stdout.trim()).toBe(`${n} 14 17 ${successFrames}`)
  })

  it('refuses to overwrite a folder that is not a cache, and explains a missing outcome source', async () => {
    const foreign = path.join(dir, 'precious')
    mkdirSync(foreign)
    writeFileSync(path.join(foreign, 'thesis.tex'), 'x')
    await expect(writeTensorCache({ dataset, writeGuard, out: foreign, size: 32 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(readFileSync(path.join(foreign, 'thesis.tex'), 'utf8')).toBe('x')
    await expect(writeTensorCache({ dataset, writeGuard, out: path.join(dir, 'x'), size: 32, labels: path.join(dir, 'none.json') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('--labels'),
    })
  })

  it('refuses a cache inside the dataset, or one that would replace a folder holding it (issue 13)', async () => {
    await expect(writeTensorCache({ dataset, writeGuard, out: path.join(dataset, 'cache'), size: 32 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`it is inside the dataset ${dataset}`),
    })
    await expect(writeTensorCache({ dataset, writeGuard, out: dir, size: 32 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`Refusing to replace ${dir}: it holds the dataset ${dataset}`),
    })
    expect(statSync(path.join(dataset, 'meta', 'info.json')).isFile()).toBe(true)
  })
})
