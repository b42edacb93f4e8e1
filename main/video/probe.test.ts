import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { episodeFrameTimes, isBrowserPlayable, VideoProber, videoWindowError } from './probe'
import { ProxyCache } from './proxy'
import { resolveMediaTools } from './tools'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-probe-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const tools = resolveMediaTools()

function makeVideo(name: string, codecArgs: string[], frames: number, fps = 10): string {
  const file = path.join(dir, name)
  execFileSync(tools.ffmpeg, [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=64x48:rate=${fps}`, '-frames:v', String(frames),
    ...codecArgs, '-pix_fmt', 'yuv420p', '-y', file,
  ])
  return file
}

describe('episodeFrameTimes', () => {
  const pts = Float64Array.from({ length: 30 }, (_, i) => i / 10)
  it('puts every seek target between a frame and the next', () => {
    const { frameTimes, videoFrames } = episodeFrameTimes(pts, 10, 30, 0, null)
    expect(videoFrames).toBe(30)
    expect(frameTimes[0]).toBeCloseTo(0.05)
    expect(frameTimes[29]).toBeCloseTo(2.95)
  })
  it('selects the episode segment of a shared file by its [from, to) window', () => {
    const { frameTimes, videoFrames } = episodeFrameTimes(pts, 10, 10, 1.0, 2.0)
    expect(videoFrames).toBe(10)
    expect(frameTimes[0]).toBeCloseTo(1.05)
    expect(frameTimes[9]).toBeCloseTo(1.95)
  })
  it('holds the last frame when the video is shorter than the table', () => {
    const { frameTimes, videoFrames } = episodeFrameTimes(pts.subarray(0, 5), 10, 8, 0, null)
    expect(videoFrames).toBe(5)
    expect(frameTimes[7]).toBeCloseTo(frameTimes[4] ?? -1)
  })
  it('ignores timestamps that are off by less than half a frame', () => {
    const jittered = Float64Array.from({ length: 20 }, (_, i) => i / 10 + 0.003)
    expect(episodeFrameTimes(jittered, 10, 10, 1.0, 2.0).videoFrames).toBe(10)
  })
})

describe('videoWindowError', () => {
  // A shared v3.0 file: 30 frames at 10 fps, 0.0–2.9 s, so it lasts 3.0 s.
  const pts = Float64Array.from({ length: 30 }, (_, i) => i / 10)
  const check = (from: number, to: number | null): string | null =>
    videoWindowError({ camera: 'cam', episode: 2, relPath: 'videos/cam/chunk-000/file-000.mp4', from, to }, pts, 10)

  it('accepts windows inside the file, an open end, and ends that overrun the file by less than a frame', () => {
    expect(check(0, 1.2)).toBeNull()
    expect(check(2.2, 3.0)).toBeNull()
    expect(check(2.2, null)).toBeNull()
    // Rounding of a writer's timestamps: within half a frame on either bound.
    expect(check(-0.04, 1.2)).toBeNull()
    expect(check(2.9 + 0.04, 3.0)).toBeNull()
    // The container duration can add a fraction of a frame to the last episode's to_timestamp.
    expect(check(2.2, 3.099)).toBeNull()
  })

  it('names camera, episode, window, file and the file duration for every window that would show other frames', () => {
    const cases: [number, number | null, string][] = [
      [3.5, 4.7, "starts past the file's last frame"],
      [2.96, 3.5, "starts past the file's last frame"],
      [2.2, 1.0, 'ends before it starts (reversed)'],
      [Number.NaN, 3.0, 'its start is NaN'],
      [Number.POSITIVE_INFINITY, null, 'its start is Infinity'],
      [1.0, Number.NaN, 'its end is NaN'],
      [-1, 1.2, 'negative start'],
      [2.2, 3.1, "past the file's end"],
      [1.0, 1.0, 'holds no frame of the file'],
    ]
    for (const [from, to, problem] of cases) {
      const message = check(from, to)
      expect(message, `${from}..${to}`).toContain(problem)
      expect(message).toContain('camera "cam", episode 2')
      expect(message).toContain('videos/cam/chunk-000/file-000.mp4')
      expect(message).toContain('the file lasts 3.000 s (30 frames from 0.000 s)')
    }
    expect(check(3.5, 4.7)).toContain('window 3.500–4.700 s')
    expect(check(Number.NaN, 3)).toContain('window NaN–3.000 s')
  })
})

describe('VideoProber', () => {
  const prober = new VideoProber(tools)
  it('reads codec, size and every frame time without decoding', async () => {
    const file = makeVideo('h264.mp4', ['-c:v', 'libx264', '-g', '5'], 23)
    const p = await prober.probe(file)
    expect(p.codec).toBe('h264')
    expect([p.width, p.height]).toEqual([64, 48])
    expect(p.pts.length).toBe(23)
    expect(p.pts[1]! - p.pts[0]!).toBeCloseTo(0.1)
    expect(isBrowserPlayable(p)).toBe(true)
  })
  it('flags MPEG-4 Part 2 as needing a proxy, and the proxy keeps frame count and timing', async () => {
    const file = makeVideo('mpeg4.mp4', ['-c:v', 'mpeg4'], 17)
    const p = await prober.probe(file)
    expect(p.codec).toBe('mpeg4')
    expect(isBrowserPlayable(p)).toBe(false)
    const cache = new ProxyCache(tools, path.join(dir, 'proxies'))
    const progress: number[] = []
    const proxy = await cache.ensure({ file, duration: 1.7, onProgress: (f) => progress.push(f) })
    const q = await prober.probe(proxy)
    expect(q.codec).toBe('h264')
    expect(q.pts.length).toBe(17)
    expect(Array.from(q.pts).map((t) => t.toFixed(3))).toEqual(Array.from(p.pts).map((t) => t.toFixed(3)))
    expect(progress.at(-1)).toBe(1)
    expect(await cache.existing(file)).toBe(proxy)
  })
  it('gives a clear error naming the file for missing, empty and corrupt videos', async () => {
    await expect(prober.probe(path.join(dir, 'nope.mp4'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope.mp4') })
    const empty = path.join(dir, 'empty.mp4')
    writeFileSync(empty, '')
    await expect(prober.probe(empty)).rejects.toMatchObject({ code: 'MEDIA_FAILED', message: expect.stringContaining('empty (0 bytes)') })
    const junk = path.join(dir, 'junk.mp4')
    writeFileSync(junk, Buffer.alloc(4096, 7))
    await expect(prober.probe(junk)).rejects.toMatchObject({ code: 'MEDIA_FAILED', message: expect.stringContaining('junk.mp4') })
  })
})

describe('VideoProber shared probes', () => {
  // Both callers have passed their stat and joined the one ffprobe run (which takes far longer than this).
  const inFlight = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30))
  // A shared v3.0 file backs many episodes, so one probe serves every caller: one caller giving up (its episode
  // view superseded, a check cancelled) must not fail the others that wait on the same file.
  it("a caller's abort cancels only its own wait; the others still get the probe", async () => {
    const file = makeVideo('shared.mp4', ['-c:v', 'libx264'], 12)
    const prober = new VideoProber(tools)
    const first = new AbortController()
    const a = prober.probe(file, first.signal)
    const b = prober.probe(file)
    await inFlight()
    first.abort()
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    const probe = await b
    expect(probe.pts.length).toBe(12)
  })

  it('stops ffprobe once every caller has given up, and a later caller probes afresh', async () => {
    const file = makeVideo('abandoned.mp4', ['-c:v', 'libx264'], 12)
    const prober = new VideoProber(tools)
    const one = new AbortController()
    const two = new AbortController()
    const a = prober.probe(file, one.signal)
    const b = prober.probe(file, two.signal)
    await inFlight()
    one.abort()
    two.abort()
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED' })
    expect((await prober.probe(file)).pts.length).toBe(12)
  })

  it('an already aborted signal is refused at once', async () => {
    const file = makeVideo('early.mp4', ['-c:v', 'libx264'], 4)
    const prober = new VideoProber(tools)
    await expect(prober.probe(file, AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' })
    expect((await prober.probe(file)).pts.length).toBe(4)
  })
})
