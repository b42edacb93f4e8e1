import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MetricsReport } from '../../app/metricsReport'
import { composeServices, type Services } from '../compose'
import { generateTaskDataset } from '../synth/taskDataset'
import { PACKAGE_ROOT } from '../paths'

/**
 * `viva metrics` / `viva advantages` and the app's metrics.compute / advantages.compute on one generated dataset,
 * the same curve files and the same annotations: the numbers must be identical, not close, because both call
 * main/analysis/compute.ts.
 */
const run = promisify(execFile)
const cli = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-cli-equivalence-'))
const dataset = path.join(root, 'ds')
const truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
const valuesDir = path.join(root, 'values')
let services: Services
let datasetId: string
const signal = new AbortController().signal

/** Two curve files: a progress column and a "prediction" (remaining) column, so both conventions are converted. */
function writeCurveFiles(lengths: { index: number; length: number }[]): string[] {
  mkdirSync(valuesDir, { recursive: true })
  const progress = ['episode_index,frame_index,value']
  const remaining = ['episode_index,frame_index,prediction']
  for (const { index, length } of lengths) {
    for (let f = 0; f < length; f++) {
      const p = f / (length - 1)
      // Bumps and dips, so advantages and ERS have something to find; Float32-exact values, written as read.
      progress.push(`${index},${f},${Math.fround(p + 0.08 * Math.sin(f * 0.7 + index))}`)
      remaining.push(`${index},${f},${Math.fround(1 - p * p + 0.05 * Math.cos(f * 0.3 * (index + 1)))}`)
    }
  }
  const files = [path.join(valuesDir, 'alpha.csv'), path.join(valuesDir, 'beta.csv')]
  writeFileSync(files[0]!, `${progress.join('\n')}\n`)
  writeFileSync(files[1]!, `${remaining.join('\n')}\n`)
  return files
}

beforeAll(async () => {
  await generateTaskDataset({ out: dataset, episodes: 4, seed: 11, fps: 10, width: 96, height: 72, failureRate: 0.5 })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data'), hwaccel: false })
  const summary = await services.datasets.open(dataset)
  datasetId = summary.id
  await services.projects.import(datasetId, readFileSync(truthFile, 'utf8'), 'replace')
  for (const file of writeCurveFiles(summary.episodes.filter((e) => e.present))) await services.handlers['curves.import']({ datasetId, path: file }, { signal })
}, 120_000)

afterAll(async () => {
  await services.dispose()
  rmSync(root, { recursive: true, force: true })
})

/** A report with each series key replaced by the series' name: the CLI keys imported series by file path, the app by its import id. */
function byName(report: MetricsReport): unknown {
  const name = new Map(report.series.map((s) => [s.key, s.name]))
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'series' || key === 'key') && typeof value === 'string' ? (name.get(value) ?? value) : value))
}

describe('the CLI and the app compute the same numbers', () => {
  it('viva metrics --json equals metrics.compute, both variants, a window in frames and in seconds', async () => {
    for (const [variant, window, span] of [
      ['relative', '3f', { frames: 3 }],
      ['absolute', '0.5s', { seconds: 0.5 }],
    ] as const) {
      const { stdout } = await run('node', [cli, 'metrics', dataset, '--annotations', truthFile, '--values', valuesDir, '--window', window, '--variant', variant, '--json'], { cwd: PACKAGE_ROOT })
      const { dataset: name, ...fromCli } = JSON.parse(stdout) as MetricsReport & { dataset: string }
      const fromApp = await services.handlers['metrics.compute']({ datasetId, window: span, variant }, { signal })
      expect(name).toBe(services.datasets.get(datasetId).summary.name)
      expect(fromApp.series.map((s) => s.name).sort()).toEqual(['alpha', 'beta · prediction', 'ground truth'])
      expect(fromApp.episodes.length).toBeGreaterThan(0)
      expect(byName(fromCli)).toEqual(byName(fromApp))
    }
  }, 120_000)

  it('viva advantages equals advantages.compute for every curve: advantages, indicators and thresholds', async () => {
    const out = path.join(root, 'adv.csv')
    const { stdout } = await run('node', [cli, 'advantages', dataset, '--annotations', truthFile, '--values', valuesDir, '--out', out, '--k', '7', '--positive-fraction', '0.4'], {
      cwd: PACKAGE_ROOT,
    })
    const settings = JSON.parse(stdout) as { k: number; thresholds: Record<string, { threshold: number; frames: number; positives: number }> }
    expect(settings.k).toBe(7)
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))
    const summary = services.datasets.get(datasetId).summary
    const outcomes = new Map(services.projects.snapshot(datasetId).episodes.map((e) => [e.episode, e.outcome]))
    let compared = 0
    for (const e of summary.episodes.filter((x) => x.present)) {
      for (const curve of services.curves.list(datasetId, e.index)) {
        const mine = rows.filter((r) => r[0] === curve.name && Number(r[1]) === e.index)
        const outcome = outcomes.get(e.index)
        if (outcome !== 'success' && outcome !== 'failure') {
          expect(mine).toHaveLength(0)
          continue
        }
        const app = await services.handlers['advantages.compute']({ datasetId, curveId: curve.id, k: 7, positiveFraction: 0.4 }, { signal })
        expect(mine).toHaveLength(app.advantages.length)
        // The app sends Float32 advantages; the CLI writes the float64 it computed: equal once rounded alike.
        expect(mine.map((r) => Math.fround(Number(r[4])))).toEqual([...app.advantages])
        expect(mine.map((r) => Number(r[5]))).toEqual([...app.indicators])
        const pool = settings.thresholds[`${curve.name} | ${e.tasks[0] ?? ''}`]!
        expect(pool).toMatchObject({ threshold: app.threshold, frames: app.framesInThreshold, positives: app.positivesInThreshold })
        compared++
      }
    }
    expect(compared).toBeGreaterThanOrEqual(2)
  }, 120_000)
})
