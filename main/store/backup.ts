import { existsSync, realpathSync, statSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { VivaError } from '../../app/errors'
import { writeError } from '../atomicWrite'
import { READ_LIMITS, readRegularFile } from '../safeRead'
import type { WriteGuard } from '../writeGuard'
import { projectFiles } from './projectIndex'

export interface BackupOptions {
  dataDir: string
  /** Where annotation projects live (default `<dataDir>/projects`). */
  projectsDir?: string
  out: string
  /** Leave out values.sqlite (model results can be recomputed; imported curves cannot). */
  skipValues?: boolean
  version: string
  /** Where a backup may not go (composeWriteGuard); the data and projects folders being backed up are added. */
  writeGuard: WriteGuard
}

export interface BackupFile {
  /** Path inside the backup folder. */
  path: string
  bytes: number
  kind: 'project' | 'values' | 'settings'
}

export interface BackupResult {
  out: string
  files: BackupFile[]
}

export const BACKUP_MANIFEST = 'viva-backup.json'
const SETTINGS = ['models.json', 'recent-datasets.json', 'window-state.json']

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/** SQLite's online backup: a consistent copy even while the app is writing (WAL included), written then renamed. */
export async function copyDatabase(from: string, to: string): Promise<number> {
  const partial = `${to}.partial`
  let db: Database.Database
  try {
    db = new Database(from, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new VivaError('DATASET_INVALID', `Cannot open ${from} to back it up: ${(err as Error).message}`, from)
  }
  try {
    await mkdir(path.dirname(to), { recursive: true })
    await db.backup(partial)
    const check = new Database(partial, { readonly: true })
    try {
      const result = check.pragma('integrity_check', { simple: true })
      if (result !== 'ok') throw new VivaError('DATASET_INVALID', `The copy of ${from} fails its integrity check (${String(result)}); the original may be damaged.`, from)
    } finally {
      check.close()
    }
    await rename(partial, to)
    return statSync(to).size
  } catch (err) {
    await rm(partial, { force: true })
    throw writeError(err, to, 'backup')
  } finally {
    db.close()
  }
}

/**
 * Copy what cannot be recomputed out of the data folder: every annotation project, the value cache (imported curves
 * and model results) and the settings, into `out`, with a manifest. Safe while the app runs. Proxies and the demo
 * dataset are left out (they are rebuilt on demand); datasets are the user's own files and are never touched.
 */
export async function backupDataDir(options: BackupOptions): Promise<BackupResult> {
  if (!existsSync(options.dataDir)) {
    throw new VivaError('NOT_FOUND', `There is no data folder at ${path.resolve(options.dataDir)} (nothing to back up; see --data-dir).`, options.dataDir)
  }
  const dataDir = real(options.dataDir)
  const projectsDir = real(options.projectsDir ?? path.join(options.dataDir, 'projects'))
  const guard = options.writeGuard.with([
    { path: dataDir, kind: 'data folder' },
    { path: projectsDir, kind: 'projects folder' },
  ])
  const out = await guard.check(options.out)
  if (existsSync(path.join(out, BACKUP_MANIFEST))) {
    throw new VivaError('INVALID_ARGUMENT', `${out} already holds a backup; choose a new folder so that backup stays as it is.`, out)
  }
  const files: BackupFile[] = []
  for (const file of projectFiles(projectsDir)) {
    const rel = path.join('projects', path.basename(file))
    files.push({ path: rel, bytes: await copyDatabase(file, await guard.check(path.join(out, rel))), kind: 'project' })
  }
  const values = path.join(dataDir, 'values.sqlite')
  if (!options.skipValues && existsSync(values)) {
    files.push({ path: 'values.sqlite', bytes: await copyDatabase(values, await guard.check(path.join(out, 'values.sqlite'))), kind: 'values' })
  }
  for (const name of SETTINGS) {
    const file = path.join(dataDir, name)
    if (!existsSync(file)) continue
    const bytes = await readRegularFile(file, READ_LIMITS.settings)
    await guard.writeFile(path.join(out, name), bytes, 'backup')
    files.push({ path: name, bytes: bytes.length, kind: 'settings' })
  }
  const manifest = { format: 'viva-studio/backup', version: 1, app: options.version, createdAt: new Date().toISOString(), dataDir, projectsDir, files }
  await guard.writeFile(path.join(out, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 'backup')
  return { out, files }
}
