import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetWarning } from '../../app/dataset'
import { VideoProber } from '../video/probe'
import { resolveMediaTools } from '../video/tools'
import type { InspectReport, ProbedVideo, VideoProbeFn } from './inspect'
import { normalizeCodec } from '../video/codecs'
import { inspectDataset } from './inspect'
import { formatInspectReport } from './inspectReport'
import { writePatternDataset } from '../synth/patternDataset'

const SHARED = resolve(__dirname, '../../../shared/datasets')
const GR00T = join(SHARED, 'gr00t-sim-gr1-picknplace')
const UNITREE = join(SHARED, 'unitree-g1-bottle-pick')

let tmp = ''
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-inspect-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const codes = (warnings: readonly DatasetWarning[]): string[] => warnings.map((w) => w.code)

type Answer = ProbedVideo | null | Error

/** A probe that answers from a fixed value (or one per file) and records what it was asked. */
function stubProbe(answer: Answer | ((file: string) => Answer)): { probe: VideoProbeFn; calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    probe: async (file) => {
      calls.push(file)
      const a = typeof answer === 'function' ? answer(file) : answer
      if (a instanceof Error) throw a
      return a
    },
  }
}

/** gr00t's episode lengths (meta/episodes.jsonl), which its videos match frame for frame. */
const GR00T_LENGTHS = [416, 470, 470, 412, 328]
const gr00tVideo = (episode: number): string => `videos/chunk-000/observation.images.ego_view/episode_${String(episode).padStart(6, '0')}.mp4`
const gr00tEpisode = (file: string): number => Number(/episode_(\d+)\.mp4$/.exec(file)?.[1] ?? -1)
/** A probe of gr00t's files that agrees with info.json, except as `change` says. */
const gr00tProbe = (change: Partial<ProbedVideo> = {}): ((file: string) => ProbedVideo) => (file) => ({
  codec: 'h264',
  width: 256,
  height: 256,
  frames: GR00T_LENGTHS[gr00tEpisode(file)] ?? 0,
  ...change,
})

describe('inspectDataset on the shared datasets', () => {
  it('reports gr00t: metadata, frames, the phantom camera and every table-level quirk', async () => {
    const { probe, calls } = stubProbe(gr00tProbe())
    const report = await inspectDataset(GR00T, probe)
    expect(report.format).toBe('v2.0')
    expect(report.declaredVersion).toBe('v2.0')
    expect(report.fps).toBe(20)
    expect(report.robotType).toBe('GR1ArmsOnly')
    expect(report.episodes).toEqual({ listed: 5, present: 5, missing: [] })
    expect(report.frames).toEqual({ total: 2096, min: 328, median: 416, max: 470 })
    expect(report.state?.dim).toBe(44)
    expect(report.tasks).toHaveLength(6)
    // Every episode's video is probed, each once; the camera lists the first.
    expect([...calls].sort()).toEqual([0, 1, 2, 3, 4].map((e) => join(GR00T, gr00tVideo(e))))
    expect(report.cameras).toEqual([
      {
        key: 'observation.images.egoview',
        dtype: 'video',
        onDisk: false,
        declared: { codec: 'h264', width: 1280, height: 800, fps: 20 },
        probed: null,
      },
      {
        key: 'observation.images.ego_view',
        dtype: 'video',
        onDisk: true,
        declared: { codec: 'h264', width: 256, height: 256, fps: 20 },
        probed: {
          codec: 'h264',
          width: 256,
          height: 256,
          frames: 416,
          file: 'videos/chunk-000/observation.images.ego_view/episode_000000.mp4',
        },
      },
    ])
    const c = codes(report.warnings)
    expect(c.filter((x) => x === 'CAMERA_MISSING')).toHaveLength(1)
    expect(c.filter((x) => x === 'FRAME_INDEX_MISSING')).toHaveLength(5)
    expect(c.filter((x) => x === 'TIMESTAMP_MISMATCH')).toHaveLength(5)
    expect(c).not.toContain('CODEC_MISMATCH')
    expect(c).not.toContain('VIDEO_FRAMES_MISMATCH')
    // Per episode: the tables' timestamps start at 0.05 s, nothing else.
    expect(report.episodeProblems).toEqual([0, 1, 2, 3, 4].map((episode) => ({ episode, errors: 0, warnings: 1, codes: ['TIMESTAMP_MISMATCH'] })))
    // JSON-able: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  it('reports unitree: listed versus present episodes and frame statistics over the present ones', async () => {
    const report = await inspectDataset(UNITREE)
    expect(report.episodes.listed).toBe(100)
    expect(report.episodes.present).toBe(8)
    expect(report.episodes.missing).toHaveLength(92)
    expect(report.episodes.missing.slice(0, 5)).toEqual([0, 3, 6, 9, 12])
    expect(report.frames).toEqual({ total: 3027, min: 290, median: 380.5, max: 445 })
    expect(report.state?.names[0]).toBe('kLeftShoulderPitch')
    expect(report.cameras[0]?.declared.codec).toBe('av1')
    expect(report.cameras[0]?.probed).toBeNull()
    expect(codes(report.warnings).filter((x) => x !== 'EPISODE_MISSING')).toEqual(['EPISODES_MISSING'])
  })

  it('flags a declared codec, resolution or frame count that the file contradicts', async () => {
    const { probe } = stubProbe((file) => gr00tProbe(gr00tEpisode(file) === 3 ? { frames: 400 } : { codec: 'hevc', width: 320, height: 240 })(file))
    const report = await inspectDataset(GR00T, probe)
    const byCode = new Map(report.warnings.map((w) => [w.code, w]))
    // One line per camera for what info.json declares, however many files contradict it.
    expect(byCode.get('CODEC_MISMATCH')?.message).toBe(
      `camera "observation.images.ego_view": meta/info.json declares codec h264 but ${gr00tVideo(0)} is hevc (and 3 more files)`,
    )
    expect(byCode.get('RESOLUTION_MISMATCH')?.message).toContain('declares 256x256 but')
    // Frame counts per file: only episode 3's video is short, and it is found although it is not the first.
    const frames = report.warnings.filter((w) => w.code === 'VIDEO_FRAMES_MISMATCH')
    expect(frames.map((w) => [w.episode, w.message])).toEqual([
      [3, `camera "observation.images.ego_view": ${gr00tVideo(3)} has 400 frames but episode 3's table has 412 rows`],
    ])
  })

  it('turns a failing probe into an error on the episodes whose video it is', async () => {
    const thrown = await inspectDataset(GR00T, stubProbe(new Error('ffprobe exploded')).probe)
    expect(thrown.warnings.find((w) => w.code === 'PROBE_FAILED')?.message).toContain('ffprobe exploded')
    const nothing = await inspectDataset(GR00T, stubProbe(null).probe)
    expect(codes(nothing.warnings)).toContain('PROBE_FAILED')
    expect(nothing.cameras[1]?.probed).toBeNull()
    // Only episode 2's video is broken: the report names episode 2 and no other.
    const one = await inspectDataset(GR00T, stubProbe((file) => (gr00tEpisode(file) === 2 ? new Error('moov atom not found') : gr00tProbe()(file))).probe)
    const failed = one.warnings.filter((w) => w.code === 'PROBE_FAILED')
    expect(failed.map((w) => [w.level, w.episode, w.file])).toEqual([['error', 2, gr00tVideo(2)]])
    expect(failed[0]?.message).toContain('moov atom not found')
    expect(one.episodeProblems.filter((p) => p.errors > 0)).toEqual([{ episode: 2, errors: 1, warnings: 1, codes: ['PROBE_FAILED', 'TIMESTAMP_MISMATCH'] }])
    expect(one.cameras[1]?.probed?.file).toBe(gr00tVideo(0))
    const text = formatInspectReport(one)
    expect(text).toContain('by episode 5 of 5 episodes have problems')
    expect(text).toContain('episode 2: 1 error, 1 warning (PROBE_FAILED, TIMESTAMP_MISMATCH)')
    expect(text).toContain('episode 3: 1 warning (TIMESTAMP_MISMATCH)')
  })

  it('probes at most `concurrency` files at once and reports progress after each', async () => {
    let running = 0
    let peak = 0
    const release: (() => void)[] = []
    const probe: VideoProbeFn = async (file) => {
      running++
      peak = Math.max(peak, running)
      await new Promise<void>((r) => release.push(r))
      running--
      return gr00tProbe()(file)
    }
    const progress: [number, number][] = []
    const pending = inspectDataset(GR00T, probe, { concurrency: 2, onProbeProgress: (done, total) => progress.push([done, total]) })
    // Let the probes through one at a time as they queue up.
    while (progress.length < 6) {
      await new Promise((r) => setImmediate(r))
      release.shift()?.()
    }
    await pending
    expect(peak).toBe(2)
    expect(progress).toEqual([[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5]])
  })

  it('reports an unreadable episode table as an error instead of failing', async () => {
    const root = join(tmp, 'corrupt')
    for (const part of ['meta', 'data']) await cp(join(GR00T, part), join(root, part), { recursive: true })
    await writeFile(join(root, 'data/chunk-000/episode_000002.parquet'), 'PAR1 not really')
    const report = await inspectDataset(root)
    const err = report.warnings.find((w) => w.code === 'EPISODE_UNREADABLE')
    expect(err?.level).toBe('error')
    expect(err?.episode).toBe(2)
    expect(err?.file).toBe('data/chunk-000/episode_000002.parquet')
    // The metadata length stands in for the unreadable table.
    expect(report.frames?.total).toBe(2096)
  })
})

describe('formatInspectReport', () => {
  it('lists the essentials and groups repeated warnings', async () => {
    const report = await inspectDataset(GR00T, stubProbe(gr00tProbe()).probe)
    const text = formatInspectReport(report)
    expect(text).toContain('format    LeRobot v2.0 (codebase_version "v2.0")')
    expect(text).toContain('episodes  5 listed, 5 present')
    expect(text).toContain('frames    2,096 total; per episode min 328, median 416, max 470')
    expect(text).toContain('state     observation.state, 44 dims: motor_0, motor_1')
    expect(text).toMatch(/observation\.images\.egoview\s+\[video\]\s+declared h264 1280x800 @20\s+\|\s+NO FILES ON DISK/)
    expect(text).toContain('file h264 256x256, 416 frames')
    expect(text).toContain('TIMESTAMP_MISMATCH x5 in episodes 0-4, e.g. timestamps start at 0.050 s instead of 0')
    expect(text).toContain('0 errors, 6 warnings, 5 notes')
  })

  it('shortens long episode lists', async () => {
    const text = formatInspectReport(await inspectDataset(UNITREE))
    expect(text).toContain('episodes  100 listed, 8 present; missing: 0, 3, 6, 9, 12-99')
    expect(text).toContain('EPISODE_MISSING x92 in episodes 0, 3, 6, 9, 12-99')
  })
})

describe('normalizeCodec', () => {
  it('treats encoder and container names as the codec they produce', () => {
    expect(normalizeCodec('libx264')).toBe('h264')
    expect(normalizeCodec('AVC1')).toBe('h264')
    expect(normalizeCodec('libsvtav1')).toBe('av1')
    expect(normalizeCodec('hev1')).toBe('hevc')
    expect(normalizeCodec('mpeg4')).toBe('mpeg4')
  })
})

describe('inspectDataset with ffprobe on generated datasets', () => {
  const prober = new VideoProber(resolveMediaTools())
  const probe: VideoProbeFn = async (file) => {
    const p = await prober.probe(file)
    return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length, pts: p.pts }
  }

  it.each(['v2.1', 'v3.0'] as const)(
    '%s: a wrongly declared codec and a video with extra frames',
    async (format) => {
      const out = join(tmp, `gen-${format}`)
      await writePatternDataset({
        out,
        format,
        lengths: [12, 15, 9],
        fps: 10,
        cameras: [
          { key: 'observation.images.a', width: 64, height: 48 },
          { key: 'observation.images.b', width: 64, height: 48 },
        ],
        quirks: { wrongDeclaredCodec: 'av1', videoFrameDelta: { episode: 0, camera: 'observation.images.b', delta: 2 } },
      })
      const report = await inspectDataset(out, probe)
      expect(report.cameras.map((c) => [c.key, c.declared.codec, c.probed?.codec])).toEqual([
        ['observation.images.a', 'av1', 'h264'],
        ['observation.images.b', 'av1', 'h264'],
      ])
      const codecWarnings = report.warnings.filter((w) => w.code === 'CODEC_MISMATCH')
      expect(codecWarnings).toHaveLength(2)
      expect(codecWarnings[0]?.message).toContain('declares codec av1 but')
      const frames = report.warnings.filter((w) => w.code === 'VIDEO_FRAMES_MISMATCH')
      expect(frames).toHaveLength(format === 'v2.1' ? 1 : 2)
      expect(frames[0]?.message).toContain(
        format === 'v2.1'
          ? "observation.images.b/episode_000000.mp4 has 14 frames but episode 0's table has 12 rows"
          : 'file-000.mp4 has 38 frames but its 3 episodes have 36 rows',
      )
      // v3.0: and which episode's window holds the extra frames.
      if (format === 'v3.0') expect(frames[1]).toMatchObject({ episode: 0, message: expect.stringContaining('holds 14 frames but the table has 12 rows') })
    },
    60_000,
  )

  it('v3.0: checks every episode\'s video window against its shared file, probing each file once', async () => {
    const out = join(tmp, 'bad-window-v30')
    await writePatternDataset({
      out,
      format: 'v3.0',
      lengths: [12, 15, 9, 10],
      fps: 10,
      cameras: [
        { key: 'observation.images.a', width: 64, height: 48 },
        { key: 'observation.images.b', width: 64, height: 48 },
      ],
      // 46 frames per file (0–4.6 s): episode 2's camera b is said to sit 10 s past the end.
      quirks: { videoWindow: { episode: 2, camera: 'observation.images.b', from: 12.7, to: 13.6 } },
    })
    const calls: string[] = []
    const report = await inspectDataset(out, async (file) => {
      calls.push(file)
      return probe(file)
    })
    expect(calls.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'videos/observation.images.a/chunk-000/file-000.mp4',
      'videos/observation.images.b/chunk-000/file-000.mp4',
    ])
    const bad = report.warnings.filter((w) => w.code === 'VIDEO_WINDOW_INVALID')
    expect(bad.map((w) => [w.level, w.episode, w.file])).toEqual([['error', 2, 'videos/observation.images.b/chunk-000/file-000.mp4']])
    for (const part of ['camera "observation.images.b", episode 2', '12.700–13.600 s', "starts past the file's last frame", 'lasts 4.600 s (46 frames']) {
      expect(bad[0]?.message).toContain(part)
    }
    expect(report.episodeProblems).toEqual([{ episode: 2, errors: 1, warnings: 0, codes: ['VIDEO_WINDOW_INVALID'] }])
    const text = formatInspectReport(report)
    expect(text).toContain('1 errors, 0 warnings')
    expect(text).toContain('error   VIDEO_WINDOW_INVALID: camera "observation.images.b", episode 2')
    expect(text).toContain('episode 2: 1 error (VIDEO_WINDOW_INVALID)')
  }, 60_000)

  it('viva inspect: only episode 2\'s video is broken, and the report names episode 2; progress on stderr, JSON alone on stdout', async () => {
    const out = join(tmp, 'broken-ep2')
    await writePatternDataset({
      out,
      format: 'v2.1',
      lengths: [8, 8, 8, 8],
      fps: 10,
      cameras: [
        { key: 'observation.images.a', width: 64, height: 48 },
        { key: 'observation.images.b', width: 64, height: 48 },
      ],
    })
    const broken = 'videos/chunk-000/observation.images.b/episode_000002.mp4'
    await writeFile(join(out, broken), 'not a video\n'.repeat(50))
    const run = promisify(execFile)
    const { stdout, stderr } = await run('node', [resolve('main/cli/viva.mjs'), 'inspect', out, '--json'], { encoding: 'utf8' })
    const report = JSON.parse(stdout) as InspectReport
    const failed = report.warnings.filter((w) => w.code === 'PROBE_FAILED')
    expect(failed.map((w) => [w.level, w.episode, w.file])).toEqual([['error', 2, broken]])
    expect(report.episodeProblems.map((p) => p.episode)).toEqual([2])
    // Not a terminal: plain lines, each count ending with its total (8 files: 4 episodes x 2 cameras; the 7 readable
    // ones sampled for black or frozen video).
    expect(stderr.trim().split('\n')).toContain('probed 8/8 video files')
    expect(stderr.trim().split('\n').at(-1)).toBe('checked 7/7 camera episodes for black or frozen video')
    const text = await run('node', [resolve('main/cli/viva.mjs'), 'inspect', out], { encoding: 'utf8' })
    expect(text.stdout).toContain('episode 2: 1 error (PROBE_FAILED)')
    expect(text.stdout).not.toContain('probed 8/8')
  }, 60_000)
})
