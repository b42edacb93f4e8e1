import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { datasetId, openLeRobotDataset } from './lerobot'
import { codes, copyDataset, GR00T, readRow, rejection, stateRow, tmp, UNITREE, useTempDir } from './testFixtures'

// The LeRobot reader on real published datasets (v2.0, v2.1), and the errors that stop a dataset from opening.

useTempDir()

describe('gr00t-sim-gr1-picknplace (v2.0, video_info, no frame_index, phantom camera)', () => {
  it('summarises the dataset from its metadata', async () => {
    const ds = await openLeRobotDataset(GR00T)
    const s = ds.summary
    expect(s.format).toBe('v2.0')
    expect(s.fps).toBe(20)
    expect(s.robotType).toBe('GR1ArmsOnly')
    expect(s.name).toBe('gr00t-sim-gr1-picknplace')
    expect(s.root).toBe(GR00T)
    expect(s.id).toBe(datasetId(GR00T))
    expect(s.id).toMatch(/^[0-9a-f]{12}$/)
    expect(s.cameras).toEqual([
      { key: 'observation.images.ego_view', dtype: 'video', declaredCodec: 'h264', width: 256, height: 256, fps: 20 },
    ])
    expect(s.state?.dim).toBe(44)
    expect(s.state?.names[0]).toBe('motor_0')
    expect(s.state?.names).toHaveLength(44)
    expect(s.tasks).toHaveLength(6)
    expect(s.tasks[1]).toBe('valid')
    expect(s.episodes.map((e) => e.length)).toEqual([416, 470, 470, 412, 328])
    expect(s.episodes.every((e) => e.present)).toBe(true)
    expect(s.episodes[0]?.tasks).toEqual(['pick the pear from the counter and place it in the plate', 'valid'])
    expect(s.totalFrames).toBe(2096)
  })

  it('leaves out the phantom camera with a dataset warning naming it', async () => {
    const ds = await openLeRobotDataset(GR00T)
    const phantom = ds.summary.warnings.find((w) => w.code === 'CAMERA_MISSING')
    expect(phantom?.message).toContain('observation.images.egoview')
    expect(ds.missingCameras).toEqual(['observation.images.egoview'])
    expect(ds.declaredCameras.map((c) => c.key)).toContain('observation.images.egoview')
  })

  it('loads an episode: real state values, row-order frames, timestamp offset warning', async () => {
    const ds = await openLeRobotDataset(GR00T)
    const ep = await ds.loadEpisode(2)
    expect(ep.length).toBe(470)
    expect(ep.frameIndexSource).toBe('row-order')
    expect(ep.state?.dim).toBe(44)
    expect(ep.state?.values).toHaveLength(470 * 44)

    const file = join(GR00T, 'data/chunk-000/episode_000002.parquet')
    const row = await readRow(file, 123)
    const expected = Array.from(Float32Array.from(row['observation.state'] as number[]))
    expect(stateRow(ep.state?.values ?? new Float32Array(), 44, 123)).toEqual(expected)
    expect(ep.timestamps?.[123]).toBe(row.timestamp)
    expect(ep.timestamps?.[0]).toBeCloseTo(0.05, 6)

    expect(ep.videos).toEqual([
      {
        camera: 'observation.images.ego_view',
        file: join(GR00T, 'videos/chunk-000/observation.images.ego_view/episode_000002.mp4'),
        relPath: 'videos/chunk-000/observation.images.ego_view/episode_000002.mp4',
        fromTimestamp: 0,
        toTimestamp: null,
        declaredCodec: 'h264',
      },
    ])
    const missing = ep.warnings.find((w) => w.code === 'FRAME_INDEX_MISSING')
    expect(missing?.level).toBe('info')
    const ts = ep.warnings.find((w) => w.code === 'TIMESTAMP_MISMATCH')
    expect(ts?.message).toBe(
      'timestamps start at 0.050 s instead of 0; playback syncs by frame index, the player shows the recorded time, and exports give both (timestamp: recorded, time_from_frame_s: frame/fps)',
    )
    expect(ts?.episode).toBe(2)
    expect(ts?.file).toBe('data/chunk-000/episode_000002.parquet')
  })

  it('gives the same id for the same folder and honours options.id', async () => {
    const a = await openLeRobotDataset(GR00T)
    const b = await openLeRobotDataset(join(GR00T, '.'))
    expect(b.summary.id).toBe(a.summary.id)
    expect((await openLeRobotDataset(GR00T, { id: 'mine' })).summary.id).toBe('mine')
  })
})

describe('unitree-g1-bottle-pick (v2.1, AV1, nested names, 8 of 100 episodes present)', () => {
  const present = [1, 2, 4, 5, 7, 8, 10, 11]
  const lengths = [393, 343, 357, 368, 410, 445, 290, 421]

  it('lists all 100 episodes and marks the 92 absent ones', async () => {
    const ds = await openLeRobotDataset(UNITREE)
    const s = ds.summary
    expect(s.format).toBe('v2.1')
    expect(s.fps).toBe(30)
    expect(s.robotType).toBe('Unitree_G1_Inspire')
    expect(s.cameras).toEqual([
      { key: 'observation.images.cam_high', dtype: 'video', declaredCodec: 'av1', width: 640, height: 480, fps: 30 },
    ])
    expect(s.state?.dim).toBe(26)
    expect(s.state?.names.slice(0, 2)).toEqual(['kLeftShoulderPitch', 'kLeftShoulderRoll'])
    expect(s.state?.names[25]).toBe('kRightHandThumbRotation')
    expect(s.tasks).toEqual(['Pick up the yellow bottle on the table.'])
    expect(s.episodes).toHaveLength(100)
    expect(s.episodes.filter((e) => e.present).map((e) => e.index)).toEqual(present)
    expect(s.episodes.filter((e) => e.present).map((e) => e.length)).toEqual(lengths)
    expect(s.totalFrames).toBe(3027)

    const missing = s.warnings.find((w) => w.code === 'EPISODES_MISSING')
    expect(missing?.message).toBe(
      '92 of 100 episodes listed in meta/episodes.jsonl have no data file on disk: 0, 3, 6, 9, 12-99',
    )
    const ep0 = s.episodes[0]
    expect(ep0?.present).toBe(false)
    expect(codes(ep0?.warnings ?? [])).toEqual(['EPISODE_MISSING'])
    expect(ep0?.warnings[0]?.file).toBe('data/chunk-000/episode_000000.parquet')
    // No other dataset-level problems: the phantom-camera logic must not fire for a camera with some files.
    expect(codes(s.warnings)).toEqual(['EPISODES_MISSING'])
  })

  it('loads a present episode with its real values and no warnings', async () => {
    const ds = await openLeRobotDataset(UNITREE)
    const ep = await ds.loadEpisode(7)
    expect(ep.length).toBe(410)
    expect(ep.frameIndexSource).toBe('column')
    expect(ep.tasks).toEqual(['Pick up the yellow bottle on the table.'])
    const row = await readRow(join(UNITREE, 'data/chunk-000/episode_000007.parquet'), 200)
    expect(stateRow(ep.state?.values ?? new Float32Array(), 26, 200)).toEqual(row['observation.state'])
    expect(ep.timestamps?.[200]).toBe(row.timestamp)
    expect(ep.videos.map((v) => v.relPath)).toEqual(['videos/chunk-000/observation.images.cam_high/episode_000007.mp4'])
    expect(ep.videos[0]?.declaredCodec).toBe('av1')
    expect(ep.warnings).toEqual([])
  })

  it('refuses absent and unknown episodes with distinct errors', async () => {
    const ds = await openLeRobotDataset(UNITREE)
    const absent = await rejection(ds.loadEpisode(3))
    expect(absent.code).toBe('EPISODE_UNAVAILABLE')
    expect(absent.message).toContain('data/chunk-000/episode_000003.parquet')
    const unknown = await rejection(ds.loadEpisode(100))
    expect(unknown.code).toBe('NOT_FOUND')
    expect(unknown.message).toContain('episode 100')
  })

  it('honours an AbortSignal', async () => {
    const ds = await openLeRobotDataset(UNITREE)
    const controller = new AbortController()
    controller.abort()
    await expect(ds.loadEpisode(1, controller.signal)).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('opening errors', () => {
  it('NOT_FOUND for a missing root or a file', async () => {
    const missing = await rejection(openLeRobotDataset(join(tmp, 'nope')))
    expect(missing.code).toBe('NOT_FOUND')
    expect(missing.message).toContain('does not exist')
    const file = join(tmp, 'a-file')
    await writeFile(file, 'x')
    const notDir = await rejection(openLeRobotDataset(file))
    expect(notDir.code).toBe('NOT_FOUND')
    expect(notDir.message).toContain('is not a directory')
  })

  it('NOT_A_DATASET without meta/info.json', async () => {
    const root = join(tmp, 'empty-dir')
    await mkdir(join(root, 'data'), { recursive: true })
    const err = await rejection(openLeRobotDataset(root))
    expect(err.code).toBe('NOT_A_DATASET')
    expect(err.message).toBe(`${root} is not a LeRobot dataset: meta/info.json not found`)
  })

  it('DATASET_INVALID for info.json that is not JSON or has wrong types', async () => {
    const root = await copyDataset(GR00T, ['meta'])
    await writeFile(join(root, 'meta/info.json'), '{"codebase_version": "v2.0", ')
    const bad = await rejection(openLeRobotDataset(root))
    expect(bad.code).toBe('DATASET_INVALID')
    expect(bad.file).toBe('meta/info.json')
    expect(bad.message).toContain('meta/info.json is not valid JSON')

    const original = JSON.parse(await readFile(join(GR00T, 'meta/info.json'), 'utf8')) as Record<string, unknown>
    await writeFile(join(root, 'meta/info.json'), JSON.stringify({ ...original, fps: 'twenty' }))
    const fps = await rejection(openLeRobotDataset(root))
    expect(fps.code).toBe('DATASET_INVALID')
    expect(fps.message).toBe('meta/info.json: field "fps" must be a positive number of frames per second, at most 10000 (got "twenty")')

    await writeFile(join(root, 'meta/info.json'), JSON.stringify({ ...original, features: 'state' }))
    expect((await rejection(openLeRobotDataset(root))).message).toContain('field "features"')
  })

  it('opens a 1,000-episode v2.1 dataset from metadata and directory listings alone (no data file read)', async () => {
    const root = join(tmp, 'big')
    const n = 1000
    const chunksSize = 100
    const info = JSON.parse(await readFile(join(UNITREE, 'meta/info.json'), 'utf8')) as Record<string, unknown>
    await mkdir(join(root, 'meta'), { recursive: true })
    await writeFile(join(root, 'meta/info.json'), JSON.stringify({ ...info, total_episodes: n, chunks_size: chunksSize }))
    await writeFile(join(root, 'meta/tasks.jsonl'), '{"task_index": 0, "task": "t"}\n')
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ episode_index: i, tasks: ['t'], length: 100 + i }))
    await writeFile(join(root, 'meta/episodes.jsonl'), lines.join('\n') + '\n')
    // Empty files: opening must not read them (an empty parquet file would not parse).
    const absent = new Set([17, 523, 999])
    for (let i = 0; i < n; i++) {
      if (absent.has(i)) continue
      const chunk = String(Math.floor(i / chunksSize)).padStart(3, '0')
      const ep = String(i).padStart(6, '0')
      await mkdir(join(root, `data/chunk-${chunk}`), { recursive: true })
      await mkdir(join(root, `videos/chunk-${chunk}/observation.images.cam_high`), { recursive: true })
      await writeFile(join(root, `data/chunk-${chunk}/episode_${ep}.parquet`), '')
      await writeFile(join(root, `videos/chunk-${chunk}/observation.images.cam_high/episode_${ep}.mp4`), '')
    }

    // Its speed is bench/largeData.ts's open1000 target (< 1.5 s); here, what makes it fast: no data file is read.
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.episodes).toHaveLength(n)
    expect(ds.summary.episodes.filter((e) => !e.present).map((e) => e.index)).toEqual([17, 523, 999])
    expect(ds.summary.episodes[150]?.length).toBe(250)
    // The parquet files were never opened; the first load is what discovers that one is empty.
    const err = await rejection(ds.loadEpisode(150))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain('data/chunk-001/episode_000150.parquet')
  }, 30_000)
})
