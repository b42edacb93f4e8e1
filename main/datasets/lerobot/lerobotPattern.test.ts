import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetWarning } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import type { EpisodeData } from '../episodeSource'
import { openLeRobotDataset } from './lerobot'
import type { PatternDatasetResult, PatternQuirks } from '../../synth/patternDataset'
import { patternStateNames, patternStateValue, patternTimestamp, writePatternDataset } from '../../synth/patternDataset'

/** Generated datasets whose every value is known, read back through the LeRobot readers. */

const FPS = 15
const LENGTHS = [20, 31, 25, 17]
const CAMERAS = ['observation.images.cam_high', 'observation.images.cam_left_wrist', 'observation.images.cam_right_wrist']
const SMALL = CAMERAS.map((key) => ({ key, width: 64, height: 48 }))
const STATE_DIM = 14
const GHOST = 'observation.images.ghost'

let tmp = ''
const made: Record<string, PatternDatasetResult> = {}

const QUIRKS: PatternQuirks = {
  videoInfoKey: true,
  chunkIndexTemplate: true,
  noFrameIndex: true,
  timestampOffset: 0.2,
  timestampDrift: 0.5,
  missingEpisodes: [1],
  phantomCamera: GHOST,
  nestedStateNames: true,
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-pattern-'))
  const make = (name: string, format: 'v2.0' | 'v2.1' | 'v3.0', cameras: typeof SMALL, quirks: PatternQuirks = {}) =>
    writePatternDataset({ out: join(tmp, name), format, lengths: LENGTHS, fps: FPS, cameras, stateDim: STATE_DIM, quirks }).then(
      (r) => {
        made[name] = r
      },
    )
  // Sequential: each run already uses one encoder per camera.
  await make('v21', 'v2.1', SMALL)
  await make('v30', 'v3.0', SMALL)
  await make('v20-quirks', 'v2.0', SMALL.slice(0, 1), QUIRKS)
  await make('v30-quirks', 'v3.0', SMALL.slice(0, 2), { ...QUIRKS, chunkIndexTemplate: false, missingEpisodes: [2] })
}, 120_000)

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const root = (name: string): string => made[name]?.root ?? join(tmp, name)
const codes = (warnings: readonly DatasetWarning[]): string[] => warnings.map((w) => w.code)

function expectPatternState(ep: EpisodeData): void {
  expect(ep.state?.dim).toBe(STATE_DIM)
  const values = ep.state?.values ?? new Float32Array()
  expect(values).toHaveLength(ep.length * STATE_DIM)
  for (const f of [0, 1, Math.floor(ep.length / 2), ep.length - 1]) {
    const expected = Array.from({ length: STATE_DIM }, (_, j) => Math.fround(patternStateValue(1, FPS, ep.index, f, j)))
    expect(Array.from(values.subarray(f * STATE_DIM, (f + 1) * STATE_DIM))).toEqual(expected)
  }
}

describe.each(['v21', 'v30'])('generated %s dataset, 3 cameras, no quirks', (name) => {
  it('summarises it exactly, with no warnings', async () => {
    const ds = await openLeRobotDataset(root(name))
    const s = ds.summary
    expect(s.format).toBe(name === 'v21' ? 'v2.1' : 'v3.0')
    expect(s.fps).toBe(FPS)
    expect(s.robotType).toBe('aloha')
    expect(s.cameras).toEqual(
      CAMERAS.map((key) => ({ key, dtype: 'video', declaredCodec: 'h264', width: 64, height: 48, fps: FPS })),
    )
    expect(s.state).toEqual({ key: 'observation.state', dim: STATE_DIM, names: patternStateNames(STATE_DIM) })
    expect(s.tasks).toHaveLength(2)
    expect(s.episodes.map((e) => [e.index, e.length, e.present])).toEqual(LENGTHS.map((l, i) => [i, l, true]))
    expect(s.episodes[1]?.tasks).toEqual([s.tasks[1]])
    expect(s.totalFrames).toBe(LENGTHS.reduce((a, b) => a + b, 0))
    expect(s.warnings).toEqual([])
  })

  it('loads every episode: state, timestamps, frame order and one video per camera', async () => {
    const ds = await openLeRobotDataset(root(name))
    for (const index of LENGTHS.keys()) {
      const ep = await ds.loadEpisode(index)
      expect(ep.length).toBe(LENGTHS[index])
      expect(ep.frameIndexSource).toBe('column')
      expectPatternState(ep)
      expect(ep.timestamps?.[7]).toBe(Math.fround(patternTimestamp(FPS, 7, ep.length)))
      expect(ep.videos.map((v) => v.camera)).toEqual(CAMERAS)
      expect(ep.warnings).toEqual([])
    }
  })

  it('places each episode in its video file', async () => {
    const ds = await openLeRobotDataset(root(name))
    const ep = await ds.loadEpisode(2)
    const video = ep.videos[1]
    if (name === 'v21') {
      expect(video?.relPath).toBe('videos/chunk-000/observation.images.cam_left_wrist/episode_000002.mp4')
      expect([video?.fromTimestamp, video?.toTimestamp]).toEqual([0, null])
    } else {
      expect(video?.relPath).toBe('videos/observation.images.cam_left_wrist/chunk-000/file-000.mp4')
      expect(video?.fromTimestamp).toBeCloseTo((20 + 31) / FPS, 9)
      expect(video?.toTimestamp).toBeCloseTo((20 + 31 + 25) / FPS, 9)
    }
    expect(video?.file).toBe(join(root(name), video?.relPath ?? ''))
  })
})

describe.each([
  ['v20-quirks', 'v2.0', 1],
  ['v30-quirks', 'v3.0', 2],
] as const)('generated %s dataset with quirks', (name, format, missing) => {
  it('reads video_info, nested state names and the {chunk_index} template', async () => {
    const info = await readFile(join(root(name), 'meta/info.json'), 'utf8')
    expect(info).toContain('"video_info"')
    if (format === 'v2.0') expect(info).toContain('chunk-{chunk_index:03d}/episode_')
    const ds = await openLeRobotDataset(root(name))
    expect(ds.summary.format).toBe(format)
    expect(ds.summary.cameras[0]).toEqual({
      key: CAMERAS[0],
      dtype: 'video',
      declaredCodec: 'h264',
      width: 64,
      height: 48,
      fps: FPS,
    })
    expect(ds.summary.state?.names).toEqual(patternStateNames(STATE_DIM))
  })

  it('leaves out the phantom camera with a dataset warning', async () => {
    const ds = await openLeRobotDataset(root(name))
    expect(ds.summary.cameras.map((c) => c.key)).not.toContain(GHOST)
    const w = ds.summary.warnings.filter((x) => x.code === 'CAMERA_MISSING')
    expect(w).toHaveLength(1)
    expect(w[0]?.message).toContain(GHOST)
    const ep = await ds.loadEpisode(0)
    expect(ep.videos.map((v) => v.camera)).not.toContain(GHOST)
    expect(ep.videos).toHaveLength(format === 'v2.0' ? 1 : 2)
  })

  it('marks the missing episode absent and still loads the others', async () => {
    const ds = await openLeRobotDataset(root(name))
    expect(ds.summary.episodes.filter((e) => !e.present).map((e) => e.index)).toEqual([missing])
    expect(codes(ds.summary.warnings)).toContain('EPISODES_MISSING')
    await expect(ds.loadEpisode(missing)).rejects.toSatisfy(
      (err: unknown) => err instanceof VivaError && err.code === 'EPISODE_UNAVAILABLE',
    )
    for (const index of LENGTHS.keys()) {
      if (index === missing) continue
      const ep = await ds.loadEpisode(index)
      expect(ep.length).toBe(LENGTHS[index])
      expectPatternState(ep)
      // v3.0: the absent episode's rows are not in the shared file, and the others are still found in place.
      expect(codes(ep.warnings)).not.toContain('ROWS_RELOCATED')
    }
  })

  it('numbers frames by row order without frame_index, and reports the timestamp offset and drift', async () => {
    const ds = await openLeRobotDataset(root(name))
    const ep = await ds.loadEpisode(3)
    expect(ep.frameIndexSource).toBe('row-order')
    const fi = ep.warnings.find((w) => w.code === 'FRAME_INDEX_MISSING')
    expect(fi?.level).toBe('info')
    const ts = ep.warnings.find((w) => w.code === 'TIMESTAMP_MISMATCH')
    expect(ts?.level).toBe('warning')
    expect(ts?.message).toBe(
      'timestamps start at 0.200 s and drift up to 0.500 s from frame_index/fps; playback syncs by frame index, the player shows the recorded time, and exports give both (timestamp: recorded, time_from_frame_s: frame/fps)',
    )
    expect(ep.timestamps?.[ep.length - 1]).toBeCloseTo((ep.length - 1) / FPS + 0.2 + 0.5, 5)
  })
})
