import { execFileSync } from 'node:child_process'
import { readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { declareRows } from '../hardening/badInputs'
import { expectInvalid, rejection, TARGET, tmp, useTempDir, values, writeParquetFixture, writeText } from './import/testFixtures'
import { importCurveFile } from './importCurves'

// Curve import: files that are not curve files, or lie about themselves.

useTempDir()

describe('files that are not curve files', () => {
  it('says NOT_FOUND for a missing file', async () => {
    const file = join(tmp, 'nowhere.parquet')
    const err = await rejection(importCurveFile(file, TARGET))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.file).toBe(file)
    expect(err.message).toContain('nowhere.parquet not found')
  })

  it('lists the supported extensions for an unknown one', async () => {
    const file = await writeText('curves.xlsx', 'x')
    await expectInvalid(file, 'curves.xlsx: has an unsupported extension .xlsx; supported: .parquet', '.csv', '.json')
  })

  it('rejects a zero-byte parquet file', async () => {
    const file = await writeText('zero.parquet', '')
    await expectInvalid(file, 'zero.parquet: is empty (0 bytes)')
  })

  it('rejects a truncated parquet file', async () => {
    const whole = await writeParquetFixture('whole.parquet', [
      { name: 'episode_index', int64: [0, 0] },
      { name: 'frame_index', int64: [0, 1] },
      { name: 'prediction', float: [1, 0] },
    ])
    const bytes = new Uint8Array(await readFile(whole))
    const cut = join(tmp, 'cut.parquet')
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expectInvalid(cut, 'cut.parquet: is truncated or damaged', 'PAR1')
    const tiny = join(tmp, 'tiny.parquet')
    await writeFile(tiny, bytes.subarray(0, 6))
    await expectInvalid(tiny, 'tiny.parquet: is too short to be a parquet file (6 bytes)')
  })

  it('rejects a text file named .parquet', async () => {
    const file = await writeText('text.parquet', 'episode,frame,value\n0,0,1\n')
    await expectInvalid(file, 'text.parquet: is not a parquet file')
  })

  it('reads a parquet file named .csv as parquet', async () => {
    const parquet = await writeParquetFixture('really.parquet', [
      { name: 'episode_index', int64: [0] },
      { name: 'frame_index', int64: [0] },
      { name: 'progress_sparse', float: [0.5] },
    ])
    const misnamed = join(tmp, 'misnamed.csv')
    await writeFile(misnamed, await readFile(parquet))
    const { curves } = await importCurveFile(misnamed, TARGET)
    expect(curves.map((c) => [c.name, c.convention])).toEqual([['misnamed · progress_sparse', 'progress']])
  })

  it('rejects parquet without a frame or value column, and Inf, null and duplicates in parquet rows', async () => {
    const noFrame = await writeParquetFixture('no_frame.parquet', [
      { name: 'episode_index', int64: [0] },
      { name: 'prediction', float: [1] },
    ])
    await expectInvalid(noFrame, 'no_frame.parquet: has no frame column', '"episode_index", "prediction"')
    const noValue = await writeParquetFixture('no_value.parquet', [
      { name: 'episode_index', int64: [0] },
      { name: 'frame_index', int64: [0] },
      { name: 'reward', float: [1] },
    ])
    await expectInvalid(noValue, 'no_value.parquet: has no value column', '"reward"')
    const inf = await writeParquetFixture('inf.parquet', [
      { name: 'episode_index', int64: [0, 0] },
      { name: 'frame_index', int64: [0, 1] },
      { name: 'prediction', float: [1, Number.POSITIVE_INFINITY] },
    ])
    await expectInvalid(inf, 'inf.parquet: row 1 (episode 0, frame 1) has Infinity in column prediction')
    const nan = await writeParquetFixture('nan.parquet', [
      { name: 'episode_index', int64: [0] },
      { name: 'frame_index', int64: [0] },
      { name: 'prediction', float: [Number.NaN] },
    ])
    await expectInvalid(nan, 'nan.parquet: row 0 (episode 0, frame 0) has NaN in column prediction')
    const nul = await writeParquetFixture('null.parquet', [
      { name: 'episode_index', int64: [0, 0] },
      { name: 'frame_index', int64: [0, 1] },
      { name: 'model_prediction', float: [3, null] },
    ])
    await expectInvalid(nul, 'null.parquet: row 1 has no value (column model_prediction is empty there)')
    const dup = await writeParquetFixture('dup.parquet', [
      { name: 'episode_index', int64: [1, 1, 1] },
      { name: 'frame_index', int64: [0, 1, 0] },
      { name: 'prediction', float: [1, 0.5, 0.9] },
      { name: 'model_prediction', float: [3, 2, 3] },
    ])
    await expectInvalid(dup, 'dup.parquet: row 0 and row 2 both give episode 1 frame 0 of curve "dup · prediction"')
  })
})

describe('issue 13: files that never end, lying footers, a BOM, over-long names', () => {
  it('reads a JSON curve file that starts with a UTF-8 byte order mark', async () => {
    const file = await writeText('bom.json', '\uFEFF[{"episode": 0, "frame": 1, "value": 0.5}]')
    const { curves } = await importCurveFile(file, TARGET)
    expect(values(curves[0])).toEqual([null, 0.5, null, null, null])
  })

  it('refuses a FIFO and a symlink to /dev/urandom at once, saying what they are', async () => {
    const fifo = join(tmp, 'pipe.csv')
    execFileSync('mkfifo', [fifo])
    await expectInvalid(fifo, 'pipe.csv: could not be read (it is a named pipe (FIFO), not a regular file')
    const random = join(tmp, 'random.parquet')
    await symlink('/dev/urandom', random)
    await expectInvalid(random, 'random.parquet: could not be read (it is a character device')
  })

  it('refuses a parquet file whose footer declares 50 M rows before sizing anything by it', async () => {
    const file = await writeParquetFixture('fifty-million.parquet', [
      { name: 'episode_index', int64: [0, 0] },
      { name: 'frame_index', int64: [0, 1] },
      { name: 'value', float: [0.1, 0.2] },
    ])
    await declareRows(file, 50_000_000n)
    await expectInvalid(file, 'fifty-million.parquet: has a corrupt parquet footer: its footer declares 50,000,000 rows')
  })

  it('refuses a curve name over 200 characters, quoting 80 of them and the length', async () => {
    const file = await writeText('long.json', JSON.stringify({ name: 'N'.repeat(1_048_576), rows: [{ episode: 0, frame: 0, value: 0.5 }] }))
    const err = await expectInvalid(file, `long.json: rows[0]: curve name "${'N'.repeat(80)}"… (1,048,576 characters) is longer than 200 characters`)
    expect(err.message.length).toBeLessThan(300)
  })
})
