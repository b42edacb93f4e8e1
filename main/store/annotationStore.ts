import { existsSync, mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { AnnotationEvent, Edit, EpisodeLabels, ProjectState, Taxonomy } from '../../app/annotations'
import { DEFAULT_EPISODE_LABELS } from '../../app/annotations'
import { eventPatchKeys, updatedEpisodeLabels, validateEdit } from '../../app/annotationEdits'
import { VivaError } from '../../app/errors'
import { episodeFromRow, eventFromRow, eventParams, taxonomyFromRow, taxonomyParams, type EpisodeRow, type EventRow, type TaxonomyRow } from './annotationRows'
import { checkSchema, migrate } from './migrations'
import { translate } from './projectErrors'
import { enableWal } from './wal'
import { META_FINGERPRINT, META_ROOT } from './projectIndex'

/**
 * The annotation project of one dataset, stored in one SQLite file.
 *
 * Durability: `apply` returns only once its transaction has committed with `synchronous=FULL`, i.e. after the WAL
 * has been fsynced. That return is the acknowledgment the UI shows as "saved", so it must survive a crash of the
 * process (SIGKILL: the OS still holds the written pages) and of the machine (power loss: only what was fsynced
 * survives; WAL with the default synchronous=NORMAL may lose the last commits there). `fullfsync` extends the same
 * promise to macOS, where plain fsync does not flush the drive's cache. Edits come at human pace, so one fsync per
 * commit costs nothing noticeable.
 *
 * Concurrency: two app instances (or the app and the CLI) may open the same file. SQLite's own file locking
 * serializes them; no lock file or daemon of ours could be more robust, and SQLite releases its locks when a
 * process dies, so a crashed instance never leaves the project locked. WAL lets readers go on while one writer
 * commits. Every write transaction starts with BEGIN IMMEDIATE: it takes the write lock up front (waiting up to
 * busy_timeout for the other writer) instead of upgrading a read snapshot later, which in WAL mode fails with
 * SQLITE_BUSY_SNAPSHOT without waiting. Serializing alone would still let a stale instance overwrite what the other
 * one wrote; that is what each edit's `before` is for: it is checked against the stored rows inside the same
 * transaction, so a stale edit fails with CONFLICT and the instance reloads instead of clobbering.
 */
export interface AnnotationStore {
  /** Absolute path of the project file. */
  readonly file: string
  /** Set when the project was made for a dataset at another path or the dataset's identity changed; else null. */
  readonly identityNote: string | null
  /** Applies all edits in one transaction, all or nothing; returns once committed to disk. */
  apply(edits: readonly Edit[]): void
  load(): ProjectState
  episodeLabels(): Map<number, EpisodeLabels>
  eventCountsByEpisode(): Map<number, EventCounts>
  /** Events of one episode, ordered by frame. */
  eventsOfEpisode(episode: number): AnnotationEvent[]
  /** `PRAGMA integrity_check`: 'ok' or the problems found (slow on big files: for diagnostics and tests). */
  integrityCheck(): string
  close(): void
}

export interface EventCounts {
  milestones: number
  errors: number
}

export interface DatasetIdentity {
  datasetRoot: string
  datasetName: string
  format: string
  fps: number
  /** Content identity of the dataset (datasetFingerprint); null where unknown. */
  fingerprint?: string | null
}

export interface OpenOptions {
  /** How long a statement waits for another instance's transaction before failing with LOCKED. */
  busyTimeoutMs?: number
}

const BUSY_TIMEOUT_MS = 5000

export function defaultProjectFile(projectsDir: string, datasetId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(datasetId) || datasetId === '.' || datasetId === '..') {
    throw new VivaError('INVALID_ARGUMENT', `Not a usable dataset id for a file name: ${JSON.stringify(datasetId)}`)
  }
  const file = path.join(projectsDir, `${datasetId}.viva.sqlite`)
  // Versions up to 0.1.0 nested one folder deeper (<projects-dir>/projects/); such a project stays where it is.
  const legacy = path.join(projectsDir, 'projects', `${datasetId}.viva.sqlite`)
  return !existsSync(file) && existsSync(legacy) ? legacy : file
}

// ---------------------------------------------------------------------------------------------------------------
// Validation. The same rules as app/annotationEdits.ts `applyEdit` (which the renderer applies optimistically), so a
// store and an in-memory state accept and refuse the same edits; the RPC layer's zod schema checks shapes before.

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', message)
}

function conflict(message: string): VivaError {
  return new VivaError('CONFLICT', message)
}

const show = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value))

function check(ok: boolean, message: () => string): void {
  if (!ok) throw invalid(message())
}

/** What event.delete compares: all of it, as applyEdit does (an undone update restores updatedAt via beforeAt). */
const EVENT_KEYS = ['episode', 'frame', 'kind', 'label', 'note', 'annotator', 'taxonomyVersion', 'createdAt', 'updatedAt'] as const

/** What differs between a stored taxonomy row and the version an edit expects; null when they are the same. */
function taxonomyDifference(row: TaxonomyRow, t: Taxonomy): string | null {
  if (row.milestones !== JSON.stringify(t.milestones)) return 'its milestones differ'
  if (row.error_types !== JSON.stringify(t.errorTypes)) return 'its error types differ'
  if (row.preset !== t.preset) return `its preset is ${show(row.preset)} here, the edit expected ${show(t.preset)}`
  if (row.created_at !== t.createdAt) return `it was created at ${row.created_at} here, the edit expected ${t.createdAt}`
  return null
}

/** A taxonomy version removed in the batch being applied, checked once the whole batch has been applied. */
interface RemovedTaxonomy {
  index: number
  row: TaxonomyRow
}

// ---------------------------------------------------------------------------------------------------------------

function samePath(a: string, b: string): boolean {
  const x = path.resolve(a)
  const y = path.resolve(b)
  return process.platform === 'win32' || process.platform === 'darwin' ? x.toLowerCase() === y.toLowerCase() : x === y
}

function fpsEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))
}

function prepareStatements(db: Database.Database) {
  return {
    event: db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?'),
    insertEvent: db.prepare(
      `INSERT INTO events (id, episode, frame, kind, label, note, annotator, taxonomy_version, created_at, updated_at)
       VALUES (@id, @episode, @frame, @kind, @label, @note, @annotator, @taxonomy_version, @created_at, @updated_at)`,
    ),
    updateEvent: db.prepare(
      `UPDATE events SET frame = @frame, kind = @kind, label = @label, note = @note,
         taxonomy_version = @taxonomy_version, updated_at = @updated_at WHERE id = @id`,
    ),
    deleteEvent: db.prepare('DELETE FROM events WHERE id = ?'),
    deleteEpisode: db.prepare('DELETE FROM episodes WHERE episode = ?'),
    episode: db.prepare<[number], EpisodeRow>('SELECT * FROM episodes WHERE episode = ?'),
    upsertEpisode: db.prepare(
      `INSERT INTO episodes (episode, outcome, status, note, updated_at) VALUES (@episode, @outcome, @status, @note, @updated_at)
       ON CONFLICT (episode) DO UPDATE SET outcome = excluded.outcome, status = excluded.status, note = excluded.note,
         updated_at = excluded.updated_at`,
    ),
    latestTaxonomy: db.prepare<[string], TaxonomyRow>('SELECT * FROM taxonomies WHERE task = ? ORDER BY version DESC LIMIT 1'),
    topTaxonomies: db.prepare<[string], TaxonomyRow>('SELECT * FROM taxonomies WHERE task = ? ORDER BY version DESC LIMIT 2'),
    taxonomy: db.prepare<[string, number], TaxonomyRow>('SELECT * FROM taxonomies WHERE task = ? AND version = ?'),
    insertTaxonomy: db.prepare(
      `INSERT INTO taxonomies (task, version, milestones, error_types, preset, created_at)
       VALUES (@task, @version, @milestones, @error_types, @preset, @created_at)`,
    ),
    deleteTaxonomy: db.prepare('DELETE FROM taxonomies WHERE task = ? AND version = ?'),
    // Events do not name their task (the episode does, in the dataset), so "still uses this taxonomy version" is
    // read as: an event of that version whose label comes from this taxonomy's vocabulary for its kind. With
    // several tasks sharing a version number and a label this errs towards CONFLICT, never towards losing a label.
    taxonomyUse: db.prepare<[number, string, string], { id: string; episode: number; frame: number; label: string }>(
      `SELECT id, episode, frame, label FROM events WHERE taxonomy_version = ?
         AND ((kind = 'milestone' AND label IN (SELECT value FROM json_each(?)))
           OR (kind = 'error' AND label IN (SELECT value FROM json_each(?))))
       ORDER BY episode, frame LIMIT 1`,
    ),
    allEvents: db.prepare<[], EventRow>('SELECT * FROM events ORDER BY episode, frame, id'),
    eventsOfEpisode: db.prepare<[number], EventRow>('SELECT * FROM events WHERE episode = ? ORDER BY frame, id'),
    allEpisodes: db.prepare<[], EpisodeRow>('SELECT * FROM episodes ORDER BY episode'),
    allTaxonomies: db.prepare<[], TaxonomyRow>('SELECT * FROM taxonomies ORDER BY task, version'),
    counts: db.prepare<[], { episode: number; milestones: number; errors: number }>(
      `SELECT episode, sum(kind = 'milestone') AS milestones, sum(kind = 'error') AS errors
       FROM events GROUP BY episode ORDER BY episode`,
    ),
  }
}

type Statements = ReturnType<typeof prepareStatements>

class SqliteAnnotationStore implements AnnotationStore {
  identityNote: string | null = null
  private readonly stmt: Statements

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {
    this.stmt = prepareStatements(db)
  }

  /** Record the dataset on first open; afterwards make sure this project belongs to the dataset being opened. */
  bindIdentity(identity: DatasetIdentity): void {
    const bind = this.db.transaction(() => {
      const meta = new Map(
        (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
      )
      const put = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
      const fingerprint = identity.fingerprint ?? null
      // Kept current (not as at creation) so the project can be found by its dataset's content after a move; a
      // plain meta row rather than a schema change, so earlier builds still open the file. Projects made before it
      // was recorded get it on their next open.
      if (fingerprint !== null && meta.get(META_FINGERPRINT) !== fingerprint) put.run(META_FINGERPRINT, fingerprint)
      if (!meta.has(META_ROOT)) {
        put.run(META_ROOT, path.resolve(identity.datasetRoot))
        put.run('dataset_name', identity.datasetName)
        put.run('format', identity.format)
        put.run('fps', String(identity.fps))
        put.run('created_at', new Date().toISOString())
        return
      }
      const root = meta.get(META_ROOT) ?? ''
      const name = meta.get('dataset_name') ?? ''
      const format = meta.get('format') ?? ''
      const fps = Number(meta.get('fps'))
      const differences: string[] = []
      if (name !== identity.datasetName) differences.push(`name ${show(name)} → ${show(identity.datasetName)}`)
      if (format !== identity.format) differences.push(`format ${format} → ${identity.format}`)
      if (!fpsEqual(fps, identity.fps)) differences.push(`fps ${fps} → ${identity.fps}`)
      if (samePath(root, identity.datasetRoot)) {
        // Same folder, different content (re-recorded, converted): the annotations may no longer line up, but
        // refusing would lock the user out of them. meta keeps the values recorded at creation, so the note shows on
        // every open rather than once.
        if (differences.length > 0) {
          this.identityNote = `The dataset at ${root} changed since this project was created (${differences.join(', ')}); check that annotated frames still line up.`
        }
        return
      }
      const sameContent = fingerprint !== null && meta.get(META_FINGERPRINT) === fingerprint
      if (sameContent) {
        // The same info.json and episode table at another path: the folder was moved or renamed (or re-attached).
        put.run(META_ROOT, path.resolve(identity.datasetRoot))
        put.run('dataset_name', identity.datasetName)
        this.identityNote = `This project was created for the dataset at ${root}; it is now opened at ${path.resolve(identity.datasetRoot)}.`
        return
      }
      if (differences.length > 0) {
        throw new VivaError(
          'INVALID_ARGUMENT',
          `${this.file} holds annotations of dataset ${show(name)} (${format}, ${fps} fps) at ${root}, not of ${show(identity.datasetName)} (${identity.format}, ${identity.fps} fps) at ${path.resolve(identity.datasetRoot)}.`,
          this.file,
        )
      }
      // Same name, format and rate at another path: the folder was moved or copied. Follow it.
      put.run(META_ROOT, path.resolve(identity.datasetRoot))
      this.identityNote = `This project was created for the dataset at ${root}; it is now opened at ${path.resolve(identity.datasetRoot)}.`
    })
    bind.immediate()
  }

  apply(edits: readonly Edit[]): void {
    const run = this.db.transaction(() => {
      const removed: RemovedTaxonomy[] = []
      edits.forEach((edit, index) => this.step(edits, index, () => this.applyOne(edit, index, removed)))
      // Whether a removed version is still used is decided on the batch's result, like a deferred foreign key: an
      // import replacing a taxonomy removes it before deleting or re-saving what depends on it.
      for (const r of removed) this.step(edits, r.index, () => this.checkUnused(r.row))
    })
    this.guard(() => run.immediate())
  }

  private step(edits: readonly Edit[], index: number, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      const edit = edits[index]
      if (err instanceof VivaError && edits.length > 1 && edit) {
        throw new VivaError(err.code, `edit ${index + 1} of ${edits.length} (${edit.op}): ${err.message}`, err.file)
      }
      throw err
    }
  }

  private applyOne(edit: Edit, index: number, removed: RemovedTaxonomy[]): void {
    const s = this.stmt
    validateEdit(edit)
    switch (edit.op) {
      case 'event.add': {
        const existing = s.event.get(edit.event.id)
        if (existing) throw conflict(`event "${edit.event.id}" already exists (episode ${existing.episode}, frame ${existing.frame})`)
        s.insertEvent.run(eventParams(edit.event))
        return
      }
      case 'event.delete': {
        const id = edit.event.id
        const row = s.event.get(id)
        if (!row) throw conflict(`event "${id}" does not exist (deleted elsewhere?)`)
        const stored = eventFromRow(row)
        const diffs = EVENT_KEYS.filter((k) => stored[k] !== edit.event[k])
        if (diffs.length > 0) {
          throw conflict(`event "${id}" changed since the edit was made: ${diffs.map((k) => `${k} is ${show(stored[k])} here, the edit expected ${show(edit.event[k])}`).join('; ')}`)
        }
        s.deleteEvent.run(id)
        return
      }
      case 'event.update': {
        const keys = eventPatchKeys(edit)
        const row = s.event.get(edit.id)
        if (!row) throw conflict(`event "${edit.id}" does not exist (deleted elsewhere?)`)
        if (row.episode !== edit.episode) throw conflict(`event "${edit.id}" is in episode ${row.episode}, the edit expected episode ${edit.episode}`)
        const stored = eventFromRow(row)
        const diffs = keys.filter((k) => stored[k] !== edit.before[k])
        if (diffs.length > 0) {
          throw conflict(`event "${edit.id}" changed since the edit was made: ${diffs.map((k) => `${k} is ${show(stored[k])} here, the edit expected ${show(edit.before[k])}`).join('; ')}`)
        }
        s.updateEvent.run(eventParams({ ...stored, ...edit.after, updatedAt: edit.at }))
        return
      }
      case 'episode.update': {
        const row = s.episode.get(edit.episode)
        // No row means the defaults: labels equal to them are not stored (ProjectState has no entry for them).
        const current = row ? episodeFromRow(row) : { ...DEFAULT_EPISODE_LABELS, episode: edit.episode, updatedAt: edit.at }
        const next = updatedEpisodeLabels(current, edit)
        if (next === null) s.deleteEpisode.run(edit.episode)
        else s.upsertEpisode.run({ episode: next.episode, outcome: next.outcome, status: next.status, note: next.note, updated_at: next.updatedAt })
        return
      }
      case 'taxonomy.save': {
        const { before, after } = edit
        const latest = s.latestTaxonomy.get(after.task) ?? null
        this.checkExpected(after.task, latest, before, 'latest version')
        const expected = (latest?.version ?? 0) + 1
        check(after.version === expected, () => `taxonomy "${after.task}": the next version is ${expected}, the edit saves version ${after.version}`)
        s.insertTaxonomy.run(taxonomyParams(after))
        return
      }
      case 'taxonomy.delete': {
        const t = edit.taxonomy
        const [latest, below] = s.topTaxonomies.all(t.task)
        if (!latest) throw conflict(`task "${t.task}" has no taxonomy to remove`)
        if (latest.version !== t.version) {
          throw conflict(`only the latest version of taxonomy "${t.task}" (${latest.version}) can be removed, not version ${t.version}`)
        }
        const diff = taxonomyDifference(latest, t)
        if (diff) throw conflict(`taxonomy "${t.task}" version ${t.version} differs from the one the edit removes: ${diff}`)
        this.checkExpected(t.task, below ?? null, edit.previous, 'version below it')
        s.deleteTaxonomy.run(t.task, t.version)
        removed.push({ index, row: latest })
        return
      }
      default: {
        const never: never = edit
        throw invalid(`unknown edit ${show((never as { op?: unknown }).op)}`)
      }
    }
  }

  /** The stored version (`actual`) must be the one the edit was made against (`expected`), or CONFLICT. */
  private checkExpected(task: string, actual: TaxonomyRow | null, expected: Taxonomy | null, where: string): void {
    const describe = (t: { version: number } | null): string => (t === null ? 'none' : `version ${t.version}`)
    if (actual === null && expected === null) return
    if (actual === null || expected === null || actual.version !== expected.version || expected.task !== task) {
      throw conflict(`taxonomy "${task}": the ${where} is ${describe(actual)} here, the edit expected ${describe(expected)}`)
    }
    const diff = taxonomyDifference(actual, expected)
    if (diff) throw conflict(`taxonomy "${task}" version ${actual.version} differs from the one the edit expected: ${diff}`)
  }

  private checkUnused(row: TaxonomyRow): void {
    // Removed and saved again in the same batch (an import replacing it): nothing is left dangling.
    if (this.stmt.taxonomy.get(row.task, row.version)) return
    const use = this.stmt.taxonomyUse.get(row.version, row.milestones, row.error_types)
    if (use) {
      throw conflict(
        `taxonomy "${row.task}" version ${row.version} is still used: event "${use.id}" (episode ${use.episode}, frame ${use.frame}) is labelled ${show(use.label)} from it`,
      )
    }
  }

  load(): ProjectState {
    // One read transaction: the three tables come from the same committed snapshot even while another
    // instance writes.
    const read = this.db.transaction((): ProjectState => {
      const events = new Map<string, AnnotationEvent>()
      for (const row of this.stmt.allEvents.all()) events.set(row.id, eventFromRow(row))
      const episodes = new Map<number, EpisodeLabels>()
      for (const row of this.stmt.allEpisodes.all()) episodes.set(row.episode, episodeFromRow(row))
      const taxonomies = new Map<string, Taxonomy[]>()
      for (const row of this.stmt.allTaxonomies.all()) {
        const list = taxonomies.get(row.task)
        if (list) list.push(taxonomyFromRow(row))
        else taxonomies.set(row.task, [taxonomyFromRow(row)])
      }
      return { events, episodes, taxonomies }
    })
    return this.guard(() => read.deferred())
  }

  episodeLabels(): Map<number, EpisodeLabels> {
    return this.guard(() => new Map(this.stmt.allEpisodes.all().map((row) => [row.episode, episodeFromRow(row)])))
  }

  eventCountsByEpisode(): Map<number, EventCounts> {
    return this.guard(
      () => new Map(this.stmt.counts.all().map((r) => [r.episode, { milestones: r.milestones, errors: r.errors }])),
    )
  }

  eventsOfEpisode(episode: number): AnnotationEvent[] {
    return this.guard(() => this.stmt.eventsOfEpisode.all(episode).map(eventFromRow))
  }

  integrityCheck(): string {
    return this.guard(() => (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n'))
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw translate(err, this.file)
    }
  }
}

/**
 * Open (creating if needed) the project file of one dataset. Throws DATASET_INVALID for a file that is not a
 * ViVa Studio project, is damaged or comes from a newer version, and INVALID_ARGUMENT for a project of another
 * dataset.
 */
export function openAnnotationStore(file: string, identity: DatasetIdentity, options: OpenOptions = {}): AnnotationStore {
  const abs = path.resolve(file)
  try {
    mkdirSync(path.dirname(abs), { recursive: true })
  } catch (err) {
    throw new VivaError('INVALID_ARGUMENT', `Cannot create the folder of ${abs}: ${err instanceof Error ? err.message : String(err)}`, abs)
  }
  try {
    if (statSync(abs).isDirectory()) throw new VivaError('INVALID_ARGUMENT', `${abs} is a folder, not a project file.`, abs)
  } catch (err) {
    if (err instanceof VivaError) throw err
    // Missing: created below.
  }

  let db: Database.Database
  try {
    db = new Database(abs)
  } catch (err) {
    throw translate(err, abs)
  }
  try {
    // Before anything else: the other instance may be mid-transaction, and every statement below may have to wait.
    const busyTimeoutMs = Math.max(0, Math.round(options.busyTimeoutMs ?? BUSY_TIMEOUT_MS))
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    // Reads the header first, so garbage, another program's database or a newer schema is refused before this
    // build writes a single byte to the file.
    checkSchema(db, abs)
    enableWal(db, busyTimeoutMs)
    db.pragma('synchronous = FULL')
    db.pragma('fullfsync = ON')
    db.pragma('checkpoint_fullfsync = ON')
    db.pragma('foreign_keys = ON')
    migrate(db, abs)
    const check = db.pragma('quick_check(1)', { simple: true }) as string
    if (check !== 'ok') throw new VivaError('DATASET_INVALID', `${abs} is damaged (${check}).`, abs)
    const store = new SqliteAnnotationStore(db, abs)
    store.bindIdentity(identity)
    return store
  } catch (err) {
    db.close()
    throw translate(err, abs)
  }
}
