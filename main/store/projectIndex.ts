import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { ReattachOffer } from '../../app/dataset'
import { APPLICATION_ID } from './migrations'

/** Keys of a project's `meta` table that say which dataset it belongs to (see SqliteAnnotationStore.bindIdentity). */
export const META_ROOT = 'dataset_root'
export const META_FINGERPRINT = 'dataset_fingerprint'
/** Set on a project whose annotations were re-attached to a dataset at another path: the file it was copied to. */
export const META_REATTACHED_TO = 'reattached_to'

/** Every project file in a projects folder, including those of version 0.1.0, one folder deeper. */
export function projectFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const direct = readdirSync(dir).filter((f) => f.endsWith('.viva.sqlite')).map((f) => path.join(dir, f))
  // Version 0.1.0 kept projects one folder deeper (see defaultProjectFile).
  const legacyDir = path.join(dir, 'projects')
  const names = new Set(direct.map((f) => path.basename(f)))
  const legacy = existsSync(legacyDir) ? readdirSync(legacyDir).filter((f) => f.endsWith('.viva.sqlite') && !names.has(f)) : []
  return [...direct, ...legacy.map((f) => path.join(legacyDir, f))]
}

/** What a project file says about its dataset, read without writing to it. */
export interface ProjectIdentity {
  file: string
  datasetRoot: string
  fingerprint: string | null
  reattachedTo: string | null
  events: number
  /** Events, labelled episodes and taxonomy versions: zero for a project nobody has annotated in. */
  records: number
  /** Last change of the file or its WAL. */
  modifiedMs: number
}

function stamp(file: string): { key: string; modifiedMs: number } | null {
  try {
    const main = statSync(file)
    if (!main.isFile()) return null
    let walKey = '-'
    let modifiedMs = main.mtimeMs
    try {
      const wal = statSync(`${file}-wal`)
      walKey = `${wal.size}:${wal.mtimeMs}`
      modifiedMs = Math.max(modifiedMs, wal.mtimeMs)
    } catch {
      // No WAL: everything is in the main file.
    }
    return { key: `${main.size}:${main.mtimeMs}:${walKey}`, modifiedMs }
  } catch {
    return null
  }
}

/** Read a project's identity: null for anything that is not a readable ViVa Studio project. */
function readIdentity(file: string, modifiedMs: number): ProjectIdentity | null {
  let db: Database.Database
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
  } catch {
    return null
  }
  try {
    db.pragma('busy_timeout = 1000')
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) return null
    const meta = new Map(
      (db.prepare('SELECT key, value FROM meta WHERE key IN (?, ?, ?)').all(META_ROOT, META_FINGERPRINT, META_REATTACHED_TO) as {
        key: string
        value: string
      }[]).map((r) => [r.key, r.value]),
    )
    const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
    const events = count('events')
    return {
      file,
      datasetRoot: meta.get(META_ROOT) ?? '',
      fingerprint: meta.get(META_FINGERPRINT) ?? null,
      reattachedTo: meta.get(META_REATTACHED_TO) ?? null,
      events,
      records: events + count('episodes') + count('taxonomies'),
      modifiedMs,
    }
  } catch {
    // Damaged, locked past the timeout, or an older layout: not a candidate, and never an error for the caller.
    return null
  } finally {
    db.close()
  }
}

/**
 * The project files of one projects folder, looked up by the fingerprint of the dataset they were made for. Reading
 * a project's identity opens it read-only and reads a few rows; results are kept per file until the file (or its
 * WAL) changes, so a scan over hundreds of projects costs a stat each after the first.
 */
export class ProjectIndex {
  private readonly cache = new Map<string, { key: string; identity: ProjectIdentity | null }>()

  constructor(private readonly projectsDir: string) {}

  identity(file: string): ProjectIdentity | null {
    const s = stamp(file)
    if (s === null) return null
    const cached = this.cache.get(file)
    if (cached && cached.key === s.key) return cached.identity
    const identity = readIdentity(file, s.modifiedMs)
    this.cache.set(file, { key: s.key, identity })
    return identity
  }

  /**
   * The project to offer a dataset that has none of its own (`ownFile` does not exist): made for the same content
   * at another path, with something annotated in it, not already re-attached elsewhere; the most recently changed
   * when several qualify (a dataset moved twice leaves two).
   */
  findOffer(fingerprint: string, root: string, ownFile: string): ReattachOffer | null {
    let best: ProjectIdentity | null = null
    let files: string[]
    try {
      files = projectFiles(this.projectsDir)
    } catch {
      return null
    }
    for (const file of files) {
      if (path.resolve(file) === path.resolve(ownFile)) continue
      const id = this.identity(file)
      if (!id || id.fingerprint !== fingerprint || id.reattachedTo !== null || id.records === 0) continue
      if (path.resolve(id.datasetRoot) === path.resolve(root)) continue
      if (!best || id.modifiedMs > best.modifiedMs) best = id
    }
    return best ? { projectPath: best.file, previousPath: best.datasetRoot, annotationCount: best.events } : null
  }
}

/** The one message for "this dataset's annotations are elsewhere, decide first", for the app and the CLI alike. */
export function reattachPendingMessage(offer: ReattachOffer): string {
  return (
    `This dataset's annotations were found at ${offer.previousPath} (${offer.annotationCount} event${offer.annotationCount === 1 ? '' : 's'}, ` +
    `project ${offer.projectPath}) and are not attached to it yet: re-attach them or start fresh first ` +
    `(the banner on the dataset screen, or viva reattach <dataset> [--fresh]); nothing was written.`
  )
}

/**
 * Record in the original project that its annotations went on in `copy`, so it is not offered again. The file is
 * otherwise left as it was (it is the backup of the state at re-attach time). Best effort: a project that cannot be
 * written (read-only, locked) is only offered again, never harmed.
 */
export function markReattached(file: string, copy: string, at: string): void {
  let db: Database.Database
  try {
    db = new Database(file, { fileMustExist: true })
  } catch {
    return
  }
  try {
    db.pragma('busy_timeout = 2000')
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) return
    const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
    db.transaction(() => {
      put.run(META_REATTACHED_TO, copy)
      put.run('reattached_at', at)
    }).immediate()
  } catch {
    // Offered again next time, which is the safe side.
  } finally {
    db.close()
  }
}
