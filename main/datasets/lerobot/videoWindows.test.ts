import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeServices, type Services } from '../../compose'
import { VideoProber } from '../../video/probe'
import { resolveMediaTools } from '../../video/tools'
import { inspectDataset, type VideoProbeFn } from '../inspect'
import { formatInspectReport } from '../inspectReport'
import { writePatternDataset } from '../../synth/patternDataset'

/**
 * v3.0 video windows whose to_timestamp is the last frame's time (inclusive) rather than one frame past it
 * (LeRobot's exclusive end): the convention is detected per dataset, every episode keeps its last real frame, and
 * `viva inspect` says which convention was used.
 */

const cameras = ['a', 'b'].map((c) => ({ key: `observation.images.${c}`, width: 64, height: 48 }))
const LENGTHS = [8, 9, 7]
let tmp = ''
let services: Services
const prober = new VideoProber(resolveMediaTools())
const probe: VideoProbeFn = async (file) => {
  const p = await prober.probe(file)
  return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length, pts: p.pts }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-windows-'))
  services = composeServices({ mode: 'browser', version: 'test', dataDir: join(tmp, 'data') })
  await writePatternDataset({ out: join(tmp, 'inclusive'), format: 'v3.0', lengths: LENGTHS, fps: 10, cameras, quirks: { inclusiveVideoWindows: true } })
  await writePatternDataset({ out: join(tmp, 'exclusive'), format: 'v3.0', lengths: LENGTHS, fps: 10, cameras })
}, 60_000)
afterAll(async () => {
  await services.dispose()
  await rm(tmp, { recursive: true, force: true })
})

describe('v3.0 video window conventions', () => {
  it('inclusive to_timestamp: every episode keeps its last real frame (no held duplicate), with a dataset note', async () => {
    const summary = await services.datasets.open(join(tmp, 'inclusive'))
    const note = summary.warnings.find((w) => w.code === 'VIDEO_WINDOWS_INCLUSIVE')
    expect(note?.level).toBe('info')
    expect(note?.message).toContain('for 6 of 6 video windows')
    for (const [episode, length] of LENGTHS.entries()) {
      const view = await services.datasets.openEpisode(summary.id, episode)
      expect(view.warnings.filter((w) => w.code === 'VIDEO_FRAMES_MISMATCH')).toEqual([])
      const start = LENGTHS.slice(0, episode).reduce((a, b) => a + b, 0) / 10
      for (const cam of view.cameras) {
        expect(cam.videoFrames).toBe(length)
        // The last frame is the file's frame at start + (length − 1)/fps, not the one before it held twice.
        expect(cam.frameTimes[length - 1]).toBeCloseTo(start + (length - 0.5) / 10, 3)
        expect(cam.frameTimes[length - 1]).toBeGreaterThan(cam.frameTimes[length - 2] ?? Infinity)
      }
    }
  }, 60_000)

  it('viva inspect reports the convention used, for both kinds, and no frame mismatch', async () => {
    const inclusive = await inspectDataset(join(tmp, 'inclusive'), probe)
    expect(inclusive.videoWindows).toEqual({ convention: 'inclusive', exclusive: 0, inclusive: 6, other: 0 })
    expect(inclusive.warnings.filter((w) => w.code === 'VIDEO_FRAMES_MISMATCH')).toEqual([])
    expect(formatInspectReport(inclusive)).toContain("windows   to_timestamp inclusive (last frame's time) in 6 of 6; read as ending one frame later")
    expect(formatInspectReport(inclusive)).toContain('VIDEO_WINDOWS_INCLUSIVE')

    const exclusive = await inspectDataset(join(tmp, 'exclusive'), probe)
    expect(exclusive.videoWindows).toEqual({ convention: 'exclusive', exclusive: 6, inclusive: 0, other: 0 })
    expect(exclusive.warnings.map((w) => w.code)).not.toContain('VIDEO_WINDOWS_INCLUSIVE')
    expect(formatInspectReport(exclusive)).toContain("windows   to_timestamp exclusive (one frame past the last, LeRobot's convention) in 6 of 6")
  }, 60_000)

  it('inspect checks each episode\'s window of a shared file, not only the file\'s total', async () => {
    // Episode 1's window ends one frame early and episode 2's starts there: the file's total still matches.
    const out = join(tmp, 'shifted')
    await writePatternDataset({
      out,
      format: 'v3.0',
      lengths: LENGTHS,
      fps: 10,
      cameras: cameras.slice(0, 1),
      quirks: { videoWindow: { episode: 1, to: 1.6 } },
    })
    const report = await inspectDataset(out, probe)
    const short = report.warnings.filter((w) => w.code === 'VIDEO_FRAMES_MISMATCH')
    expect(short.map((w) => [w.episode, w.level])).toEqual([[1, 'warning']])
    expect(short[0]?.message).toContain('holds 8 frames but the table has 9 rows')
  }, 60_000)
})
