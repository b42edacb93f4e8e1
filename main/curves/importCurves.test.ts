import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { ColumnSource } from 'hyparquet-writer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VivaError } from '../../app/errors'
import { declareRows } from '../hardening/badInputs'
import type { CurveImportTarget, ImportedCurve } from './importCurves'
import { MAX_WARNINGS, importCurveFile } from './importCurves'

let tmp = ''
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-curves-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Episodes 0 (5 frames), 1 (4 frames) and 3 (6 frames): episode 2 is absent, as in a partial download. */
const TARGET: CurveImportTarget = {
  episodes: [
    { index: 0, length: 5 },
    { index: 1, length: 4 },
    { index: 3, length: 6 },
  ],
}

type Col =
  | { name: string; int64: number[] }
  | { name: string; float: (number | null)[] }
  | { name: string; double: (number | null)[] }
  | { name: string; string: (string | null)[] }

async function writeParquetFixture(name: string, columns: Col[]): Promise<string> {
  const columnData: ColumnSource[] = columns.map((c) => {
    if ('int64' in c) return { name: c.name, data: c.int64.map((n) => BigInt(n)), type: 'INT64', nullable: false }
    if ('float' in c) return { name: c.name, data: c.float, type: 'FLOAT', nullable: true }
    if ('double' in c) return { name: c.name, data: c.double, type: 'DOUBLE', nullable: true }
    return { name: c.name, data: c.string, type: 'STRING', nullable: true }
  })
  const file = join(tmp, name)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData })))
  return file
}

async function writeText(name: string, text: string): Promise<string> {
  const file = join(tmp, name)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, text)
  return file
}

/** The VivaError a promise rejects with (fails the test if it resolves or throws something else). */
async function rejection(promise: Promise<unknown>): Promise<VivaError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError)
    return err as VivaError
  }
  throw new Error('expected the import to fail')
}

async function expectInvalid(file: string, ...parts: (string | RegExp)[]): Promise<VivaError> {
  const err = await rejection(importCurveFile(file, TARGET))
  expect(err.code).toBe('IMPORT_INVALID')
  expect(err.file).toBe(file)
  for (const part of parts) expect(err.message).toMatch(part)
  return err
}

const values = (c: ImportedCurve | undefined): (number | null)[] =>
  Array.from(c?.values ?? [], (v) => (Number.isNaN(v) ? null : Math.round(v * 1e6) / 1e6))

const find = (curves: ImportedCurve[], episode: number, name: string): ImportedCurve | undefined =>
  curves.find((c) => c.episode === episode && c.name === name)

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

describe('CSV', () => {
  it('reads episode, frame, value with name and convention columns, quoted fields and CRLF', async () => {
    const file = await writeText(
      'mixed.csv',
      [
        'episode,frame,value,name,convention',
        '0,0,0.1,"baseline, v2",progress',
        '0,4,0.9,"baseline, v2",progress',
        '1,0,3,"frames ""left""",remaining-frames',
        '1,3,0,"frames ""left""",remaining-frames',
        '',
      ].join('\r\n'),
    )
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(warnings).toEqual([])
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [0, 'baseline, v2', 'progress'],
      [1, 'frames "left"', 'remaining-frames'],
    ])
    expect(values(curves[0])).toEqual([0.1, null, null, null, 0.9])
    expect(values(curves[1])).toEqual([3, null, null, 0])
  })

  it('names a value-only table after the file, as progress; tolerates semicolons, a BOM and blank lines', async () => {
    const file = await writeText('my run.csv', '\uFEFFEpisode_Index; Frame_Index; Value\n\n3;0;0.5\n3;1;.25e1\n\n')
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([[3, 'my run', 'progress']])
    expect(values(curves[0])).toEqual([0.5, 2.5, null, null, null, null])
  })

  it('rejects a non-numeric value naming the line and the text', async () => {
    const file = await writeText('bad_value.csv', 'episode,frame,value\n0,0,0.5\n0,1,abc\n')
    await expectInvalid(file, 'bad_value.csv: line 3 has non-numeric value "abc" in column value')
  })

  it('rejects hex and other things Number() would take', async () => {
    const file = await writeText('hex.csv', 'episode,frame,value\n0,0x1,0.5\n')
    await expectInvalid(file, 'hex.csv: line 2 has non-numeric frame "0x1" in column frame')
  })

  it('reads numbers only in plain decimal notation', async () => {
    const good = await writeText('decimals.csv', 'episode,frame,value\n0,0, +1.\n0,1,-.5\n0,2,1E-1\n0,3,2e+0\n')
    expect(values((await importCurveFile(good, TARGET)).curves[0])).toEqual([1, -0.5, 0.1, 2, null])
    for (const bad of ['.', 'e5', '1e', '1e+', '1.2.3', '1 2', '0b1', '1_000', '--1']) {
      const file = await writeText('not_decimal.csv', `episode,frame,value\n0,0,${bad}\n`)
      await expectInvalid(file, `not_decimal.csv: line 2 has non-numeric value ${JSON.stringify(bad)} in column value`)
    }
  })

  it('rejects NaN and infinite values naming the line, episode and frame', async () => {
    const nan = await writeText('nan.csv', 'episode,frame,value\n0,0,0.5\n0,1,nan\n')
    await expectInvalid(nan, 'nan.csv: line 3 (episode 0, frame 1) has NaN in column value', 'not accepted')
    const inf = await writeText('inf.csv', 'episode,frame,value\n0,0,-inf\n')
    await expectInvalid(inf, 'inf.csv: line 2 (episode 0, frame 0) has -Infinity in column value')
    const huge = await writeText('huge.csv', 'episode,frame,value\n0,0,1e39\n')
    await expectInvalid(huge, 'huge.csv: line 2 (episode 0, frame 0) has 1e+39 in column value, beyond the float32 range')
  })

  it('rejects an empty value cell', async () => {
    const file = await writeText('empty_cell.csv', 'episode,frame,value\n0,0,\n')
    await expectInvalid(file, 'empty_cell.csv: line 2 has no value (column value is empty there)')
  })

  it('rejects an unknown convention and an empty name', async () => {
    const conv = await writeText('conv.csv', 'episode,frame,value,convention\n0,0,1,reward\n')
    await expectInvalid(conv, 'conv.csv: line 2 has convention "reward"; expected one of progress, remaining, remaining-frames')
    const name = await writeText('noname.csv', 'episode,frame,value,name\n0,0,1,  \n')
    await expectInvalid(name, 'noname.csv: line 2 has an empty name')
  })

  it('rejects one curve name with two conventions', async () => {
    const file = await writeText('two_conv.csv', 'episode,frame,value,name,convention\n0,0,1,a,progress\n0,1,1,a,remaining\n')
    await expectInvalid(file, 'curve "a" has convention progress at line 2 but remaining at line 3')
  })

  it('rejects CSV syntax errors with their line', async () => {
    const open = await writeText('open_quote.csv', 'episode,frame,value,name\n0,0,1,"never closed\n0,1,1,x\n')
    await expectInvalid(open, 'open_quote.csv: line 2: a quoted field is never closed')
    const fields = await writeText('fields.csv', 'episode,frame,value\n0,0,1\n0,1\n')
    await expectInvalid(fields, 'fields.csv: line 3: has 2 fields but the header has 3')
    const stray = await writeText('stray.csv', 'episode,frame,value,name\n0,0,1,a"b\n')
    await expectInvalid(stray, 'stray.csv: line 2: a quote inside an unquoted field')
  })

  it('rejects negative and fractional frame and episode numbers', async () => {
    const neg = await writeText('neg.csv', 'episode,frame,value\n0,-1,1\n')
    await expectInvalid(neg, 'neg.csv: line 2 has frame -1; expected a whole number ≥ 0')
    const frac = await writeText('frac.csv', 'episode,frame,value\n0.5,1,1\n')
    await expectInvalid(frac, 'frac.csv: line 2 has episode 0.5; expected a whole number ≥ 0')
  })

  it('rejects duplicate (episode, frame) rows naming both lines', async () => {
    const file = await writeText('dup.csv', 'episode,frame,value\n0,0,1\n0,1,0.5\n0,2,0.5\n0,1,0.4\n')
    await expectInvalid(file, 'dup.csv: line 3 and line 5 both give episode 0 frame 1')
  })

  it('rejects a header without frame or value columns, listing the columns it has', async () => {
    const noFrame = await writeText('no_frame.csv', 'episode,step,value\n0,0,1\n')
    await expectInvalid(noFrame, 'no_frame.csv: has no frame column (expected frame_index or frame); its columns are "episode", "step", "value"')
    const noValue = await writeText('no_value.csv', 'episode,frame,score\n0,0,1\n')
    await expectInvalid(noValue, 'no_value.csv: has no value column', 'prediction or model_prediction', 'progress_sparse', '"score"')
  })

  it('rejects a header-only file and an empty one', async () => {
    const header = await writeText('header_only.csv', 'episode,frame,value\n')
    await expectInvalid(header, 'header_only.csv: contains no values')
    const blank = await writeText('blank.csv', '\n\n')
    await expectInvalid(blank, 'blank.csv: is empty')
  })
})

describe('JSON', () => {
  it('reads an array of rows', async () => {
    const file = await writeText(
      'rows.json',
      JSON.stringify([
        { episode: 1, frame: 0, value: 0.1, name: 'a' },
        { episode: 1, frame: 2, value: 0.5, name: 'a' },
        { episode: 1, frame: 1, value: 0.9, name: 'b' },
      ]),
    )
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [1, 'a', 'progress'],
      [1, 'b', 'progress'],
    ])
    expect(values(curves[0])).toEqual([0.1, null, 0.5, null])
  })

  it('reads an object with name, convention and rows', async () => {
    const file = await writeText(
      'object.json',
      JSON.stringify({ name: 'ViVa v3', convention: 'remaining', rows: [{ episode_index: 0, frame_index: 1, value: 0.8 }] }),
    )
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([[0, 'ViVa v3', 'remaining']])
    expect(values(curves[0])).toEqual([null, 0.8, null, null, null])
  })

  it('lets a row of an object override its name and convention', async () => {
    const file = await writeText(
      'override.json',
      JSON.stringify({
        name: 'main',
        rows: [
          { episode: 0, frame: 0, value: 0.2 },
          { episode: 0, frame: 0, value: 4, name: 'frames', convention: 'remaining-frames' },
        ],
      }),
    )
    const { curves } = await importCurveFile(file, TARGET)
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [0, 'main', 'progress'],
      [0, 'frames', 'remaining-frames'],
    ])
  })

  it('reads an object with curves; null marks a frame without a value', async () => {
    const file = await writeText(
      'curves.json',
      JSON.stringify({
        curves: [
          { name: 'direct', episode: 0, values: [0, null, 0.5, 0.75, 1] },
          { name: 'flow', convention: 'remaining-frames', episode: 3, values: [5, 4, 3] },
        ],
      }),
    )
    const { curves, warnings } = await importCurveFile(file, TARGET)
    expect(warnings).toEqual([])
    expect(curves.map((c) => [c.episode, c.name, c.convention])).toEqual([
      [0, 'direct', 'progress'],
      [3, 'flow', 'remaining-frames'],
    ])
    expect(values(curves[0])).toEqual([0, null, 0.5, 0.75, 1])
    expect(values(curves[1])).toEqual([5, 4, 3, null, null, null])
  })

  it('rejects NaN/Infinity tokens (as Python’s json.dump writes them) with their position', async () => {
    const file = await writeText('python.json', '[{"episode": 0, "frame": 0, "value": NaN}]')
    await expectInvalid(file, 'python.json: has NaN at line 1, column 38, which is not JSON')
  })

  it('rejects broken JSON with its position', async () => {
    const file = await writeText('broken.json', '[{"episode": 0,\n "frame": 0 "value": 1}]')
    await expectInvalid(file, 'broken.json: is not valid JSON at line 2, column 13')
  })

  it('rejects values that are strings, missing or of the wrong shape', async () => {
    const text = await writeText('string_value.json', JSON.stringify([{ episode: 0, frame: 0, value: '0.5' }]))
    await expectInvalid(text, 'string_value.json: entry [0] has non-numeric value "0.5" in column value')
    const missing = await writeText('missing.json', JSON.stringify({ rows: [{ episode: 0, frame: 0, value: 1 }, { episode: 0, frame: 1 }] }))
    await expectInvalid(missing, 'missing.json: rows[1] has no value')
    const curve = await writeText('bad_curve.json', JSON.stringify({ curves: [{ name: 'x', episode: 0, values: [0, 'a'] }] }))
    await expectInvalid(curve, 'bad_curve.json: curves[0].values[1] is "a"; expected a number or null')
    const shape = await writeText('shape.json', JSON.stringify({ data: [] }))
    await expectInvalid(shape, 'shape.json: is JSON but not a curve file', '"rows"', '"curves"')
    const conv = await writeText('bad_conv.json', JSON.stringify({ convention: 'reward', rows: [] }))
    await expectInvalid(conv, 'bad_conv.json: convention is "reward"; expected one of progress, remaining, remaining-frames')
  })

  it('rejects two curves giving the same episode', async () => {
    const file = await writeText(
      'twice.json',
      JSON.stringify({ curves: [{ name: 'x', episode: 0, values: [1, 2] }, { name: 'x', episode: 0, values: [3] }] }),
    )
    await expectInvalid(file, 'twice.json: curves[0].values[0] and curves[1].values[0] both give episode 0 frame 0')
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
    const columnData: ColumnSource[] = [
      { name: 'episode_index', data: ep, type: 'INT64', nullable: false },
      { name: 'frame_index', data: fr, type: 'INT64', nullable: false },
      { name: 'prediction', data: pred, type: 'FLOAT', nullable: false },
      { name: 'model_prediction', data: mp, type: 'FLOAT', nullable: false },
    ]
    await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData })))
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
