/**
 * Builders for renderer tests: one test dataset ('d1'), its episodes, annotations and curves, and the fake main side
 * a store opens it through. Tests change what they test with a patch, never by copying a builder.
 */
import type { AnnotationEvent, EventKind, Taxonomy } from '../../../app/annotations'
import type { EpisodeView, JobInfo, Method, ModelCheck, ModelInfo, ProjectSnapshot } from '../../../app/contract'
import type { CurveData, CurveInfo } from '../../../app/curves'
import type { DatasetSummary } from '../../../app/dataset'
import type { PlayerDriver } from '../features/player/state'
import { createAppStore, type AppStore } from '../state/store'
import { fakeClient, type Answers, type Fallback } from './fakeClient'

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

/** A dataset summary for renderer tests: no cameras, no state; only the episode list varies (and `patch`). */
export function testSummary(shape: TestDatasetShape, patch: Partial<DatasetSummary> = {}): DatasetSummary {
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
    ...patch,
  }
}

/** The player's view of one episode of a test dataset. */
export function testEpisode(index: number, shape: Pick<TestDatasetShape, 'fps' | 'length'>, patch: Partial<EpisodeView> = {}): EpisodeView {
  return { datasetId: 'd1', index, length: shape.length, fps: shape.fps, tasks: ['fold'], state: null, features: [], warnings: [], cameras: [], ...patch }
}

export const TEST_TIME = '2024-01-01T00:00:00.000Z'

/** An annotation event; by default with no note, annotator or times. */
export function testEvent(id: string, episode: number, frame: number, kind: EventKind, label: string, patch: Partial<AnnotationEvent> = {}): AnnotationEvent {
  return { id, episode, frame, kind, label, note: '', annotator: '', taxonomyVersion: 1, createdAt: '', updatedAt: '', ...patch }
}

/** Version 1 of a task's taxonomy. */
export function testTaxonomy(task: string, milestones: string[], errorTypes: string[]): Taxonomy {
  return { task, version: 1, milestones, errorTypes, preset: null, createdAt: TEST_TIME }
}

/** What annotations.load answers for 'd1': an empty project unless `patch` says otherwise. */
export function testSnapshot(patch: Partial<ProjectSnapshot> = {}): ProjectSnapshot {
  return { datasetId: 'd1', projectFile: '/p.sqlite', identityNote: null, events: [], episodes: [], taxonomies: [], ...patch }
}

/** A model's curve of episode 0 of 'd1', nothing computed yet. */
export function testCurveInfo(id: string, length: number, patch: Partial<CurveInfo> = {}): CurveInfo {
  return {
    id,
    datasetId: 'd1',
    episode: 0,
    name: id,
    source: 'model',
    convention: 'progress',
    length,
    computed: 0,
    complete: false,
    modelId: `m-${id}`,
    modelName: id,
    params: { steps: 4, seed: 0, cameras: ['a'] },
    futureDim: 0,
    futureNames: [],
    futureOffset: 0,
    file: null,
    sourceId: null,
    fileHash: null,
    warnings: [],
    createdAt: '2024-01-01T00:00:00Z',
    ...patch,
  }
}

/** A curve's values as curves.get answers, from a function of the frame. */
export function testCurveData(info: CurveInfo, value: (frame: number) => number): CurveData {
  return { info, values: Float32Array.from({ length: info.length }, (_, f) => value(f)), future: null }
}

/**
 * The fake main side of a test dataset: dataset.open, episode.open and an empty project (or `snapshot`), no curves;
 * `answers` and `fallback` (the test file's) come first.
 */
export function datasetClient(shape: Pick<TestDatasetShape, 'fps' | 'length' | 'episodes'> & Partial<TestDatasetShape>, answers: Answers = {}, fallback: Fallback = {}, snapshot: Partial<ProjectSnapshot> = {}) {
  return fakeClient(answers, {
    'dataset.open': () => testSummary(shape),
    'episode.open': ({ episode }: { episode: number }) => testEpisode(episode, shape),
    'annotations.load': () => testSnapshot(snapshot),
    'annotations.apply': ({ edits }: { edits: unknown[] }) => ({ applied: edits.length }),
    'curves.list': () => [],
    ...fallback,
  } satisfies Fallback)
}

/** Let every pending promise chain run. */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** Open 'd1' and its episode `index` in the player, as the user would, and let what that starts run. */
export async function openPlayer(store: AppStore, index = 0): Promise<void> {
  await store.getState().openDataset('/data/d1')
  await settle()
  await store.getState().openEpisode(index)
  await settle()
}

/** A store on the fake main side of a test dataset (see datasetClient), showing its episode 0 in the player. */
export async function playerStore(shape: Parameters<typeof datasetClient>[0], answers: Answers = {}, fallback: Fallback = {}) {
  const fake = datasetClient(shape, answers, fallback)
  const store = createAppStore(fake.client)
  await openPlayer(store)
  return { ...fake, store }
}

/** A promise per call that the test settles when it likes, to answer out of order. */
export function heldAnswers<T>() {
  const held: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = []
  const answer = (): Promise<T> => new Promise<T>((resolve, reject) => held.push({ resolve, reject }))
  return { held, answer }
}

/** A model as models.list answers: a viva-flow model for 2 cameras and a 14-dimensional state. */
export function testModel(patch: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id: 'm1',
    name: 'viva-reference',
    kind: 'viva-flow',
    dir: '/models/viva-reference',
    source: 'bundled',
    cameras: ['high', 'left'],
    stateDim: 14,
    stateNames: [],
    fps: 30,
    horizon: 8,
    defaultSteps: 4,
    imageSize: [64, 64],
    error: null,
    ...patch,
  }
}

/** Whether model `modelId` fits 'd1' (whose state has 12 dimensions where the model wants 14). */
export function testModelCheck(datasetId: string, modelId: string, ok: boolean): ModelCheck {
  return {
    datasetId,
    modelId,
    issues: ok ? [] : [{ level: 'error', code: 'STATE_DIM', message: 'state has 12 dimensions, viva expects 14' }],
    ok,
    stateMap: null,
    datasetStateDim: 12,
    modelStateDim: 14,
    suggestedStateMap: ok ? null : '0-11,pad:mid,pad:mid',
  }
}

/** A scoring job of model m1 over episode 0, running. */
export function testJob(length: number, patch: Partial<JobInfo> = {}): JobInfo {
  return {
    id: 'j1',
    datasetId: 'd1',
    modelId: 'm1',
    modelName: 'viva',
    episodes: [0],
    steps: 4,
    seed: 0,
    state: 'running',
    episode: 0,
    episodesDone: 0,
    framesDone: 0,
    framesTotal: length,
    framesResumed: 0,
    framesPerSecond: 0,
    etaSeconds: null,
    provider: null,
    error: null,
    episodeErrors: [],
    params: null,
    warnings: [],
    ...patch,
  }
}

/** A player driver that logs what it is asked and reports seeks back as the frame shown. */
export function recordingDriver(store: AppStore, log: string[]): PlayerDriver {
  return {
    seek: (f) => {
      log.push(`seek ${f}`)
      store.getState().reportFrame(f)
    },
    play: () => log.push('play'),
    pause: () => log.push('pause'),
    setSpeed: () => undefined,
  }
}

/** Calls made to the fake main side, by method. */
export function paramsOf(calls: readonly { method: Method; params: unknown }[], method: Method): unknown[] {
  return calls.filter((c) => c.method === method).map((c) => c.params)
}
