// Metric computation for 1,000 episodes (value-analysis issue: report seconds). Two measurements:
//   pure   — buildMetricsReport over 1,000 episodes × 3 series (+ ground truth), in memory
//   stored — the same through the value cache (SQLite) as metrics.compute reads it
// Writes bench/results/metrics.json.   npx tsx bench/metrics.ts   (VIVA_BENCH_EPISODES, VIVA_BENCH_LENGTH)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Outcome } from '../app/annotations'
import { groundTruthProgress } from '../app/metrics'
import { buildMetricsReport, type MetricsInput } from '../app/metricsReport'
import { CurveStore } from '../main/store/curveStore'

const EPISODES = Number(process.env.VIVA_BENCH_EPISODES ?? 1000)
const LENGTH = Number(process.env.VIVA_BENCH_LENGTH ?? 600)

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

function main(): void {
  const r = rng(7)
  const input: MetricsInput = { fps: 30, episodes: [], outcomes: new Map<number, Outcome>(), events: [], curves: [] }
  for (let e = 0; e < EPISODES; e++) {
    const length = Math.round(LENGTH * (0.5 + r()))
    const outcome = r() < 0.6 ? 'success' : 'failure'
    input.episodes.push({ index: e, task: `task ${e % 3}`, length })
    input.outcomes.set(e, outcome)
    for (let m = 1; m <= 4; m++) input.events.push({ episode: e, frame: Math.floor((m * length) / 5), kind: 'milestone', label: `stage ${m}` })
    if (outcome === 'failure') input.events.push({ episode: e, frame: Math.floor(length * 0.7), kind: 'error', label: 'drop' })
    const truth = groundTruthProgress(length, outcome)
    for (const [s, noise] of [['a', 0.05], ['b', 0.1], ['c', 0.2]] as const) {
      const values = Float32Array.from(truth, (v) => v + (r() - 0.5) * noise)
      input.curves.push({ info: { source: 'import', modelId: null, params: null, name: s, convention: 'progress', episode: e, length }, values })
    }
  }
  const frames = input.episodes.reduce((a, e) => a + e.length, 0)
  buildMetricsReport(input, { window: { frames: 5 }, variant: 'relative' })
  const t0 = performance.now()
  const report = buildMetricsReport(input, { window: { frames: 5 }, variant: 'relative' })
  const pureSeconds = (performance.now() - t0) / 1000

  const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-bench-metrics-'))
  try {
    const store = new CurveStore(path.join(dir, 'values.sqlite'))
    for (const [i, c] of input.curves.entries()) {
      store.putComplete(
        { id: `c${i}`, datasetId: 'ds', episode: c.info.episode, name: c.info.name, source: 'import', convention: 'progress', length: c.info.length, modelId: null, modelName: null, params: null, futureDim: 0, futureNames: [], futureOffset: 0, file: null, sourceId: null, fileHash: null },
        c.values,
      )
    }
    const t1 = performance.now()
    const complete = store.listDataset('ds').filter((c) => c.complete)
    const stored: MetricsInput = { ...input, curves: complete.map((info) => ({ info, values: store.get(info.id).values })) }
    const report2 = buildMetricsReport(stored, { window: { frames: 5 }, variant: 'relative' })
    const storedSeconds = (performance.now() - t1) / 1000
    store.close()
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown' },
      episodes: EPISODES,
      frames,
      series: 3,
      events: input.events.length,
      pure: { seconds: Math.round(pureSeconds * 1000) / 1000 },
      stored: { seconds: Math.round(storedSeconds * 1000) / 1000, note: 'read every curve from the SQLite value cache, then the same report (what metrics.compute does)' },
      check: { tasks: report.tasks.length, equal: JSON.stringify(report.tasks) === JSON.stringify(report2.tasks) },
    }
    mkdirSync(path.join('bench', 'results'), { recursive: true })
    writeFileSync(path.join('bench', 'results', 'metrics.json'), `${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
