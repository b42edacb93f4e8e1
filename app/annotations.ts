/**
 * The annotation model: events (milestones and errors at a frame), episode-level labels (outcome, review status,
 * note) and per-task taxonomies. Every change is an `Edit`, a plain serializable value that carries what it
 * changes *from* as well as *to*, so it can be inverted (undo/redo) and checked against the stored state before it
 * is applied (two app instances on one project never silently overwrite each other).
 */

export const EVENT_KINDS = ['milestone', 'error'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

export const OUTCOMES = ['success', 'failure', 'unknown'] as const
export type Outcome = (typeof OUTCOMES)[number]

export const REVIEW_STATUSES = ['todo', 'in_progress', 'done', 'needs_review'] as const
export type ReviewStatus = (typeof REVIEW_STATUSES)[number]

/** +1 for milestones (progress achieved), −1 for errors (execution went wrong), as in the paper's ERS. */
export function directionOf(kind: EventKind): 1 | -1 {
  return kind === 'milestone' ? 1 : -1
}

export interface AnnotationEvent {
  /** Stable id (UUID), assigned by whoever creates the event. */
  id: string
  episode: number
  /** Frame index within the episode: the unit of time. */
  frame: number
  kind: EventKind
  /** A milestone name or an error type from the task's taxonomy. */
  label: string
  note: string
  annotator: string
  /** Version of the task's taxonomy the label was chosen from. */
  taxonomyVersion: number
  /** ISO 8601. */
  createdAt: string
  updatedAt: string
}

/** The fields of an event an edit may change after creation. */
export type EventPatch = Partial<Pick<AnnotationEvent, 'frame' | 'kind' | 'label' | 'note' | 'taxonomyVersion'>>

export interface EpisodeLabels {
  episode: number
  outcome: Outcome
  status: ReviewStatus
  note: string
  updatedAt: string
}

export type EpisodePatch = Partial<Pick<EpisodeLabels, 'outcome' | 'status' | 'note'>>

export interface Taxonomy {
  /** The task string, exactly as the dataset names it. */
  task: string
  /** Starts at 1; every saved change makes a new version, old versions are kept. */
  version: number
  /** Ordered stages of the task. */
  milestones: string[]
  errorTypes: string[]
  /** Preset it was started from, if any (informative). */
  preset: string | null
  createdAt: string
}

export type Edit =
  | { op: 'event.add'; event: AnnotationEvent }
  | { op: 'event.delete'; event: AnnotationEvent }
  /**
   * `before` holds the current values of exactly the fields in `after`. `at` becomes the event's `updatedAt`;
   * `beforeAt` is the `updatedAt` it replaces, so the inverse restores it (informative: never checked).
   */
  | { op: 'event.update'; id: string; episode: number; before: EventPatch; after: EventPatch; at: string; beforeAt?: string }
  /**
   * `before` holds the current values of exactly the fields in `after` (defaults when the episode had none).
   * Labels equal to the defaults are not stored: an update that lands on the defaults removes the episode's entry.
   * `at` / `beforeAt` as for events (`beforeAt` absent when the episode had no stored labels).
   */
  | { op: 'episode.update'; episode: number; before: EpisodePatch; after: EpisodePatch; at: string; beforeAt?: string }
  /** Saving a taxonomy creates version `after.version`; `before` is the latest version before it, if any. */
  | { op: 'taxonomy.save'; before: Taxonomy | null; after: Taxonomy }
  /**
   * Only the latest version can be removed (the inverse of its save). `previous` is the version that becomes the
   * latest again (null when removing version 1), so this edit can itself be inverted.
   */
  | { op: 'taxonomy.delete'; taxonomy: Taxonomy; previous: Taxonomy | null }

export const DEFAULT_EPISODE_LABELS: Omit<EpisodeLabels, 'episode' | 'updatedAt'> = {
  outcome: 'unknown',
  status: 'todo',
  note: '',
}

/** Everything annotated for one dataset (a project), as held in memory by the renderer and by tests. */
export interface ProjectState {
  events: Map<string, AnnotationEvent>
  /** Only episodes whose labels differ from DEFAULT_EPISODE_LABELS have an entry. */
  episodes: Map<number, EpisodeLabels>
  /** task → all versions, ascending. */
  taxonomies: Map<string, Taxonomy[]>
}
