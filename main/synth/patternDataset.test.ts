import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VivaError } from '../../app/errors'
import { readFrameCode } from '../../app/frameCode'
import type { FrameCode } from '../../app/frameCode'
import { patternStateNames, patternStateValue, patternTimestamp, writePatternDataset } from './patternDataset'
import type { PatternCamera, PatternDatasetResult } from './patternDataset'

const run = promisify(execFile)

const W = 160
const H = 120
const CAMERAS: PatternCamera[] = [
  { key: 'observation.images.cam_high', width: W, height: H },
  { key: 'observation.images.cam_left_wrist', width: W, height: H },
  { key: 'observation.images.cam_right_wrist', width: W, height: H },
]
const [HIGH, LEFT, RIGHT] = CAMERAS.map((c) => c.key) as [string, string, string]
const LENGTHS = [12, 16, 20]
const FPS = 15
const SEED = 7

let tmp = ''
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'viva-pattern-'))
})
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

type Row = Record<string, unknown>

async function readParquet(file: string): Promise<Row[]> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })) as Row[]
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
}

async function readJsonl(file: string): Promise<Row[]> {
  const text = await readFile(file, 'utf8')
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row)
}

/** Decode exactly the n-th frame (by decode count, no seeking) and read its frame code. */
async function frameCodeAt(file: string, n: number): Promise<FrameCode | null> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  )
  expect(stdout.length).toBe(W * H * 3)
  return readFrameCode(stdout, W, H, 3)
}

async function probe(file: string): Promise<{ codec: string; frames: number }> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'json', file,
  ])
  const stream = (JSON.parse(stdout) as { streams: { codec_name: string; nb_read_packets: string }[] }).streams[0]
  return { codec: stream?.codec_name ?? '', frames: Number(stream?.nb_read_packets) }
}

const f32 = Math.fround
const state = (episode: number, frame: number): number[] =>
  Array.from({ length: 14 }, (_, j) => f32(patternStateValue(SEED, FPS, episode, frame, j)))

const v2Video = (root: string, ep: number, cam: string): string =>
  path.join(root, `videos/chunk-000/${cam}/episode_${String(ep).padStart(6, '0')}.mp4`)
const v2Data = (root: string, ep: number): string =>
  path.join(root, `data/chunk-000/episode_${String(ep).padStart(6, '0')}.parquet`)
const v3Video = (root: string, cam: string, file = 0): string =>
  path.join(root, `videos/${cam}/chunk-000/file-${String(file).padStart(3, '0')}.mp4`)

describe('writePatternDataset v2.1', () => {
  let ds: PatternDatasetResult
  beforeAll(async () => {
    ds = await writePatternDataset({
      out: path.join(tmp, 'v21'),
      format: 'v2.1',
      lengths: LENGTHS,
      fps: FPS,
      cameras: CAMERAS,
      seed: SEED,
      tasks: ['task A', 'task B'],
    })
  })

  it('returns what it wrote', () => {
    expect(ds).toEqual({
      root: path.join(tmp, 'v21'),
      format: 'v2.1',
      fps: FPS,
      cameras: [HIGH, LEFT, RIGHT],
      episodes: LENGTHS.map((length, index) => ({ index, length, written: true })),
    })
  })

  it('lays out meta, one parquet per episode and one mp4 per episode and camera', async () => {
    expect((await readdir(path.join(ds.root, 'meta'))).sort()).toEqual([
      'episodes.jsonl',
      'episodes_stats.jsonl',
      'info.json',
      'tasks.jsonl',
    ])
    for (let ep = 0; ep < 3; ep++) {
      expect(existsSync(v2Data(ds.root, ep))).toBe(true)
      for (const cam of [HIGH, LEFT, RIGHT]) expect(existsSync(v2Video(ds.root, ep, cam))).toBe(true)
    }
    // Segment scratch files are gone.
    expect((await readdir(ds.root)).sort()).toEqual(['data', 'meta', 'videos'])
  })

  it('writes LeRobot v2.1 metadata', async () => {
    const info = await readJson(path.join(ds.root, 'meta/info.json'))
    expect(info).toMatchObject({
      codebase_version: 'v2.1',
      total_episodes: 3,
      total_frames: 48,
      total_tasks: 2,
      total_videos: 9,
      total_chunks: 1,
      chunks_size: 1000,
      fps: FPS,
      splits: { train: '0:3' },
      data_path: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet',
      video_path: 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4',
    })
    const features = info.features as Record<string, Record<string, unknown>>
    expect(features[LEFT]).toEqual({
      dtype: 'video',
      shape: [H, W, 3],
      names: ['height', 'width', 'channel'],
      info: {
        'video.height': H,
        'video.width': W,
        'video.codec': 'h264',
        'video.pix_fmt': 'yuv420p',
        'video.is_depth_map': false,
        'video.fps': FPS,
        'video.channels': 3,
        has_audio: false,
      },
    })
    expect(features['observation.state']).toEqual({ dtype: 'float32', shape: [14], names: patternStateNames(14) })
    expect(patternStateNames(14).slice(0, 7)).toEqual([
      'left_waist',
      'left_shoulder',
      'left_elbow',
      'left_forearm_roll',
      'left_wrist_angle',
      'left_wrist_rotate',
      'left_gripper',
    ])
    expect(features.frame_index).toMatchObject({ dtype: 'int64' })
    expect(await readJsonl(path.join(ds.root, 'meta/tasks.jsonl'))).toEqual([
      { task_index: 0, task: 'task A' },
      { task_index: 1, task: 'task B' },
    ])
    expect(await readJsonl(path.join(ds.root, 'meta/episodes.jsonl'))).toEqual([
      { episode_index: 0, tasks: ['task A'], length: 12 },
      { episode_index: 1, tasks: ['task B'], length: 16 },
      { episode_index: 2, tasks: ['task A'], length: 20 },
    ])
    const stats = await readJsonl(path.join(ds.root, 'meta/episodes_stats.jsonl'))
    expect(stats.map((s) => s.episode_index)).toEqual([0, 1, 2])
  })

  it('writes the table with list<float32> state and deterministic values', async () => {
    const file = v2Data(ds.root, 1)
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(file))
    const paths = meta.row_groups[0]?.columns.map((c) => c.meta_data?.path_in_schema.join('.'))
    expect(paths).toEqual([
      'observation.state.list.element',
      'action.list.element',
      'timestamp',
      'frame_index',
      'episode_index',
      'index',
      'task_index',
    ])
    const types = meta.row_groups[0]?.columns.map((c) => c.meta_data?.type)
    expect(types).toEqual(['FLOAT', 'FLOAT', 'FLOAT', 'INT64', 'INT64', 'INT64', 'INT64'])

    const rows = await readParquet(file)
    expect(rows).toHaveLength(16)
    rows.forEach((row, f) => {
      expect(row.frame_index).toBe(BigInt(f))
      expect(row.episode_index).toBe(1n)
      expect(row.index).toBe(BigInt(12 + f))
      expect(row.task_index).toBe(1n)
      expect(row.timestamp).toBe(f32(f / FPS))
      expect(row['observation.state']).toEqual(state(1, f))
      expect(row.action).toEqual(state(1, f + 1))
    })
    // Smooth: consecutive frames move a little, episodes differ.
    const s = rows.map((r) => r['observation.state'] as number[])
    expect(Math.abs((s[1]?.[0] ?? 0) - (s[0]?.[0] ?? 0))).toBeLessThan(0.1)
    expect(state(0, 0)).not.toEqual(state(1, 0))
  })

  it('encodes every frame with its own frame and episode index, one keyframe-led file per episode', async () => {
    expect(await probe(v2Video(ds.root, 1, LEFT))).toEqual({ codec: 'h264', frames: 16 })
    expect(await probe(v2Video(ds.root, 2, RIGHT))).toEqual({ codec: 'h264', frames: 20 })
    expect(await frameCodeAt(v2Video(ds.root, 1, LEFT), 0)).toEqual({ frame: 0, episode: 1 })
    expect(await frameCodeAt(v2Video(ds.root, 1, LEFT), 9)).toEqual({ frame: 9, episode: 1 })
    expect(await frameCodeAt(v2Video(ds.root, 1, LEFT), 15)).toEqual({ frame: 15, episode: 1 })
    expect(await frameCodeAt(v2Video(ds.root, 2, HIGH), 19)).toEqual({ frame: 19, episode: 2 })
    expect(await frameCodeAt(v2Video(ds.root, 0, RIGHT), 5)).toEqual({ frame: 5, episode: 0 })
  })

  it('refuses a non-empty output directory and bad cameras', async () => {
    const busy = path.join(tmp, 'busy')
    await mkdir(busy)
    await writeFile(path.join(busy, 'x'), '')
    await expect(writePatternDataset({ out: busy })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      writePatternDataset({ out: path.join(tmp, 'odd'), cameras: [{ key: 'observation.images.a', width: 161, height: 120 }] }),
    ).rejects.toBeInstanceOf(VivaError)
    expect(existsSync(path.join(tmp, 'odd'))).toBe(false)
  })
})

describe('writePatternDataset v3.0', () => {
  let ds: PatternDatasetResult
  beforeAll(async () => {
    ds = await writePatternDataset({
      out: path.join(tmp, 'v30'),
      format: 'v3.0',
      lengths: LENGTHS,
      fps: FPS,
      cameras: CAMERAS,
      seed: SEED,
      tasks: ['task A', 'task B'],
    })
  })

  it('lays out one data file, one mp4 per camera and parquet metadata', async () => {
    expect((await readdir(path.join(ds.root, 'meta'))).sort()).toEqual(['episodes', 'info.json', 'stats.json', 'tasks.parquet'])
    expect(existsSync(path.join(ds.root, 'data/chunk-000/file-000.parquet'))).toBe(true)
    expect(existsSync(path.join(ds.root, 'meta/episodes/chunk-000/file-000.parquet'))).toBe(true)
    for (const cam of [HIGH, LEFT, RIGHT]) expect(await readdir(path.dirname(v3Video(ds.root, cam)))).toEqual(['file-000.mp4'])
    const info = await readJson(path.join(ds.root, 'meta/info.json'))
    expect(info).toMatchObject({
      codebase_version: 'v3.0',
      total_episodes: 3,
      total_frames: 48,
      chunks_size: 1000,
      data_files_size_in_mb: 100,
      video_files_size_in_mb: 200,
      data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
      video_path: 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4',
    })
  })

  it('writes tasks and episodes tables', async () => {
    expect(await readParquet(path.join(ds.root, 'meta/tasks.parquet'))).toEqual([
      { task_index: 0n, task: 'task A' },
      { task_index: 1n, task: 'task B' },
    ])
    const eps = await readParquet(path.join(ds.root, 'meta/episodes/chunk-000/file-000.parquet'))
    expect(eps).toHaveLength(3)
    expect(eps[1]).toMatchObject({
      episode_index: 1n,
      tasks: ['task B'],
      length: 16n,
      'data/chunk_index': 0n,
      'data/file_index': 0n,
      dataset_from_index: 12n,
      dataset_to_index: 28n,
      [`videos/${LEFT}/chunk_index`]: 0n,
      [`videos/${LEFT}/file_index`]: 0n,
      [`videos/${LEFT}/from_timestamp`]: 12 / FPS,
      [`videos/${LEFT}/to_timestamp`]: 28 / FPS,
    })
    expect(eps[2]?.[`videos/${HIGH}/from_timestamp`]).toBe(28 / FPS)
  })

  it('concatenates all episodes in the data file and in each camera file', async () => {
    const rows = await readParquet(path.join(ds.root, 'data/chunk-000/file-000.parquet'))
    expect(rows).toHaveLength(48)
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 48 }, (_, i) => BigInt(i)))
    expect(rows[12]).toMatchObject({ episode_index: 1n, frame_index: 0n, timestamp: 0 })
    expect(rows[12]?.['observation.state']).toEqual(state(1, 0))

    const file = v3Video(ds.root, LEFT)
    expect(await probe(file)).toEqual({ codec: 'h264', frames: 48 })
    // Episode 1 starts at from_timestamp 12/15 s, i.e. frame 12 of the shared file.
    expect(await frameCodeAt(file, 11)).toEqual({ frame: 11, episode: 0 })
    expect(await frameCodeAt(file, 12)).toEqual({ frame: 0, episode: 1 })
    expect(await frameCodeAt(file, 12 + 7)).toEqual({ frame: 7, episode: 1 })
    expect(await frameCodeAt(v3Video(ds.root, HIGH), 47)).toEqual({ frame: 19, episode: 2 })
  })
})

describe('writePatternDataset quirks', () => {
  it('v2.0 + mpeg4 with every quirk', async () => {
    const cameras = CAMERAS.slice(0, 2)
    const quirks = {
      videoInfoKey: true,
      chunkIndexTemplate: true,
      noFrameIndex: true,
      timestampOffset: 0.05,
      timestampDrift: 1.0,
      missingEpisodes: [1],
      phantomCamera: 'observation.images.cam_low',
      nestedStateNames: true,
      wrongDeclaredCodec: 'av1',
      videoFrameDelta: { episode: 2, camera: HIGH, delta: 3 },
    }
    const ds = await writePatternDataset({
      out: path.join(tmp, 'quirky'),
      format: 'v2.0',
      codec: 'mpeg4',
      lengths: LENGTHS,
      fps: FPS,
      cameras,
      seed: SEED,
      quirks,
    })
    expect(ds.episodes.map((e) => e.written)).toEqual([true, false, true])
    expect(ds.cameras).toEqual([HIGH, LEFT])

    const info = await readJson(path.join(ds.root, 'meta/info.json'))
    expect(info.codebase_version).toBe('v2.0')
    expect(info.total_episodes).toBe(3)
    expect(info.data_path).toBe('data/chunk-{chunk_index:03d}/episode_{episode_index:06d}.parquet')
    expect(info.video_path).toBe('videos/chunk-{chunk_index:03d}/{video_key}/episode_{episode_index:06d}.mp4')
    const features = info.features as Record<string, Record<string, unknown>>
    expect(features[HIGH]?.info).toBeUndefined()
    expect(features[HIGH]?.video_info).toMatchObject({ 'video.codec': 'av1' })
    expect(features['observation.images.cam_low']).toMatchObject({ dtype: 'video' })
    expect(features['observation.state']?.names).toEqual([patternStateNames(14)])
    expect(features.frame_index).toBeUndefined()
    expect(existsSync(path.join(ds.root, 'meta/stats.json'))).toBe(true)
    expect(existsSync(path.join(ds.root, 'meta/episodes_stats.jsonl'))).toBe(false)
    expect((await readJsonl(path.join(ds.root, 'meta/episodes.jsonl'))).map((e) => e.episode_index)).toEqual([0, 1, 2])

    // Missing episode: in the metadata, nowhere on disk; the phantom camera has no files at all.
    expect(existsSync(v2Data(ds.root, 1))).toBe(false)
    expect(existsSync(v2Video(ds.root, 1, HIGH))).toBe(false)
    expect(existsSync(v2Video(ds.root, 1, LEFT))).toBe(false)
    expect(existsSync(path.join(ds.root, 'videos/chunk-000/observation.images.cam_low'))).toBe(false)

    const rows = await readParquet(v2Data(ds.root, 2))
    expect(rows).toHaveLength(20)
    expect(Object.keys(rows[0] ?? {})).not.toContain('frame_index')
    expect(rows[0]?.index).toBe(28n) // global index still counts the missing episode
    expect(rows[0]?.timestamp).toBe(f32(0.05))
    expect(rows[19]?.timestamp).toBe(f32(19 / FPS + 0.05 + 1.0))
    expect(rows[10]?.timestamp).toBe(f32(patternTimestamp(FPS, 10, 20, quirks)))

    expect(await probe(v2Video(ds.root, 2, HIGH))).toEqual({ codec: 'mpeg4', frames: 23 })
    expect(await probe(v2Video(ds.root, 2, LEFT))).toEqual({ codec: 'mpeg4', frames: 20 })
    expect(await frameCodeAt(v2Video(ds.root, 2, HIGH), 22)).toEqual({ frame: 22, episode: 2 })
    expect(await frameCodeAt(v2Video(ds.root, 0, LEFT), 11)).toEqual({ frame: 11, episode: 0 })
  })

  it('v3.0 puts missing episodes in an unwritten file and lays frames out as the video really has them', async () => {
    const ds = await writePatternDataset({
      out: path.join(tmp, 'quirky3'),
      format: 'v3.0',
      lengths: LENGTHS,
      fps: FPS,
      cameras: CAMERAS.slice(0, 1),
      quirks: { missingEpisodes: [0], videoFrameDelta: { episode: 1, delta: -2 } },
    })
    const eps = await readParquet(path.join(ds.root, 'meta/episodes/chunk-000/file-000.parquet'))
    const key = `videos/${HIGH}`
    expect(eps.map((e) => [e['data/file_index'], e[`${key}/file_index`]])).toEqual([
      [1n, 1n],
      [0n, 0n],
      [0n, 0n],
    ])
    expect(eps.map((e) => [e[`${key}/from_timestamp`], e[`${key}/to_timestamp`]])).toEqual([
      [0, 12 / FPS],
      [0, 14 / FPS],
      [14 / FPS, 34 / FPS],
    ])
    expect(existsSync(path.join(ds.root, 'data/chunk-000/file-001.parquet'))).toBe(false)
    expect(existsSync(v3Video(ds.root, HIGH, 1))).toBe(false)
    const rows = await readParquet(path.join(ds.root, 'data/chunk-000/file-000.parquet'))
    expect(rows).toHaveLength(36)
    expect(rows[0]?.index).toBe(12n)
    const file = v3Video(ds.root, HIGH)
    expect((await probe(file)).frames).toBe(34)
    expect(await frameCodeAt(file, 13)).toEqual({ frame: 13, episode: 1 })
    expect(await frameCodeAt(file, 14)).toEqual({ frame: 0, episode: 2 })
  })

  const hasAom = execFileSync('ffmpeg', ['-hide_banner', '-encoders']).toString().includes('libaom-av1')
  it.skipIf(!hasAom)('encodes av1', async () => {
    const ds = await writePatternDataset({
      out: path.join(tmp, 'av1'),
      codec: 'av1',
      lengths: [6, 5],
      fps: FPS,
      cameras: CAMERAS.slice(0, 1),
    })
    expect(await probe(v2Video(ds.root, 1, HIGH))).toEqual({ codec: 'av1', frames: 5 })
    expect(await frameCodeAt(v2Video(ds.root, 1, HIGH), 4)).toEqual({ frame: 4, episode: 1 })
  })
})
