import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import type { PipelineProgress } from '../../app/contract'
import { tempDirHooks } from '../testing/tempDir'
import { columnTypes, pipelineFixture, readParquetFile, type PipelineFixture } from './testFixture'

// Acceptance of the training-pipeline outputs that live inside a dataset (issue 18): RLinf's meta/ sidecars, success
// flags and LeRobot language columns in the data files, each written into a copy of a generated v3.0 dataset (several
// episodes per data file) by the app's handler and read back with hyparquet; the source dataset stays as it was.

let dir = ''
tempDirHooks('viva-pipeline-copies-', (d) => (dir = d))
let fx: PipelineFixture
let sourceBefore: Map<string, string>

/** Every file of a folder: relative path → sha256 of its content. */
function digest(root: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.join(rel, e.name)
      if (e.isDirectory()) walk(child)
      else out.set(child, createHash('sha256').update(readFileSync(path.join(root, child))).digest('hex'))
    }
  }
  walk('')
  return out
}

const DATA = 'data/chunk-000/file-000.parquet'

beforeAll(async () => {
  fx = await pipelineFixture(dir, 'v3.0')
  // RLinf merges into what a dataset already has: a mixture config with another tag must keep it.
  writeFileSync(path.join(fx.root, 'mixture_config.yaml'), 'tags:\n  older:\n    unified_threshold: -0.5\n    positive_quantile: 0.3\n')
  sourceBefore = digest(fx.root)
}, 120_000)
afterAll(async () => {
  await fx.services.dispose()
})

describe('dataset copies', () => {
  it('RLinf: meta/returns_<tag>.parquet and meta/advantages_<tag>.parquet in RLinf\'s layout, stats, info and mixture config', async () => {
    const out = path.join(dir, 'rlinf')
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'rlinf', series: fx.series, tag: 'viva', failureReward: -300, k: 10, out })
    expect(r.paths).toEqual([out])

    const returns = await readParquetFile(path.join(out, 'meta', 'returns_viva.parquet'))
    expect(columnTypes(returns.schema)).toEqual([
      ['episode_index', 'INT64', 'REQUIRED'],
      ['frame_index', 'INT64', 'REQUIRED'],
      ['return', 'FLOAT', 'REQUIRED'],
      ['reward', 'FLOAT', 'REQUIRED'],
      ['prompt', 'BYTE_ARRAY', 'REQUIRED'],
    ])
    expect(returns.rows).toHaveLength(fx.lengths.reduce((a, b) => a + b, 0))
    for (const row of returns.rows) {
      const e = Number(row.episode_index)
      const T = fx.lengths[e] as number
      const f = Number(row.frame_index)
      const last = fx.truth.episodes[e]?.outcome === 'success' ? 0 : -300
      expect(row.reward).toBe(f === T - 1 ? last : -1)
      expect(row.return).toBe(-(T - 1 - f) + last)
      expect(row.prompt).toBe(fx.truth.dataset.episodes[e]?.tasks[0])
    }

    const advantages = await readParquetFile(path.join(out, 'meta', 'advantages_viva.parquet'))
    expect(columnTypes(advantages.schema)).toEqual([
      ['episode_index', 'INT64', 'REQUIRED'],
      ['frame_index', 'INT64', 'REQUIRED'],
      ['advantage_continuous', 'DOUBLE', 'REQUIRED'],
      ['return', 'DOUBLE', 'REQUIRED'],
      ['value_current', 'DOUBLE', 'REQUIRED'],
      ['value_next', 'DOUBLE', 'REQUIRED'],
      ['reward_sum', 'DOUBLE', 'REQUIRED'],
      ['reward_sum_raw', 'DOUBLE', 'REQUIRED'],
      ['num_valid_rewards', 'INT64', 'REQUIRED'],
      ['dataset_name', 'BYTE_ARRAY', 'REQUIRED'],
      ['advantage', 'BOOLEAN', 'REQUIRED'],
    ])
    const mixture = parseYaml(readFileSync(path.join(out, 'mixture_config.yaml'), 'utf8')) as { tags: Record<string, { unified_threshold: number; positive_quantile: number }> }
    expect(mixture.tags.older).toEqual({ unified_threshold: -0.5, positive_quantile: 0.3 })
    const threshold = mixture.tags.viva?.unified_threshold as number
    expect(mixture.tags.viva?.positive_quantile).toBe(0.3)
    // The same advantages the value panel shows for each episode's curve (dataset-wide threshold, same K).
    const curves = (await fx.call('curves.list', { datasetId: fx.datasetId, episode: 0 })).length
    expect(curves).toBe(1)
    let positives = 0
    for (let e = 0; e < fx.lengths.length; e++) {
      const curveId = (await fx.call('curves.list', { datasetId: fx.datasetId, episode: e }))[0]?.id as string
      const shown = await fx.call('advantages.compute', { datasetId: fx.datasetId, curveId, k: 10, scope: 'dataset' })
      expect(shown.threshold).toBeCloseTo(threshold, 9)
      const rows = advantages.rows.filter((x) => Number(x.episode_index) === e)
      expect(rows.map((x) => Number(x.frame_index))).toEqual([...Array(fx.lengths[e]).keys()])
      rows.forEach((x, f) => {
        expect(x.advantage_continuous as number).toBeCloseTo(shown.advantages[f] as number, 5)
        expect(x.advantage).toBe((x.advantage_continuous as number) >= threshold)
        expect(x.value_current as number).toBeCloseTo(2 * Math.fround(fx.ramp(e, f)) - 2, 6)
        expect(x.dataset_name).toBe('rlinf')
      })
      positives += rows.filter((x) => x.advantage).length
    }
    expect(positives / advantages.rows.length).toBeGreaterThanOrEqual(0.3)
    expect(positives / advantages.rows.length).toBeLessThan(0.35)

    const stats = JSON.parse(readFileSync(path.join(out, 'meta', 'stats.json'), 'utf8')) as Record<string, unknown>
    const firstReturns = fx.lengths.map((T, e) => -(T - 1) + (fx.truth.episodes[e]?.outcome === 'success' ? 0 : -300))
    expect(stats.return).toMatchObject({ min: Math.min(...firstReturns), max: 0 })
    expect(stats.reward).toMatchObject({ min: -300, max: 0 })
    expect(Object.keys(stats).length).toBeGreaterThan(2)
    const info = JSON.parse(readFileSync(path.join(out, 'meta', 'info.json'), 'utf8')) as { features: Record<string, unknown> }
    expect(info.features.return).toEqual({ dtype: 'float32', shape: [1], names: null })
    expect(info.features.prompt).toEqual({ dtype: 'string', shape: [1], names: null })
    expect(info.features['observation.state']).toBeDefined()
    // Data files are copies, videos hard links (nothing changes them); the source is untouched.
    expect(readFileSync(path.join(out, DATA)).equals(readFileSync(path.join(fx.root, DATA)))).toBe(true)
    const video = readdirSync(path.join(fx.root, 'videos'))[0] as string
    const rel = path.join('videos', video, 'chunk-000', 'file-000.mp4')
    expect(statSync(path.join(out, rel)).ino).toBe(statSync(path.join(fx.root, rel)).ino)
    expect(digest(fx.root)).toEqual(sourceBefore)
  })

  it('RLinf refuses a filtered export and an output folder that is not empty, naming the path', async () => {
    const out = path.join(dir, 'rlinf-filtered')
    await expect(
      fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'rlinf', series: fx.series, tag: 'viva', failureReward: -300, out, filters: { outcomes: ['success'] } }),
    ).rejects.toThrow(`${out}: RLinf reads every frame of every episode`)
    expect(existsSync(out)).toBe(false)
    const full = path.join(dir, 'full')
    mkdirSync(full)
    writeFileSync(path.join(full, 'keep.txt'), 'mine')
    await expect(fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'rlinf', series: fx.series, tag: 'viva', failureReward: -300, out: full })).rejects.toThrow(
      `${full} already exists and is not an empty folder`,
    )
    expect(readdirSync(full)).toEqual(['keep.txt'])
    await expect(fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'rlinf', series: fx.series, tag: 'viva', failureReward: -300, out: path.join(fx.root, 'copy') })).rejects.toThrow(
      'it is inside the dataset',
    )
  })

  it('success flags: a copy whose data files carry next.success and is_success, every other column as it was', async () => {
    const out = path.join(dir, 'flags-copy')
    const progress: PipelineProgress[] = []
    const off = fx.services.events.subscribe((name, payload) => name === 'pipelines.progress' && progress.push(payload as PipelineProgress))
    await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'success-flags', copy: true, out, token: 'window-1' })
    off()
    // The window's token on every event, from none to all of the copy's files.
    const total = digest(out).size
    expect(progress[0]).toEqual({ token: 'window-1', done: 0, total })
    expect(progress.at(-1)).toEqual({ token: 'window-1', done: total, total })
    const before = await readParquetFile(path.join(fx.root, DATA))
    const after = await readParquetFile(path.join(out, DATA))
    expect(after.schema.slice(1, -2)).toEqual(before.schema.slice(1))
    expect(columnTypes(after.schema).slice(-2)).toEqual([
      ['next.success', 'BOOLEAN', 'REQUIRED'],
      ['is_success', 'BOOLEAN', 'REQUIRED'],
    ])
    after.rows.forEach((row, i) => {
      const e = Number(row.episode_index)
      const flag = fx.truth.episodes[e]?.outcome === 'success' && Number(row.frame_index) === (fx.lengths[e] as number) - 1
      expect(row).toEqual({ ...before.rows[i], 'next.success': flag, is_success: flag })
    })
    const info = JSON.parse(readFileSync(path.join(out, 'meta', 'info.json'), 'utf8')) as { features: Record<string, unknown> }
    expect(info.features.is_success).toEqual({ dtype: 'bool', shape: [1], names: null })
    expect(digest(fx.root)).toEqual(sourceBefore)
  })

  it('LeRobot language: language_persistent rows per episode at the data rows\' own timestamps, LeRobot\'s arrow type', async () => {
    const out = path.join(dir, 'language')
    await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-language', out })
    const before = await readParquetFile(path.join(fx.root, DATA))
    const after = await readParquetFile(path.join(out, DATA))
    // huggingface/lerobot src/lerobot/datasets/language.py language_persistent_row_arrow_type, as parquet lists it.
    expect(after.schema.slice(before.schema.length, before.schema.length + 11).map((e) => [e.name, e.type ?? null, e.repetition_type, e.converted_type ?? null])).toEqual([
      ['language_persistent', null, 'OPTIONAL', 'LIST'],
      ['list', null, 'REPEATED', null],
      ['element', null, 'OPTIONAL', null],
      ['role', 'BYTE_ARRAY', 'REQUIRED', 'UTF8'],
      ['content', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['style', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['timestamp', 'FLOAT', 'REQUIRED', null],
      ['camera', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['tool_calls', null, 'OPTIONAL', 'LIST'],
      ['list', null, 'REPEATED', null],
      ['element', 'BYTE_ARRAY', 'OPTIONAL', 'JSON'],
    ])
    const stamp = (e: number, f: number) => before.rows.find((x) => Number(x.episode_index) === e && Number(x.frame_index) === f)?.timestamp as number
    const stages = fx.truth.taxonomies[0]?.milestones as string[]
    for (let e = 0; e < fx.lengths.length; e++) {
      const ms = fx.truth.events.filter((x) => x.episode === e && x.kind === 'milestone').sort((a, b) => a.frame - b.frame)
      // A row at the first frame of each completed stage; a failed episode also gets the stage it was in.
      const expected = ms.map((m, k) => [m.label, k === 0 ? 0 : (ms[k - 1]?.frame as number) + 1])
      if (ms.length < stages.length) expected.push([stages[ms.length] as string, (ms.at(-1)?.frame as number) + 1])
      const rows = after.rows.filter((x) => Number(x.episode_index) === e)
      expect(rows).toHaveLength(fx.lengths[e] as number)
      for (const row of rows) {
        const persistent = (row.language_persistent as Record<string, unknown>[]).map((x) => ({ ...x, tool_calls: x.tool_calls ?? null }))
        expect(persistent).toEqual(expected.map(([content, f]) => ({ role: 'assistant', content, style: 'subtask', timestamp: Math.fround(stamp(e, f as number)), camera: null, tool_calls: null })))
        expect(row.language_events).toEqual([])
      }
    }
    after.rows.forEach((row, i) => {
      const { language_persistent: _p, language_events: _e, ...rest } = row
      expect(rest).toEqual(before.rows[i])
    })
    const info = JSON.parse(readFileSync(path.join(out, 'meta', 'info.json'), 'utf8')) as { features: Record<string, unknown> }
    expect(info.features.language_persistent).toEqual({ dtype: 'language', shape: [1], names: null })
    expect(info.features.language_events).toEqual({ dtype: 'language', shape: [1], names: null })
    expect(digest(fx.root)).toEqual(sourceBefore)
  })

  it('LeRobot SARM: dense subtasks in meta/episodes as LeRobot types them, the proportion files, the source untouched', async () => {
    const out = path.join(dir, 'sarm')
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-sarm', out })
    const rel = 'meta/episodes/chunk-000/file-000.parquet'
    const before = await readParquetFile(path.join(fx.root, rel))
    const after = await readParquetFile(path.join(out, rel))
    // pyarrow's types for the lists pandas writes: list<string>, list<double>, list<int64>, three levels each.
    const added = after.schema.slice(before.schema.length).filter((e) => e.repetition_type === 'OPTIONAL' && e.converted_type === 'LIST').map((e) => e.name)
    expect(added).toEqual(['dense_', 'sparse_', ''].flatMap((p) => ['names', 'start_times', 'end_times', 'start_frames', 'end_frames'].map((c) => `${p}subtask_${c}`)))
    expect(after.schema.filter((e) => e.name === 'element').slice(-5).map((e) => e.type)).toEqual(['BYTE_ARRAY', 'DOUBLE', 'DOUBLE', 'INT64', 'INT64'])
    const stages = fx.truth.taxonomies[0]?.milestones as string[]
    const complete: number[] = []
    for (const row of after.rows) {
      const e = Number(row.episode_index)
      const ms = fx.truth.events.filter((x) => x.episode === e && x.kind === 'milestone').sort((a, b) => a.frame - b.frame)
      const { dense_subtask_names: names, dense_subtask_start_frames: starts, dense_subtask_end_frames: ends, ...rest } = row
      expect(names ?? null).toEqual(ms.length === 0 ? null : ms.map((m) => m.label))
      expect(ends ?? null).toEqual(ms.length === 0 ? null : ms.map((m) => BigInt(m.frame)))
      expect(starts ?? null).toEqual(ms.length === 0 ? null : ms.map((m, k) => BigInt(k === 0 ? 0 : (ms[k - 1]?.frame as number))))
      expect(rest.sparse_subtask_names).toEqual(['task'])
      expect(rest.sparse_subtask_end_frames).toEqual([BigInt((fx.lengths[e] as number) - 1)])
      if (ms.at(-1)?.label === stages.at(-1)) complete.push(e)
    }
    const dense = JSON.parse(readFileSync(path.join(out, 'meta', 'temporal_proportions_dense.json'), 'utf8')) as Record<string, number>
    expect(Object.keys(dense)).toEqual(stages)
    expect(Object.values(dense).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
    expect(JSON.parse(readFileSync(path.join(out, 'meta', 'temporal_proportions_sparse.json'), 'utf8'))).toEqual({ task: 1 })
    expect(r.usage).toContain('--reward_model.type=sarm --reward_model.annotation_mode=dense_only --reward_model.image_key=observation.images.')
    expect(r.usage).toContain('--policy.type=sarm --policy.annotation_mode=dense_only --policy.image_key=observation.images.')
    if (complete.length < fx.lengths.length) expect(r.usage).toContain(`--dataset.episodes='[${complete.join(',')}]'`)
    expect(digest(fx.root)).toEqual(sourceBefore)
  })

  it('reads SARM subtasks back as milestones: a new taxonomy with the stages in order, the same events, then nothing new', async () => {
    const out = path.join(dir, 'sarm-back')
    await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-sarm', out })
    const copy = (await fx.services.datasets.open(out)).id
    // Same frames and videos as the source: the app offers the source's project; this copy starts its own.
    await fx.call('dataset.reattachProject', { datasetId: copy, action: 'fresh' })
    const expected = fx.truth.events.filter((e) => e.kind === 'milestone').map((e) => `${e.episode}:${e.frame}:${e.label}`).sort()
    const check = await fx.call('pipelines.importSarm', { datasetId: copy, mode: 'merge', dryRun: true })
    expect(check).toMatchObject({ dryRun: true, head: 'dense', milestonesAdded: expected.length, milestonesKept: 0, unknownLabels: [] })
    expect(check.stages).toEqual(fx.truth.taxonomies[0]?.milestones)
    expect(check.taxonomiesCreated.length).toBeGreaterThan(0)
    expect(fx.services.projects.store(copy).load().events.size).toBe(0)
    await fx.call('pipelines.importSarm', { datasetId: copy, mode: 'merge' })
    const events = [...fx.services.projects.store(copy).load().events.values()]
    expect(events.map((e) => `${e.episode}:${e.frame}:${e.label}`).sort()).toEqual(expected)
    expect(new Set(events.map((e) => e.annotator))).toEqual(new Set(['sarm']))
    const again = await fx.call('pipelines.importSarm', { datasetId: copy, mode: 'merge', dryRun: true })
    expect(again).toMatchObject({ milestonesAdded: 0, milestonesKept: expected.length, taxonomiesCreated: [] })
  })
})
