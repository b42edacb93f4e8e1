import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriesKey, toDisplay } from '../../app/curves'
import { rejected } from '../../app/testing/thrown'
import { composeServices, type Services } from '../compose'
import { generateTaskDataset } from '../synth/taskDataset'
import { PACKAGE_ROOT } from '../paths'

const run = promisify(execFile)
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-analysis-'))
const dataset = path.join(root, 'ds')
const truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
let services: Services
let datasetId: string
const signal = new AbortController().signal

beforeAll(async () => {
  await generateTaskDataset({ out: dataset, episodes: 3, seed: 4, fps: 10, width: 128, height: 96, failureRate: 0.5 })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data'), hwaccel: false })
  datasetId = (await services.datasets.open(dataset)).id
  await services.projects.import(datasetId, readFileSync(truthFile, 'utf8'), 'replace')
  const models = await services.models.list()
  for (const name of ['viva-reference', 'baseline-reference']) {
    const job = await services.scoring.start({ datasetId, modelId: models.find((m) => m.name === name)!.id, episodes: [], provider: 'cpu' })
    expect((await services.scoring.wait(job.id)).state).toBe('done')
  }
}, 180_000)

afterAll(async () => {
  await services.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('metrics and advantages over a scored, annotated dataset', () => {
  it('metrics.compute: one table with ground truth and both models; export labels the variant', async () => {
    const report = await services.handlers['metrics.compute']({ datasetId, window: { frames: 5 }, variant: 'relative' }, { signal })
    expect(report.tasks).toHaveLength(1)
    const names = new Map(report.series.map((s) => [s.key, s.name]))
    const rows = report.tasks[0]!.rows
    expect(rows.map((r) => names.get(r.series))).toEqual(['ground truth', 'viva-reference · 1 step', 'baseline-reference'])
    expect(rows[0]!.row.pearson).toBe(1)
    expect(rows[0]!.row.MDR).toBe(1)
    for (const r of rows) {
      expect(r.row.episodes).toBe(3)
      expect(r.row.nMilestones).toBeGreaterThan(0)
    }
    // The trained model tracks progress on its own task's data.
    expect(rows[1]!.row.pearson!).toBeGreaterThan(0.5)
    expect(report.episodes.filter((e) => e.series === rows[1]!.series)).toHaveLength(3)
    const csv = await services.handlers['metrics.export']({ datasetId, window: { frames: 5 }, variant: 'absolute', format: 'csv' }, { signal })
    expect(csv.filename).toMatch(/metrics-absolute-w5\.csv$/)
    expect(csv.content.trim().split('\n')).toHaveLength(4)
    expect(csv.content).toMatch(/,absolute,5,0\.5,10\n/) // 5 frames = 0.5 s at the dataset's 10 fps
  })

  it('advantages.compute: per-frame advantages, the top 30 % of the task\'s frames positive', async () => {
    const curve = services.curves.list(datasetId, 0).find((c) => c.modelName === 'viva-reference')!
    const a = await services.handlers['advantages.compute']({ datasetId, curveId: curve.id }, { signal })
    expect(a.k).toBe(17) // 50 frames at 30 fps → 17 at 10 fps
    expect(a).toMatchObject({ positiveFraction: 0.3, scope: 'task', episodesInThreshold: 3 })
    expect(a.advantages).toHaveLength(curve.length)
    // The threshold labels the top 30 % of the series' frames in the task (RECAP / RLinf positive_quantile 0.3).
    expect(Math.abs(a.positivesInThreshold / a.framesInThreshold - 0.3)).toBeLessThanOrEqual(0.01)
    for (let i = 0; i < a.advantages.length; i++) expect(a.indicators[i]).toBe(a.advantages[i]! >= a.threshold ? 1 : 0)
    const all = await services.handlers['advantages.compute']({ datasetId, curveId: curve.id, positiveFraction: 0.5, scope: 'dataset' }, { signal })
    expect(Math.abs(all.positivesInThreshold / all.framesInThreshold - 0.5)).toBeLessThanOrEqual(0.01)
  })

  it('advantages need an outcome: a clear error otherwise', async () => {
    const labels = services.projects.snapshot(datasetId).episodes.find((e) => e.episode === 1)!
    services.projects.apply(datasetId, [
      { op: 'episode.update', episode: 1, before: { outcome: labels.outcome }, after: { outcome: 'unknown' }, at: new Date().toISOString(), beforeAt: labels.updatedAt },
    ])
    const curve = services.curves.list(datasetId, 1)[0]!
    const err = await rejected(() => services.handlers['advantages.compute']({ datasetId, curveId: curve.id }, { signal }))
    expect(err.message).toMatch(/Episode 1 has no success\/failure outcome/)
    const report = await services.handlers['metrics.compute']({ datasetId, window: { frames: 5 }, variant: 'relative' }, { signal })
    expect(report.skipped.map((s) => s.episode)).toEqual([1])
  })

  it('viva metrics and viva advantages print the same tables from files', async () => {
    const viva = path.join(root, 'values', 'viva.csv')
    const cli = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
    const dataDir = path.join(root, 'data')
    mkdirSync(path.dirname(viva), { recursive: true })
    await run('node', [cli, 'score', dataset, '--model', path.join(PACKAGE_ROOT, 'models', 'viva-reference'), '--out', viva, '--data-dir', dataDir], { cwd: PACKAGE_ROOT })
    const { stdout } = await run('node', [cli, 'metrics', dataset, '--annotations', truthFile, '--values', path.dirname(viva), '--json'], { cwd: PACKAGE_ROOT })
    type Report = {
      window: number
      series: { key: string; name: string }[]
      tasks: { rows: { series: string }[] }[]
      episodes: { series: string; episode: number; row: { pearson: number; MS: number | null } }[]
    }
    const report = JSON.parse(stdout) as Report
    const cliKey = report.tasks[0]!.rows[1]!.series
    expect(report.tasks[0]!.rows.map((r) => report.series.find((s) => s.key === r.series)?.name)).toEqual(['ground truth', 'viva'])
    // Same curves (the CLI's file came from the app's cache) and the same default window (1/6 s: 2 frames at
    // 10 fps) → the same per-episode numbers as the app computes.
    const app = (await services.handlers['metrics.compute']({ datasetId, variant: 'relative' }, { signal })) as unknown as Report
    expect([report.window, app.window]).toEqual([2, 2])
    const vivaKey = app.tasks[0]!.rows[1]!.series
    for (const episode of [0, 2]) {
      const fromCli = report.episodes.find((e) => e.series === cliKey && e.episode === episode)!.row
      const fromApp = app.episodes.find((e) => e.series === vivaKey && e.episode === episode)!.row
      expect(fromCli.pearson).toBeCloseTo(fromApp.pearson, 6)
      expect(fromCli.MS ?? 0).toBeCloseTo(fromApp.MS ?? 0, 5)
    }
    const out = path.join(root, 'adv.csv')
    const adv = await run('node', [cli, 'advantages', dataset, '--annotations', truthFile, '--values', viva, '--out', out], { cwd: PACKAGE_ROOT })
    const summary = JSON.parse(adv.stdout) as { thresholds: Record<string, { frames: number; positives: number; positiveRate: number }> }
    expect(summary).toMatchObject({ k: 17, positiveFraction: 0.3, scope: 'task', episodes: 3 })
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('series,episode_index,frame_index,value,advantage,advantage_positive')
    const frames = services.datasets.get(datasetId).summary.episodes.reduce((a, e) => a + e.length, 0)
    expect(lines).toHaveLength(1 + frames)
    // RECAP labels the top 30 % of each (series, task): 30 % ± 1 % of the rows written are positive.
    const pools = Object.entries(summary.thresholds)
    expect(pools.map(([key]) => key)).toEqual([`viva | ${services.datasets.get(datasetId).summary.episodes[0]!.tasks[0]}`])
    const positive = lines.slice(1).filter((l) => l.endsWith(',1')).length
    expect(pools[0]![1]).toMatchObject({ frames, positives: positive })
    expect(Math.abs(positive / frames - 0.3)).toBeLessThanOrEqual(0.01)
    const old = await run('node', [cli, 'advantages', dataset, '--annotations', truthFile, '--values', viva, '--out', out, '--percentile', '30'], { cwd: PACKAGE_ROOT }).catch((e: { stderr: string }) => e)
    expect((old as { stderr: string }).stderr).toMatch(/--percentile was replaced by --positive-fraction/)
  }, 120_000)

  it('detector.calibrate: the curve\'s series calibrated on the annotated episodes, cross-validated, beside chance', async () => {
    const curve = services.curves.list(datasetId, 0).find((c) => c.modelName === 'viva-reference')!
    const r = await services.handlers['detector.calibrate']({ datasetId, curveId: curve.id }, { signal })
    expect(r.series).toBe(seriesKey(curve))
    expect(r.episodes).toBe(3)
    const ev = r.evaluation!
    expect(ev).toMatchObject({ crossValidated: true, folds: 3, episodes: 3, fps: 10, tolerance: { frames: 5, seconds: 0.5 } })
    expect(ev.settings).toEqual(r.settings)
    expect(ev.score.annotated.milestone + ev.score.annotated.error).toBe(services.projects.snapshot(datasetId).events.length)
    expect(ev.chance.shifted.precision).toBeGreaterThanOrEqual(0)
    expect(ev.chance.seeds).toBe(5)
    // The panel's request for an unknown curve is a clear error.
    const err = await rejected(() => services.handlers['detector.calibrate']({ datasetId, curveId: 'nope' }, { signal }))
    expect(err.message).toMatch(/No curve nope/)
  })

  it('triage.drops: every drop of a series over the dataset, ranked, with P/R against annotated errors', async () => {
    const r = await services.handlers['triage.drops']({ datasetId, window: { seconds: 0.5 }, threshold: 0.05 }, { signal })
    expect(r.seriesList.length).toBe(2)
    expect(r.window).toMatchObject({ frames: 5, seconds: 0.5 })
    expect(r.episodes).toBe(3)
    const sizes = r.drops.map((d) => d.size)
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a))
    for (const d of r.drops) expect(d.size).toBeGreaterThanOrEqual(0.05)
    expect(r.score?.episodes).toBe(3)
    const other = r.seriesList.find((x) => x.key !== r.series)!
    const r2 = await services.handlers['triage.drops']({ datasetId, series: other.key, window: { seconds: 0.5 }, threshold: 0.05 }, { signal })
    expect(r2.series).toBe(other.key)
  })

  it('triage.episodeStats: each series\' mean, final value and drop count per episode; the drops are triage\'s', async () => {
    const options = { window: { seconds: 0.5 }, threshold: 0.05 }
    const r = await services.handlers['triage.episodeStats']({ datasetId, ...options }, { signal })
    expect(r.series).toHaveLength(2)
    const triage = await services.handlers['triage.drops']({ datasetId, ...options }, { signal })
    for (const s of r.series) {
      expect([...s.episodes]).toEqual([0, 1, 2])
      const ranked = s.key === triage.series ? triage : await services.handlers['triage.drops']({ datasetId, series: s.key, ...options }, { signal })
      expect([...s.drops]).toEqual([0, 1, 2].map((e) => ranked.drops.filter((d) => d.episode === e).length))
      const curve = services.curves.listDataset(datasetId).find((c) => seriesKey(c) === s.key && c.episode === 1)!
      const values = toDisplay(services.curves.get(curve.id).values, curve.convention, curve.length)
      expect(s.final[1]).toBeCloseTo(values[values.length - 1]!, 5)
      expect(s.mean[1]).toBeCloseTo(values.reduce((a, v) => a + v, 0) / values.length, 4)
    }
    // Asked again (the list does after every curve a job adds): the same numbers.
    const again = await services.handlers['triage.episodeStats']({ datasetId, ...options }, { signal })
    expect(again.series.map((s) => [...s.drops])).toEqual(r.series.map((s) => [...s.drops]))
  })

  it('viva detect computes what the app computes: the same calibration from a curve file or from the model', async () => {
    const cli = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
    const dataDir = path.join(root, 'data')
    const values = path.join(root, 'values-detect', 'viva.parquet')
    mkdirSync(path.dirname(values), { recursive: true })
    await run('node', [cli, 'score', dataset, '--model', path.join(PACKAGE_ROOT, 'models', 'viva-reference'), '--out', values, '--data-dir', dataDir], { cwd: PACKAGE_ROOT })
    const curve = services.curves.list(datasetId, 0).find((c) => c.modelName === 'viva-reference')!
    const app = await services.handlers['detector.calibrate']({ datasetId, curveId: curve.id }, { signal })
    type Out = { series: { settings: unknown; evaluation: { precision: number; recall: number; chance: { shifted: { precision: number } } }; suggestions: { episode: number; events: unknown[] }[] }[] }
    for (const source of [['--values', values], ['--model', 'viva-reference']]) {
      const out = path.join(root, `detect-${source[0]!.slice(2)}.json`)
      const { stdout } = await run('node', [cli, 'detect', dataset, ...source, '--annotations', truthFile, '--calibrate', '--out', out, '--data-dir', dataDir], { cwd: PACKAGE_ROOT })
      expect(stdout).toMatch(/cross-validated \(3-fold\) within ±5 frames \(0\.5 s\); shifted at random P/)
      const doc = JSON.parse(readFileSync(out, 'utf8')) as Out
      expect(doc.series).toHaveLength(1)
      const s = doc.series[0]!
      expect(s.settings).toEqual(app.settings)
      expect(s.evaluation.precision).toBeCloseTo(app.evaluation!.score.precision, 4)
      expect(s.evaluation.recall).toBeCloseTo(app.evaluation!.score.recall, 4)
      expect(s.evaluation.chance.shifted.precision).toBeCloseTo(app.evaluation!.chance.shifted.precision, 4)
      expect(s.suggestions.map((x) => x.episode)).toEqual([0, 1, 2])
    }
    const bad = await run('node', [cli, 'detect', dataset, '--values', values, '--calibrate', '--out', path.join(root, 'x.json')], { cwd: PACKAGE_ROOT }).catch((e: { stderr: string }) => e)
    expect((bad as { stderr: string }).stderr).toMatch(/--calibrate fits the detector to annotations: give --annotations/)
    const both = await run('node', [cli, 'detect', dataset, '--values', values, '--annotations', truthFile, '--calibrate', '--window', '1s', '--out', path.join(root, 'x.json')], { cwd: PACKAGE_ROOT }).catch((e: { stderr: string }) => e)
    expect((both as { stderr: string }).stderr).toMatch(/--calibrate chooses the settings itself; leave out --window/)
    const range = await run('node', [cli, 'detect', dataset, '--values', values, '--error-delay', '99', '--out', path.join(root, 'x.json')], { cwd: PACKAGE_ROOT }).catch((e: { stderr: string }) => e)
    expect((range as { stderr: string }).stderr).toMatch(/Invalid detector setting errorDelaySeconds/)
  }, 180_000)
})
