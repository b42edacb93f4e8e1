import { describe, expect, it } from 'vitest'
import type { ProjectState } from '../../app/annotations'
import { buildSuccessFlags } from './successFlags'
import { exportAnnotationsOf, withGlobalStarts } from './table'
import { annotations, numbers, TASK } from './testing'

describe('withGlobalStarts', () => {
  it('lets an export of some episodes keep the dataset own global index', () => {
    const all = withGlobalStarts([
      { index: 0, length: 5, task: TASK },
      { index: 1, length: 3, task: TASK },
      { index: 2, length: 2, task: TASK },
    ])
    const subset = all.filter((ep) => ep.index === 2)
    const ann = annotations([], [[2, { outcome: 'success', status: 'done' }]])
    expect(numbers(buildSuccessFlags(subset, ann), 'index')).toEqual([8, 9])
  })
})

describe('exportAnnotationsOf', () => {
  it('takes each task latest taxonomy', () => {
    const taxonomy = (version: number, milestones: string[]) => ({ task: TASK, version, milestones, errorTypes: [], preset: null, createdAt: '2026-01-01T00:00:00.000Z' })
    const state: ProjectState = {
      events: new Map(),
      episodes: new Map([[0, { episode: 0, outcome: 'success', status: 'done', note: '', updatedAt: '2026-01-01T00:00:00.000Z' }]]),
      taxonomies: new Map([[TASK, [taxonomy(1, ['a']), taxonomy(2, ['a', 'b'])]]]),
    }
    const ann = exportAnnotationsOf(state)
    expect(ann.milestones.get(TASK)).toEqual(['a', 'b'])
    expect(ann.episodes.get(0)?.outcome).toBe('success')
  })
})
