import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEventEdit, saveTaxonomyEdit } from '../../app/annotationEdits'
import { composeServices, composeWriteGuard, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'
import { backupDataDir, BACKUP_MANIFEST } from './backup'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-backup-'))
const dataset = path.join(dir, 'ds')
const dataDir = path.join(dir, 'data')
let services: Services
let id = ''

beforeAll(async () => {
  await writePatternDataset({
    out: dataset,
    format: 'v2.1',
    lengths: [30, 40],
    fps: 10,
    cameras: [{ key: 'observation.images.cam_high', width: 64, height: 48 }],
    tasks: ['fold the towel'],
  })
  services = composeServices({ mode: 'browser', version: 'test', dataDir })
  id = (await services.datasets.open(dataset)).id
  const at = new Date(Date.UTC(2026, 0, 1)).toISOString()
  const tax = saveTaxonomyEdit(services.projects.store(id).load(), 'fold the towel', ['Grasp'], ['Drop'], 'generic', at)
  if (tax) services.projects.apply(id, [tax])
  services.projects.apply(id, [addEventEdit(services.projects.store(id).load(), { id: 'e1', episode: 1, frame: 7, kind: 'milestone', label: 'Grasp', annotator: 'ana', taxonomyVersion: 1 }, at)])
  services.curves.putComplete(
    { id: 'imported-1', datasetId: id, episode: 0, name: 'from elsewhere', source: 'import', convention: 'progress', length: 30, modelId: null, modelName: null, params: null, futureDim: 0, futureNames: [], futureOffset: 0, file: '/x.csv', sourceId: 's-x', fileHash: null },
    Float32Array.from({ length: 30 }, (_, i) => i / 29),
  )
  writeFileSync(path.join(dataDir, 'models.json'), '{"folders":["/models"],"cameraMaps":{}}\n')
})

afterAll(async () => {
  services.projects.close()
  await services.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('backup of the data folder', () => {
  it('copies projects, the value cache and settings while the app has them open; the copy works as a data folder', async () => {
    const out = path.join(dir, 'backup-1')
    const result = await backupDataDir({ dataDir, writeGuard: composeWriteGuard({ dataDir }), out, version: 'test' })
    expect(result.files.map((f) => [f.kind, f.path]).sort()).toEqual([
      ['project', path.join('projects', `${id}.viva.sqlite`)],
      ['settings', 'models.json'],
      ['values', 'values.sqlite'],
    ])
    const manifest = JSON.parse(readFileSync(path.join(out, BACKUP_MANIFEST), 'utf8')) as { format: string; files: unknown[] }
    expect(manifest.format).toBe('viva-studio/backup')
    expect(manifest.files).toHaveLength(3)
    expect(readFileSync(path.join(out, 'models.json'), 'utf8')).toContain('/models')

    // Restoring is copying back: the backup folder itself opens as a data folder with everything in it.
    const restored = composeServices({ mode: 'browser', version: 'test', dataDir: out })
    try {
      await restored.datasets.open(dataset)
      expect(restored.projects.snapshot(id).events.map((e) => [e.id, e.frame])).toEqual([['e1', 7]])
      const curve = restored.curves.get('imported-1')
      expect(curve.info.name).toBe('from elsewhere')
      expect(curve.values[29]).toBe(1)
    } finally {
      restored.projects.close()
      await restored.dispose()
    }
  })

  it('leaves the value cache out on request', async () => {
    const out = path.join(dir, 'backup-2')
    const result = await backupDataDir({ dataDir, writeGuard: composeWriteGuard({ dataDir }), out, version: 'test', skipValues: true })
    expect(result.files.some((f) => f.kind === 'values')).toBe(false)
    expect(existsSync(path.join(out, 'values.sqlite'))).toBe(false)
  })

  it('refuses to write inside the data folder or over an earlier backup', async () => {
    await expect(backupDataDir({ dataDir: path.join(dir, 'no-such-data'), writeGuard: composeWriteGuard({ dataDir }), out: path.join(dir, 'bk0'), version: 'test' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no-such-data'),
    })
    await expect(backupDataDir({ dataDir, writeGuard: composeWriteGuard({ dataDir }), out: path.join(dataDir, 'bk'), version: 'test' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('inside the data folder'),
    })
    await expect(backupDataDir({ dataDir, writeGuard: composeWriteGuard({ dataDir }), out: path.join(dir, 'backup-1'), version: 'test' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('already holds a backup'),
    })
  })
})
