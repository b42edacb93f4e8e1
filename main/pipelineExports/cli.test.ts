import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDirHooks } from '../testing/tempDir'
import { pipelineFixture, readParquetFile, VIVA, type PipelineFixture } from './testFixture'

// `viva export --format <pipeline format>` and `viva import --format label-studio` run the same service as the app's
// pipelines.* methods: the same bytes for the same request, the same refusals.

let dir = ''
tempDirHooks('viva-pipeline-cli-', (d) => (dir = d))
let fx: PipelineFixture

beforeAll(async () => {
  fx = await pipelineFixture(dir)
}, 120_000)
afterAll(async () => {
  await fx.services.dispose()
})

function viva(...args: string[]) {
  const r = spawnSync('node', [VIVA, '--data-dir', fx.dataDir, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('viva export, training-pipeline formats', () => {
  it('writes the same sarm_progress.parquet as the app, from the stored series or from the curve file', async () => {
    const app = await fx.call('pipelines.export', { datasetId: fx.datasetId, format: 'lerobot-progress', series: fx.series, out: path.join(dir, 'app') })
    const bytes = readFileSync(app.paths[0] as string)
    const stored = viva('export', fx.root, '--format', 'lerobot-progress', '--series', fx.series, '--out', path.join(dir, 'cli'))
    expect(stored.stderr).toBe('')
    expect(stored.status).toBe(0)
    expect(stored.stdout).toContain(`Wrote ${path.join(dir, 'cli', 'sarm_progress.parquet')}`)
    expect(readFileSync(path.join(dir, 'cli', 'sarm_progress.parquet')).equals(bytes)).toBe(true)
    // The curve file the series was imported from gives the same values.
    const files = viva('export', fx.root, '--format', 'lerobot-progress', '--values', path.join(dir, 'ramp-v2.1.csv'), '--out', path.join(dir, 'files.parquet'))
    expect(files.status).toBe(0)
    const a = (await readParquetFile(path.join(dir, 'files.parquet'))).rows
    const b = (await readParquetFile(app.paths[0] as string)).rows
    expect(a).toEqual(b)
  })

  it('says on stderr how many files of a dataset copy it wrote (stdout keeps the result)', () => {
    const out = path.join(dir, 'language-cli')
    const r = viva('export', fx.root, '--format', 'lerobot-language', '--out', out)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`Wrote ${out}`)
    const lines = r.stderr.trim().split('\n')
    // In a log (not a terminal) a line at most every 5 s and one at the end, which counts every file of the copy.
    expect(lines.every((l) => /^copied \d+\/\d+ files of the dataset$/.test(l)), r.stderr).toBe(true)
    const total = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
    expect(lines.at(-1)).toBe(`copied ${total}/${total} files of the dataset`)
  })

  it("SARM annotations of a v2.1 dataset go into meta/episodes.jsonl, every other key kept, for LeRobot's converter to carry", () => {
    const out = path.join(dir, 'sarm-v21')
    const r = viva('export', fx.root, '--format', 'lerobot-sarm', '--out', out)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("LeRobot's convert_dataset_v21_to_v30")
    const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
    const before = lines(path.join(fx.root, 'meta', 'episodes.jsonl'))
    const after = lines(path.join(out, 'meta', 'episodes.jsonl'))
    expect(after.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !k.includes('subtask_'))))).toEqual(before)
    for (const row of after) {
      const e = row.episode_index as number
      const ms = fx.truth.events.filter((x) => x.episode === e && x.kind === 'milestone').sort((a, b) => a.frame - b.frame)
      expect(row.dense_subtask_names).toEqual(ms.length === 0 ? null : ms.map((m) => m.label))
      expect(row.dense_subtask_end_frames).toEqual(ms.length === 0 ? null : ms.map((m) => m.frame))
      expect(row.sparse_subtask_end_frames).toEqual([(row.length as number) - 1])
    }
    expect(existsSync(path.join(out, 'meta', 'temporal_proportions_dense.json'))).toBe(true)

    // And back: the copy's subtasks as milestones (the copy starts its own project rather than the source's).
    expect(viva('reattach', out, '--fresh').status).toBe(0)
    const back = viva('import', out, '--format', 'sarm', '--dry-run')
    expect(back.status, back.stderr).toBe(0)
    const milestones = fx.truth.events.filter((e) => e.kind === 'milestone').length
    expect(back.stdout).toContain(`Would import the SARM dense annotations of ${out} (merge): ${milestones} milestones added, 0 removed, 0 already there`)
    expect(viva('import', out, 'x.json', '--format', 'sarm').stderr).toBe("viva: --format sarm reads the dataset's own meta/episodes, not a file; drop x.json\n")
  })

  it('refuses with one line naming the problem: a filtered RLinf export, a missing failure reward, an option of another format', () => {
    const out = path.join(dir, 'rl')
    // A negative value after a space is the option's value (parseArgs alone would call it ambiguous).
    const filtered = viva('export', fx.root, '--format', 'rlinf', '--series', fx.series, '--tag', 'a', '--failure-reward', '-300', '--outcome', 'success', '--out', out)
    expect(filtered.status).toBe(1)
    expect(filtered.stderr).toBe(`viva: ${out}: RLinf reads every frame of every episode (rlinf/datasets/return_loaders.py, load_returns_sidecar); a filtered export would leave episodes out. Remove the filters.\n`)
    expect(existsSync(out)).toBe(false)
    expect(viva('export', fx.root, '--format', 'rlinf', '--series', fx.series, '--tag', 'a', '--out', out).stderr).toBe('viva: --failure-reward is required for --format rlinf\n')
    expect(viva('export', fx.root, '--format', 'label-studio', '--tag', 'a', '--out', path.join(dir, 'x.json')).stderr).toBe('viva: --tag is not an option of --format label-studio\n')
    expect(viva('export', fx.root, '--format', 'csv', '--copy', '--out', path.join(dir, 'x.csv')).stderr).toBe('viva: --copy is an option of the training-pipeline formats, not of --format csv\n')

  })
})

describe('viva import --format label-studio', () => {
  it('round trip through the command line, and a bad file refused naming it', () => {
    const file = path.join(dir, 'ls.json')
    expect(viva('export', fx.root, '--format', 'label-studio', '--out', file).status).toBe(0)
    const dry = viva('import', fx.root, file, '--format', 'label-studio', '--mode', 'replace', '--dry-run')
    expect(dry.stdout).toBe(`Would import ${file} (label-studio, replace): 0 milestones added, 0 removed, 9 already there; 3 episodes\n`)
    const bad = path.join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify([{ data: { episode_index: 0 }, annotations: [{ result: [{ type: 'timelinelabels', value: { ranges: [{ start: 5, end: 2 }], timelinelabels: ['Grasp object'] } }] }] }]))
    const refused = viva('import', fx.root, bad, '--format', 'label-studio')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toBe(`viva: ${bad}: task [0].annotations.result[0]: the range ends (frame 2) before it starts (frame 5)\n`)
  })
})
