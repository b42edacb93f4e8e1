import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { distinctImportNames, type CurveConvention, type CurveData, type CurveInfo, type CurveSource, type ScoreParams } from '../../app/curves'
import { VivaError } from '../../app/errors'
import { writeError } from '../atomicWrite'
import { enableWal } from './wal'

/**
 * Value curves on disk (one SQLite file for all datasets, in the user-data folder). A model run's curve is keyed by
 * model hash, dataset, episode and parameters; its values arrive as chunks committed one transaction each, so a
 * killed job leaves every acknowledged chunk and resumes after the last one. This is a cache: deleting the file
 * loses nothing that cannot be recomputed, except imported curves (which can be imported again).
 *
 * Imported curves belong to a source (source_id): one imported file, found again by its real path or its content
 * hash, so that importing it again refreshes its curves. Their `name` is the display name: the curve's own name
 * (base_name), with the folders that tell the files apart when another source has a curve of the same name.
 *
 * Two processes may write it at once (the app and `viva score`, two app windows' jobs): every transaction that
 * writes starts IMMEDIATE. A deferred one reads first, and upgrading that read to a write while the other process
 * writes fails with SQLITE_BUSY at once, without waiting busy_timeout: measured, one of two processes appending
 * 2,000 chunks each failed within its first chunks, every time (main/store/durability.test.ts has the race).
 */
const SCHEMA_VERSION = 4
const BUSY_TIMEOUT_MS = 5000

/** A scoring job that has not ended: kept so that a restarted app (after a crash, a kill or a quit) resumes it. */
export interface PendingJob {
  id: string
  datasetRoot: string
  request: unknown
  paused: boolean
  /** The process that runs it; a row whose owner is alive belongs to another running app instance. */
  ownerPid: number
}

interface CurveRow {
  id: string
  dataset_id: string
  episode: number
  name: string
  source: CurveSource
  convention: CurveConvention
  length: number
  model_id: string | null
  model_name: string | null
  params: string | null
  future_dim: number
  future_names: string
  future_offset: number
  file: string | null
  source_id: string | null
  file_hash: string | null
  base_name: string | null
  created_at: string
  computed: number
  /** JSON array of strings (schema 3). */
  warnings: string
}

interface ChunkRow {
  start: number
  count: number
  vals: Buffer
  future: Buffer | null
}

/** The cache key of a model run: everything that changes its values. */
export function modelCurveId(modelId: string, datasetId: string, episode: number, params: ScoreParams): string {
  // A state map or another state feature joins the key only when there is one, so curves scored before either existed
  // keep their ids.
  const extra = params.stateMap === undefined && params.stateKey === undefined ? [] : [params.stateMap ?? null, params.stateKey ?? null]
  const key = JSON.stringify([modelId, datasetId, episode, params.steps, params.seed, params.cameras, ...extra])
  return `m-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`
}

function asBuffer(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
}

function floats(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength)
  copy.set(b)
  return new Float32Array(copy.buffer)
}

export type NewCurve = Omit<CurveInfo, 'computed' | 'complete' | 'createdAt' | 'warnings'> & { warnings?: string[] }

function parseWarnings(text: string | undefined): string[] {
  try {
    const v: unknown = JSON.parse(text ?? '[]')
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

/** A source id for imported curves; derived from the file's path the first time it is imported, then kept. */
export function importSourceId(datasetId: string, file: string, hash: string): string {
  return `s-${createHash('sha256').update(JSON.stringify([datasetId, file, hash])).digest('hex').slice(0, 24)}`
}

/** The id of one imported curve: its source, its name in the file, its episode. */
export function importCurveId(datasetId: string, sourceId: string, name: string, episode: number): string {
  return `i-${createHash('sha256').update(JSON.stringify([datasetId, sourceId, name, episode])).digest('hex').slice(0, 24)}`
}

/** One curve of an imported file, as putImport stores it. */
export interface ImportedCurveRow {
  episode: number
  name: string
  convention: CurveConvention
  values: Float32Array
}

export class CurveStore {
  private readonly db: Database.Database

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true })
    try {
      this.db = new Database(file)
      // First: every statement below may have to wait for the other process (the app and `viva score`) opening it.
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
      enableWal(this.db, BUSY_TIMEOUT_MS)
      // A crash of the process loses nothing committed; only a power loss can drop the last chunks (recomputable).
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma('foreign_keys = ON')
      this.migrate()
    } catch (err) {
      throw new VivaError('INTERNAL', `Cannot open the value cache ${file}: ${(err as Error).message}`, file)
    }
  }

  private migrate(): void {
    // IMMEDIATE takes the write lock before reading the version, so two processes creating the same new cache
    // (the app and `viva score`) cannot both run the DDL; the whole migration commits or none of it does.
    this.db
      .transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number
        if (version > SCHEMA_VERSION) {
          throw new Error(`it was written by a newer ViVa Studio (schema ${version}, this one knows ${SCHEMA_VERSION})`)
        }
        if (version === SCHEMA_VERSION) return
        if (version < 1) this.db.exec(`
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
        `)
        if (version < 2) {
          this.db.exec(`
            CREATE TABLE jobs (
              id TEXT PRIMARY KEY, dataset_root TEXT NOT NULL, request TEXT NOT NULL,
              paused INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER NOT NULL, created_at TEXT NOT NULL
            );
          `)
        }
        if (version < 3) {
          this.db.exec(`
            ALTER TABLE curves ADD COLUMN source_id TEXT;
            ALTER TABLE curves ADD COLUMN file_hash TEXT;
            ALTER TABLE curves ADD COLUMN base_name TEXT;
            CREATE INDEX curves_by_source ON curves(dataset_id, source_id);
          `)
          // Curves imported before sources existed: one source per file they came from (their content hash is
          // unknown: the file may be gone), then display names that tell same-named curves of two files apart.
          const old = this.db.prepare(`SELECT DISTINCT dataset_id, file FROM curves WHERE source = 'import'`).all() as { dataset_id: string; file: string | null }[]
          const set = this.db.prepare(`UPDATE curves SET source_id = ?, base_name = name WHERE source = 'import' AND dataset_id = ? AND file IS ?`)
          for (const r of old) set.run(importSourceId(r.dataset_id, r.file ?? '', ''), r.dataset_id, r.file)
          for (const d of new Set(old.map((r) => r.dataset_id))) this.relabelImports(d)
        }
        // Why a curve's values may not mean what they should (input out of the model's distribution).
        if (version < 4) this.db.exec(`ALTER TABLE curves ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]'`)
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`)
      })
      .immediate()
  }

  private toInfo(r: CurveRow): CurveInfo {
    return {
      id: r.id,
      datasetId: r.dataset_id,
      episode: r.episode,
      name: r.name,
      source: r.source,
      convention: r.convention,
      length: r.length,
      computed: r.computed,
      complete: r.computed >= r.length,
      modelId: r.model_id,
      modelName: r.model_name,
      params: r.params ? (JSON.parse(r.params) as ScoreParams) : null,
      futureDim: r.future_dim,
      futureNames: JSON.parse(r.future_names) as string[],
      futureOffset: r.future_offset,
      file: r.file,
      sourceId: r.source_id,
      fileHash: r.file_hash,
      warnings: parseWarnings(r.warnings),
      createdAt: r.created_at,
    }
  }

  /** Create the curve unless it exists; returns its current state (so a run resumes at `computed`). */
  ensure(curve: NewCurve): CurveInfo {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO curves (id, dataset_id, episode, name, source, convention, length, model_id, model_name,
         params, future_dim, future_names, future_offset, file, source_id, file_hash, base_name, created_at, warnings)
       VALUES (@id, @datasetId, @episode, @name, @source, @convention, @length, @modelId, @modelName, @params,
         @futureDim, @futureNames, @futureOffset, @file, @sourceId, @fileHash, @name, @createdAt, @warnings)`,
    )
    this.writing(() =>
      insert.run({
        ...curve,
        params: curve.params ? JSON.stringify(curve.params) : null,
        futureNames: JSON.stringify(curve.futureNames),
        createdAt: new Date().toISOString(),
        warnings: JSON.stringify(curve.warnings ?? []),
      }),
    )
    const info = this.info(curve.id)
    if (!info) throw new VivaError('INTERNAL', `curve ${curve.id} vanished from ${this.file}`)
    return info
  }

  info(id: string): CurveInfo | null {
    const row = this.db.prepare('SELECT * FROM curves WHERE id = ?').get(id) as CurveRow | undefined
    return row ? this.toInfo(row) : null
  }

  list(datasetId: string, episode: number): CurveInfo[] {
    const rows = this.db.prepare('SELECT * FROM curves WHERE dataset_id = ? AND episode = ? ORDER BY created_at, id').all(datasetId, episode) as CurveRow[]
    return rows.map((r) => this.toInfo(r))
  }

  /** Every curve of a dataset (metrics over the whole dataset). */
  listDataset(datasetId: string): CurveInfo[] {
    const rows = this.db.prepare('SELECT * FROM curves WHERE dataset_id = ? ORDER BY episode, created_at, id').all(datasetId) as CurveRow[]
    return rows.map((r) => this.toInfo(r))
  }

  /**
   * Append the next values of a curve, in order: `start` must equal what is already computed (a chunk that is
   * already there is ignored, so a resumed run may repeat its last batch safely).
   */
  append(id: string, start: number, values: Float32Array, future: Float32Array | null): CurveInfo {
    return this.writing(() => this.appendChunk(id, start, values, future))
  }

  private appendChunk(id: string, start: number, values: Float32Array, future: Float32Array | null): CurveInfo {
    const tx = this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM curves WHERE id = ?').get(id) as CurveRow | undefined
      if (!row) throw new VivaError('NOT_FOUND', `No curve ${id}`)
      if (start + values.length <= row.computed) return this.toInfo(row)
      if (start !== row.computed) throw new VivaError('CONFLICT', `curve ${id}: chunk at frame ${start}, but ${row.computed} frames are stored`)
      if (start + values.length > row.length) throw new VivaError('INVALID_ARGUMENT', `curve ${id}: chunk ends at ${start + values.length}, the episode has ${row.length} frames`)
      if (row.future_dim > 0 && (future === null || future.length !== values.length * row.future_dim)) {
        throw new VivaError('INVALID_ARGUMENT', `curve ${id}: future state must have ${values.length * row.future_dim} values`)
      }
      this.db.prepare('INSERT INTO chunks (curve_id, start, count, vals, future) VALUES (?, ?, ?, ?, ?)').run(id, start, values.length, asBuffer(values), future && row.future_dim > 0 ? asBuffer(future) : null)
      this.db.prepare('UPDATE curves SET computed = ? WHERE id = ?').run(start + values.length, id)
      return this.toInfo({ ...row, computed: start + values.length })
    })
    return tx.immediate()
  }

  get(id: string): CurveData {
    const row = this.db.prepare('SELECT * FROM curves WHERE id = ?').get(id) as CurveRow | undefined
    if (!row) throw new VivaError('NOT_FOUND', `No curve ${id}`)
    const info = this.toInfo(row)
    const values = new Float32Array(row.length).fill(Number.NaN)
    const future = row.future_dim > 0 ? new Float32Array(row.length * row.future_dim).fill(Number.NaN) : null
    const chunks = this.db.prepare('SELECT start, count, vals, future FROM chunks WHERE curve_id = ? ORDER BY start').all(id) as ChunkRow[]
    for (const c of chunks) {
      values.set(floats(c.vals).subarray(0, Math.max(0, row.length - c.start)), c.start)
      if (future && c.future) future.set(floats(c.future).subarray(0, Math.max(0, (row.length - c.start) * row.future_dim)), c.start * row.future_dim)
    }
    return { info, values, future }
  }

  /**
   * Give a dataset that was moved (re-attached to its old project) the curves of its old id: scored curves under the
   * id a rescore at the new id would use (so they stay cache hits), imported ones under their same source. Copies,
   * in one transaction; the old id keeps its curves (its folder may come back), and curves the new id already has win.
   */
  adoptDataset(fromId: string, toId: string): number {
    if (fromId === toId) return 0
    const tx = this.db.transaction(() => {
      const rows = this.db.prepare('SELECT * FROM curves WHERE dataset_id = ?').all(fromId) as CurveRow[]
      const insertCurve = this.db.prepare(
        `INSERT OR IGNORE INTO curves (id, dataset_id, episode, name, source, convention, length, model_id, model_name, params,
           future_dim, future_names, future_offset, file, source_id, file_hash, base_name, created_at, computed, warnings)
         SELECT @to, @toId, episode, name, source, convention, length, model_id, model_name, params, future_dim,
           future_names, future_offset, file, source_id, file_hash, base_name, created_at, computed, warnings
         FROM curves WHERE id = @from`,
      )
      const copyChunks = this.db.prepare('INSERT OR IGNORE INTO chunks (curve_id, start, count, vals, future) SELECT ?, start, count, vals, future FROM chunks WHERE curve_id = ?')
      let adopted = 0
      for (const r of rows) {
        const to = r.source === 'model' && r.model_id !== null && r.params !== null
          ? modelCurveId(r.model_id, toId, r.episode, JSON.parse(r.params) as ScoreParams)
          : importCurveId(toId, r.source_id ?? r.id, r.base_name ?? r.name, r.episode)
        if (insertCurve.run({ to, toId, from: r.id }).changes === 0) continue
        copyChunks.run(to, r.id)
        adopted++
      }
      this.relabelImports(toId)
      return adopted
    })
    return this.writing(() => tx.immediate())
  }

  /** Replace a curve's values at once (imports). */
  putComplete(curve: NewCurve, values: Float32Array): CurveInfo {
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM curves WHERE id = ?').run(curve.id)
      this.ensure(curve)
      this.db.prepare('INSERT INTO chunks (curve_id, start, count, vals, future) VALUES (?, 0, ?, ?, NULL)').run(curve.id, values.length, asBuffer(values))
      this.db.prepare('UPDATE curves SET computed = ? WHERE id = ?').run(values.length, curve.id)
    })
    this.writing(() => tx.immediate())
    const info = this.info(curve.id)
    if (!info) throw new VivaError('INTERNAL', `curve ${curve.id} was not stored`)
    return info
  }

  /** Replace a curve's warnings (a resumed run recomputes them from the episode it scores). */
  setWarnings(id: string, warnings: readonly string[]): CurveInfo | null {
    this.writing(() => this.db.prepare('UPDATE curves SET warnings = ? WHERE id = ?').run(JSON.stringify(warnings), id))
    return this.info(id)
  }

  /**
   * The source an imported file belongs to: the one last imported from the same real path, else one whose file had
   * the same content (a copy, or a moved folder); null for a file never imported into this dataset.
   */
  findImportSource(datasetId: string, file: string, hash: string): string | null {
    const byPath = this.db.prepare(`SELECT source_id FROM curves WHERE dataset_id = ? AND source = 'import' AND file = ? AND source_id IS NOT NULL LIMIT 1`).get(datasetId, file) as { source_id: string } | undefined
    if (byPath) return byPath.source_id
    const byHash = this.db.prepare(`SELECT source_id FROM curves WHERE dataset_id = ? AND source = 'import' AND file_hash = ? AND source_id IS NOT NULL LIMIT 1`).get(datasetId, hash) as { source_id: string } | undefined
    return byHash?.source_id ?? null
  }

  /**
   * Store the curves of one imported file as its source's curves, in one transaction: the source's earlier curves
   * (an older version of the file, or episodes it no longer has) go, and every imported series of the dataset gets
   * its display name again (a new file may share a curve name with an older one).
   */
  putImport(datasetId: string, source: { sourceId: string; file: string; fileHash: string }, curves: ImportedCurveRow[]): CurveInfo[] {
    const tx = this.db.transaction(() => {
      this.db.prepare(`DELETE FROM curves WHERE dataset_id = ? AND source = 'import' AND source_id = ?`).run(datasetId, source.sourceId)
      const chunk = this.db.prepare('INSERT INTO chunks (curve_id, start, count, vals, future) VALUES (?, 0, ?, ?, NULL)')
      const done = this.db.prepare('UPDATE curves SET computed = ? WHERE id = ?')
      const ids: string[] = []
      for (const c of curves) {
        const id = importCurveId(datasetId, source.sourceId, c.name, c.episode)
        this.ensure({
          id,
          datasetId,
          episode: c.episode,
          name: c.name,
          source: 'import',
          convention: c.convention,
          length: c.values.length,
          modelId: null,
          modelName: null,
          params: null,
          futureDim: 0,
          futureNames: [],
          futureOffset: 0,
          file: source.file,
          sourceId: source.sourceId,
          fileHash: source.fileHash,
        })
        chunk.run(id, c.values.length, asBuffer(c.values))
        done.run(c.values.length, id)
        ids.push(id)
      }
      this.relabelImports(datasetId)
      return ids
    })
    const ids = this.writing(() => tx.immediate())
    return ids.map((id) => {
      const info = this.info(id)
      if (!info) throw new VivaError('INTERNAL', `curve ${id} was not stored`)
      return info
    })
  }

  /** Display names of the dataset's imported series (see distinctImportNames); call inside a transaction. */
  private relabelImports(datasetId: string): void {
    const series = this.db
      .prepare(`SELECT source_id, base_name, MAX(file) AS file FROM curves WHERE dataset_id = ? AND source = 'import' AND source_id IS NOT NULL GROUP BY source_id, base_name ORDER BY MIN(created_at), source_id`)
      .all(datasetId) as { source_id: string; base_name: string; file: string | null }[]
    const names = distinctImportNames(series.map((r) => ({ sourceId: r.source_id, name: r.base_name, file: r.file ?? '' })))
    const rename = this.db.prepare(`UPDATE curves SET name = ? WHERE dataset_id = ? AND source = 'import' AND source_id = ? AND base_name = ? AND name IS NOT ?`)
    series.forEach((r, i) => rename.run(names[i], datasetId, r.source_id, r.base_name, names[i]))
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM curves WHERE id = ?').run(id).changes > 0
  }

  /** Run a write; SQLite's "disk full" and I/O errors become one clear error naming this file (the transaction is rolled back). */
  private writing<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof VivaError) throw err
      throw writeError(err, this.file, 'value cache')
    }
  }

  saveJob(job: Omit<PendingJob, 'ownerPid'>): void {
    this.writing(() =>
      this.db
        .prepare('INSERT OR REPLACE INTO jobs (id, dataset_root, request, paused, owner_pid, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(job.id, job.datasetRoot, JSON.stringify(job.request), job.paused ? 1 : 0, process.pid, new Date().toISOString()),
    )
  }

  setJobPaused(id: string, paused: boolean): void {
    this.writing(() => this.db.prepare('UPDATE jobs SET paused = ? WHERE id = ?').run(paused ? 1 : 0, id))
  }

  removeJob(id: string): void {
    this.writing(() => this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id))
  }

  /**
   * Take over the unfinished jobs whose app is gone (crashed, killed or quit), oldest first. Jobs of another live
   * instance stay theirs, so two instances never score the same job twice.
   */
  claimOrphanJobs(alive: (pid: number) => boolean): PendingJob[] {
    return this.writing(() =>
      this.db
        .transaction(() => {
          const rows = this.db.prepare('SELECT * FROM jobs ORDER BY created_at, id').all() as {
            id: string
            dataset_root: string
            request: string
            paused: number
            owner_pid: number
          }[]
          const mine = rows.filter((r) => r.owner_pid === process.pid || !alive(r.owner_pid))
          const claim = this.db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?')
          const out: PendingJob[] = []
          for (const r of mine) {
            claim.run(process.pid, r.id)
            let request: unknown = null
            try {
              request = JSON.parse(r.request)
            } catch {
              // Left null: the caller reports the job as failed with a clear reason.
            }
            out.push({ id: r.id, datasetRoot: r.dataset_root, request, paused: r.paused === 1, ownerPid: process.pid })
          }
          return out
        })
        .immediate(),
    )
  }

  close(): void {
    this.db.close()
  }
}
