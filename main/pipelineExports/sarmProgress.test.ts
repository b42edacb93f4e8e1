import { describe, expect, it } from 'vitest'
import { buildSarmProgress, temporalProportions } from './sarmProgress'
import { annotations, column, milestone, numbers, TASK, threeEpisodes } from './testing'

describe('buildSarmProgress', () => {
  it('writes LeRobot RA-BC columns with their dtypes, sorted by the global index', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const { table } = buildSarmProgress(episodes, ann)
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ['index', 'int64'],
      ['episode_index', 'int64'],
      ['frame_index', 'int64'],
      ['progress_sparse', 'float32'],
    ])
    expect(table.rows).toBe(20)
    expect(numbers(table, 'index')).toEqual([...Array(20).keys()])
    expect(numbers(table, 'episode_index')).toEqual([...Array(10).fill(0), ...Array(6).fill(1), ...Array(4).fill(2)])
    expect(numbers(table, 'frame_index').slice(8, 12)).toEqual([8, 9, 0, 1])
  })

  it('gives SARM stage targets: milestones close stages, breakpoints from the annotated durations', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const { table, proportions, unannotated } = buildSarmProgress(episodes, ann)
    // ᾱ: episode 0 has grasp 3/9, lift 2/9, place 4/9; episode 1 grasp 2/2; means 2/3, 2/9, 4/9, normalized.
    const alpha = proportions.get(TASK) as Record<string, number>
    expect(alpha.grasp).toBeCloseTo(0.5, 12)
    expect(alpha.lift).toBeCloseTo(1 / 6, 12)
    expect(alpha.place).toBeCloseTo(1 / 3, 12)
    const p = numbers(table, 'progress_sparse')
    const expected0 = [0, 1 / 6, 1 / 3, 0.5, 0.5 + 1 / 12, 2 / 3, 2 / 3 + 1 / 12, 2 / 3 + 2 / 12, 2 / 3 + 3 / 12, 1]
    p.slice(0, 10).forEach((v, i) => expect(v).toBeCloseTo(expected0[i] as number, 6))
    // Failed episode: grasp reached at frame 2, then flat at its breakpoint (lift never completed).
    p.slice(10, 16).forEach((v, i) => expect(v).toBeCloseTo([0, 0.25, 0.5, 0.5, 0.5, 0.5][i] as number, 6))
    // Unannotated episode: NaN (RA-BC's fallback weight), never a made-up 0.
    expect(p.slice(16).every(Number.isNaN)).toBe(true)
    expect(unannotated).toEqual([2])
  })

  it('uses uniform stages on request', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const p = numbers(buildSarmProgress(episodes, ann, { proportions: 'uniform' }).table, 'progress_sparse')
    expect(p[3]).toBeCloseTo(1 / 3, 6)
    expect(p[5]).toBeCloseTo(2 / 3, 6)
    expect(p[9]).toBeCloseTo(1, 6)
  })

  it('a reviewed episode with no milestone is 0, not NaN', () => {
    const ann = annotations([], [[0, { outcome: 'failure', status: 'done' }]])
    const p = numbers(buildSarmProgress([{ index: 0, length: 3, task: TASK }], ann).table, 'progress_sparse')
    expect(p).toEqual([0, 0, 0])
  })

  it('adds progress_dense from a value curve in the progress convention, NaN where missing', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const remaining = Float32Array.from({ length: 10 }, (_, i) => 1 - i / 9)
    const partial = Float32Array.from([0.1, 0.2, Number.NaN, Number.NaN, Number.NaN, Number.NaN])
    const result = buildSarmProgress(episodes, ann, {
      dense: [
        { episode: 0, values: remaining, convention: 'remaining' },
        { episode: 1, values: partial, convention: 'progress' },
      ],
      source: 'viva:test-series',
    })
    expect(column(result.table, 'progress_dense').kind).toBe('float32')
    const d = numbers(result.table, 'progress_dense')
    d.slice(0, 10).forEach((v, i) => expect(v).toBeCloseTo(i / 9, 6))
    expect(d[10]).toBeCloseTo(0.1, 6)
    expect(result.denseMissing).toBe(4 + 4)
    expect(result.table.metadata).toEqual({ reward_model_path: 'viva:test-series' })
  })

  it('keeps the dataset own global index (v3.0 dataset_from_index)', () => {
    const ann = annotations([])
    const t = buildSarmProgress(
      [
        { index: 3, length: 2, task: TASK, fromIndex: 100 },
        { index: 1, length: 2, task: TASK, fromIndex: 40 },
      ],
      ann,
    ).table
    expect(numbers(t, 'index')).toEqual([40, 41, 100, 101])
    expect(numbers(t, 'episode_index')).toEqual([1, 1, 3, 3])
  })

  it('refuses what would silently give wrong targets, naming the episode', () => {
    const bad = annotations([milestone(0, 2, 'open lid')])
    expect(() => buildSarmProgress([{ index: 0, length: 5, task: TASK }], bad)).toThrow(/episode 0: milestone "open lid" at frame 2 is not a milestone of the taxonomy/)
    const outside = annotations([milestone(0, 7, 'grasp')])
    expect(() => buildSarmProgress([{ index: 0, length: 5, task: TASK }], outside)).toThrow(/frame 7, outside the episode's frames 0..4/)
    const overlap = [
      { index: 0, length: 5, task: TASK, fromIndex: 0 },
      { index: 1, length: 5, task: TASK, fromIndex: 3 },
    ]
    expect(() => buildSarmProgress(overlap, annotations([]))).toThrow(/episode 1 starts at global index 3, inside episode 0/)
    expect(() =>
      buildSarmProgress([{ index: 0, length: 5, task: TASK }], annotations([]), { dense: [{ episode: 0, values: new Float32Array(4), convention: 'progress' }] }),
    ).toThrow(/episode 0: the value curve has 4 values for 5 frames/)
  })
})

describe('temporalProportions', () => {
  it('falls back to equal stages when nothing was annotated', () => {
    expect(temporalProportions(['a', 'b'], [], 'dataset')).toEqual([0.5, 0.5])
  })
})
