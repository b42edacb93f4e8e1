import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Edit, ProjectState } from '../../app/annotations'
import type { ExportedText, ExportFilters, ExportFormat, ImportMode, ImportSummary, ProjectSnapshot } from '../../app/contract'
import type { DatasetSummary, ReattachOffer } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import type { ExportDocument } from '../../app/exchange'
import {
  buildExportDocument,
  checkAgainstDataset,
  compareDatasetIdentity,
  eventsCsvRows,
  parseImportDocument,
  planImport,
  serializeExport,
} from '../../app/exchange'
import type { EventBus } from '../events'
import { formatCsv } from '../formats/csv'
import type { WriteGuard } from '../writeGuard'
import type { AnnotationStore, DatasetIdentity } from './annotationStore'
import { defaultProjectFile, openAnnotationStore } from './annotationStore'
import { copyDatabase } from './backup'
import { markReattached, ProjectIndex, reattachPendingMessage } from './projectIndex'
import { writeLeRobotSidecar } from './lerobotSidecar'

export interface ProjectsDeps {
  /** Folder holding one project file per dataset (the user-data folder by default). */
  projectsDir: string
  summary: (datasetId: string) => DatasetSummary
  /** Content identity of an open dataset (datasetFingerprint). */
  fingerprint: (datasetId: string) => string
  events: EventBus
  /** Where exports may not go (composeWriteGuard). */
  writeGuard: WriteGuard
  /**
   * The recorded timestamps (the episode table's `timestamp` column) of these episodes, for exports; an episode
   * without them (no column, unreadable table) is left out. Absent: exports carry no recorded timestamps.
   */
  timestamps?: (datasetId: string, episodes: readonly number[]) => Promise<Map<number, Float64Array>>
  now?: () => string
}

export interface ImportOptions {
  /** Import a file made for other data (other fps or episode lengths) anyway; its differences become notes. */
  force?: boolean
}

export type ReattachAction = 'reattach' | 'fresh'

/** Identity of the dataset as written into exports: enough to check an import against the right data. */
export function exportDataset(summary: DatasetSummary, fingerprint?: string): ExportDocument['dataset'] {
  return {
    name: summary.name,
    root: summary.root,
    format: summary.format,
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    fps: summary.fps,
    episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length, tasks: e.tasks })),
  }
}

/**
 * The offer for a dataset (by id, real path and fingerprint) in a projects folder: none when its own project file
 * exists; otherwise the project of the same content at another path, if any (ProjectIndex.findOffer). The app and
 * `viva inspect` ask the same question here.
 */
export function reattachOfferFor(
  index: ProjectIndex,
  projectsDir: string,
  dataset: { id: string; root: string; fingerprint: string },
): ReattachOffer | null {
  const own = defaultProjectFile(projectsDir, dataset.id)
  if (existsSync(own)) return null
  return index.findOffer(dataset.fingerprint, dataset.root, own)
}

function toSnapshot(datasetId: string, store: AnnotationStore, state: ProjectState): ProjectSnapshot {
  return {
    datasetId,
    projectFile: store.file,
    identityNote: store.identityNote,
    events: [...state.events.values()],
    episodes: [...state.episodes.values()],
    taxonomies: [...state.taxonomies.values()].flat(),
  }
}

/**
 * The annotation projects of opened datasets: one SQLite file per dataset, opened on first use. Every apply is
 * committed before it is acknowledged; dataset files are never written.
 */
export class AnnotationProjects {
  private readonly stores = new Map<string, AnnotationStore>()
  private readonly overrides = new Map<string, string>()
  private readonly index: ProjectIndex
  private readonly now: () => string

  constructor(private readonly deps: ProjectsDeps) {
    this.now = deps.now ?? (() => new Date().toISOString())
    this.index = new ProjectIndex(deps.projectsDir)
  }

  /** Use a specific project file for a dataset (e.g. `--project` on the command line). */
  setProjectFile(datasetId: string, file: string): void {
    this.overrides.set(datasetId, path.resolve(file))
  }

  /** Project files in use or named for a dataset: the write guard keeps exports off them. */
  files(): string[] {
    return [...new Set([...this.overrides.values(), ...[...this.stores.values()].map((s) => s.file)])]
  }

  private projectFile(datasetId: string): string {
    return this.overrides.get(datasetId) ?? defaultProjectFile(this.deps.projectsDir, datasetId)
  }

  /**
   * The project of the same dataset content at another path, while this path has none of its own: the folder was
   * moved or renamed (or opened through another path before ids followed real paths). Null once this dataset has
   * its own project, or when a project file was named for it.
   */
  reattachOffer(datasetId: string): ReattachOffer | null {
    if (this.stores.has(datasetId) || this.overrides.has(datasetId)) return null
    const { root } = this.deps.summary(datasetId)
    return reattachOfferFor(this.index, this.deps.projectsDir, { id: datasetId, root, fingerprint: this.deps.fingerprint(datasetId) })
  }

  private identity(datasetId: string): DatasetIdentity {
    const summary = this.deps.summary(datasetId)
    return {
      datasetRoot: summary.root,
      datasetName: summary.name,
      format: summary.format,
      fps: summary.fps,
      fingerprint: this.deps.fingerprint(datasetId),
    }
  }

  /**
   * The dataset's project, opened (created if needed) on first use. While its annotations wait in another path's
   * project (reattachOffer), this refuses rather than start an empty twin beside them.
   */
  store(datasetId: string): AnnotationStore {
    const open = this.stores.get(datasetId)
    if (open) return open
    const offer = this.reattachOffer(datasetId)
    if (offer) throw new VivaError('CONFLICT', reattachPendingMessage(offer))
    return this.openStore(datasetId)
  }

  private openStore(datasetId: string): AnnotationStore {
    const store = openAnnotationStore(this.projectFile(datasetId), this.identity(datasetId))
    this.stores.set(datasetId, store)
    return store
  }

  /** What the renderer loads; empty (and nothing written) while a re-attach offer waits for the user's choice. */
  snapshot(datasetId: string): ProjectSnapshot {
    if (!this.stores.has(datasetId)) {
      const offer = this.reattachOffer(datasetId)
      if (offer) {
        return {
          datasetId,
          projectFile: defaultProjectFile(this.deps.projectsDir, datasetId),
          identityNote: reattachPendingMessage(offer),
          events: [],
          episodes: [],
          taxonomies: [],
        }
      }
    }
    const store = this.store(datasetId)
    return toSnapshot(datasetId, store, store.load())
  }

  /**
   * Act on the re-attach offer. 'reattach' copies the offered project (SQLite's online backup, checked, then renamed
   * into place) to this dataset's own project file and marks the original as re-attached; the original file stays
   * where it was, as it was. 'fresh' starts this dataset's own, empty project. `projectPath` must be the offered
   * file: nothing else can be copied in. Returns the dataset id the re-attached project was made for (null for 'fresh').
   */
  async resolveReattach(datasetId: string, action: ReattachAction, projectPath?: string): Promise<string | null> {
    const offer = this.reattachOffer(datasetId)
    if (action === 'fresh') {
      if (!this.stores.has(datasetId)) this.openStore(datasetId)
      return null
    }
    if (!offer) throw new VivaError('CONFLICT', 'There is no project to re-attach to this dataset (it has its own, or the choice was already made).')
    if (projectPath === undefined || path.resolve(projectPath) !== path.resolve(offer.projectPath)) {
      throw new VivaError('INVALID_ARGUMENT', `Only the offered project ${offer.projectPath} can be re-attached to this dataset.`)
    }
    const target = defaultProjectFile(this.deps.projectsDir, datasetId)
    if (existsSync(target)) throw new VivaError('CONFLICT', `${target} already exists; this dataset has a project of its own.`, target)
    await copyDatabase(offer.projectPath, target)
    // The copy still names the old path; opening it for this dataset (same content) moves it over, with a note.
    this.openStore(datasetId)
    markReattached(offer.projectPath, target, this.now())
    this.deps.events.emit('annotations.changed', { datasetId, origin: null })
    // Project files are named by the id of the dataset they were made for: the id its curves and settings use.
    return path.basename(offer.projectPath).replace(/\.viva\.sqlite$/, '')
  }

  apply(datasetId: string, edits: Edit[], origin: string | null = null): { applied: number } {
    this.store(datasetId).apply(edits)
    this.deps.events.emit('annotations.changed', { datasetId, origin })
    return { applied: edits.length }
  }

  /** The export, with each event's recorded timestamp read from its episode's table (only episodes with events). */
  async exportDocument(datasetId: string, filters: ExportFilters): Promise<ExportDocument> {
    const summary = this.deps.summary(datasetId)
    const state = this.store(datasetId).load()
    const withEvents = [...new Set([...state.events.values()].map((e) => e.episode))].sort((a, b) => a - b)
    const recorded = this.deps.timestamps ? await this.deps.timestamps(datasetId, withEvents) : new Map<number, Float64Array>()
    const dataset = {
      ...exportDataset(summary, this.deps.fingerprint(datasetId)),
      timestampOf: (episode: number, frame: number): number | null => recorded.get(episode)?.[frame] ?? null,
    }
    return buildExportDocument(state, dataset, filters, this.now())
  }

  async exportText(datasetId: string, format: 'json' | 'csv', filters: ExportFilters): Promise<ExportedText> {
    const doc = await this.exportDocument(datasetId, filters)
    const base = `${doc.dataset.name}-annotations`
    return format === 'json'
      ? { filename: `${base}.json`, mimeType: 'application/json', content: serializeExport(doc) }
      : { filename: `${base}.csv`, mimeType: 'text/csv', content: formatCsv(eventsCsvRows(doc, doc.dataset.fps), { eol: '\r\n' }) }
  }

  /**
   * Write an export to disk (temp file + rename: never a half-written file). The write guard refuses a path inside
   * any open dataset, the data folder, or onto a project file (this one's too: `--out` onto it would lose every
   * annotation at the next start).
   */
  async exportTo(datasetId: string, format: ExportFormat, filters: ExportFilters, outPath: string): Promise<{ paths: string[] }> {
    const summary = this.deps.summary(datasetId)
    const guard = this.deps.writeGuard.with([
      { path: summary.root, kind: 'dataset' },
      { path: this.store(datasetId).file, kind: 'project file' },
    ])
    if (format === 'lerobot') {
      const doc = await this.exportDocument(datasetId, filters)
      return { paths: await writeLeRobotSidecar(outPath, doc, guard) }
    }
    const { content } = await this.exportText(datasetId, format, filters)
    return { paths: [await guard.writeFile(outPath, content, 'export')] }
  }

  private plan(datasetId: string, text: string, mode: ImportMode, options: ImportOptions): { edits: Edit[]; summary: ImportSummary } {
    // First: a dataset whose annotations wait to be re-attached takes no import, however good the file.
    const store = this.store(datasetId)
    const doc = parseImportDocument(text)
    const here = exportDataset(this.deps.summary(datasetId), this.deps.fingerprint(datasetId))
    // Before the per-event checks: a file for other data would otherwise fail on its first frame past an end, or,
    // worse, pass with every frame pointing at another moment.
    const identity = compareDatasetIdentity(doc.dataset, here)
    if (identity.mismatches.length > 0 && options.force !== true) {
      throw new VivaError(
        'IMPORT_MISMATCH',
        `This file was made for other data: ${identity.mismatches.join('; ')}. Its frame numbers would point at other moments here; nothing was imported (force the import to take it anyway).`,
      )
    }
    checkAgainstDataset(doc, here)
    const planned = planImport(store.load(), doc, mode, this.now())
    const identityNotes = [...identity.mismatches.map((m) => `imported anyway: ${m}`), ...identity.notes]
    return { edits: planned.edits, summary: { ...planned.summary, identityNotes } }
  }

  previewImport(datasetId: string, text: string, mode: ImportMode, options: ImportOptions = {}): ImportSummary {
    return this.plan(datasetId, text, mode, options).summary
  }

  /** Validate whole, then apply in one transaction: a bad file changes nothing. */
  import(datasetId: string, text: string, mode: ImportMode, options: ImportOptions = {}): ImportSummary {
    const { edits, summary } = this.plan(datasetId, text, mode, options)
    if (edits.length > 0) this.store(datasetId).apply(edits)
    this.deps.events.emit('annotations.changed', { datasetId, origin: null })
    return summary
  }

  close(): void {
    for (const store of this.stores.values()) store.close()
    this.stores.clear()
  }
}
