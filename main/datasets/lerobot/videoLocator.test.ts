import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeServices, type Services } from '../../compose'
import { VideoProber } from '../../video/probe'
import { resolveMediaTools } from '../../video/tools'
import { DirListing } from './dirListing'
import { inspectDataset } from '../inspect'
import { formatInspectReport } from '../inspectReport'
import { openLeRobotDataset } from './lerobot'
import { writePatternDataset } from '../../synth/patternDataset'
import { locateVideos } from './videoLocator'

/**
 * The class "videos are not where video_path says": other top folder (video/), other chunk names (chunk-0,
 * chunk_000), the camera folder without observation.images., file-N instead of episode_N; and cameras whose videos
 * are nowhere, which stay in the player with an error pane instead of silently disappearing.
 */

const A = 'observation.images.a'
const B = 'observation.images.b'
const C = 'observation.images.c'
const GHOST = 'observation.images.ghost'
const cam = (key: string): { key: string; width: number; height: number } => ({ key, width: 64, height: 48 })

let tmp = ''
let services: Services
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-locate-'))
  services = composeServices({ mode: 'browser', version: 'test', dataDir: join(tmp, 'data') })
})
afterAll(async () => {
  await services.dispose()
  await rm(tmp, { recursive: true, force: true })
})

async function touch(root: string, rel: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true })
  await writeFile(join(root, rel), '')
}

describe('locateVideos (crafted folders)', () => {
  const V2 = 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4'
  const V3 = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4'

  it.each([
    ['video/ instead of videos/', V2, 'video/chunk-000/observation.images.a/episode_000003.mp4'],
    ['chunk-0 and the short camera name', V2, 'videos/chunk-0/a/episode_000003.mp4'],
    ['chunk_000 and file-N names', V2, 'videos/chunk_000/observation.images.a/file-003.mp4'],
    ['a flat layout without chunk folders', V2, 'video/a/episode_3.mp4'],
    ['v3.0 with chunk_0 and file_N', V3, 'videos/a/chunk_0/file_003.mp4'],
  ])('finds a video moved to %s', async (_what, template, actual) => {
    const root = await mkdtemp(join(tmp, 'crafted-'))
    await touch(root, actual)
    await touch(root, actual.replace(/3(\.mp4)$/, '4$1')) // a neighbour that must not be picked
    const expected = template.includes('file_index')
      ? 'videos/observation.images.a/chunk-000/file-003.mp4'
      : 'videos/chunk-000/observation.images.a/episode_000003.mp4'
    const result = await locateVideos(root, new DirListing(root), template, [A, B], [{ camera: A, relPath: expected }])
    expect(result.locations.get(expected)).toEqual({ expected, found: actual })
  })

  it('does not take another camera\'s, another chunk\'s or another episode\'s file, and says where it looked', async () => {
    const root = await mkdtemp(join(tmp, 'crafted-'))
    await touch(root, 'videos/chunk-000/observation.images.b/episode_000003.mp4')
    await touch(root, 'video/observation.images.a/chunk-001/file-003.mp4')
    await touch(root, 'video/observation.images.a/chunk-000/file-004.mp4')
    await touch(root, 'elsewhere/observation.images.a/chunk-000/file-003.mp4')
    const expected = 'videos/observation.images.a/chunk-000/file-003.mp4'
    const V3T = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4'
    const result = await locateVideos(root, new DirListing(root), V3T, [A, B], [{ camera: A, relPath: expected }])
    expect(result.locations.get(expected)).toEqual({ expected, found: null })
    expect(result.searched).toEqual(['video/', 'videos/'])
  })
})

describe('generated datasets whose videos are elsewhere', () => {
  it('v2.1: uses moved videos with a warning naming both paths; a camera found nowhere keeps an error pane', async () => {
    const out = join(tmp, 'moved-v21')
    await writePatternDataset({
      out,
      format: 'v2.1',
      lengths: [8, 9],
      fps: 10,
      cameras: [cam(A), cam(B)],
      quirks: {
        videoFilesAt: { camera: A, template: 'video/chunk_{episode_chunk}/{short_key}/file-{episode_index:03d}.mp4' },
        phantomCamera: GHOST,
      },
    })
    const source = await openLeRobotDataset(out)
    expect(source.summary.cameras.map((c) => c.key)).toEqual([A, B])
    const moved = source.summary.warnings.filter((w) => w.code === 'VIDEO_RELOCATED')
    expect(moved).toHaveLength(1)
    expect(moved[0]?.message).toContain('video/chunk_0/a/file-000.mp4 for videos/chunk-000/observation.images.a/episode_000000.mp4')
    expect(moved[0]?.message).toContain('2 videos are not where video_path says')
    expect(source.summary.missingCameras?.map((c) => c.key)).toEqual([GHOST])
    const ghost = source.summary.missingCameras?.[0]?.message ?? ''
    for (const part of ['videos/chunk-000/observation.images.ghost/episode_000000.mp4', 'searched video/, videos/', 'fix video_path']) {
      expect(ghost).toContain(part)
    }

    // The player: both cameras on disk play (A from where it was found), the ghost is a pane that says why.
    const summary = await services.datasets.open(out)
    const view = await services.datasets.openEpisode(summary.id, 1)
    expect(view.cameras.map((c) => [c.key, c.status])).toEqual([
      [A, 'ready'],
      [B, 'ready'],
      [GHOST, 'missing'],
    ])
    expect(view.cameras[0]?.media).toEqual({ rootId: summary.id, path: 'video/chunk_0/a/file-001.mp4' })
    expect(view.cameras[0]?.videoFrames).toBe(9)
    expect(view.cameras[2]?.statusMessage).toBe(ghost)

    // viva inspect: probes the file where it is, and reports both with a path and an action.
    const prober = new VideoProber(resolveMediaTools())
    const report = await inspectDataset(out, async (file) => {
      const p = await prober.probe(file)
      return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length, pts: p.pts }
    })
    expect(report.cameras.find((c) => c.key === A)?.probed?.file).toBe('video/chunk_0/a/file-000.mp4')
    expect(report.warnings.filter((w) => w.code === 'PROBE_FAILED')).toEqual([])
    const text = formatInspectReport(report)
    expect(text).toContain('VIDEO_RELOCATED')
    expect(text).toContain(`${GHOST}  [video]`)
    expect(text).toContain('NO FILES ON DISK')
    expect(text).toContain('CAMERA_MISSING')
  }, 60_000)

  it('v3.0: a camera in chunk-0 folders without its prefix plays from there; one moved out of reach is a missing pane', async () => {
    const out = join(tmp, 'moved-v30')
    await writePatternDataset({
      out,
      format: 'v3.0',
      lengths: [8, 9, 7],
      fps: 10,
      cameras: [cam(A), cam(C)],
      quirks: { videoFilesAt: { camera: A, template: 'videos/{short_key}/chunk-{chunk_index}/file_{file_index:03d}.mp4' } },
    })
    // Camera c's only file goes where no search looks.
    const { rename } = await import('node:fs/promises')
    await mkdir(join(out, 'raw'), { recursive: true })
    await rename(join(out, `videos/${C}`), join(out, 'raw/c'))
    const summary = await services.datasets.open(out)
    expect(summary.warnings.find((w) => w.code === 'VIDEO_RELOCATED')?.message).toContain(
      `videos/a/chunk-0/file_000.mp4 for videos/${A}/chunk-000/file-000.mp4`,
    )
    const view = await services.datasets.openEpisode(summary.id, 2)
    expect(view.cameras.map((c) => [c.key, c.status])).toEqual([
      [A, 'ready'],
      [C, 'missing'],
    ])
    // Episode 2's window of the shared file: after 8 + 9 frames.
    expect(view.cameras[0]?.videoFrames).toBe(7)
    expect(view.cameras[0]?.frameTimes[0]).toBeCloseTo(1.75, 3)
    expect(view.cameras[1]?.statusMessage).toContain(`videos/${C}/chunk-000/file-000.mp4`)
  }, 60_000)
})
