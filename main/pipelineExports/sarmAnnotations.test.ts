import { describe, expect, it } from 'vitest'
import type { ParquetColumn } from '../formats/parquetWrite'
import { buildSarmAnnotations, sarmEpisodeColumns, sarmEpisodesJsonl, sarmProportionFiles, type SarmEpisodeSubtasks } from './sarmAnnotations'
import { buildSarmProgress } from './sarmProgress'
import { annotations, milestone, numbers, STAGES, TASK, threeEpisodes } from './testing'

/**
 * The consumer's rule, written out as a test oracle: huggingface/lerobot src/lerobot/policies/sarm/sarm_utils.py
 * find_stage_and_tau (return_combined) followed by normalize_stage_tau with the temporal proportions, for a
 * multi-stage head.
 */
function sarmTarget(frame: number, s: SarmEpisodeSubtasks | null, stages: readonly string[], proportions: Record<string, number>): number {
  let stage = 0
  let tau = 0
  const n = stages.length
  if (s === null || frame < (s.startFrames[0] as number)) {
    // stage 0, τ 0
  } else if (frame > (s.endFrames.at(-1) as number)) {
    stage = n - 1
    tau = 0.999
  } else {
    const k = s.names.findIndex((_, i) => (s.startFrames[i] as number) <= frame && frame <= (s.endFrames[i] as number))
    if (k >= 0) {
      stage = stages.indexOf(s.names[k] as string)
      const d = (s.endFrames[k] as number) - (s.startFrames[k] as number)
      tau = d <= 0 ? 1 : Math.min(1, Math.max(0, (frame - (s.startFrames[k] as number)) / d))
    }
  }
  const x = stage >= n - 1 && tau >= 1 ? n - 1 + 0.999 : stage + tau
  const breakpoints = [0]
  for (const name of stages) breakpoints.push((breakpoints.at(-1) as number) + (proportions[name] as number))
  breakpoints[n] = 1
  if (x >= n) return 1
  const k = Math.floor(x)
  return (breakpoints[k] as number) + (x - k) * ((breakpoints[k + 1] as number) - (breakpoints[k] as number))
}

function valuesOf(columns: ParquetColumn[], name: string): unknown[] {
  const c = columns.find((x) => x.name === name)
  if (!c) throw new Error(`no column ${name}`)
  return Array.from(c.data as ArrayLike<unknown>)
}

describe('buildSarmAnnotations', () => {
  it('turns milestones into subtasks that end where the next starts, with SARM eq. 1 proportions in stage order', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const sarm = buildSarmAnnotations(episodes, ann)
    expect(sarm.stages).toEqual([...STAGES])
    expect(Object.keys(sarm.proportions)).toEqual([...STAGES])
    expect(sarm.proportions.grasp).toBeCloseTo(0.5, 12)
    expect(sarm.proportions.lift).toBeCloseTo(1 / 6, 12)
    expect(sarm.proportions.place).toBeCloseTo(1 / 3, 12)
    expect(sarm.subtasks.get(0)).toEqual({ names: ['grasp', 'lift', 'place'], startFrames: [0, 3, 5], endFrames: [3, 5, 9] })
    expect(sarm.subtasks.get(1)).toEqual({ names: ['grasp'], startFrames: [0], endFrames: [2] })
    expect(sarm.subtasks.has(2)).toBe(false)
    expect([sarm.complete, sarm.incomplete, sarm.unannotated]).toEqual([[0], [1], [2]])
    expect(JSON.parse(sarmProportionFiles(sarm)['meta/temporal_proportions_sparse.json'] as string)).toEqual({ task: 1 })
    expect(Object.keys(JSON.parse(sarmProportionFiles(sarm)['meta/temporal_proportions_dense.json'] as string) as object)).toEqual([...STAGES])
  })

  it("gives, through SARM's own target rule, the app's progress_sparse on every frame of a complete episode", () => {
    const episodes = [
      { index: 0, length: 40, task: TASK },
      { index: 1, length: 25, task: TASK },
    ]
    const ann = annotations(
      [milestone(0, 7, 'grasp'), milestone(0, 20, 'lift'), milestone(0, 33, 'place'), milestone(1, 0, 'grasp'), milestone(1, 11, 'lift'), milestone(1, 24, 'place')],
      [
        [0, { outcome: 'success', status: 'done' }],
        [1, { outcome: 'success', status: 'done' }],
      ],
    )
    const sarm = buildSarmAnnotations(episodes, ann)
    const progress = numbers(buildSarmProgress(episodes, ann).table, 'progress_sparse')
    let row = 0
    for (const ep of episodes) {
      for (let f = 0; f < ep.length; f++, row++) {
        expect(sarmTarget(f, sarm.subtasks.get(ep.index) ?? null, sarm.stages, sarm.proportions), `episode ${ep.index} frame ${f}`).toBeCloseTo(progress[row] as number, 2)
      }
    }
  })

  it('writes one row per episodes-table row: dense subtasks (null without milestones), one sparse "task" stage, legacy copies', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const sarm = buildSarmAnnotations(episodes, ann)
    const columns = sarmEpisodeColumns(sarm, [2n, 0n, 1n], new Map(episodes.map((e) => [e.index, e.length])), 10)
    expect(columns.map((c) => [c.name, c.type])).toEqual(
      ['dense_', 'sparse_', ''].flatMap((p) => [
        [`${p}subtask_names`, 'STRING_LIST'],
        [`${p}subtask_start_times`, 'DOUBLE_LIST'],
        [`${p}subtask_end_times`, 'DOUBLE_LIST'],
        [`${p}subtask_start_frames`, 'INT64_LIST'],
        [`${p}subtask_end_frames`, 'INT64_LIST'],
      ]),
    )
    expect(valuesOf(columns, 'dense_subtask_names')).toEqual([null, ['grasp', 'lift', 'place'], ['grasp']])
    expect(valuesOf(columns, 'dense_subtask_start_frames')).toEqual([null, [0n, 3n, 5n], [0n]])
    expect(valuesOf(columns, 'dense_subtask_end_times')).toEqual([null, [0.3, 0.5, 0.9], [0.2]])
    expect(valuesOf(columns, 'sparse_subtask_names')).toEqual([['task'], ['task'], ['task']])
    expect(valuesOf(columns, 'sparse_subtask_end_frames')).toEqual([[3n], [9n], [5n]])
    expect(valuesOf(columns, 'subtask_end_frames')).toEqual(valuesOf(columns, 'sparse_subtask_end_frames'))
  })

  it('refuses what SARM cannot take, saying why: other stages per task, a label not among them, no milestone at all', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const twoTasks = { ...ann, milestones: new Map([...ann.milestones, ['other task', ['open', 'close']]]) }
    expect(() => buildSarmAnnotations([...episodes, { index: 3, length: 5, task: 'other task' }], twoTasks)).toThrow(/tasks' taxonomies differ \("put the cube in the box": grasp, lift, place; "other task": open, close\)/)
    const stray = annotations([milestone(0, 2, 'wave')])
    expect(() => buildSarmAnnotations(episodes, stray)).toThrow('episode 0: milestone "wave" at frame 2 is not one of the stages (grasp, lift, place)')
    expect(() => buildSarmAnnotations(episodes, annotations([]))).toThrow('no episode has a milestone')
    expect(() => buildSarmAnnotations(episodes, annotations([milestone(0, 2, 'grasp')], [], []))).toThrow('the taxonomy has no milestones')
  })

  it('adds the same fields to a v2.x meta/episodes.jsonl line by line, and names a broken line', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const sarm = buildSarmAnnotations(episodes, ann)
    const text = '{"episode_index": 0, "tasks": ["t"], "length": 10}\n{"episode_index": 2, "tasks": ["t"], "length": 4}\n'
    const rows = sarmEpisodesJsonl(sarm, text, 'meta/episodes.jsonl', 10).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows[0]).toMatchObject({ episode_index: 0, tasks: ['t'], length: 10, dense_subtask_names: ['grasp', 'lift', 'place'], dense_subtask_start_frames: [0, 3, 5], dense_subtask_end_times: [0.3, 0.5, 0.9] })
    expect(rows[1]).toMatchObject({ episode_index: 2, dense_subtask_names: null, sparse_subtask_names: ['task'], sparse_subtask_end_frames: [3], subtask_end_frames: [3] })
    expect(() => sarmEpisodesJsonl(sarm, '{"episode_index": 0}\nnot json\n', 'meta/episodes.jsonl', 10)).toThrow(/meta\/episodes.jsonl line 2 is not JSON/)
    expect(() => sarmEpisodesJsonl(sarm, '{"tasks": []}\n', 'meta/episodes.jsonl', 10)).toThrow('meta/episodes.jsonl line 1 has no integer episode_index')
  })
})
