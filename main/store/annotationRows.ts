import type { AnnotationEvent, EpisodeLabels, EventKind, Outcome, ReviewStatus, Taxonomy } from '../../app/annotations'

/**
 * The annotation project's tables as rows: their shapes, and the mapping between rows and the domain types of
 * app/annotations.ts (snake_case columns, JSON-encoded label lists).
 */

export interface EventRow {
  id: string
  episode: number
  frame: number
  kind: EventKind
  label: string
  note: string
  annotator: string
  taxonomy_version: number
  created_at: string
  updated_at: string
}

export interface EpisodeRow {
  episode: number
  outcome: Outcome
  status: ReviewStatus
  note: string
  updated_at: string
}

export interface TaxonomyRow {
  task: string
  version: number
  milestones: string
  error_types: string
  preset: string | null
  created_at: string
}

export function eventFromRow(row: EventRow): AnnotationEvent {
  return {
    id: row.id,
    episode: row.episode,
    frame: row.frame,
    kind: row.kind,
    label: row.label,
    note: row.note,
    annotator: row.annotator,
    taxonomyVersion: row.taxonomy_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function episodeFromRow(row: EpisodeRow): EpisodeLabels {
  return { episode: row.episode, outcome: row.outcome, status: row.status, note: row.note, updatedAt: row.updated_at }
}

export function taxonomyFromRow(row: TaxonomyRow): Taxonomy {
  return {
    task: row.task,
    version: row.version,
    milestones: JSON.parse(row.milestones) as string[],
    errorTypes: JSON.parse(row.error_types) as string[],
    preset: row.preset,
    createdAt: row.created_at,
  }
}

export function eventParams(e: AnnotationEvent): Record<string, string | number> {
  return {
    id: e.id,
    episode: e.episode,
    frame: e.frame,
    kind: e.kind,
    label: e.label,
    note: e.note,
    annotator: e.annotator,
    taxonomy_version: e.taxonomyVersion,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  }
}

export function taxonomyParams(t: Taxonomy): Record<string, string | number | null> {
  return {
    task: t.task,
    version: t.version,
    milestones: JSON.stringify(t.milestones),
    error_types: JSON.stringify(t.errorTypes),
    preset: t.preset,
    created_at: t.createdAt,
  }
}
