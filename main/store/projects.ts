import path from 'node:path'
import type { Edit, ProjectState } from '../../app/annotations'
import type { ExportedText, ExportFilters, ExportFormat, ImportMode, ImportSummary, ProjectSnapshot } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import type { ExportDocument } from '../../app/exchange'
import { buildExportDocument, checkAgainstDataset, eventsToCsv, parseImportDocument, planImport, serializeExport } from '../../app/exchange'
import type { EventBus } from '../events'
import type { WriteGuard } from '../writeGuard'
import type { AnnotationStore } from './annotationStore'
import { defaultProjectFile, openAnnotationStore } from './annotationStore'
import { writeLeRobotSidecar } from './lerobotSidecar'

export interface ProjectsDeps {
  /** Folder holding one project file per dataset (the user-data folder by default). */
  projectsDir: string
  summary: (datasetId: string) => DatasetSummary
  events: EventBus
  /** Where exports may not go (composeWriteGuard). */
  writeGuard: WriteGuard
  now?: () => string
}

/** Identity of the dataset as written into exports: enough to check an import against the right data. */
export function exportDataset(summary: DatasetSummary): ExportDocument['dataset'] {
  return {
    name: summary.name,
    root: summary.root,
    format: summary.format,
    fps: summary.fps,
    episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length, tasks: e.tasks })),
  }
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
  private readonly now: () => string

  constructor(private readonly deps: ProjectsDeps) {
    this.now = deps.now ?? (() => new Date().toISOString())
  }

  /** Use a specific project file for a dataset (e.g. `--project` on the command line). */
  setProjectFile(datasetId: string, file: string): void {
    this.overrides.set(datasetId, path.resolve(file))
  }

  /** Project files in use or named for a dataset: the write guard keeps exports off them. */
  files(): string[] {
    return [...new Set([...this.overrides.values(), ...[...this.stores.values()].map((s) => s.file)])]
  }

  store(datasetId: string): AnnotationStore {
    let store = this.stores.get(datasetId)
    if (!store) {
      const summary = this.deps.summary(datasetId)
      const file = this.overrides.get(datasetId) ?? defaultProjectFile(this.deps.projectsDir, datasetId)
      store = openAnnotationStore(file, {
        datasetRoot: summary.root,
        datasetName: summary.name,
        format: summary.format,
        fps: summary.fps,
      })
      this.stores.set(datasetId, store)
    }
    return store
  }

  snapshot(datasetId: string): ProjectSnapshot {
    const store = this.store(datasetId)
    return toSnapshot(datasetId, store, store.load())
  }

  apply(datasetId: string, edits: Edit[], origin: string | null = null): { applied: number } {
    this.store(datasetId).apply(edits)
    this.deps.events.emit('annotations.changed', { datasetId, origin })
    return { applied: edits.length }
  }

  exportDocument(datasetId: string, filters: ExportFilters): ExportDocument {
    const summary = this.deps.summary(datasetId)
    return buildExportDocument(this.store(datasetId).load(), exportDataset(summary), filters, this.now())
  }

  exportText(datasetId: string, format: 'json' | 'csv', filters: ExportFilters): ExportedText {
    const doc = this.exportDocument(datasetId, filters)
    const base = `${doc.dataset.name}-annotations`
    return format === 'json'
      ? { filename: `${base}.json`, mimeType: 'application/json', content: serializeExport(doc) }
      : { filename: `${base}.csv`, mimeType: 'text/csv', content: eventsToCsv(doc, doc.dataset.fps) }
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
      const doc = this.exportDocument(datasetId, filters)
      return { paths: await writeLeRobotSidecar(outPath, doc, guard) }
    }
    const { content } = this.exportText(datasetId, format, filters)
    return { paths: [await guard.writeFile(outPath, content, 'export')] }
  }

  private plan(datasetId: string, text: string, mode: ImportMode): { edits: Edit[]; summary: ImportSummary } {
    const doc = parseImportDocument(text)
    checkAgainstDataset(doc, exportDataset(this.deps.summary(datasetId)))
    return planImport(this.store(datasetId).load(), doc, mode, this.now())
  }

  previewImport(datasetId: string, text: string, mode: ImportMode): ImportSummary {
    return this.plan(datasetId, text, mode).summary
  }

  /** Validate whole, then apply in one transaction: a bad file changes nothing. */
  import(datasetId: string, text: string, mode: ImportMode): ImportSummary {
    const { edits, summary } = this.plan(datasetId, text, mode)
    if (edits.length > 0) this.store(datasetId).apply(edits)
    this.deps.events.emit('annotations.changed', { datasetId, origin: null })
    return summary
  }

  close(): void {
    for (const store of this.stores.values()) store.close()
    this.stores.clear()
  }
}
