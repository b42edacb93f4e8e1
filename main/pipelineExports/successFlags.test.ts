import { describe, expect, it } from 'vitest'
import { buildSuccessFlags, successFeatureInfo, successFlagsForRows } from './successFlags'
import { annotations, column, numbers, TASK, threeEpisodes } from './testing'

describe('buildSuccessFlags', () => {
  it('sets next.success and is_success on the last frame of successful episodes only', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const table = buildSuccessFlags(episodes.slice(0, 2), ann)
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ['index', 'int64'],
      ['episode_index', 'int64'],
      ['frame_index', 'int64'],
      ['next.success', 'bool'],
      ['is_success', 'bool'],
    ])
    const success = column(table, 'next.success').data as boolean[]
    expect(success.length).toBe(16)
    expect(success.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([9])
    expect(column(table, 'is_success').data).toEqual(success)
    expect(numbers(table, 'index')).toEqual([...Array(16).keys()])
  })

  it('refuses episodes without an outcome, naming them, unless they count as failures', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    expect(() => buildSuccessFlags(episodes, ann)).toThrow(/episodes 2 have no outcome/)
    const table = buildSuccessFlags(episodes, ann, { unknown: 'failure' })
    expect((column(table, 'is_success').data as boolean[]).filter(Boolean).length).toBe(1)
  })

  it('declares the columns as LeRobot bool features', () => {
    expect(successFeatureInfo()['next.success']).toEqual({ dtype: 'bool', shape: [1], names: null })
  })
})

describe('successFlagsForRows', () => {
  it('follows the data file row order (episodes interleaved, frames out of order)', () => {
    const ann = annotations([], [
      [4, { outcome: 'success', status: 'done' }],
      [5, { outcome: 'failure', status: 'done' }],
    ])
    const episodes = [
      { index: 4, length: 3, task: TASK },
      { index: 5, length: 2, task: TASK },
    ]
    const rows = { episode: [5n, 4n, 4n, 5n, 4n], frame: [1n, 2n, 0n, 0n, 1n] }
    const [next, is] = successFlagsForRows('data/chunk-000/file-000.parquet', rows, episodes, ann)
    expect(next?.data).toEqual([false, true, false, false, false])
    expect(is?.name).toBe('is_success')
  })

  it('names the file and row of a row the episode table does not know', () => {
    const ann = annotations([], [[4, { outcome: 'success', status: 'done' }]])
    expect(() => successFlagsForRows('data/x.parquet', { episode: [4, 4], frame: [0, 3] }, [{ index: 4, length: 3, task: TASK }], ann)).toThrow(
      'data/x.parquet: row 1 is frame 3 of episode 4, which has 3 frames',
    )
  })
})
