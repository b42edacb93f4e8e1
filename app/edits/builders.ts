/** Edits built from a state and what the user did (the annotation UI's actions). */
import { DEFAULT_EPISODE_LABELS, type AnnotationEvent, type Edit, type EpisodePatch, type EventKind, type EventPatch, type ProjectState, type Taxonomy } from '../annotations'
import { VivaError } from '../errors'
import { latestTaxonomy } from './queries'
import { EPISODE_PATCH_KEYS, EVENT_PATCH_KEYS, type EpisodeUpdate, checkEpisodeFields, checkEvent, checkEventFields, checkIndex, checkTaxonomy, checkTimestamp, conflict, sameList } from './validate'

// Builders: each computes `before` from the state, so the edit applies to that state. A builder returns null when
// the change would be a no-op, so nothing empty reaches the store or the undo history.

function existingEvent(state: ProjectState, id: string): AnnotationEvent {
  const event = state.events.get(id)
  if (!event) throw new VivaError('NOT_FOUND', `event "${id}" does not exist`)
  return event
}

function eventUpdate(current: AnnotationEvent, after: EventPatch, at: string): Edit | null {
  const changed: EventPatch = {}
  const before: EventPatch = {}
  for (const key of EVENT_PATCH_KEYS) {
    if (!(key in after) || after[key] === undefined || after[key] === current[key]) continue
    Object.assign(changed, { [key]: after[key] })
    Object.assign(before, { [key]: current[key] })
  }
  if (Object.keys(changed).length === 0) return null
  checkEventFields(changed, `event "${current.id}": `)
  checkTimestamp(at, 'at')
  return { op: 'event.update', id: current.id, episode: current.episode, before, after: changed, at, beforeAt: current.updatedAt }
}

export interface NewEvent {
  id: string
  episode: number
  frame: number
  kind: EventKind
  label: string
  note?: string
  annotator: string
  taxonomyVersion: number
}

export function addEventEdit(state: ProjectState, fields: NewEvent, at: string): Edit {
  const event: AnnotationEvent = {
    id: fields.id,
    episode: fields.episode,
    frame: fields.frame,
    kind: fields.kind,
    label: typeof fields.label === 'string' ? fields.label.trim() : fields.label,
    note: fields.note ?? '',
    annotator: fields.annotator,
    taxonomyVersion: fields.taxonomyVersion,
    createdAt: at,
    updatedAt: at,
  }
  checkEvent(event)
  if (state.events.has(event.id)) conflict(`event "${event.id}" already exists`)
  return { op: 'event.add', event }
}

export function moveEventEdit(state: ProjectState, id: string, frame: number, at: string): Edit | null {
  return eventUpdate(existingEvent(state, id), { frame }, at)
}

/** `kind` undefined keeps the event's kind (relabel within the same list). */
export function relabelEventEdit(
  state: ProjectState,
  id: string,
  kind: EventKind | undefined,
  label: string,
  taxonomyVersion: number,
  at: string,
): Edit | null {
  const after: EventPatch = { label: typeof label === 'string' ? label.trim() : label, taxonomyVersion }
  if (kind !== undefined) after.kind = kind
  return eventUpdate(existingEvent(state, id), after, at)
}

export function noteEventEdit(state: ProjectState, id: string, note: string, at: string): Edit | null {
  return eventUpdate(existingEvent(state, id), { note }, at)
}

export function deleteEventEdit(state: ProjectState, id: string): Edit {
  return { op: 'event.delete', event: existingEvent(state, id) }
}

export function episodeEdit(state: ProjectState, episode: number, patch: EpisodePatch, at: string): Edit | null {
  checkIndex(episode, 'episode')
  const stored = state.episodes.get(episode)
  const current = stored ?? { ...DEFAULT_EPISODE_LABELS, episode }
  const before: EpisodePatch = {}
  const after: EpisodePatch = {}
  for (const key of EPISODE_PATCH_KEYS) {
    if (!(key in patch) || patch[key] === undefined || patch[key] === current[key]) continue
    Object.assign(after, { [key]: patch[key] })
    Object.assign(before, { [key]: current[key] })
  }
  if (Object.keys(after).length === 0) return null
  checkEpisodeFields(after, `episode ${episode}: `)
  checkTimestamp(at, 'at')
  const edit: EpisodeUpdate = { op: 'episode.update', episode, before, after, at }
  if (stored) edit.beforeAt = stored.updatedAt
  return edit
}

/**
 * A new version of the task's taxonomy (latest + 1), names trimmed. Null when the lists equal the latest version's
 * (the preset alone is informative and does not make a version).
 */
export function saveTaxonomyEdit(
  state: ProjectState,
  task: string,
  milestones: readonly string[],
  errorTypes: readonly string[],
  preset: string | null,
  at: string,
): Edit | null {
  const trim = (names: readonly string[]): string[] => names.map((n) => (typeof n === 'string' ? n.trim() : n))
  const latest = latestTaxonomy(state, task)
  const after: Taxonomy = {
    task,
    version: (latest?.version ?? 0) + 1,
    milestones: trim(milestones),
    errorTypes: trim(errorTypes),
    preset,
    createdAt: at,
  }
  if (latest && sameList(latest.milestones, after.milestones) && sameList(latest.errorTypes, after.errorTypes)) return null
  checkTaxonomy(after)
  return { op: 'taxonomy.save', before: latest, after }
}
