import { describe, expect, it } from 'vitest'
import { expectInvalid, TARGET, useTempDir, values, writeText } from './import/testFixtures'
import { importCurveFile } from './importCurves'

// Curve import: CSV and JSON files.

useTempDir()

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
