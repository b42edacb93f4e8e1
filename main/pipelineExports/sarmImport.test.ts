import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DatasetSummary } from '../../app/dataset'
import { tempDirHooks } from '../testing/tempDir'
import { readSarmMilestones, stageOrder } from './sarmImport'

let dir = ''
tempDirHooks('viva-sarm-import-', (d) => (dir = d))

/** A v2.1 dataset's episodes.jsonl with these rows, and the summary fields the reader uses. */
function dataset(name: string, rows: Record<string, unknown>[], lengths: number[]): DatasetSummary {
  const root = path.join(dir, name)
  mkdirSync(path.join(root, 'meta'), { recursive: true })
  writeFileSync(path.join(root, 'meta', 'episodes.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
  const episodes = lengths.map((length, index) => ({ index, length, present: true, tasks: ['t'] }))
  return { root, format: 'v2.1', episodes } as unknown as DatasetSummary
}

describe('readSarmMilestones', () => {
  it("takes each subtask's end frame as its milestone, clamping a VLM end one past the last frame", async () => {
    // LeRobot's VLM script writes end frames as int(seconds × fps): 30 for a 30-frame episode.
    const summary = dataset('vlm', [
      { episode_index: 0, dense_subtask_names: ['reach', 'grasp'], dense_subtask_start_frames: [0, 12], dense_subtask_end_frames: [12, 30] },
      { episode_index: 1, dense_subtask_names: null },
    ], [30, 20])
    const r = await readSarmMilestones(summary)
    expect(r.head).toBe('dense')
    expect(r.milestones).toEqual([
      { episode: 0, frame: 12, label: 'reach' },
      { episode: 0, frame: 29, label: 'grasp' },
    ])
    expect(r.annotatedEpisodes).toEqual([0])
    expect(r.unannotatedTasks).toBe(1)
  })

  it('falls back to the sparse head and its legacy unprefixed columns; a lone "task" stage is no milestone', async () => {
    const legacy = dataset('legacy', [{ episode_index: 0, subtask_names: ['open', 'close'], subtask_end_frames: [4, 9] }], [10])
    expect((await readSarmMilestones(legacy)).milestones).toEqual([
      { episode: 0, frame: 4, label: 'open' },
      { episode: 0, frame: 9, label: 'close' },
    ])
    const auto = dataset('auto', [{ episode_index: 0, sparse_subtask_names: ['task'], sparse_subtask_end_frames: [9] }], [10])
    const r = await readSarmMilestones(auto)
    expect([r.head, r.milestones, r.unannotatedTasks]).toEqual(['sparse', [], 1])
  })

  it('names what is wrong: no annotations, names and frames of other lengths, a frame that is not one', async () => {
    await expect(readSarmMilestones(dataset('none', [{ episode_index: 0 }], [5]))).rejects.toThrow(/meta\/episodes.jsonl: no SARM subtask annotations/)
    await expect(readSarmMilestones(dataset('none', [{ episode_index: 0 }], [5]), 'dense')).rejects.toThrow('dense_subtask_names / dense_subtask_end_frames')
    const uneven = dataset('uneven', [{ episode_index: 0, dense_subtask_names: ['a', 'b'], dense_subtask_end_frames: [3] }], [5])
    await expect(readSarmMilestones(uneven)).rejects.toThrow('episode 0: 2 subtask names but 1 end frames')
    const frac = dataset('frac', [{ episode_index: 0, dense_subtask_names: ['a'], dense_subtask_end_frames: [2.5] }], [5])
    await expect(readSarmMilestones(frac)).rejects.toThrow('episode 0: subtask "a" ends at 2.5, not a frame')
  })
})

describe('stageOrder', () => {
  it("orders the stages as the episode with the most subtasks has them, others where they first appear", () => {
    expect(
      stageOrder([
        { episode: 0, frame: 5, label: 'grasp' },
        { episode: 1, frame: 2, label: 'reach' },
        { episode: 1, frame: 6, label: 'grasp' },
        { episode: 1, frame: 9, label: 'lift' },
        { episode: 2, frame: 3, label: 'wave' },
      ]),
    ).toEqual(['reach', 'grasp', 'lift', 'wave'])
  })
})
