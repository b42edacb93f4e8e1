/** Small constructed inputs shared by the pipeline export tests. */
import type { Column, ExportAnnotations, ExportEpisode, ExportEpisodeLabels, ExportEvent, Table } from './table'

export const TASK = 'put the cube in the box'
export const STAGES = ['grasp', 'lift', 'place'] as const

export function milestone(episode: number, frame: number, label: string): ExportEvent {
  return { episode, frame, kind: 'milestone', label }
}

export function annotations(events: ExportEvent[], labels: [number, ExportEpisodeLabels][] = [], milestones: readonly string[] = STAGES): ExportAnnotations {
  return { events, episodes: new Map(labels), milestones: new Map([[TASK, milestones]]) }
}

/**
 * Three episodes of one task: 0 (10 frames, every stage, success), 1 (6 frames, grasp only, failure) and 2
 * (4 frames, nothing annotated).
 */
export function threeEpisodes(): { episodes: ExportEpisode[]; annotations: ExportAnnotations } {
  return {
    episodes: [
      { index: 0, length: 10, task: TASK },
      { index: 1, length: 6, task: TASK },
      { index: 2, length: 4, task: TASK },
    ],
    annotations: annotations(
      [milestone(0, 3, 'grasp'), milestone(0, 5, 'lift'), milestone(0, 9, 'place'), milestone(1, 2, 'grasp'), { episode: 1, frame: 4, kind: 'error', label: 'drop' }],
      [
        [0, { outcome: 'success', status: 'done' }],
        [1, { outcome: 'failure', status: 'done' }],
      ],
    ),
  }
}

export function column(table: Table, name: string): Column {
  const c = table.columns.find((x) => x.name === name)
  if (!c) throw new Error(`no column ${name}`)
  return c
}

/** A column's values as plain numbers (int64 as Number), for comparisons. */
export function numbers(table: Table, name: string): number[] {
  const c = column(table, name)
  if (c.kind === 'string') throw new Error(`${name} is a string column`)
  return Array.from(c.data as ArrayLike<number | bigint | boolean>, (v) => Number(v))
}
