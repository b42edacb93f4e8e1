import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetWarning } from '../../app/dataset'
import { VideoProber } from '../video/probe'
import { resolveMediaTools } from '../video/tools'
import type { ProbedVideo, VideoProbeFn } from './inspect'
import { normalizeCodec } from '../video/codecs'
import { formatInspectReport, inspectDataset } from './inspect'
import { writePatternDataset } from './patternDataset'

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

/** A probe that answers from a fixed value and records what it was asked. */
function stubProbe(answer: ProbedVideo | null | Error): { probe: VideoProbeFn; calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    probe: async (file) => {
      calls.push(file)
      if (answer instanceof Error) throw answer
      return answer
    },
  }
}

describe('inspectDataset on the shared datasets', () => {
  it('reports gr00t: metadata, frames, the phantom camera and every table-level quirk', async () => {
    const { probe, calls } = stubProbe({ codec: 'h264', width: 256, height: 256, frames: 416 })
    const report = await inspectDataset(GR00T, probe)
    expect(report.format).toBe('v2.0')
    expect(report.declaredVersion).toBe('v2.0')
    expect(report.fps).toBe(20)
    expect(report.robotType).toBe('GR1ArmsOnly')
    expect(report.episodes).toEqual({ listed: 5, present: 5, missing: [] })
    expect(report.frames).toEqual({ total: 2096, min: 328, median: 416, max: 470 })
    expect(report.state?.dim).toBe(44)
    expect(report.tasks).toHaveLength(6)
    expect(calls).toEqual([join(GR00T, 'videos/chunk-000/observation.images.ego_view/episode_000000.mp4')])
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
    const { probe } = stubProbe({ codec: 'hevc', width: 320, height: 240, frames: 400 })
    const report = await inspectDataset(GR00T, probe)
    const byCode = new Map(report.warnings.map((w) => [w.code, w]))
    const file = 'videos/chunk-000/observation.images.ego_view/episode_000000.mp4'
    expect(byCode.get('CODEC_MISMATCH')?.message).toBe(
      `camera "observation.images.ego_view": meta/info.json declares codec h264 but ${file} is hevc`,
    )
    expect(byCode.get('RESOLUTION_MISMATCH')?.message).toContain('declares 256x256 but')
    expect(byCode.get('VIDEO_FRAMES_MISMATCH')?.message).toBe(
      `camera "observation.images.ego_view": ${file} has 400 frames but episode 0's table has 416 rows`,
    )
  })

  it('turns a failing probe into a warning', async () => {
    const thrown = await inspectDataset(GR00T, stubProbe(new Error('ffprobe exploded')).probe)
    expect(thrown.warnings.find((w) => w.code === 'PROBE_FAILED')?.message).toContain('ffprobe exploded')
    const nothing = await inspectDataset(GR00T, stubProbe(null).probe)
    expect(codes(nothing.warnings)).toContain('PROBE_FAILED')
    expect(nothing.cameras[1]?.probed).toBeNull()
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
    const report = await inspectDataset(GR00T, stubProbe({ codec: 'h264', width: 256, height: 256, frames: 416 }).probe)
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
    return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length }
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
      expect(frames).toHaveLength(1)
      expect(frames[0]?.message).toContain(
        format === 'v2.1'
          ? "observation.images.b/episode_000000.mp4 has 14 frames but episode 0's table has 12 rows"
          : 'file-000.mp4 has 38 frames but its 3 episodes have 36 rows',
      )
    },
    60_000,
  )
})
