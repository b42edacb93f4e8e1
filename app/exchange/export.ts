import type { AnnotationEvent, Outcome, ProjectState, ReviewStatus } from '../annotations'
import { DEFAULT_EPISODE_LABELS, directionOf, OUTCOMES, REVIEW_STATUSES } from '../annotations'
import { isIsoTimestamp } from '../annotationEdits'
import { VivaError } from '../errors'
import { EXPORT_SCHEMA_NAME, EXPORT_SCHEMA_VERSION, type ExportDataset, type ExportDocument, type ExportFilters, type ExportedEvent, seconds6 } from './schema'

// Building the export document (and its CSV rows) from a project.


export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Empty lists do not filter (nothing ticked = everything); lists are deduplicated and put in a fixed order. */
function normalizeFilters(filters: ExportFilters): ExportFilters {
  const out: ExportFilters = {}
  if (filters.tasks && filters.tasks.length > 0) out.tasks = [...new Set(filters.tasks)].sort(byText)
  if (filters.outcomes && filters.outcomes.length > 0) out.outcomes = OUTCOMES.filter((o) => filters.outcomes?.includes(o))
  if (filters.statuses && filters.statuses.length > 0) out.statuses = REVIEW_STATUSES.filter((s) => filters.statuses?.includes(s))
  if (filters.episodeRange) {
    const [from, to] = filters.episodeRange
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
      throw new VivaError('INVALID_ARGUMENT', `episode range [${from}, ${to}] must be two episode indexes, the first not after the last`)
    }
    out.episodeRange = [from, to]
  }
  return out
}

function labelsOf(state: ProjectState, episode: number): { outcome: Outcome; status: ReviewStatus } {
  return state.episodes.get(episode) ?? DEFAULT_EPISODE_LABELS
}

function toExportedEvent(e: AnnotationEvent, dataset: ExportDataset): ExportedEvent {
  const recorded = dataset.timestampOf?.(e.episode, e.frame) ?? null
  // Times only when the exporter could read the tables (the app, the CLI); a document built without them has none.
  const times = dataset.timestampOf
    ? { timestamp: recorded !== null && Number.isFinite(recorded) ? seconds6(recorded) : null, time_from_frame_s: seconds6(e.frame / dataset.fps) }
    : {}
  return {
    id: e.id,
    episode: e.episode,
    frame: e.frame,
    kind: e.kind,
    direction: directionOf(e.kind),
    ...times,
    label: e.label,
    note: e.note,
    annotator: e.annotator,
    taxonomyVersion: e.taxonomyVersion,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  }
}

function compareExported(a: { episode: number; frame: number; id: string }, b: { episode: number; frame: number; id: string }): number {
  return a.episode - b.episode || a.frame - b.frame || byText(a.id, b.id)
}

/**
 * The episodes matching `filters` (outcome and status as labelled, defaults where unlabelled), in index order: the
 * one selection every annotation export makes (this document, and the training-pipeline files of main/pipelineExports).
 */
export function selectEpisodes<E extends { index: number; tasks: readonly string[] }>(state: ProjectState, episodes: readonly E[], filters: ExportFilters): E[] {
  const f = normalizeFilters(filters)
  return episodes
    .filter((ep) => {
      const labels = labelsOf(state, ep.index)
      return (
        (!f.tasks || ep.tasks.some((t) => f.tasks?.includes(t))) &&
        (!f.outcomes || f.outcomes.includes(labels.outcome)) &&
        (!f.statuses || f.statuses.includes(labels.status)) &&
        (!f.episodeRange || (ep.index >= f.episodeRange[0] && ep.index <= f.episodeRange[1]))
      )
    })
    .sort((a, b) => a.index - b.index)
}

/**
 * The episodes of `dataset` matching `filters` (outcome and status as labelled, defaults where unlabelled), with
 * their labels, their events, and every taxonomy version of their tasks.
 */
export function buildExportDocument(state: ProjectState, dataset: ExportDataset, filters: ExportFilters, exportedAt: string): ExportDocument {
  if (!isIsoTimestamp(exportedAt)) throw new VivaError('INVALID_ARGUMENT', `exportedAt must be an ISO 8601 timestamp, got ${JSON.stringify(exportedAt)}`)
  const f = normalizeFilters(filters)
  const selected = selectEpisodes(state, dataset.episodes, f)
  const indexes = new Set(selected.map((ep) => ep.index))
  const tasks = [...new Set(selected.flatMap((ep) => ep.tasks))].sort(byText)
  return {
    schema: EXPORT_SCHEMA_NAME,
    version: EXPORT_SCHEMA_VERSION,
    exportedAt,
    dataset: {
      name: dataset.name,
      root: dataset.root,
      format: dataset.format,
      ...(dataset.fingerprint !== undefined ? { fingerprint: dataset.fingerprint } : {}),
      fps: dataset.fps,
      episodes: selected.map((ep) => ({ index: ep.index, length: ep.length, tasks: [...ep.tasks] })),
    },
    filters: f,
    taxonomies: tasks.flatMap((task) =>
      (state.taxonomies.get(task) ?? []).map((t) => ({
        task: t.task,
        version: t.version,
        milestones: [...t.milestones],
        errorTypes: [...t.errorTypes],
        preset: t.preset,
        createdAt: t.createdAt,
      })),
    ),
    episodes: [...state.episodes.values()]
      .filter((l) => indexes.has(l.episode))
      .sort((a, b) => a.episode - b.episode)
      .map((l) => ({ episode: l.episode, outcome: l.outcome, status: l.status, note: l.note, updatedAt: l.updatedAt })),
    events: [...state.events.values()]
      .filter((e) => indexes.has(e.episode))
      .sort(compareExported)
      .map((e) => toExportedEvent(e, dataset)),
  }
}

/** The file's text: two-space JSON and a final newline. */
export function serializeExport(doc: ExportDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}


/** One row per event; episode and frame under LeRobot's names, as in the LeRobot sidecar's annotations.parquet. */
export const CSV_HEADER = ['episode_index', 'frame_index', 'timestamp', 'time_from_frame_s', 'kind', 'direction', 'label', 'note', 'annotator'] as const

/**
 * The CSV export's rows, header first: one row per event, ordered as in the JSON. Times are informative (frame is
 * the unit of time), in seconds with 6 decimals: `timestamp` is the frame's recorded timestamp from the episode
 * table, as LeRobot names that column (empty when the table has none), `time_from_frame_s` is frame / fps. The two
 * differ where a recording's timestamps start late or drift. main/formats/csv.ts encodes them (RFC 4180, CRLF):
 * the renderer never builds CSV, so one encoder in main serves every export.
 */
export function eventsCsvRows(doc: ExportDocument, fps: number = doc.dataset.fps): (string | number | null)[][] {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new VivaError('INVALID_ARGUMENT', `fps must be a positive number, got ${fps}`)
  const rows = [...doc.events]
    .sort(compareExported)
    .map((e) => [e.episode, e.frame, e.timestamp == null ? '' : e.timestamp.toFixed(6), (e.frame / fps).toFixed(6), e.kind, e.direction, e.label, e.note, e.annotator])
  return [[...CSV_HEADER], ...rows]
}
