import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeParquet, type ParquetColumn } from '../formats/parquetWrite'
import { expectInvalid, find, TARGET, tmp, useTempDir, values, writeParquetFixture, writeText } from './import/testFixtures'
import { importCurveFile, MAX_WARNINGS } from './importCurves'

// Curve import: parquet files (ViVa reference, LeRobot progress), rows the dataset cannot take, size.

useTempDir()

describe('ViVa reference parquet', () => {
  it('makes one curve per value column and episode, in each column’s convention, NaN where no row', async () => {
    const file = await writeParquetFixture('viva_preds.parquet', [
      { name: 'episode_index', int64: [0, 0, 0, 0, 1, 1, 1, 1] },
      { name: 'frame_index', int64: [0, 1, 3, 4, 0, 1, 2, 3] },
      { name: 'prediction', float: [1, 0.75, 0.25, 0, 1, 0.5, 0.25, 0] },
      { name: 'model_prediction', double: [4, 3, 1, 0, 3, 2, 1, 0] },
    ])
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(warnings).toEqual([])
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [0, 'viva_preds · prediction', 'remaining'],
      [0, 'viva_preds · model_prediction', 'remaining-frames'],
      [1, 'viva_preds · prediction', 'remaining'],
      [1, 'viva_preds · model_prediction', 'remaining-frames'],
    ])
    const p0 = find(curves, 0, 'viva_preds · prediction')
    expect(p0?.values).toBeInstanceOf(Float32Array)
    expect(p0?.values.length).toBe(5)
    expect(values(p0)).toEqual([1, 0.75, null, 0.25, 0])
    expect(values(find(curves, 1, 'viva_preds · model_prediction'))).toEqual([3, 2, 1, 0])
  })

  it('accepts the episode/frame column names and a lone prediction column', async () => {
    const file = await writeParquetFixture('short_names.parquet', [
      { name: 'episode', int64: [3, 3] },
      { name: 'frame', int64: [5, 0] },
      { name: 'prediction', float: [0, 1] },
    ])
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves).toHaveLength(1)
    expect(curves[0]?.episode).toBe(3)
    expect(values(curves[0])).toEqual([1, null, null, null, null, 0])
  })

  it('takes the episode from the file name when there is no episode column', async () => {
    const file = await writeParquetFixture('per-episode/episode_000003.parquet', [
      { name: 'frame_index', int64: [0, 1, 2, 3, 4, 5] },
      { name: 'model_prediction', float: [5, 4, 3, 2, 1, 0] },
    ])
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [3, 'episode_000003 · model_prediction', 'remaining-frames'],
    ])
  })

  it('takes the only episode of a one-episode dataset when there is no episode column', async () => {
    const file = await writeParquetFixture('one.parquet', [
      { name: 'frame_index', int64: [0, 1] },
      { name: 'prediction', float: [1, 0.5] },
    ])
    const { curves } = await importCurveFile(file, { episodes: [{ index: 7, length: 3 }] })
    expect(curves.map((c) => c.episode)).toEqual([7])
    expect(values(curves[0])).toEqual([1, 0.5, null])
  })

  it('rejects a file without an episode column when nothing says which episode it is', async () => {
    const file = await writeParquetFixture('preds.parquet', [
      { name: 'frame_index', int64: [0, 1] },
      { name: 'prediction', float: [1, 0.5] },
    ])
    await expectInvalid(file, 'preds.parquet', 'has no episode column', 'episode_index or episode', '3 episodes')
  })
})

describe('LeRobot reward-model progress parquet', () => {
  it('reads progress_sparse and progress_dense as progress curves; NaN marks a frame the labeler could not score', async () => {
    const file = await writeParquetFixture('sarm_progress.parquet', [
      { name: 'index', int64: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
      { name: 'episode_index', int64: [0, 0, 0, 0, 0, 1, 1, 1, 1] },
      { name: 'frame_index', int64: [0, 1, 2, 3, 4, 0, 1, 2, 3] },
      { name: 'progress_sparse', float: [0, 0.2, Number.NaN, 0.7, 1, 0, 0.3, 0.6, 1] },
      { name: 'progress_dense', float: [0, 0.25, 0.5, 0.75, 1, 0, 0.35, 0.65, 0.9] },
    ])
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [0, 'sarm_progress · progress_sparse', 'progress'],
      [0, 'sarm_progress · progress_dense', 'progress'],
      [1, 'sarm_progress · progress_sparse', 'progress'],
      [1, 'sarm_progress · progress_dense', 'progress'],
    ])
    expect(values(find(curves, 0, 'sarm_progress · progress_sparse'))).toEqual([0, 0.2, null, 0.7, 1])
    expect(values(find(curves, 1, 'sarm_progress · progress_dense'))).toEqual([0, 0.35, 0.65, 0.9])
    expect(warnings).toEqual([
      'sarm_progress.parquet: progress_sparse has no value (NaN) for 1 frame in 1 episode; those frames are left empty',
    ])
  })

  it('reads a dense-only file (TopReward/Robometer style) with a stride that leaves gaps', async () => {
    const file = await writeParquetFixture('topreward_progress.parquet', [
      { name: 'index', int64: [0, 2, 4] },
      { name: 'episode_index', int64: [0, 0, 0] },
      { name: 'frame_index', int64: [0, 2, 4] },
      { name: 'progress_dense', double: [0.1, 0.5, 0.9] },
    ])
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(warnings).toEqual([])
    expect(curves.map((c) => c.name)).toEqual(['topreward_progress · progress_dense'])
    expect(values(curves[0])).toEqual([0.1, null, 0.5, null, 0.9])
  })
})

describe('rows the dataset cannot take', () => {
  it('drops frames past the episode end with a warning', async () => {
    const file = await writeText('long.csv', 'episode,frame,value\n1,0,1\n1,3,0.5\n1,4,0.4\n1,9,0.1\n')
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(values(curves[0])).toEqual([1, null, null, 0.5])
    expect(warnings).toEqual(['long.csv: episode 1 has 4 frames in the dataset (0–3); dropped 2 rows for frames 4–9'])
  })

  it('skips episodes the dataset does not have with one warning', async () => {
    const file = await writeParquetFixture('superset.parquet', [
      { name: 'episode_index', int64: [0, 2, 2, 5, 6, 7] },
      { name: 'frame_index', int64: [0, 0, 1, 0, 0, 0] },
      { name: 'prediction', float: [1, 1, 0.5, 1, 1, 1] },
      { name: 'model_prediction', float: [4, 4, 3, 4, 4, 4] },
    ])
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => c.episode)).toEqual([0, 0])
    // Rows, not cells: two value columns do not double the count.
    expect(warnings).toEqual(['superset.parquet: episodes 2, 5–7 (4) are not in the dataset; skipped their 5 rows'])
  })

  it('fails when no row lands in the dataset', async () => {
    const file = await writeText('elsewhere.csv', 'episode,frame,value\n2,0,1\n9,0,1\n')
    await expectInvalid(file, 'elsewhere.csv: gives no value for any episode of the dataset', 'episodes 2, 9 (2) are not in the dataset')
  })

  it('summarises warnings beyond the cap', async () => {
    const episodes = Array.from({ length: 30 }, (_, i) => ({ index: i, length: 2 }))
    const lines = ['episode,frame,value']
    for (let e = 0; e < 30; e++) lines.push(`${e},0,1`, `${e},5,1`)
    const file = await writeText('many.csv', lines.join('\n'))
    const { curves, warnings } = await importCurveFile(file, { episodes })
    expect(curves).toHaveLength(30)
    expect(warnings).toHaveLength(MAX_WARNINGS + 1)
    expect(warnings[0]).toBe('many.csv: episode 0 has 2 frames in the dataset (0–1); dropped 1 row for frame 5')
    expect(warnings[MAX_WARNINGS]).toBe('many.csv: … and 10 more warnings')
  })
})

describe('size', () => {
  it('imports 1,000 episodes × 1,000 frames of a two-column parquet file in a few seconds', async () => {
    const episodes = 1000
    const frames = 1000
    const n = episodes * frames
    const ep = new BigInt64Array(n)
    const fr = new BigInt64Array(n)
    const pred = new Float32Array(n)
    const mp = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const e = Math.floor(i / frames)
      const f = i % frames
      ep[i] = BigInt(e)
      fr[i] = BigInt(f)
      pred[i] = 1 - f / (frames - 1)
      mp[i] = frames - 1 - f
    }
    const file = join(tmp, 'big.parquet')
    const columns: ParquetColumn[] = [
      { name: 'episode_index', type: 'INT64', data: ep, nullable: false },
      { name: 'frame_index', type: 'INT64', data: fr, nullable: false },
      { name: 'prediction', type: 'FLOAT', data: pred, nullable: false },
      { name: 'model_prediction', type: 'FLOAT', data: mp, nullable: false },
    ]
    await writeFile(file, encodeParquet(columns))
    const target = { episodes: Array.from({ length: episodes }, (_, index) => ({ index, length: frames })) }
    const started = performance.now()
    const { curves, warnings } = await importCurveFile(file, target)
    const seconds = (performance.now() - started) / 1000
    expect(warnings).toEqual([])
    expect(curves).toHaveLength(2 * episodes)
    const last = curves[curves.length - 1]
    expect(last?.episode).toBe(episodes - 1)
    expect(last?.values[0]).toBe(frames - 1)
    expect(last?.values[frames - 1]).toBe(0)
    expect(seconds).toBeLessThan(5)
  })
})
