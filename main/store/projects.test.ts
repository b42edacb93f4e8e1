import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEventEdit, episodeEdit, saveTaxonomyEdit } from '../../app/annotationEdits'
import type { Edit } from '../../app/annotations'
import { fromWireError } from '../../app/errors'
import { composeServices, type Services } from '../compose'
import { dispatch } from '../rpc/dispatch'
import { writePatternDataset } from '../synth/patternDataset'

const run = promisify(execFile)
const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-projects-'))
const dataset = path.join(dir, 'ds')
const VIVA = path.resolve('main/cli/viva.mjs')
let services: Services
let id: string

beforeAll(async () => {
  await writePatternDataset({
    out: dataset,
    format: 'v2.1',
    lengths: [30, 40],
    fps: 10,
    cameras: [{ key: 'observation.images.cam_high', width: 64, height: 48 }],
    tasks: ['fold the towel'],
  })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  id = (await services.datasets.open(dataset)).id
  const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
  let state = services.projects.store(id).load()
  const commit = (edit: Edit | null): void => {
    if (!edit) return
    services.projects.apply(id, [edit])
    state = services.projects.store(id).load()
  }
  commit(saveTaxonomyEdit(state, 'fold the towel', ['Grasp', 'Fold'], ['Drop'], 'generic', at(0)))
  commit(addEventEdit(state, { id: 'e1', episode: 0, frame: 4, kind: 'milestone', label: 'Grasp', annotator: 'ana', taxonomyVersion: 1 }, at(1)))
  commit(addEventEdit(state, { id: 'e2', episode: 1, frame: 39, kind: 'error', label: 'Drop', note: 'slipped, "badly"', annotator: 'ana', taxonomyVersion: 1 }, at(2)))
  commit(episodeEdit(state, 1, { outcome: 'failure', status: 'done' }, at(3)))
})
afterAll(() => {
  services.projects.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('import validation leaves the project untouched', () => {
  let goodText = ''
  beforeAll(async () => {
    goodText = (await services.projects.exportText(id, 'json', {})).content
  })
  const good = (): Record<string, unknown> => JSON.parse(goodText) as Record<string, unknown>
  const events = (doc: Record<string, unknown>): Record<string, unknown>[] => doc.events as Record<string, unknown>[]
  const cases: [string, () => string, RegExp][] = [
    ['truncated JSON', () => JSON.stringify(good()).slice(0, 200), /truncated|JSON/i],
    ['not JSON at all', () => 'PK\u0003\u0004 binary', /JSON/],
    ['wrong schema version', () => JSON.stringify({ ...good(), version: 2 }), /version 2/],
    ['wrong schema name', () => JSON.stringify({ ...good(), schema: 'label-studio' }), /schema/],
    ['wrong type (frame as string)', () => { const d = good(); events(d)[0]!.frame = '4'; return JSON.stringify(d) }, /events\[0\]\.frame/],
    ['negative frame', () => { const d = good(); events(d)[0]!.frame = -1; return JSON.stringify(d) }, /events\[0\]\.frame/],
    ['unknown episode', () => { const d = good(); events(d)[0]!.episode = 17; return JSON.stringify(d) }, /episode 17/],
    ['frame beyond episode end', () => { const d = good(); events(d)[1]!.frame = 40; return JSON.stringify(d) }, /beyond/],
    ['duplicate ids', () => { const d = good(); events(d)[1]!.id = 'e1'; return JSON.stringify(d) }, /duplicate/i],
    ['direction that contradicts kind', () => { const d = good(); events(d)[0]!.direction = -1; return JSON.stringify(d) }, /direction/],
    ['label outside its taxonomy', () => { const d = good(); events(d)[0]!.label = 'Juggle'; return JSON.stringify(d) }, /Juggle/],
    ['missing required field', () => { const d = good(); delete events(d)[0]!.kind; return JSON.stringify(d) }, /kind/],
  ]
  it.each(cases)('rejects %s with a precise message and no change', async (_what, make, message) => {
    const before = (await services.projects.exportText(id, 'json', {})).content
    for (const mode of ['merge', 'replace'] as const) {
      let thrown: unknown = null
      try {
        services.projects.import(id, make(), mode)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringMatching(message) })
    }
    const after = (await services.projects.exportText(id, 'json', {})).content
    const strip = (s: string): string => s.replace(/"exportedAt": "[^"]+"/, '')
    expect(strip(after)).toBe(strip(before))
  })

  it('previews without applying, then applies a good file in one go', async () => {
    const text = (await services.projects.exportText(id, 'json', {})).content
    const preview = services.projects.previewImport(id, text, 'replace')
    expect(preview).toMatchObject({ eventsAdded: 0, eventsRemoved: 0 })
  })
})

describe('viva export / viva import', () => {
  const cli = (args: string[]) => run('node', [VIVA, ...args, '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' })

  it('exports JSON, CSV and the LeRobot sidecar with filters, and refuses to write inside the dataset', async () => {
    const json = path.join(dir, 'out', 'all.json')
    await cli(['export', dataset, '--format', 'json', '--out', json])
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { events: { id: string }[] }
    expect(doc.events.map((e) => e.id)).toEqual(['e1', 'e2'])

    const failures = path.join(dir, 'out', 'failures.csv')
    await cli(['export', dataset, '--format', 'csv', '--out', failures, '--outcome', 'failure'])
    const rows = readFileSync(failures, 'utf8').trim().split(/\r?\n/)
    expect(rows).toEqual(['episode_index,frame_index,timestamp,time_from_frame_s,kind,direction,label,note,annotator', '1,39,3.900000,3.900000,error,-1,Drop,"slipped, ""badly""",ana'])

    const sidecar = path.join(dir, 'out', 'lerobot')
    const { stdout } = await cli(['export', dataset, '--format', 'lerobot', '--out', sidecar, '--episodes', '0-0'])
    expect(stdout).toContain('annotations.parquet')

    await expect(cli(['export', dataset, '--format', 'json', '--out', path.join(dataset, 'meta', 'x.json')])).rejects.toMatchObject({
      stderr: expect.stringContaining('inside the dataset'),
    })
  })

  it('imports into another project file, dry-run first, and rejects a bad file with a one-line reason', async () => {
    const json = path.join(dir, 'out', 'all.json')
    const project = path.join(dir, 'other.viva.sqlite')
    const dry = await cli(['import', dataset, json, '--mode', 'replace', '--dry-run', '--project', project])
    expect(dry.stdout).toMatch(/Would import .* 2 events added/)
    const real = await cli(['import', dataset, json, '--mode', 'replace', '--project', project])
    expect(real.stdout).toMatch(/Imported .* 2 events added/)
    const again = path.join(dir, 'out', 'again.json')
    await cli(['export', dataset, '--format', 'json', '--out', again, '--project', project])
    const strip = (s: string): string => s.replace(/"exportedAt": "[^"]+"/, '')
    expect(strip(readFileSync(again, 'utf8'))).toBe(strip(readFileSync(json, 'utf8')))

    const bad = path.join(dir, 'bad.json')
    writeFileSync(bad, '{"schema": "viva-studio/annotations", "version": 1, "events": [')
    await expect(cli(['import', dataset, bad, '--project', project])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^viva: .*/) })
  })
})

describe('issue 13: exports never write into a dataset, the data folder or a project file', () => {
  const cli = (args: string[]) => run('node', [VIVA, ...args, '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' })
  /** Every file of the dataset with its size and modification time: what "untouched" means. */
  const snapshotOf = (root: string): string[] =>
    (readdirSync(root, { recursive: true }) as string[]).sort().map((f) => {
      const st = statSync(path.join(root, f))
      return `${f} ${st.size} ${st.mtimeMs}`
    })
  /** The events of the project as a fresh start of the app reads it. */
  const eventIds = async (): Promise<string[]> => {
    const fresh = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
    try {
      await fresh.datasets.open(dataset)
      return [...fresh.projects.store(id).load().events.keys()].sort()
    } finally {
      fresh.projects.close()
    }
  }

  it('refuses --out LINK/meta/info.json where LINK is a symlink to the dataset, and leaves the dataset as it was', async () => {
    const link = path.join(dir, 'link-to-ds')
    symlinkSync(dataset, link)
    const before = snapshotOf(dataset)
    const info = readFileSync(path.join(dataset, 'meta', 'info.json'), 'utf8')
    const failure = await cli(['export', dataset, '--format', 'json', '--out', path.join(link, 'meta', 'info.json')]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr.trim().split('\n')).toEqual([
      `viva: Refusing to write ${path.join(link, 'meta', 'info.json')}: it is inside the dataset ${dataset} (datasets are never modified) (${path.join(link, 'meta', 'info.json')} resolves to ${path.join(dataset, 'meta', 'info.json')}). Choose a path outside it.`,
    ])
    expect(readFileSync(path.join(dataset, 'meta', 'info.json'), 'utf8')).toBe(info)
    expect(snapshotOf(dataset)).toEqual(before)
  })

  it('refuses to export a dataset opened through a symlink to the dataset’s real path', async () => {
    const link = path.join(dir, 'another-link')
    symlinkSync(dataset, link)
    const before = snapshotOf(dataset)
    await expect(cli(['export', link, '--format', 'csv', '--out', path.join(dataset, 'meta', 'episodes.jsonl')])).rejects.toMatchObject({
      stderr: expect.stringContaining(`it is inside the dataset ${dataset}`),
    })
    await expect(cli(['export', link, '--format', 'lerobot', '--out', path.join(dataset, 'meta')])).rejects.toMatchObject({
      stderr: expect.stringContaining(`it is inside the dataset ${dataset}`),
    })
    expect(snapshotOf(dataset)).toEqual(before)
  })

  it('refuses --out onto the project file, its -wal file, another file in the data folder, or a --project file; every annotation survives', async () => {
    const projectFile = services.projects.store(id).file
    const project = path.join(dir, 'elsewhere.viva.sqlite')
    const exported = path.join(dir, 'exported.json')
    writeFileSync(exported, (await services.projects.exportText(id, 'json', {})).content)
    await cli(['import', dataset, exported, '--mode', 'replace', '--project', project])
    const attempts: [string[], string][] = [
      [['--out', projectFile], `it is the annotation project file ${projectFile}`],
      [['--out', `${projectFile}-wal`], `it is the annotation project file ${projectFile}`],
      [['--out', path.join(dir, 'data', 'values.sqlite')], 'inside the data folder'],
      [['--out', path.join(dir, 'data', 'new-folder', 'x.json')], 'inside the data folder'],
      [['--out', project, '--project', project], `it is the annotation project file ${project}`],
      [['--out', `${project}-wal`, '--project', project], `it is the annotation project file ${project}`],
    ]
    for (const [args, reason] of attempts) {
      await expect(cli(['export', dataset, '--format', 'json', ...args]), args.join(' ')).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(reason),
      })
    }
    expect(existsSync(path.join(dir, 'data', 'new-folder'))).toBe(false)
    expect(await eventIds()).toEqual(['e1', 'e2'])
    const other = await cli(['export', dataset, '--format', 'json', '--out', path.join(dir, 'out', 'from-other.json'), '--project', project])
    expect(other.stdout).toContain('from-other.json')
    expect((JSON.parse(readFileSync(path.join(dir, 'out', 'from-other.json'), 'utf8')) as { events: unknown[] }).events).toHaveLength(2)
  })

  it('refuses the UI’s "Write to path" (annotations.exportTo) onto the project file, and the project keeps its annotations', async () => {
    const projectFile = services.projects.store(id).file
    const bytes = readFileSync(projectFile)
    const out = await dispatch(services.handlers, 'annotations.exportTo', { datasetId: id, format: 'json', filters: {}, outPath: projectFile }, { signal: new AbortController().signal })
    expect(out.ok).toBe(false)
    const err = out.ok ? null : fromWireError(out.error)
    expect(err?.code).toBe('INVALID_ARGUMENT')
    expect(err?.message).toBe(
      `Refusing to write ${projectFile}: it is the annotation project file ${projectFile}. Choose a path outside it.`,
    )
    expect(readFileSync(projectFile).equals(bytes)).toBe(true)
    expect([...services.projects.store(id).load().events.keys()].sort()).toEqual(['e1', 'e2'])
  })
})
