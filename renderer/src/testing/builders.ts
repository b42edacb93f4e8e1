import type { EpisodeView } from '../../../app/contract'
import type { DatasetSummary } from '../../../app/dataset'

/** The shape of a test dataset: `episodes` of `length` frames at `fps`, dataset id 'd1'. */
export interface TestDatasetShape {
  fps: number
  length: number
  episodes: number
  /** Each episode's task (default 'fold'). */
  taskOf?: (episode: number) => string
  /** Whether the episode is on disk (default all). */
  present?: (episode: number) => boolean
}

/** A dataset summary for renderer tests: no cameras, no state; only the episode list varies. */
export function testSummary(shape: TestDatasetShape): DatasetSummary {
  const taskOf = shape.taskOf ?? ((): string => 'fold')
  const present = shape.present ?? ((): boolean => true)
  const indices = Array.from({ length: shape.episodes }, (_, i) => i)
  return {
    id: 'd1',
    root: '/data/d1',
    name: 'd1',
    format: 'v2.1',
    fps: shape.fps,
    robotType: null,
    cameras: [],
    state: null,
    features: [],
    stateChoice: { key: null, by: 'none', reason: 'no state' },
    tasks: [...new Set(indices.map(taskOf))],
    episodes: indices.map((i) => ({ index: i, tasks: [taskOf(i)], length: shape.length, present: present(i), warnings: [] })),
    totalFrames: indices.filter(present).length * shape.length,
    warnings: [],
  }
}

/** The player's view of one episode of a test dataset. */
export function testEpisode(index: number, shape: Pick<TestDatasetShape, 'fps' | 'length'>): EpisodeView {
  return { datasetId: 'd1', index, length: shape.length, fps: shape.fps, tasks: ['fold'], state: null, features: [], warnings: [], cameras: [] }
}
