/**
 * Checks of annotation edits before they are applied (the same rules in the renderer and the store), and the
 * equality of events and taxonomies they use.
 */
import { DEFAULT_EPISODE_LABELS, EVENT_KINDS, OUTCOMES, REVIEW_STATUSES, type AnnotationEvent, type Edit, type EpisodeLabels, type EventPatch, type Taxonomy } from '../annotations'
import { VivaError } from '../errors'
import { taxonomyProblems } from '../taxonomy'
import { cutText, quoteValue } from '../text'

export type EventUpdate = Extract<Edit, { op: 'event.update' }>
export type EpisodeUpdate = Extract<Edit, { op: 'episode.update' }>

// Validation

/** ISO 8601 date-time with seconds and a zone, as `Date.prototype.toISOString` writes it (offsets accepted). */
export const ISO_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIMESTAMP_PATTERN.test(value)
}

export const EVENT_PATCH_KEYS = ['frame', 'kind', 'label', 'note', 'taxonomyVersion'] as const
export const EPISODE_PATCH_KEYS = ['outcome', 'status', 'note'] as const

export function invalid(message: string): never {
  throw new VivaError('INVALID_ARGUMENT', message)
}

export function conflict(message: string): never {
  throw new VivaError('CONFLICT', message)
}

/** A value in a message: strings quoted, anything long cut with its length (a 1 MB label is not sent back whole). */
export const show = (value: unknown): string => (value === undefined ? 'undefined' : typeof value === 'string' ? quoteValue(value) : cutText(JSON.stringify(value) ?? String(value)))

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export function checkIndex(value: unknown, what: string): void {
  if (!isIndex(value)) invalid(`${what} must be a whole number ≥ 0, got ${show(value)}`)
}

export function checkTimestamp(value: unknown, what: string): void {
  if (!isIsoTimestamp(value)) invalid(`${what} must be an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z, got ${show(value)}`)
}

function checkLabel(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') invalid(`${what} must be a non-empty label, got ${show(value)}`)
}

function checkTaxonomyVersion(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    invalid(`${what} must be a taxonomy version (a whole number ≥ 1; save a taxonomy for the task first), got ${show(value)}`)
  }
}

export function checkEventFields(fields: Partial<Record<keyof AnnotationEvent, unknown>>, what: string): void {
  if ('frame' in fields) checkIndex(fields.frame, `${what}frame`)
  if ('kind' in fields && !(EVENT_KINDS as readonly unknown[]).includes(fields.kind)) {
    invalid(`${what}kind must be one of ${EVENT_KINDS.join(', ')}, got ${show(fields.kind)}`)
  }
  if ('label' in fields) checkLabel(fields.label, `${what}label`)
  if ('note' in fields && typeof fields.note !== 'string') invalid(`${what}note must be text, got ${show(fields.note)}`)
  if ('taxonomyVersion' in fields) checkTaxonomyVersion(fields.taxonomyVersion, `${what}taxonomyVersion`)
}

export function checkEvent(event: AnnotationEvent): void {
  if (typeof event.id !== 'string' || event.id === '') invalid(`event id must be a non-empty string, got ${show(event.id)}`)
  const what = `event "${event.id}": `
  checkIndex(event.episode, `${what}episode`)
  checkEventFields({ frame: event.frame, kind: event.kind, label: event.label, note: event.note, taxonomyVersion: event.taxonomyVersion }, what)
  if (typeof event.annotator !== 'string') invalid(`${what}annotator must be text, got ${show(event.annotator)}`)
  checkTimestamp(event.createdAt, `${what}createdAt`)
  checkTimestamp(event.updatedAt, `${what}updatedAt`)
}

export function checkEpisodeFields(fields: Partial<Record<keyof EpisodeLabels, unknown>>, what: string): void {
  if ('outcome' in fields && !(OUTCOMES as readonly unknown[]).includes(fields.outcome)) {
    invalid(`${what}outcome must be one of ${OUTCOMES.join(', ')}, got ${show(fields.outcome)}`)
  }
  if ('status' in fields && !(REVIEW_STATUSES as readonly unknown[]).includes(fields.status)) {
    invalid(`${what}status must be one of ${REVIEW_STATUSES.join(', ')}, got ${show(fields.status)}`)
  }
  if ('note' in fields && typeof fields.note !== 'string') invalid(`${what}note must be text, got ${show(fields.note)}`)
}

/** `before` and `after` must name the same fields, all of them patchable. */
function checkPatchKeys(before: object, after: object, allowed: readonly string[], what: string): void {
  const b = Object.keys(before).sort()
  const a = Object.keys(after).sort()
  for (const key of a) if (!allowed.includes(key)) invalid(`${what}: "${key}" cannot be changed by an update (only ${allowed.join(', ')})`)
  if (b.join(',') !== a.join(',')) invalid(`${what}: before names fields [${b.join(', ')}] but after names [${a.join(', ')}]`)
}

export function checkTaxonomy(t: Taxonomy): void {
  if (typeof t.task !== 'string' || t.task === '') invalid(`taxonomy task must be a non-empty string, got ${show(t.task)}`)
  const what = `taxonomy "${t.task}"`
  checkTaxonomyVersion(t.version, `${what} version`)
  if (!Array.isArray(t.milestones) || !Array.isArray(t.errorTypes)) invalid(`${what}: milestones and errorTypes must be lists`)
  const problems = taxonomyProblems(t.milestones, t.errorTypes)
  if (problems.length > 0) invalid(`${what} version ${t.version}: ${problems.join(' ')}`)
  if (t.preset !== null && typeof t.preset !== 'string') invalid(`${what}: preset must be text or null, got ${show(t.preset)}`)
  checkTimestamp(t.createdAt, `${what} createdAt`)
}

// ---------------------------------------------------------------------------------------------------------------
// Equality

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function sameTaxonomy(a: Taxonomy, b: Taxonomy): boolean {
  return (
    a.task === b.task &&
    a.version === b.version &&
    sameList(a.milestones, b.milestones) &&
    sameList(a.errorTypes, b.errorTypes) &&
    a.preset === b.preset &&
    a.createdAt === b.createdAt
  )
}

const EVENT_KEYS = ['id', 'episode', 'frame', 'kind', 'label', 'note', 'annotator', 'taxonomyVersion', 'createdAt', 'updatedAt'] as const

/** Fields in which two events differ, in a fixed order (for conflict messages and import plans). */
export function eventDifferences(a: AnnotationEvent, b: AnnotationEvent): (keyof AnnotationEvent)[] {
  return EVENT_KEYS.filter((k) => a[k] !== b[k])
}

function isDefaultLabels(labels: Pick<EpisodeLabels, 'outcome' | 'status' | 'note'>): boolean {
  return (
    labels.outcome === DEFAULT_EPISODE_LABELS.outcome &&
    labels.status === DEFAULT_EPISODE_LABELS.status &&
    labels.note === DEFAULT_EPISODE_LABELS.note
  )
}

/**
 * Checks what an edit says on its own — ids, indices, field values, timestamps, the shape of its patches — before
 * any state is consulted. Shared by `applyEdit` and the project store, so both refuse the same edits the same way.
 */
export function validateEdit(edit: Edit): void {
  switch (edit.op) {
    case 'event.add':
      checkEvent(edit.event)
      return
    case 'event.delete':
      // Compared field by field with the stored event, which is all the checking it needs.
      return
    case 'event.update': {
      const what = `update of event "${edit.id}"`
      if (typeof edit.id !== 'string' || edit.id === '') invalid(`event id must be a non-empty string, got ${show(edit.id)}`)
      checkIndex(edit.episode, `${what}: episode`)
      checkPatchKeys(edit.before, edit.after, EVENT_PATCH_KEYS, what)
      checkEventFields(edit.after, `${what}: `)
      checkTimestamp(edit.at, `${what}: at`)
      if (edit.beforeAt !== undefined) checkTimestamp(edit.beforeAt, `${what}: beforeAt`)
      return
    }
    case 'episode.update': {
      const what = `update of episode ${show(edit.episode)}`
      checkIndex(edit.episode, 'episode')
      checkPatchKeys(edit.before, edit.after, EPISODE_PATCH_KEYS, what)
      checkEpisodeFields(edit.after, `${what}: `)
      checkTimestamp(edit.at, `${what}: at`)
      if (edit.beforeAt !== undefined) checkTimestamp(edit.beforeAt, `${what}: beforeAt`)
      return
    }
    case 'taxonomy.save':
      checkTaxonomy(edit.after)
      if (edit.before !== null && edit.before.task !== edit.after.task) {
        invalid(`taxonomy save: before is for task "${edit.before.task}" but after is for task "${edit.after.task}"`)
      }
      return
    case 'taxonomy.delete':
      return
    default: {
      const unknown: never = edit
      invalid(`unknown edit ${show((unknown as { op?: unknown }).op)}`)
    }
  }
}

/**
 * Checks an episode update against the episode's current labels (CONFLICT when `before` no longer holds) and returns
 * the labels it leaves, or null when those are the defaults — which are not stored.
 */
export function updatedEpisodeLabels(current: EpisodeLabels, edit: EpisodeUpdate): EpisodeLabels | null {
  const diffs = EPISODE_PATCH_KEYS.filter((k) => k in edit.before && edit.before[k] !== current[k])
  if (diffs.length > 0) {
    conflict(`episode ${edit.episode} changed since the edit was made: ${diffs.map((k) => `${k} is ${show(current[k])} here, the edit expected ${show(edit.before[k])}`).join('; ')}`)
  }
  const next: EpisodeLabels = {
    episode: edit.episode,
    outcome: edit.after.outcome ?? current.outcome,
    status: edit.after.status ?? current.status,
    note: edit.after.note ?? current.note,
    updatedAt: edit.at,
  }
  return isDefaultLabels(next) ? null : next
}

/** Fields an event update changes (`validateEdit` has checked they are patchable and match `before`'s). */
export function eventPatchKeys(edit: EventUpdate): (keyof EventPatch)[] {
  return EVENT_PATCH_KEYS.filter((k) => k in edit.after)
}
