import { mkdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { describe, expect, it } from 'vitest'
import { openLeRobotDataset } from './lerobot'
import { codes, type Col, copyDataset, GR00T, readRow, rejection, stateRow, tmp, UNITREE, useTempDir, writeTable } from './testFixtures'

// The LeRobot reader on broken and quirky v2 datasets and on a hand-made v3.0 dataset with several data files.

useTempDir()

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
