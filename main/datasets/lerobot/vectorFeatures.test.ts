import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NumericFeatureInfo } from '../../../app/dataset'
import { composeServices, type Services } from '../../compose'
import { DATASET_SETTINGS_FILE } from '../datasetSettings'
import { openLeRobotDataset } from './lerobot'
import { parseInfo } from './lerobotInfo'
import { patternStateNames, patternStateValue, writePatternDataset } from '../../synth/patternDataset'
import { chooseState, rankStateCandidates, stateTier } from './vectorFeatures'

// Issue 14, item 2: state and action under other keys than observation.state / action.

const feature = (key: string, dim = 3): NumericFeatureInfo => ({ key, dtype: 'float32', dim, names: Array.from({ length: dim }, (_, i) => `${key}_${i}`) })

describe('the state ranking', () => {
  it('prefers observation.state, then names with "state", then qpos/joint/position; never actions, rewards or indices', () => {
    expect(stateTier('state').tier).toBe(3)
    expect(stateTier('observation.states').tier).toBe(3)
    expect(stateTier('robot_state').tier).toBe(3)
    expect(stateTier('observation.qpos').tier).toBe(2)
    expect(stateTier('joint_positions').tier).toBe(2)
    for (const key of ['actions', 'action', 'next.reward', 'next.done', 'action.joint_position', 'annotation.human.validity', 'observation.velocity']) {
      expect(stateTier(key).tier, key).toBe(0)
    }
    const features = [feature('actions'), feature('observation.velocity'), feature('joint_positions'), feature('state'), feature('observation.qpos')]
    expect(rankStateCandidates(features).map((c) => c.key)).toEqual(['state', 'observation.qpos', 'joint_positions'])
    expect(chooseState(features, null).choice).toMatchObject({ key: 'state', by: 'name' })
    expect(chooseState(features, null).choice.reason).toContain('"state"')
    expect(chooseState([...features, feature('observation.state', 14)], null).choice).toMatchObject({ key: 'observation.state', by: 'standard' })
    // A saved choice wins while the dataset has it; when it is gone the automatic pick says so.
    expect(chooseState(features, 'observation.qpos').choice).toMatchObject({ key: 'observation.qpos', by: 'saved' })
    expect(chooseState(features, 'gone').choice.reason).toContain('the chosen state gone is not in this dataset')
    expect(chooseState([feature('actions'), feature('next.reward', 1)], null).choice).toMatchObject({ key: null, by: 'none' })
  })

  it('reads every numeric vector feature of info.json with its names (flat, nested, dict), not cameras, strings or bookkeeping', () => {
    const info = parseInfo(
      JSON.stringify({
        codebase_version: 'v2.1',
        fps: 30,
        features: {
          'observation.images.top': { dtype: 'video', shape: [48, 64, 3], names: ['height', 'width', 'channel'] },
          state: { dtype: 'float64', shape: [2], names: [['a', 'b']] },
          actions: { dtype: 'float32', shape: [2], names: { motors: ['ma', 'mb'] } },
          'observation.effort': { dtype: 'float32', shape: [3], names: null },
          'next.reward': { dtype: 'float32', shape: [1], names: null },
          'next.done': { dtype: 'bool', shape: [1], names: null },
          'language_instruction': { dtype: 'string', shape: [1], names: null },
          timestamp: { dtype: 'float32', shape: [1], names: null },
          frame_index: { dtype: 'int64', shape: [1], names: null },
          episode_index: { dtype: 'int64', shape: [1], names: null },
          index: { dtype: 'int64', shape: [1], names: null },
          task_index: { dtype: 'int64', shape: [1], names: null },
        },
      }),
      'v2',
    )
    expect(info.features).toEqual([
      { key: 'state', dtype: 'float64', dim: 2, names: ['a', 'b'] },
      { key: 'actions', dtype: 'float32', dim: 2, names: ['ma', 'mb'] },
      { key: 'observation.effort', dtype: 'float32', dim: 3, names: ['effort_0', 'effort_1', 'effort_2'] },
      { key: 'next.reward', dtype: 'float32', dim: 1, names: ['next.reward'] },
    ])
    expect(info.state).toEqual({ key: 'state', dim: 2, names: ['a', 'b'] })
    expect(info.stateChoice.by).toBe('name')
    const guessed = info.warnings.find((w) => w.code === 'STATE_KEY_GUESSED')
    expect(guessed?.message).toContain('state is the most state-like feature')
    expect(info.warnings.map((w) => w.code)).not.toContain('STATE_MISSING')
  })
})

describe('a dataset whose state is `state` and action `actions` (with velocity and effort)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-vectors-'))
  const root = path.join(dir, 'renamed')
  const FPS = 10
  const DIM = 6
  let services: Services

  beforeAll(async () => {
    await writePatternDataset({
      out: root,
      format: 'v2.1',
      lengths: [12, 9],
      fps: FPS,
      stateDim: DIM,
      cameras: [{ key: 'observation.images.cam_high', width: 64, height: 48 }],
      quirks: { vectorKeys: { state: 'state', action: 'actions' }, extraVectors: ['velocity', 'effort'] },
    })
    services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  }, 60_000)
  afterAll(async () => {
    await services.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('has a state (not "no state vector") and lists state, actions, velocity and effort with their names', async () => {
    const ds = await openLeRobotDataset(root)
    expect(ds.summary.state).toEqual({ key: 'state', dim: DIM, names: patternStateNames(DIM) })
    expect(ds.summary.stateChoice).toMatchObject({ key: 'state', by: 'name' })
    expect(ds.summary.features.map((f) => f.key)).toEqual(['state', 'actions', 'observation.velocity', 'observation.effort'])
    for (const f of ds.summary.features) expect(f.names).toEqual(patternStateNames(DIM))
  })

  it('loads the asked features frame-indexed as Float32Arrays: the action is the next frame state', async () => {
    const ds = await openLeRobotDataset(root)
    const ep = await ds.loadEpisode(1, undefined, { features: ['actions', 'observation.velocity', 'state'] })
    expect(ep.state?.key).toBe('state')
    expect(ep.features.map((f) => f.key)).toEqual(['actions', 'observation.velocity', 'state'])
    const [actions, velocity, state] = ep.features
    expect(actions?.values).toBeInstanceOf(Float32Array)
    expect(actions?.values.length).toBe(9 * DIM)
    for (let f = 0; f < 9; f++) {
      for (let j = 0; j < DIM; j++) {
        expect(state?.values[f * DIM + j]).toBe(Math.fround(patternStateValue(1, FPS, 1, f, j)))
        expect(actions?.values[f * DIM + j]).toBe(Math.fround(patternStateValue(1, FPS, 1, f + 1, j)))
      }
    }
    expect(velocity?.values[0]).toBeCloseTo((Math.fround(patternStateValue(1, FPS, 1, 1, 0)) - Math.fround(patternStateValue(1, FPS, 1, 0, 0))) * FPS, 3)
    // Nothing asked, nothing extra read.
    expect((await ds.loadEpisode(0)).features).toEqual([])
  })

  it('lets the user pick another feature as the state, remembered for the dataset across restarts', async () => {
    const summary = await services.datasets.open(root)
    const changed = await services.handlers['dataset.setStateKey']({ datasetId: summary.id, key: 'observation.effort' }, { signal: new AbortController().signal })
    expect(changed.state?.key).toBe('observation.effort')
    expect(changed.stateChoice.by).toBe('saved')
    const view = await services.datasets.openEpisode(summary.id, 0, undefined, ['actions', 'not-a-feature'])
    expect(view.state?.key).toBe('observation.effort')
    expect(view.features.map((f) => f.key)).toEqual(['actions'])
    expect(JSON.parse(readFileSync(path.join(dir, 'data', DATASET_SETTINGS_FILE), 'utf8'))).toMatchObject({ datasets: { [summary.id]: { stateKey: 'observation.effort' } } })

    const again = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
    try {
      expect((await again.datasets.open(root)).state?.key).toBe('observation.effort')
      await expect(again.datasets.setStateKey(summary.id, 'timestamp')).rejects.toThrow(/has no numeric feature "timestamp"/)
      expect((await again.datasets.setStateKey(summary.id, null)).stateChoice).toMatchObject({ key: 'state', by: 'name' })
      await expect(again.datasets.episodeFeatures(summary.id, 0, ['nope'])).rejects.toThrow(/no numeric feature "nope"/)
    } finally {
      await again.dispose()
    }
  })
})
