import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parquetReadObjects } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { thrown } from '../../app/testing/thrown'
import type { CurveImportTarget } from '../curves/importCurves'
import { importCurveFile } from '../curves/importCurves'
import { writePatternDataset } from '../synth/patternDataset'
import { generateTaskDataset } from '../synth/taskDataset'
import { loadModelPackage } from '../inference/manifest'
import { PACKAGE_ROOT } from '../paths'
import { parseEpisodeList } from '../../app/episodeList'

// `viva score` end to end, as a user runs it: a child process on a generated dataset with the bundled ViVa model.
const VIVA = path.join(PACKAGE_ROOT, 'models', 'viva-reference')
const CLI = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'viva-cli-score-')))
const dataset = path.join(root, 'ds')
/** A 12-D arm dataset (3 cameras named like the model's slots) for the 14-D bundled model. */
const twelve = path.join(root, 'twelve')
let target: CurveImportTarget
let totalFrames = 0
let modelHash = ''

beforeAll(async () => {
  const result = await generateTaskDataset({ out: dataset, episodes: 2, seed: 1, fps: 10, width: 128, height: 96 })
  target = { episodes: result.episodes.map((e) => ({ index: e.index, length: e.length })) }
  totalFrames = result.episodes.reduce((n, e) => n + e.length, 0)
  modelHash = (await loadModelPackage(VIVA)).id
  const cameras = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({ key: `observation.images.${c}`, width: 64, height: 48 }))
  await writePatternDataset({ out: twelve, format: 'v2.1', lengths: [15], fps: 10, stateDim: 12, cameras })
}, 120_000)

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Run `viva score <dataset> ...args` from the project folder. `onStderr` sees stderr as it arrives and may kill
 * the child (it gets the child's kill function).
 */
function score(args: string[], onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'score', ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      onStderr?.(stderr, (signal) => child.kill(signal))
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

interface Summary {
  dataset: string
  out: string
  rows: number
  episodes: number
  frames: number
  framesComputed: number
  framesFromCache: number
  seconds: number
  framesPerSecond: number
  provider: string | null
  modelHash: string
  kind: string
  steps: number
  seed: number
}

function summaryOf(run: Exit): Summary {
  expect(run.code, `viva score failed:\n${run.stderr}`).toBe(0)
  return JSON.parse(run.stdout) as Summary
}

interface CsvTable {
  header: string[]
  rows: number[][]
}

async function readCsv(file: string): Promise<CsvTable> {
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
  return { header: (lines[0] ?? '').split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) }
}

/** Value column (index 2) of one episode's CSV rows, in frame order. */
function csvValues(t: CsvTable, episode: number): number[] {
  return t.rows.filter((r) => r[0] === episode).map((r) => r[2] as number)
}

function maxAbsDiff(a: readonly number[][], b: readonly number[][]): number {
  expect(a.length).toBe(b.length)
  let m = 0
  a.forEach((row, i) => {
    const other = b[i] as number[]
    expect(row.length).toBe(other.length)
    row.forEach((v, j) => (m = Math.max(m, Math.abs(v - (other[j] as number)))))
  })
  return m
}

describe('parseEpisodeList', () => {
  it('reads single episodes and ranges, sorted and without repeats', () => {
    expect(parseEpisodeList('0,3-7,12')).toEqual([0, 3, 4, 5, 6, 7, 12])
    expect(parseEpisodeList('9, 1 ,1')).toEqual([1, 9])
    expect(parseEpisodeList('3-5,4,5-6')).toEqual([3, 4, 5, 6])
    expect(parseEpisodeList('5-5')).toEqual([5])
    expect(parseEpisodeList('007,,')).toEqual([7])
  })

  it('rejects backwards ranges, non-numbers, empty lists and huge ranges with INVALID_ARGUMENT', () => {
    const backwards = thrown(() => parseEpisodeList('5-2'))
    expect(backwards.code).toBe('INVALID_ARGUMENT')
    expect(backwards.message).toBe('--episodes: range 5-2 runs backwards')
    for (const bad of ['a', '-1', '1-', '1.5', '3-7-9', '1 2', '0x3']) {
      const err = thrown(() => parseEpisodeList(bad))
      expect(err.code).toBe('INVALID_ARGUMENT')
      expect(err.message).toContain('is not an episode or a range like 3-7')
    }
    for (const empty of ['', ',', ' , ']) expect(thrown(() => parseEpisodeList(empty)).message).toBe('--episodes is empty')
    expect(thrown(() => parseEpisodeList('0-2000000')).message).toContain('too large')
  })
})

describe('viva score', () => {
  it('scores every episode (JSON summary, one row per frame), reruns from the cache, writes files importCurveFile reads back', async () => {
    const data = path.join(root, 'data-first')
    const csv = path.join(root, 'first.csv')
    const first = summaryOf(await score([dataset, '--model', VIVA, '--out', csv, '--data-dir', data]))
    expect(first).toMatchObject({ dataset, out: csv, episodes: 2, frames: totalFrames, rows: totalFrames, framesComputed: totalFrames, framesFromCache: 0 })
    expect(first.modelHash).toBe(modelHash)
    expect(first.kind).toBe('viva-flow')
    expect(first.steps).toBe(1)
    expect(first.seconds).toBeGreaterThan(0)
    expect(first.framesPerSecond).toBeGreaterThan(0)
    expect(typeof first.provider).toBe('string')
    expect(first.provider).not.toBe('')

    // One row per frame, episodes and frames in order; the future-state columns of a viva-flow model.
    const table = await readCsv(csv)
    // LeRobot's names, the same as the parquet's (issue 14; before: episode,frame).
    expect(table.header.slice(0, 3)).toEqual(['episode_index', 'frame_index', 'value'])
    expect(table.header.length).toBe(3 + 14)
    expect(table.header[3]).toMatch(/^future\./)
    expect(table.rows.length).toBe(totalFrames)
    const expectedKeys = target.episodes.flatMap((e) => Array.from({ length: e.length }, (_, f) => `${e.index}:${f}`))
    expect(table.rows.map((r) => `${r[0]}:${r[1]}`)).toEqual(expectedKeys)
    for (const r of table.rows) {
      expect(r.every(Number.isFinite)).toBe(true)
      expect(r[2]).toBeGreaterThanOrEqual(0)
      expect(r[2]).toBeLessThanOrEqual(1)
    }

    // Again, to parquet: every frame comes from the cache.
    const parquet = path.join(root, 'again.parquet')
    const again = summaryOf(await score([dataset, '--model', VIVA, '--out', parquet, '--data-dir', data]))
    expect(again.frames).toBe(totalFrames)
    expect(again.framesFromCache).toBe(totalFrames)
    expect(again.framesComputed).toBe(0)
    expect(again.rows).toBe(totalFrames)
    const buf = await readFile(parquet)
    const objects = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })) as Record<string, unknown>[]
    expect(objects.length).toBe(totalFrames)
    expect(Object.keys(objects[0] ?? {}).slice(0, 3)).toEqual(['episode_index', 'frame_index', 'value'])
    const fromParquet = objects.map((o) => [Number(o.episode_index), Number(o.frame_index), ...Object.values(o).slice(2).map(Number)])
    expect(maxAbsDiff(fromParquet, table.rows)).toBeLessThanOrEqual(1e-6)

    const json = path.join(root, 'again.json')
    expect(summaryOf(await score([dataset, '--model', VIVA, '--out', json, '--data-dir', data])).framesFromCache).toBe(totalFrames)

    // importCurveFile reads all three back with the same values (float32 in every format: exactly the same).
    for (const file of [csv, parquet, json]) {
      const imported = await importCurveFile(file, target)
      expect(imported.warnings, file).toEqual([])
      expect(imported.curves.map((c) => c.episode)).toEqual(target.episodes.map((e) => e.index))
      for (const c of imported.curves) {
        expect(c.convention).toBe('progress')
        const expected = Float32Array.from(csvValues(table, c.episode))
        expect(c.values.length).toBe(expected.length)
        expect(Array.from(c.values), `${file} episode ${c.episode}`).toEqual(Array.from(expected))
      }
    }
  }, 180_000)

  it('resumes after a kill -9 from its cache, with the values of an uninterrupted run', async () => {
    // Many denoiser passes on one thread (8 steps × the 4 noise draws the bundled ViVa averages, ≈ 15 s here), so the
    // run is still going when its first progress line (printed ~5 s after the "queued" one when stderr is not a
    // terminal) shows frames done, even on a faster machine.
    const common = ['--episodes', '0', '--steps', '8', '--threads', '1', '--provider', 'cpu']
    const refCsv = path.join(root, 'uninterrupted.csv')
    const killedCsv = path.join(root, 'killed.csv')
    const killedData = path.join(root, 'data-killed')
    let killedAt = -1
    // The uninterrupted reference runs alongside the run to be killed (separate caches).
    const [reference, killed] = await Promise.all([
      score([dataset, '--model', VIVA, '--out', refCsv, '--data-dir', path.join(root, 'data-reference'), ...common]),
      score([dataset, '--model', VIVA, '--out', killedCsv, '--data-dir', killedData, ...common], (text, kill) => {
        if (killedAt >= 0) return
        for (const m of text.matchAll(/(\d+)\/(\d+) frames/g)) {
          if (Number(m[1]) > 0) {
            killedAt = Number(m[1])
            kill('SIGKILL')
            return
          }
        }
      }),
    ])
    const ref = summaryOf(reference)
    const length = target.episodes[0]?.length ?? 0
    expect(ref).toMatchObject({ frames: length, framesFromCache: 0, steps: 8, provider: 'cpu' })

    expect(killed.signal, `the run ended before it could be killed:\n${killed.stderr}`).toBe('SIGKILL')
    expect(killedAt).toBeGreaterThan(0)
    expect(killedAt).toBeLessThan(length)
    expect(killed.stdout).toBe('')
    // The output file is written only at the end (and never half-written under its final name).
    expect(existsSync(killedCsv)).toBe(false)

    const resumed = summaryOf(await score([dataset, '--model', VIVA, '--out', killedCsv, '--data-dir', killedData, ...common]))
    expect(resumed.frames).toBe(length)
    expect(resumed.framesFromCache).toBeGreaterThan(0)
    expect(resumed.framesFromCache).toBeLessThan(length)
    expect(resumed.framesComputed).toBe(length - resumed.framesFromCache)
    expect(resumed.modelHash).toBe(ref.modelHash)

    const a = await readCsv(refCsv)
    const b = await readCsv(killedCsv)
    expect(b.header).toEqual(a.header)
    expect(b.rows.length).toBe(length)
    expect(maxAbsDiff(b.rows, a.rows)).toBeLessThanOrEqual(1e-6)
  }, 240_000)

  it('refuses bad arguments with exit code 1 and a clear message', async () => {
    const out = path.join(root, 'bad.csv')
    const data = path.join(root, 'data-bad')
    const cases: [string[], RegExp][] = [
      [[dataset, '--model', VIVA, '--out', out, '--provider', 'nope'], /^viva: --provider must be one of auto, cpu, .*got "nope"/m],
      [[dataset, '--model', VIVA, '--out', path.join(root, 'x.txt')], /^viva: --out must end in \.parquet, \.csv or \.json, got .*x\.txt/m],
      [[dataset, '--model', VIVA, '--out', out, '--episodes', '5-2'], /^viva: --episodes: range 5-2 runs backwards/m],
      [[dataset, '--out', out], /^viva: usage: viva score <dataset> --model DIR --out FILE/m],
      [[dataset, '--model', VIVA], /^viva: usage: viva score/m],
      [[dataset, '--model', root, '--out', out], /^viva: .* is not a model package: viva-model\.json not found/m],
      [[dataset, '--model', VIVA, '--out', out, '--episodes', '7'], /^viva: .*has no episode 7/m],
      [[dataset, '--model', VIVA, '--out', out, '--steps', 'many'], /^viva: --steps must be an integer from 1 to 100, got "many"/m],
      [[dataset, '--model', VIVA, '--out', out, '--steps', '0'], /^viva: --steps must be an integer from 1 to 100, got "0"/m],
      [[dataset, '--model', VIVA, '--out', out, '--batch', '0'], /^viva: --batch must be an integer from 1 to 256, got "0"/m],
      // Issue 13: refused before scoring, not after.
      [[dataset, '--model', VIVA, '--out', path.join(dataset, 'meta', 'values.csv')], /^viva: Refusing to write .*values\.csv: it is inside the dataset /m],
      [[dataset, '--model', VIVA, '--out', path.join(`${data}-shared`, 'values.csv')], /^viva: Refusing to write .*values\.csv: it is inside the data folder /m],
    ]
    // All at once on one fresh data folder: the processes that get as far as opening the value cache create it
    // concurrently, which CurveStore's migration must survive (it takes the write lock first).
    const runs = await Promise.all(cases.map(([args]) => score([...args, '--data-dir', `${data}-shared`])))
    runs.forEach((run, i) => {
      const [args, message] = cases[i] as [string[], RegExp]
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(1)
      expect(run.stderr, args.join(' ')).toMatch(message)
      expect(run.stdout).toBe('')
    })
    expect(existsSync(out)).toBe(false)
  }, 120_000)
})

describe('viva score on a dataset the model does not fit (issue 14)', () => {
  it('refuses a 12-D dataset for a 14-D model before scoring: exit 1, one line saying why, no output file', async () => {
    const out = path.join(root, 'twelve.csv')
    const run = await score([twelve, '--model', VIVA, '--out', out, '--data-dir', path.join(root, 'data-twelve')])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    const lines = run.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^viva: viva-reference cannot score twelve: twelve's state observation\.state has 12 dimensions, viva-reference expects 14 \(.*\); give a state map, e\.g\. 0-11,pad:mid,pad:mid$/)
    expect(existsSync(out)).toBe(false)
  }, 60_000)

  it('scores it with --state-map padding, and names the mapping in the summary', async () => {
    const out = path.join(root, 'twelve-mapped.csv')
    const run = await score([twelve, '--model', VIVA, '--out', out, '--data-dir', path.join(root, 'data-twelve'), '--state-map', '0-11,pad:mid,pad:mid', '--camera-map', 'cam_left_wrist=cam_right_wrist,cam_right_wrist=cam_left_wrist'])
    const summary = summaryOf(run) as Summary & { stateMap: string; cameras: Record<string, string>; warnings: string[] }
    expect(summary.rows).toBe(15)
    expect(summary.stateMap).toBe('0-11,pad:mid,pad:mid')
    expect(summary.cameras).toEqual({
      cam_high: 'observation.images.cam_high',
      cam_left_wrist: 'observation.images.cam_right_wrist',
      cam_right_wrist: 'observation.images.cam_left_wrist',
    })
    expect((await readCsv(out)).rows).toHaveLength(15)
  }, 120_000)

  it('refuses a bad --state-map or --camera-map with exit 1 before anything is written', async () => {
    const out = path.join(root, 'never.csv')
    const cases: [string[], RegExp][] = [
      [['--state-map', '0-11,pad:mid'], /^viva: viva-reference cannot score twelve: the state map gives 13 values, viva-reference expects 14/m],
      [['--state-map', '0-12,pad:0'], /^viva: --state-map: "0-12": the dataset's state has 12 joints \(0-11\)/m],
      [['--camera-map', 'cam_top=cam_high'], /^viva: --camera-map: the model has no camera slot "cam_top" \(slots: cam_high, cam_left_wrist, cam_right_wrist\)/m],
      [['--state-map', '0-11,pad:0,pad:0', '--camera-map', 'cam_high=front'], /^viva: --camera-map: the dataset has no camera "front"/m],
    ]
    const runs = await Promise.all(cases.map(([args]) => score([twelve, '--model', VIVA, '--out', out, '--data-dir', path.join(root, 'data-bad-maps'), ...args])))
    runs.forEach((run, i) => {
      const [args, message] = cases[i] as [string[], RegExp]
      expect(run.code, args.join(' ')).toBe(1)
      expect(run.stderr, args.join(' ')).toMatch(message)
    })
    expect(existsSync(out)).toBe(false)
  }, 120_000)
})
