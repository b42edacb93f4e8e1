import type Database from 'better-sqlite3'
import { VivaError } from '../../app/errors'

/**
 * Schema history of a project file. `PRAGMA user_version` holds how many of these have run; each runs in its own
 * write transaction together with the bump of user_version, so a crash mid-migration leaves the previous schema
 * intact. Append only: never edit a migration that has shipped, add the next one.
 */
export type Migration = (db: Database.Database) => void

/** Marks a SQLite file as a ViVa Studio project ('ViVa'), so another program's database is never "migrated". */
export const APPLICATION_ID = 0x56695661

export const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema. STRICT tables so a wrong type is an error at write time rather than a surprise at read time.
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE taxonomies (
        task TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        milestones TEXT NOT NULL CHECK (json_valid(milestones)),
        error_types TEXT NOT NULL CHECK (json_valid(error_types)),
        preset TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (task, version)
      ) STRICT;

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        episode INTEGER NOT NULL CHECK (episode >= 0),
        frame INTEGER NOT NULL CHECK (frame >= 0),
        kind TEXT NOT NULL CHECK (kind IN ('milestone', 'error')),
        label TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        annotator TEXT NOT NULL,
        taxonomy_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_episode_frame ON events (episode, frame);
      -- taxonomy.delete asks "is this version still used?"
      CREATE INDEX events_taxonomy_version ON events (taxonomy_version);

      CREATE TABLE episodes (
        episode INTEGER PRIMARY KEY CHECK (episode >= 0),
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
        status TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'done', 'needs_review')),
        note TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
      ) STRICT;
    `)
  },
]

/** The newest schema this build reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

function newerSchema(file: string, found: number, known: number): VivaError {
  return new VivaError(
    'DATASET_INVALID',
    `${file} was written by a newer ViVa Studio (schema ${found}); this version reads up to ${known}. Update ViVa Studio to open it.`,
    file,
  )
}

/**
 * Read-only checks, before anything is written to the file (not even the switch to WAL): refuse another program's
 * database and a schema newer than this build. Returns the file's schema version.
 */
export function checkSchema(db: Database.Database, file: string, known: number = SCHEMA_VERSION): number {
  // One read transaction: another instance creating the same new file may commit its first migration between two
  // separate reads, and tables without our application id would then look like another program's database.
  const { found, appId, tables } = db.transaction(() => ({
    found: userVersion(db),
    appId: db.pragma('application_id', { simple: true }) as number,
    tables: (db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number }).n,
  }))()
  if (appId !== APPLICATION_ID) {
    // Ours from the first migration on; anything else that is not an empty database belongs to someone else.
    if (appId !== 0 || found !== 0 || tables > 0) {
      throw new VivaError('DATASET_INVALID', `${file} is an SQLite database of another program, not a ViVa Studio project.`, file)
    }
  }
  if (found > known) throw newerSchema(file, found, known)
  return found
}

/**
 * Bring the file up to the newest schema. Safe when several processes open the same new file at once: each step
 * takes the write lock first (BEGIN IMMEDIATE) and re-reads user_version under it, so a step another process has
 * just run is skipped rather than run twice.
 */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[] = MIGRATIONS): void {
  const known = migrations.length
  const found = checkSchema(db, file, known)
  const step = db.transaction((index: number) => {
    const current = userVersion(db)
    if (current > known) throw newerSchema(file, current, known)
    if (current > index) return
    const migration = migrations[index]
    if (!migration) throw new VivaError('INTERNAL', `missing migration ${index + 1}`, file)
    if (index === 0) db.pragma(`application_id = ${APPLICATION_ID}`)
    migration(db)
    db.pragma(`user_version = ${index + 1}`)
  })
  for (let index = found; index < known; index++) step.immediate(index)
}
