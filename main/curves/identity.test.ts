import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriesKey } from '../../app/curves'
import { composeServices, type Services } from '../compose'
import { generateTaskDataset } from '../synth/taskDataset'
import { PACKAGE_ROOT } from '../paths'
import { CurveStore } from '../store/curveStore'

/**
 * A series of value curves is identified by where it came from, not by its name: two files both called
 * values.csv (the README's own example: two runs written to runs/a and runs/b) are two series.
 */
const run = promisify(execFile)
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-identity-'))
const dataset = path.join(root, 'ds')
const truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
const signal = new AbortController().signal
let services: Services
let datasetId: string
let lengths: number[] = []

/** A CSV curve for every episode: ground-truth-like progress plus a per-file offset and wiggle. */
function writeCurves(file: string, offset: number, wiggle: number): void {
  mkdirSync(path.dirname(file), { recursive: true })
  const lines = ['episode,frame,value']
  lengths.forEach((n, episode) => {
    for (let f = 0; f < n; f++) lines.push(`${episode},${f},${(offset + (0.8 * f) / n + wiggle * Math.sin(f * (1 + episode))).toFixed(6)}`)
  })
  writeFileSync(file, `${lines.join('\n')}\n`)
}

beforeAll(async () => {
  const gen = await generateTaskDataset({ out: dataset, episodes: 4, seed: 5, fps: 10, width: 96, height: 72, failureRate: 0.5 })
  lengths = gen.episodes.map((e) => e.length)
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(root, 'data'), hwaccel: false })
  datasetId = (await services.datasets.open(dataset)).id
  await services.projects.import(datasetId, readFileSync(truthFile, 'utf8'), 'replace')
  writeCurves(path.join(root, 'runs', 'a', 'values.csv'), 0.1, 0.05)
  writeCurves(path.join(root, 'runs', 'b', 'values.csv'), 0.15, 0.2)
}, 120_000)

afterAll(async () => {
  await services.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('imported curves are identified by their source file', () => {
  it('two files with equal names stay two series, with their own episodes, metrics and thresholds', async () => {
    const a = await services.handlers['curves.import']({ datasetId, path: path.join(root, 'runs', 'a', 'values.csv') }, { signal })
    const b = await services.handlers['curves.import']({ datasetId, path: path.join(root, 'runs', 'b', 'values.csv') }, { signal })
    expect(a.curves).toHaveLength(4)
    expect(b.curves).toHaveLength(4)
    const listed = services.curves.list(datasetId, 0)
    expect(listed.map((c) => c.name).sort()).toEqual(['values (runs/a)', 'values (runs/b)'])
    expect(new Set(listed.map((c) => seriesKey(c))).size).toBe(2)

    const report = await services.handlers['metrics.compute']({ datasetId, window: { frames: 5 }, variant: 'absolute' }, { signal })
    const names = new Map(report.series.map((s) => [s.key, s.name]))
    const rows = report.tasks[0]!.rows
    expect(rows.map((r) => names.get(r.series))).toEqual(['ground truth', 'values (runs/a)', 'values (runs/b)'])
    // Each series has the dataset's 4 episodes (not 8), and its own numbers.
    for (const r of rows) expect(r.row.episodes).toBe(4)
    expect(rows[1]!.row.pearson).not.toBe(rows[2]!.row.pearson)
    expect(report.episodes.filter((e) => e.series === rows[1]!.series)).toHaveLength(4)

    const [ca, cb] = [listed.find((c) => c.name.endsWith('(runs/a)'))!, listed.find((c) => c.name.endsWith('(runs/b)'))!]
    const ta = await services.handlers['advantages.compute']({ datasetId, curveId: ca.id, scope: 'dataset' }, { signal })
    const tb = await services.handlers['advantages.compute']({ datasetId, curveId: cb.id, scope: 'dataset' }, { signal })
    const frames = lengths.reduce((s, n) => s + n, 0)
    expect(ta).toMatchObject({ episodesInThreshold: 4, framesInThreshold: frames })
    expect(tb).toMatchObject({ episodesInThreshold: 4, framesInThreshold: frames })
    expect(ta.threshold).not.toBe(tb.threshold)
  })

  it('importing the same file again refreshes its series; a copy of it elsewhere is the same series', async () => {
    const fileA = path.join(root, 'runs', 'a', 'values.csv')
    const before = services.curves.listDataset(datasetId)
    await services.handlers['curves.import']({ datasetId, path: fileA }, { signal })
    expect(services.curves.listDataset(datasetId).map((c) => [c.id, c.name]).sort()).toEqual(before.map((c) => [c.id, c.name]).sort())

    // Rewritten in place (a rerun): the series is refreshed with the new values, not duplicated.
    writeCurves(fileA, 0.3, 0.05)
    await services.handlers['curves.import']({ datasetId, path: fileA }, { signal })
    const now = services.curves.listDataset(datasetId)
    expect(now).toHaveLength(8)
    const a0 = now.find((c) => c.episode === 0 && c.name === 'values (runs/a)')!
    expect(services.curves.get(a0.id).values[0]).toBeCloseTo(0.3, 5)

    // The same content at another path (a copy, or the folder moved): still that one series.
    const copy = path.join(root, 'moved', 'a', 'values.csv')
    mkdirSync(path.dirname(copy), { recursive: true })
    copyFileSync(fileA, copy)
    await services.handlers['curves.import']({ datasetId, path: copy }, { signal })
    const after = services.curves.listDataset(datasetId)
    expect(after).toHaveLength(8)
    expect(new Set(after.map((c) => seriesKey(c))).size).toBe(2)
    expect(after.find((c) => c.episode === 0 && c.fileHash === a0.fileHash)?.file).toBe(copy)
  })

  it('viva metrics and viva advantages keep two same-named files of a folder apart', async () => {
    const dir = path.join(root, 'cli')
    writeCurves(path.join(dir, 'values.csv'), 0.1, 0.05)
    mkdirSync(dir, { recursive: true })
    const json = lengths.map((n, episode) => ({ episode, values: Array.from({ length: n }, (_, f) => 0.2 + (0.7 * f) / n) }))
    writeFileSync(path.join(dir, 'values.json'), JSON.stringify({ curves: json }))
    const cli = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
    const { stdout } = await run('node', [cli, 'metrics', dataset, '--annotations', truthFile, '--values', dir, '--json'], { cwd: PACKAGE_ROOT })
    const report = JSON.parse(stdout) as { series: { key: string; name: string }[]; tasks: { rows: { series: string; row: { episodes: number } }[] }[] }
    expect(report.series.map((s) => s.name)).toEqual(['ground truth', 'values (values.csv)', 'values (values.json)'])
    for (const r of report.tasks[0]!.rows) expect(r.row.episodes).toBe(4)
    const out = path.join(root, 'adv.csv')
    const adv = await run('node', [cli, 'advantages', dataset, '--annotations', truthFile, '--values', dir, '--out', out], { cwd: PACKAGE_ROOT })
    const pools = (JSON.parse(adv.stdout) as { thresholds: Record<string, { episodes: number }> }).thresholds
    expect(Object.values(pools).map((p) => p.episodes)).toEqual([4, 4])
    expect(Object.keys(pools).map((k) => k.split(' | ')[0])).toEqual(['values (values.csv)', 'values (values.json)'])
  }, 60_000)
})

describe('value caches written before curves had a source', () => {
  it('split same-named imports from different files into distinguishable series on open', () => {
    const file = path.join(root, 'old.sqlite')
    const db = new Database(file)
    // Schema 2, as ViVa Studio wrote it before series were identified by source.
    db.exec(`
      CREATE TABLE curves (
        id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL, episode INTEGER NOT NULL, name TEXT NOT NULL,
        source TEXT NOT NULL, convention TEXT NOT NULL, length INTEGER NOT NULL, model_id TEXT, model_name TEXT,
        params TEXT, future_dim INTEGER NOT NULL DEFAULT 0, future_names TEXT NOT NULL DEFAULT '[]',
        future_offset INTEGER NOT NULL DEFAULT 0, file TEXT, created_at TEXT NOT NULL,
        computed INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX curves_by_episode ON curves(dataset_id, episode);
      CREATE TABLE chunks (
        curve_id TEXT NOT NULL REFERENCES curves(id) ON DELETE CASCADE, start INTEGER NOT NULL,
        count INTEGER NOT NULL, vals BLOB NOT NULL, future BLOB, PRIMARY KEY (curve_id, start)
      );
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY, dataset_root TEXT NOT NULL, request TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER NOT NULL, created_at TEXT NOT NULL
      );
      PRAGMA user_version = 2;
    `)
    const insert = db.prepare(
      `INSERT INTO curves (id, dataset_id, episode, name, source, convention, length, file, created_at, computed)
       VALUES (?, 'ds', ?, 'values', 'import', 'progress', 2, ?, '2026-01-01T00:00:00Z', 2)`,
    )
    const chunk = db.prepare('INSERT INTO chunks (curve_id, start, count, vals) VALUES (?, 0, 2, ?)')
    for (const [id, episode, src] of [['x0', 0, '/runs/a/values.parquet'], ['x1', 1, '/runs/a/values.parquet'], ['y0', 0, '/runs/b/values.parquet']] as const) {
      insert.run(id, episode, src)
      chunk.run(id, Buffer.from(Float32Array.of(0.1, 0.2).buffer))
    }
    db.close()

    const store = new CurveStore(file)
    try {
      const all = store.listDataset('ds')
      expect(all.map((c) => [c.id, c.name])).toEqual([
        ['x0', 'values (runs/a)'],
        ['y0', 'values (runs/b)'],
        ['x1', 'values (runs/a)'],
      ])
      expect(new Set(all.map((c) => seriesKey(c))).size).toBe(2)
      expect(seriesKey(all[0]!)).toBe(seriesKey(all[2]!))
      expect(Array.from(store.get('y0').values)).toEqual([0.1, 0.2].map(Math.fround))
    } finally {
      store.close()
    }
  })
})
