import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tempDirHooks } from '../testing/tempDir'
import { columnTypes, pipelineFixture, readParquetFile, type PipelineFixture } from './testFixture'

// Acceptance of the training-pipeline files that are single files (issue 18): each written by the app's handler on a
// generated dataset, read back with hyparquet (or parsed as JSON and checked against the consumer's schema) and
// compared with the imported ground truth and the ramp curve.

let dir = ''
tempDirHooks('viva-pipelines-', (d) => (dir = d))
let fx: PipelineFixture

beforeAll(async () => {
  fx = await pipelineFixture(dir)
}, 120_000)
afterAll(async () => {
  await fx.services.dispose()
})

/** The dataset's own global index per "episode:frame", read from its data files with hyparquet. */
async function datasetIndex(root: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  const dataDir = path.join(root, 'data', 'chunk-000')
  for (const name of readdirSync(dataDir).sort()) {
    for (const r of (await readParquetFile(path.join(dataDir, name))).rows) out.set(`${String(r.episode_index)}:${String(r.frame_index)}`, r.index as bigint)
  }
  return out
}

/** SARM's stage targets worked out here from the ground truth (eq. 1 proportions, τ linear within a stage). */
function expectedSparse(fx: PipelineFixture): Map<number, number[]> {
  const stages = fx.truth.taxonomies[0]?.milestones as string[]
  const milestones = (e: number) => fx.truth.events.filter((x) => x.episode === e && x.kind === 'milestone').sort((a, b) => a.frame - b.frame)
  const shares: number[][] = stages.map(() => [])
  for (let e = 0; e < fx.lengths.length; e++) {
    const m = milestones(e)
    const total = m.at(-1)?.frame ?? 0
    m.forEach((x, k) => (shares[k] as number[]).push((x.frame - (k === 0 ? 0 : (m[k - 1]?.frame as number))) / total))
  }
  const mean = shares.map((s) => s.reduce((a, b) => a + b, 0) / s.length)
  const sum = mean.reduce((a, b) => a + b, 0)
  const b = [0]
  for (const p of mean) b.push((b.at(-1) as number) + p / sum)
  const out = new Map<number, number[]>()
  for (let e = 0; e < fx.lengths.length; e++) {
    const m = milestones(e)
    const values: number[] = []
    for (let f = 0; f < (fx.lengths[e] as number); f++) {
      const k = m.findIndex((x) => f <= x.frame)
      if (k < 0) values.push(b[m.length] as number)
      else {
        const from = k === 0 ? 0 : (m[k - 1]?.frame as number)
        const tau = (f - from) / ((m[k]?.frame as number) - from)
        values.push((b[k] as number) + Math.max(0, tau) * ((b[k + 1] as number) - (b[k] as number)))
      }
    }
    out.set(e, values)
  }
  return out
}

describe('LeRobot RA-BC progress (sarm_progress.parquet)', () => {
  it('holds every frame in global index order with the dataset\'s index, SARM stage targets and the chosen curve', async () => {
    const out = path.join(dir, 'progress')
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-progress', series: fx.series, out })
    expect(r.paths).toEqual([path.join(out, 'sarm_progress.parquet')])
    const { rows, schema } = await readParquetFile(r.paths[0] as string)
    expect(columnTypes(schema)).toEqual([
      ['index', 'INT64', 'REQUIRED'],
      ['episode_index', 'INT64', 'REQUIRED'],
      ['frame_index', 'INT64', 'REQUIRED'],
      ['progress_sparse', 'FLOAT', 'REQUIRED'],
      ['progress_dense', 'FLOAT', 'REQUIRED'],
    ])
    expect(rows).toHaveLength(fx.lengths.reduce((a, b) => a + b, 0))
    const index = await datasetIndex(fx.root)
    const sparse = expectedSparse(fx)
    let previous = -1n
    for (const row of rows) {
      const e = Number(row.episode_index)
      const f = Number(row.frame_index)
      expect(row.index as bigint).toBeGreaterThan(previous)
      previous = row.index as bigint
      expect(row.index).toBe(index.get(`${e}:${f}`))
      expect(row.progress_sparse as number).toBeCloseTo((sparse.get(e) as number[])[f] as number, 6)
      expect(row.progress_dense).toBe(Math.fround(fx.ramp(e, f)))
    }
    // A success reaches 1 at its last milestone; the failure stays where its last milestone left it.
    const last = (e: number) => rows.filter((x) => Number(x.episode_index) === e).at(-1)?.progress_sparse
    expect(last(0)).toBe(1)
    expect(last(2) as number).toBeLessThan(0.5)
    expect(r.usage).toContain(`--sample_weighting.progress_path=${r.paths[0]}`)
    expect(r.usage).toContain(`--rabc_progress_path=${r.paths[0]}`)
  })

  it('keeps the dataset\'s index for a filtered subset and leaves the dense column out without a series', async () => {
    const out = path.join(dir, 'subset.parquet')
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-progress', out, filters: { episodeRange: [1, 2] } })
    expect(r.paths).toEqual([out])
    const { rows, schema } = await readParquetFile(out)
    expect(columnTypes(schema).map((c) => c[0])).toEqual(['index', 'episode_index', 'frame_index', 'progress_sparse'])
    const index = await datasetIndex(fx.root)
    expect(rows[0]).toMatchObject({ episode_index: 1n, frame_index: 0n, index: index.get('1:0') })
    expect(rows[0]?.index).toBe(BigInt(fx.lengths[0] as number))
    expect(rows).toHaveLength((fx.lengths[1] as number) + (fx.lengths[2] as number))
  })
})

describe('success flags (sidecar)', () => {
  it('marks the last frame of each successful episode, in both columns, as REQUIRED booleans', async () => {
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'success-flags', out: path.join(dir, 'flags') })
    const { rows, schema } = await readParquetFile(r.paths[0] as string)
    expect(path.basename(r.paths[0] as string)).toBe('success_flags.parquet')
    expect(columnTypes(schema)).toEqual([
      ['index', 'INT64', 'REQUIRED'],
      ['episode_index', 'INT64', 'REQUIRED'],
      ['frame_index', 'INT64', 'REQUIRED'],
      ['next.success', 'BOOLEAN', 'REQUIRED'],
      ['is_success', 'BOOLEAN', 'REQUIRED'],
    ])
    const success = new Set(fx.truth.episodes.filter((e) => e.outcome === 'success').map((e) => e.episode))
    expect(success.size).toBe(2)
    for (const row of rows) {
      const e = Number(row.episode_index)
      const expected = success.has(e) && Number(row.frame_index) === (fx.lengths[e] as number) - 1
      expect(row['next.success']).toBe(expected)
      expect(row.is_success).toBe(expected)
    }
    expect(rows.filter((x) => x.is_success)).toHaveLength(2)
  })

  it('refuses episodes whose outcome is unknown, naming them, unless they count as failures', async () => {
    const at = '2026-02-01T00:00:00.000Z'
    const flip = (from: 'failure' | 'unknown', to: 'failure' | 'unknown', beforeAt: string) =>
      fx.call('annotations.apply', { datasetId: fx.datasetId, edits: [{ op: 'episode.update', episode: 2, before: { outcome: from }, after: { outcome: to }, at, beforeAt }] })
    await flip('failure', 'unknown', '2026-01-01T00:00:00.000Z')
    try {
      const out = path.join(dir, 'unknown.parquet')
      await expect(fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'success-flags', out })).rejects.toThrow(`${out}: episodes 2 have no outcome (success or failure)`)
      const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'success-flags', out, unknown: 'failure' })
      expect((await readParquetFile(r.paths[0] as string)).rows.filter((x) => x.is_success)).toHaveLength(2)
    } finally {
      await flip('unknown', 'failure', at)
    }
  })
})

// Label Studio's task JSON for TimelineLabels (docs/source/tags/timelinelabels.md), written out independently here.
const labelStudioTasks = z.array(
  z.object({
    data: z.object({ video: z.string().min(1), fps: z.number().positive(), episode_index: z.number().int().min(0), task: z.string() }).strict(),
    annotations: z
      .array(
        z.object({
          result: z.array(
            z
              .object({
                id: z.string().min(1),
                type: z.literal('timelinelabels'),
                from_name: z.literal('videoLabels'),
                to_name: z.literal('video'),
                value: z.object({ ranges: z.array(z.object({ start: z.number().int().min(1), end: z.number().int().min(1) }).strict()).length(1), timelinelabels: z.array(z.string()).length(1) }).strict(),
              })
              .strict(),
          ),
        }).strict(),
      )
      .length(1),
  }).strict(),
)

describe('Label Studio TimelineLabels', () => {
  const file = () => path.join(dir, 'ls', 'tasks.json')
  const milestones = async () =>
    (await fx.call('annotations.load', { datasetId: fx.datasetId })).events
      .filter((e) => e.kind === 'milestone')
      .map((e) => [e.episode, e.frame, e.label])
      .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number))
  const truthMilestones = () =>
    fx.truth.events
      .filter((e) => e.kind === 'milestone')
      .map((e) => [e.episode, e.frame, e.label])
      .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number))

  it('exports one task per episode whose 1-based ranges end at the milestones, and its labeling config', async () => {
    const r = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'label-studio', out: file(), videoUrl: '/data/local-files/?d=clips/ep{episode6}.mp4' })
    expect(r.paths).toEqual([file(), path.join(dir, 'ls', 'tasks.config.xml')])
    const tasks = labelStudioTasks.parse(JSON.parse(readFileSync(file(), 'utf8')))
    expect(tasks.map((t) => t.data.episode_index)).toEqual([0, 1, 2])
    expect(tasks[0]?.data).toMatchObject({ video: '/data/local-files/?d=clips/ep000000.mp4', fps: 10 })
    for (const t of tasks) {
      const ms = truthMilestones().filter((m) => m[0] === t.data.episode_index)
      const regions = t.annotations[0]?.result ?? []
      expect(regions.map((x) => [x.value.ranges[0]?.end, x.value.timelinelabels[0]])).toEqual(ms.map((m) => [(m[1] as number) + 1, m[2]]))
      // Segments tile the episode from its first frame to its last milestone.
      regions.forEach((x, i) => expect(x.value.ranges[0]?.start).toBe(i === 0 ? 1 : (regions[i - 1]?.value.ranges[0]?.end as number) + 1))
    }
    const config = readFileSync(r.paths[1] as string, 'utf8')
    expect(config).toContain('<Video name="video" value="$video" frameRate="$fps" />')
    for (const label of fx.truth.taxonomies[0]?.milestones ?? []) expect(config).toContain(`<Label value="${label}" />`)
  })

  it('round trip: the export imported back gives the same milestones; an edited range moves one', async () => {
    const text = readFileSync(file(), 'utf8')
    const same = await fx.call('pipelines.importLabelStudio', { datasetId: fx.datasetId, name: 'tasks.json', text, mode: 'replace', dryRun: true })
    expect(same).toMatchObject({ dryRun: true, episodes: 3, milestonesAdded: 0, milestonesRemoved: 0, milestonesKept: 9, unknownLabels: [] })
    // Remove every milestone, then import: the project holds the annotated milestones again.
    const events = (await fx.call('annotations.load', { datasetId: fx.datasetId })).events.filter((e) => e.kind === 'milestone')
    await fx.call('annotations.apply', { datasetId: fx.datasetId, edits: events.map((event) => ({ op: 'event.delete' as const, event })) })
    const merged = await fx.call('pipelines.importLabelStudio', { datasetId: fx.datasetId, name: 'tasks.json', text, mode: 'merge' })
    expect(merged).toMatchObject({ dryRun: false, milestonesAdded: 9, milestonesRemoved: 0 })
    expect(await milestones()).toEqual(truthMilestones())
    const imported = (await fx.call('annotations.load', { datasetId: fx.datasetId })).events.filter((e) => e.kind === 'milestone')
    expect(new Set(imported.map((e) => e.annotator))).toEqual(new Set(['label-studio']))

    const tasks = JSON.parse(text) as { annotations: { result: { value: { ranges: { end: number }[] } }[] }[] }[]
    const lift = tasks[0]?.annotations[0]?.result[1]?.value.ranges[0] as { end: number }
    const before = lift.end
    lift.end += 2
    const moved = await fx.call('pipelines.importLabelStudio', { datasetId: fx.datasetId, name: 'edited.json', text: JSON.stringify(tasks), mode: 'replace' })
    expect(moved).toMatchObject({ milestonesAdded: 1, milestonesRemoved: 1, milestonesKept: 8 })
    expect((await milestones()).filter((m) => m[0] === 0)[1]).toEqual([0, before + 1, 'Lift object'])
    // Errors are not Label Studio's: the failure's error is still there.
    expect((await fx.call('annotations.load', { datasetId: fx.datasetId })).events.filter((e) => e.kind === 'error')).toHaveLength(1)
  })

  it('refuses bad files whole, naming the file and the problem', async () => {
    const bad = (text: string) => fx.call('pipelines.importLabelStudio', { datasetId: fx.datasetId, name: 'bad.json', text, mode: 'merge' })
    await expect(bad('[{"data": ')).rejects.toThrow(/^bad\.json: not JSON/)
    await expect(bad('[{"data": {"video": "a.mp4"}, "annotations": []}]')).rejects.toThrow('bad.json: task [0].data.episode_index')
    await expect(bad('[{"data": {"episode_index": 9}, "annotations": []}]')).rejects.toThrow('bad.json: task [0]: episode 9 is not an episode of this dataset')
    const past = { data: { episode_index: 2 }, annotations: [{ result: [{ type: 'timelinelabels', value: { ranges: [{ start: 1, end: 999 }], timelinelabels: ['Grasp object'] } }] }] }
    await expect(bad(JSON.stringify([past]))).rejects.toThrow("bad.json: task [0].annotations.result[0]: the range ends at Label Studio frame 999, past episode 2's 52 frames")
    // Nothing was applied by any of them.
    expect((await milestones()).length).toBe(9)
  })
})
