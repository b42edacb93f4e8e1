import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEventEdit, episodeEdit, saveTaxonomyEdit } from '../../app/annotationEdits'
import type { Edit, ProjectState } from '../../app/annotations'
import type { Method, Params, Result } from '../../app/contract'
import { fromWireError } from '../../app/errors'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'
import { dispatch } from '../rpc/dispatch'

/**
 * Issue 13, item 9: a moved, renamed or symlinked dataset must find its annotations. Projects are named by dataset id
 * (from the folder's real path), so a move used to open an empty project beside the orphaned one.
 */

const run = promisify(execFile)
const VIVA = path.resolve('main/cli/viva.mjs')
const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'viva-reattach-')))
const dataDir = path.join(dir, 'data')
const projectsDir = path.join(dataDir, 'projects')
const pristine = path.join(dir, 'pristine')
const TASK = 'fold the towel'
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()

let services: Services | null = null

function compose(): Services {
  services?.projects.close()
  services = composeServices({ mode: 'browser', version: 'test', dataDir })
  return services
}

async function call<M extends Method>(s: Services, method: M, params: Params<M>): Promise<Result<M>> {
  const out = await dispatch(s.handlers, method, params, { signal: new AbortController().signal })
  if (!out.ok) throw fromWireError(out.error)
  return out.result as Result<M>
}

/**
 * Open a copy of the pristine dataset at `root` and annotate it: a taxonomy, two events, one outcome. Each copy gets
 * an info.json of its own (a copy with the same content would rightly be offered the other copies' annotations).
 */
async function annotated(root: string): Promise<{ id: string; file: string }> {
  cpSync(pristine, root, { recursive: true })
  const info = path.join(root, 'meta', 'info.json')
  writeFileSync(info, JSON.stringify({ ...(JSON.parse(readFileSync(info, 'utf8')) as object), test_case: path.basename(root) }, null, 2))
  const s = compose()
  const { id } = await call(s, 'dataset.open', { path: root })
  let state = s.projects.store(id).load()
  const commit = (edit: Edit | null): void => {
    if (!edit) return
    s.projects.apply(id, [edit])
    state = s.projects.store(id).load()
  }
  commit(saveTaxonomyEdit(state, TASK, ['Grasp', 'Fold'], ['Drop'], 'generic', at(0)))
  commit(addEventEdit(state, { id: 'e1', episode: 0, frame: 4, kind: 'milestone', label: 'Grasp', annotator: 'ana', taxonomyVersion: 1 }, at(1)))
  commit(addEventEdit(state, { id: 'e2', episode: 1, frame: 9, kind: 'error', label: 'Drop', annotator: 'ana', taxonomyVersion: 1 }, at(2)))
  commit(episodeEdit(state, 1, { outcome: 'failure' }, at(3)))
  const file = s.projects.store(id).file
  s.projects.close()
  return { id, file }
}

const projectNames = (): string[] => readdirSync(projectsDir).filter((f) => f.endsWith('.viva.sqlite')).sort()

beforeAll(async () => {
  await writePatternDataset({
    out: pristine,
    format: 'v2.1',
    lengths: [10, 12],
    fps: 10,
    cameras: [{ key: 'observation.images.cam_high', width: 64, height: 48 }],
    tasks: [TASK],
  })
})
afterAll(() => {
  services?.projects.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a moved dataset finds its annotations', () => {
  it('offers the project of the old path, writes nothing until asked, then re-attaches it and keeps the old file', async () => {
    const p = path.join(dir, 'moved-P')
    const q = path.join(dir, 'moved-Q')
    const old = await annotated(p)
    renameSync(p, q)

    const s = compose()
    const summary = await call(s, 'dataset.open', { path: q })
    expect(summary.id).not.toBe(old.id)
    expect(summary.reattach).toEqual({ projectPath: old.file, previousPath: p, annotationCount: 2 })
    expect((await call(s, 'dataset.list', {}))[0]?.reattach?.projectPath).toBe(old.file)

    // Until the user decides: an empty view that says why, no project file for Q, and edits refused with the reason.
    const before = projectNames()
    const snapshot = await call(s, 'annotations.load', { datasetId: summary.id })
    expect(snapshot.events).toEqual([])
    expect(snapshot.identityNote).toContain(`annotations were found at ${p} (2 events`)
    const empty: ProjectState = { events: new Map(), episodes: new Map(), taxonomies: new Map() }
    const edit = addEventEdit(empty, { id: 'x', episode: 0, frame: 1, kind: 'milestone', label: 'Grasp', annotator: 'bo', taxonomyVersion: 1 }, at(9))
    await expect(call(s, 'annotations.apply', { datasetId: summary.id, edits: [edit] })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('re-attach them or start fresh first'),
    })
    await expect(call(s, 'annotations.export', { datasetId: summary.id, format: 'json', filters: {} })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(projectNames()).toEqual(before)

    // Only the offered file can be taken.
    await expect(
      call(s, 'dataset.reattachProject', { datasetId: summary.id, action: 'reattach', projectPath: path.join(dir, 'elsewhere.viva.sqlite') }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })

    const after = await call(s, 'dataset.reattachProject', { datasetId: summary.id, action: 'reattach', projectPath: old.file })
    expect(after.reattach).toBeNull()
    const loaded = await call(s, 'annotations.load', { datasetId: summary.id })
    expect(loaded.events.map((e) => e.id)).toEqual(['e1', 'e2'])
    expect(loaded.episodes.map((e) => [e.episode, e.outcome])).toEqual([[1, 'failure']])
    expect(loaded.projectFile).toBe(path.join(projectsDir, `${summary.id}.viva.sqlite`))
    expect(loaded.identityNote).toContain(`created for the dataset at ${p}; it is now opened at ${q}`)
    // The project goes on for Q; the original file is still there, with every event, marked as re-attached.
    const e3 = addEventEdit(s.projects.store(summary.id).load(), { id: 'e3', episode: 0, frame: 7, kind: 'milestone', label: 'Fold', annotator: 'bo', taxonomyVersion: 1 }, at(10))
    await call(s, 'annotations.apply', { datasetId: summary.id, edits: [e3] })
    const original = new Database(old.file, { readonly: true })
    expect((original.prepare('SELECT id FROM events ORDER BY id').all() as { id: string }[]).map((r) => r.id)).toEqual(['e1', 'e2'])
    expect((original.prepare("SELECT value FROM meta WHERE key = 'reattached_to'").get() as { value: string }).value).toBe(loaded.projectFile)
    original.close()

    // Reopened later: Q's own project, no offer.
    const again = compose()
    const reopened = await call(again, 'dataset.open', { path: q })
    expect(reopened.reattach).toBeNull()
    expect((await call(again, 'annotations.load', { datasetId: reopened.id })).events.map((e) => e.id)).toEqual(['e1', 'e3', 'e2'])
  })

  it('re-attaching brings the curves (imported ones cannot be recomputed) and the camera choices of the old id', async () => {
    const p = path.join(dir, 'curves-P')
    const old = await annotated(p)
    let s = compose()
    await call(s, 'dataset.open', { path: p })
    const csv = path.join(dir, 'curves-values.csv')
    writeFileSync(csv, `episode_index,frame_index,value\n${Array.from({ length: 10 }, (_, f) => `0,${f},${f / 10}`).join('\n')}\n`)
    await call(s, 'curves.import', { datasetId: old.id, path: csv })
    const imported = await call(s, 'curves.list', { datasetId: old.id, episode: 0 })
    expect(imported).toHaveLength(1)
    const model = (await call(s, 'models.list', {})).find((m) => m.error === null)
    if (!model) throw new Error('no bundled model to map cameras for')
    // Explicitly unmapped: a guess never yields null for a slot whose name matches a camera.
    const firstSlot = Object.keys((await call(s, 'models.cameraMap', { datasetId: old.id, modelId: model.id })).slots)[0] ?? ''
    await call(s, 'models.setCameraMap', { datasetId: old.id, modelId: model.id, slots: { [firstSlot]: null } })
    s.projects.close()
    renameSync(p, path.join(dir, 'curves-Q'))

    s = compose()
    const summary = await call(s, 'dataset.open', { path: path.join(dir, 'curves-Q') })
    expect(await call(s, 'curves.list', { datasetId: summary.id, episode: 0 })).toEqual([])
    await call(s, 'dataset.reattachProject', { datasetId: summary.id, action: 'reattach', projectPath: old.file })
    const adopted = await call(s, 'curves.list', { datasetId: summary.id, episode: 0 })
    expect(adopted.map((c) => [c.name, c.length, c.source])).toEqual(imported.map((c) => [c.name, c.length, c.source]))
    const values = await call(s, 'curves.get', { datasetId: summary.id, curveId: adopted[0]?.id ?? '' })
    expect(Array.from(values.values, (v) => Math.round(v * 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect((await call(s, 'models.cameraMap', { datasetId: summary.id, modelId: model.id })).slots[firstSlot]).toBeNull()
    // The old id keeps its own copy: its folder may come back.
    expect(s.curves.listDataset(old.id)).toHaveLength(1)
  })

  it('a renamed folder is found too, and "start fresh" keeps the found project untouched', async () => {
    const p = path.join(dir, 'fresh-P')
    const old = await annotated(p)
    const q = path.join(dir, 'fresh-renamed-entirely')
    renameSync(p, q)
    const s = compose()
    const summary = await call(s, 'dataset.open', { path: q })
    expect(summary.reattach?.projectPath).toBe(old.file)
    const fresh = await call(s, 'dataset.reattachProject', { datasetId: summary.id, action: 'fresh' })
    expect(fresh.reattach).toBeNull()
    expect((await call(s, 'annotations.load', { datasetId: summary.id })).events).toEqual([])
    expect(existsSync(path.join(projectsDir, `${summary.id}.viva.sqlite`))).toBe(true)
    const kept = new Database(old.file, { readonly: true })
    expect((kept.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(2)
    kept.close()
  })

  it('a symlink and its target are one dataset with one project', async () => {
    const p = path.join(dir, 'linked-P')
    const old = await annotated(p)
    const link = path.join(dir, 'link-to-P')
    symlinkSync(p, link)
    const s = compose()
    const summary = await call(s, 'dataset.open', { path: link })
    expect(summary.id).toBe(old.id)
    expect(summary.root).toBe(p)
    expect(summary.reattach).toBeNull()
    expect((await call(s, 'annotations.load', { datasetId: summary.id })).events.map((e) => e.id)).toEqual(['e1', 'e2'])
  })

  it('a dataset with the same info.json but other episodes is not matched', async () => {
    const p = path.join(dir, 'other-P')
    await annotated(p)
    const q = path.join(dir, 'other-Q')
    cpSync(p, q, { recursive: true })
    const episodes = path.join(q, 'meta', 'episodes.jsonl')
    const lines = readFileSync(episodes, 'utf8').trim().split('\n')
    writeFileSync(episodes, `${lines[0]}\n`)
    const s = compose()
    const summary = await call(s, 'dataset.open', { path: q })
    expect(readFileSync(path.join(q, 'meta', 'info.json'), 'utf8')).toBe(readFileSync(path.join(p, 'meta', 'info.json'), 'utf8'))
    expect(summary.reattach).toBeNull()
    expect((await call(s, 'annotations.load', { datasetId: summary.id })).events).toEqual([])
  })
})

describe('the command line says so', () => {
  const cli = (args: string[]) => run('node', [VIVA, ...args, '--data-dir', dataDir], { encoding: 'utf8' })

  it('export and import refuse with the reason, inspect reports the offer, viva reattach takes the project over', async () => {
    const p = path.join(dir, 'cli-P')
    const old = await annotated(p)
    const q = path.join(dir, 'cli-Q')
    renameSync(p, q)
    const out = path.join(dir, 'cli-export.json')

    const refused = cli(['export', q, '--format', 'json', '--out', out])
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringContaining(`annotations were found at ${p} (2 events`) })
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringContaining('viva reattach <dataset>') })
    expect(existsSync(out)).toBe(false)
    await expect(cli(['import', q, old.file])).rejects.toMatchObject({ stderr: expect.stringContaining('re-attach them or start fresh first') })

    const text = await cli(['inspect', q])
    expect(text.stdout).toContain(`annotations  This dataset's annotations were found at ${p} (2 events, project ${old.file})`)
    const json = JSON.parse((await cli(['inspect', q, '--json'])).stdout) as { reattach: unknown; fingerprint: string }
    expect(json.reattach).toEqual({ projectPath: old.file, previousPath: p, annotationCount: 2 })
    expect(json.fingerprint).toMatch(/^[0-9a-f]{64}$/)

    const done = await cli(['reattach', q])
    expect(done.stdout).toContain(`Re-attached 2 events from ${old.file} (made for ${p}) to ${q}`)
    await cli(['export', q, '--format', 'json', '--out', out])
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { events: { id: string }[] }
    expect(doc.events.map((e) => e.id)).toEqual(['e1', 'e2'])
    expect((await cli(['inspect', q])).stdout).not.toContain('annotations  ')
  })
})
