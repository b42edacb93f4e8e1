import { cp, mkdir, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetWarning } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { encodeParquet, type ParquetColumn } from '../../formats/parquetWrite'
import { datasetId, openLeRobotDataset } from './lerobot'

const SHARED = resolve(__dirname, '../../../../shared/datasets')
const GR00T = join(SHARED, 'gr00t-sim-gr1-picknplace')
const UNITREE = join(SHARED, 'unitree-g1-bottle-pick')

let tmp = ''
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-lerobot-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

let counter = 0
/** A writable copy of a shared dataset (only the listed subfolders, to keep copies small). */
async function copyDataset(src: string, parts: string[] = ['meta', 'data', 'videos']): Promise<string> {
  const dst = join(tmp, `copy-${counter++}`)
  for (const part of parts) await cp(join(src, part), join(dst, part), { recursive: true })
  return dst
}

async function rejection(p: Promise<unknown>): Promise<VivaError> {
  try {
    await p
  } catch (err) {
    if (err instanceof VivaError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

const codes = (warnings: readonly DatasetWarning[]): string[] => warnings.map((w) => w.code)

async function readRow(file: string, row: number): Promise<Record<string, unknown>> {
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors, rowStart: row, rowEnd: row + 1 })
  const first = rows[0]
  if (!first) throw new Error(`no row ${row} in ${file}`)
  return first
}

function stateRow(values: Float32Array, dim: number, row: number): number[] {
  return Array.from(values.subarray(row * dim, (row + 1) * dim))
}

// ------------------------------------------------------------------------------------------------------------
// Small hand-written parquet fixtures.

type Col =
  | { name: string; kind: 'int64'; data: number[] }
  | { name: string; kind: 'double'; data: number[] }
  | { name: string; kind: 'string'; data: string[] }
  | { name: string; kind: 'double-list'; data: number[][] }
  | { name: string; kind: 'string-list'; data: string[][] }

function parquetColumn(c: Col): ParquetColumn {
  if (c.kind === 'int64') return { name: c.name, type: 'INT64', data: c.data.map(BigInt) }
  if (c.kind === 'double') return { name: c.name, type: 'DOUBLE', data: c.data }
  if (c.kind === 'string') return { name: c.name, type: 'STRING', data: c.data }
  if (c.kind === 'double-list') return { name: c.name, type: 'DOUBLE_LIST', data: c.data }
  return { name: c.name, type: 'STRING_LIST', data: c.data }
}

async function writeTable(file: string, cols: Col[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, encodeParquet(cols.map(parquetColumn)))
}

// ------------------------------------------------------------------------------------------------------------

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

  it('opens a 1,000-episode v2.1 dataset from metadata and directory listings alone, well under 1.5 s', async () => {
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

    const t0 = performance.now()
    const ds = await openLeRobotDataset(root)
    const elapsed = performance.now() - t0
    expect(elapsed).toBeLessThan(1500)
    expect(ds.summary.episodes).toHaveLength(n)
    expect(ds.summary.episodes.filter((e) => !e.present).map((e) => e.index)).toEqual([17, 523, 999])
    expect(ds.summary.episodes[150]?.length).toBe(250)
    // The parquet files were never opened; the first load is what discovers that one is empty.
    const err = await rejection(ds.loadEpisode(150))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain('data/chunk-001/episode_000150.parquet')
  }, 30_000)
})

describe('broken and quirky v2 datasets', () => {
  it('a truncated or empty parquet fails only its own episode, naming the file', async () => {
    const root = await copyDataset(GR00T, ['meta', 'data'])
    const one = join(root, 'data/chunk-000/episode_000001.parquet')
    const size = (await readFile(one)).byteLength
    await truncate(one, Math.floor(size / 2))
    await writeFile(join(root, 'data/chunk-000/episode_000003.parquet'), '')

    const ds = await openLeRobotDataset(root)
    expect(ds.summary.episodes.every((e) => e.present)).toBe(true)
    const truncated = await rejection(ds.loadEpisode(1))
    expect(truncated.code).toBe('DATASET_INVALID')
    expect(truncated.file).toBe('data/chunk-000/episode_000001.parquet')
    expect(truncated.message).toMatch(/^data\/chunk-000\/episode_000001\.parquet is not a readable parquet file/)
    const empty = await rejection(ds.loadEpisode(3))
    expect(empty.code).toBe('DATASET_INVALID')
    expect(empty.message).toBe('data/chunk-000/episode_000003.parquet is not a readable parquet file (file is empty)')
    for (const ok of [0, 2, 4]) expect((await ds.loadEpisode(ok)).length).toBeGreaterThan(0)
  })

  it('a missing data file marks the episode absent; one deleted after opening is unavailable too', async () => {
    const root = await copyDataset(GR00T)
    await unlink(join(root, 'data/chunk-000/episode_000003.parquet'))
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.episodes.map((e) => e.present)).toEqual([true, true, true, false, true])
    expect(ds.summary.totalFrames).toBe(2096 - 412)
    expect(ds.summary.warnings.find((w) => w.code === 'EPISODES_MISSING')?.message).toContain(': 3')
    expect((await rejection(ds.loadEpisode(3))).code).toBe('EPISODE_UNAVAILABLE')

    await unlink(join(root, 'data/chunk-000/episode_000004.parquet'))
    const gone = await rejection(ds.loadEpisode(4))
    expect(gone.code).toBe('EPISODE_UNAVAILABLE')
    expect(gone.message).toContain('episode_000004.parquet')
  })

  it('a missing video for one episode is an episode warning naming the file, and that view is left out', async () => {
    const root = await copyDataset(GR00T)
    await unlink(join(root, 'videos/chunk-000/observation.images.ego_view/episode_000001.mp4'))
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.cameras.map((c) => c.key)).toEqual(['observation.images.ego_view'])
    const ep1 = ds.summary.episodes[1]
    expect(ep1?.present).toBe(true)
    const w = ep1?.warnings.find((x) => x.code === 'VIDEO_MISSING')
    expect(w?.file).toBe('videos/chunk-000/observation.images.ego_view/episode_000001.mp4')
    expect(w?.message).toContain('episode_000001.mp4')
    const loaded = await ds.loadEpisode(1)
    expect(loaded.videos).toEqual([])
    expect(codes(loaded.warnings)).toContain('VIDEO_MISSING')
    expect((await ds.loadEpisode(0)).videos).toHaveLength(1)
  })

  it('trusts the table when the metadata length disagrees', async () => {
    const root = await copyDataset(GR00T, ['meta', 'data'])
    const path = join(root, 'meta/episodes.jsonl')
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.replace('"length": 416', '"length": 400'))
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.episodes[0]?.length).toBe(400)
    const ep = await ds.loadEpisode(0)
    expect(ep.length).toBe(416)
    expect(ep.state?.values).toHaveLength(416 * 44)
    const w = ep.warnings.find((x) => x.code === 'LENGTH_MISMATCH')
    expect(w?.message).toBe('metadata says 400 frames but data/chunk-000/episode_000000.parquet has 416 rows; using the table')
  })

  it('reports state names that do not match the dimension and pads them', async () => {
    const root = await copyDataset(UNITREE, ['meta'])
    const info = JSON.parse(await readFile(join(root, 'meta/info.json'), 'utf8')) as {
      features: Record<string, { names?: unknown }>
    }
    const state = info.features['observation.state']
    if (state) state.names = { motors: ['a', 'b', 'c'] }
    await writeFile(join(root, 'meta/info.json'), JSON.stringify(info))
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.state?.names.slice(0, 4)).toEqual(['a', 'b', 'c', 'state_3'])
    expect(ds.summary.state?.names).toHaveLength(26)
    const w = ds.summary.warnings.find((x) => x.code === 'STATE_NAMES_MISMATCH')
    expect(w?.message).toContain('3 names for dimension 26')
  })

  it('derives episodes from the data files when episodes.jsonl is missing', async () => {
    const root = await copyDataset(UNITREE, ['meta', 'data'])
    await unlink(join(root, 'meta/episodes.jsonl'))
    await writeFile(join(root, 'data/chunk-000/notes.txt'), 'not an episode')
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.episodes.map((e) => e.index)).toEqual([1, 2, 4, 5, 7, 8, 10, 11])
    expect(ds.summary.episodes.map((e) => e.length)).toEqual([393, 343, 357, 368, 410, 445, 290, 421])
    expect(ds.summary.episodes.every((e) => e.present)).toBe(true)
    expect(codes(ds.summary.warnings)).toContain('EPISODES_DERIVED')
    expect((await ds.loadEpisode(5)).length).toBe(368)
  })

  it('sorts and renumbers a frame_index that is shuffled and does not start at 0', async () => {
    const root = await copyDataset(UNITREE, ['meta', 'data'])
    const file = join(root, 'data/chunk-000/episode_000002.parquet')
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })
    const n = rows.length
    // Store the rows back to front, with frame_index 10..n+9: the reader must restore the original order.
    const order = rows.map((_, i) => n - 1 - i)
    const pick = <T>(f: (r: Record<string, unknown>) => T): T[] => order.map((i) => f(rows[i] ?? {}))
    await writeTable(file, [
      { name: 'observation.state', kind: 'double-list', data: pick((r) => Array.from(r['observation.state'] as number[])) },
      { name: 'timestamp', kind: 'double', data: pick((r) => r.timestamp as number) },
      { name: 'frame_index', kind: 'int64', data: pick((r) => Number(r.frame_index) + 10) },
      { name: 'episode_index', kind: 'int64', data: pick(() => 2) },
    ])
    const ds = await openLeRobotDataset(root)
    const ep = await ds.loadEpisode(2)
    expect(ep.length).toBe(343)
    expect(ep.frameIndexSource).toBe('column')
    const original = await readRow(join(UNITREE, 'data/chunk-000/episode_000002.parquet'), 5)
    expect(stateRow(ep.state?.values ?? new Float32Array(), 26, 5)).toEqual(original['observation.state'])
    expect(ep.timestamps?.[5]).toBeCloseTo(original.timestamp as number, 6)
    const w = ep.warnings.find((x) => x.code === 'FRAME_INDEX_RENUMBERED')
    expect(w?.message).toBe('frame_index starts at 10, is out of order; frames renumbered 0..342 in frame_index order')
    // Timestamps follow frame order again, so nothing to say about them.
    expect(codes(ep.warnings)).not.toContain('TIMESTAMP_MISMATCH')
  })

  it('reads an unknown codebase_version best effort', async () => {
    const root = await copyDataset(GR00T, ['meta', 'data'])
    const path = join(root, 'meta/info.json')
    await writeFile(path, (await readFile(path, 'utf8')).replace('"v2.0"', '"v2.7"'))
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.format).toBe('v2.1')
    expect(codes(ds.summary.warnings)).toContain('FORMAT_UNKNOWN')
    expect((await ds.loadEpisode(0)).length).toBe(416)
  })
})

describe('hand-made v3.0 dataset with several data files', () => {
  // Episodes 0-1 live in data file-000, 2-4 in file-001; global index runs 0..16.
  const lengths = [3, 4, 2, 5, 3]
  const starts = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0))
  const dataFileOf = (ep: number): number => (ep < 2 ? 0 : 1)
  const cam = 'observation.images.top'

  async function writeV3(root: string, edit: (cols: Col[]) => void = () => undefined): Promise<void> {
    await mkdir(join(root, 'meta'), { recursive: true })
    await writeFile(
      join(root, 'meta/info.json'),
      JSON.stringify({
        codebase_version: 'v3.0',
        robot_type: 'so100',
        fps: 10,
        chunks_size: 1000,
        data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
        video_path: 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4',
        features: {
          'observation.state': { dtype: 'float32', shape: [3], names: { motors: ['ep', 'frame', 'code'] } },
          [cam]: { dtype: 'video', shape: [48, 64, 3], info: { 'video.codec': 'av1', 'video.height': 48, 'video.width': 64 } },
        },
      }),
    )
    await writeTable(join(root, 'meta/tasks.parquet'), [
      { name: 'task_index', kind: 'int64', data: [0, 1] },
      { name: '__index_level_0__', kind: 'string', data: ['pick', 'place'] },
    ])
    for (const file of [0, 1]) {
      const eps = lengths.map((_, i) => i).filter((i) => dataFileOf(i) === file)
      const rows = eps.flatMap((ep) => Array.from({ length: lengths[ep] ?? 0 }, (_, f) => ({ ep, f })))
      await writeTable(join(root, `data/chunk-000/file-00${file}.parquet`), [
        { name: 'observation.state', kind: 'double-list', data: rows.map(({ ep, f }) => [ep, f, ep * 100 + f]) },
        { name: 'timestamp', kind: 'double', data: rows.map(({ f }) => f / 10) },
        { name: 'frame_index', kind: 'int64', data: rows.map(({ f }) => f) },
        { name: 'episode_index', kind: 'int64', data: rows.map(({ ep }) => ep) },
        { name: 'index', kind: 'int64', data: rows.map(({ ep, f }) => (starts[ep] ?? 0) + f) },
      ])
      // Video files hold episodes back to back, so from_timestamp restarts at 0 in each file.
      await mkdir(join(root, `videos/${cam}/chunk-000`), { recursive: true })
      await writeFile(join(root, `videos/${cam}/chunk-000/file-00${file}.mp4`), '')
    }
    const eps = lengths.map((_, i) => i)
    const videoFrom = eps.map((ep) => eps.filter((e) => e < ep && dataFileOf(e) === dataFileOf(ep)).reduce((s, e) => s + (lengths[e] ?? 0), 0) / 10)
    const cols: Col[] = [
      { name: 'episode_index', kind: 'int64', data: eps },
      { name: 'tasks', kind: 'string-list', data: eps.map((e) => [e % 2 === 0 ? 'pick' : 'place']) },
      { name: 'length', kind: 'int64', data: lengths },
      { name: 'data/chunk_index', kind: 'int64', data: eps.map(() => 0) },
      { name: 'data/file_index', kind: 'int64', data: eps.map(dataFileOf) },
      { name: 'dataset_from_index', kind: 'int64', data: starts },
      { name: 'dataset_to_index', kind: 'int64', data: eps.map((e) => (starts[e] ?? 0) + (lengths[e] ?? 0)) },
      { name: `videos/${cam}/chunk_index`, kind: 'int64', data: eps.map(() => 0) },
      { name: `videos/${cam}/file_index`, kind: 'int64', data: eps.map(dataFileOf) },
      { name: `videos/${cam}/from_timestamp`, kind: 'double', data: videoFrom },
      { name: `videos/${cam}/to_timestamp`, kind: 'double', data: eps.map((e, i) => (videoFrom[i] ?? 0) + (lengths[e] ?? 0) / 10) },
    ]
    edit(cols)
    // Split across two metadata files, as LeRobot does once meta/episodes grows.
    const half = (c: Col, part: 0 | 1): Col => ({ ...c, data: part === 0 ? c.data.slice(0, 2) : c.data.slice(2) }) as Col
    await writeTable(join(root, 'meta/episodes/chunk-000/file-000.parquet'), cols.map((c) => half(c, 0)))
    await writeTable(join(root, 'meta/episodes/chunk-000/file-001.parquet'), cols.map((c) => half(c, 1)))
  }

  it('lists episodes from meta/episodes and tasks from the pandas index column', async () => {
    const root = join(tmp, 'v3-hand')
    await writeV3(root)
    const ds = await openLeRobotDataset(root)
    const s = ds.summary
    expect(s.format).toBe('v3.0')
    expect(s.tasks).toEqual(['pick', 'place'])
    expect(s.episodes.map((e) => [e.index, e.length, e.present, e.tasks[0]])).toEqual([
      [0, 3, true, 'pick'],
      [1, 4, true, 'place'],
      [2, 2, true, 'pick'],
      [3, 5, true, 'place'],
      [4, 3, true, 'pick'],
    ])
    expect(s.state?.names).toEqual(['ep', 'frame', 'code'])
    expect(s.warnings).toEqual([])
  })

  it('reads exactly the episode rows from a shared file, with the video segment times', async () => {
    const root = join(tmp, 'v3-hand')
    const ds = await openLeRobotDataset(root)
    for (const index of [0, 1, 2, 3, 4]) {
      const ep = await ds.loadEpisode(index)
      const n = lengths[index] ?? 0
      expect(ep.length).toBe(n)
      expect(Array.from(ep.state?.values ?? [])).toEqual(Array.from({ length: n }, (_, f) => [index, f, index * 100 + f]).flat())
      expect(ep.warnings).toEqual([])
    }
    const ep3 = await ds.loadEpisode(3)
    expect(ep3.videos).toEqual([
      {
        camera: cam,
        file: join(root, `videos/${cam}/chunk-000/file-001.mp4`),
        relPath: `videos/${cam}/chunk-000/file-001.mp4`,
        fromTimestamp: 0.2,
        toTimestamp: 0.7,
        declaredCodec: 'av1',
      },
    ])
  })

  it('finds the rows by episode_index when the metadata offsets are wrong', async () => {
    const root = join(tmp, 'v3-bad-offsets')
    await writeV3(root, (cols) => {
      const from = cols.find((c) => c.name === 'dataset_from_index')
      const to = cols.find((c) => c.name === 'dataset_to_index')
      // Episode 3 claims to start one row late.
      if (from?.kind === 'int64' && to?.kind === 'int64') {
        from.data[3] = (from.data[3] ?? 0) + 1
        to.data[3] = (to.data[3] ?? 0) + 1
      }
    })
    const ds = await openLeRobotDataset(root)
    const ep = await ds.loadEpisode(3)
    expect(Array.from(ep.state?.values.subarray(0, 3) ?? [])).toEqual([3, 0, 300])
    expect(ep.length).toBe(5)
    expect(codes(ep.warnings)).toContain('ROWS_RELOCATED')
  })

  it('fails with DATASET_INVALID when meta/episodes is missing', async () => {
    const root = join(tmp, 'v3-no-episodes')
    await writeV3(root)
    await rm(join(root, 'meta/episodes'), { recursive: true })
    const err = await rejection(openLeRobotDataset(root))
    expect(err.code).toBe('DATASET_INVALID')
    expect(err.message).toContain('meta/episodes/')
  })
})
