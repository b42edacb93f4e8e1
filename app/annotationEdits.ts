/**
 * Applying, inverting and building annotation edits, the undo history, and the read-only queries the UI needs.
 * Pure: states are never mutated (a new state shares whatever an edit did not touch), and time only enters as the
 * `at` a caller passes in, so the renderer, the store and tests all compute the same result from the same edits.
 */
import type {
  AnnotationEvent,
  Edit,
  EpisodeLabels,
  EpisodePatch,
  EventKind,
  EventPatch,
  Outcome,
  ProjectState,
  ReviewStatus,
  Taxonomy,
} from './annotations'
import { DEFAULT_EPISODE_LABELS, EVENT_KINDS, OUTCOMES, REVIEW_STATUSES } from './annotations'
import { VivaError } from './errors'
import { taxonomyProblems } from './taxonomy'
import { cutText, quoteValue } from './text'

type EventUpdate = Extract<Edit, { op: 'event.update' }>
type EpisodeUpdate = Extract<Edit, { op: 'episode.update' }>

export function emptyProject(): ProjectState {
  return { events: new Map(), episodes: new Map(), taxonomies: new Map() }
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

/** ISO 8601 date-time with seconds and a zone, as `Date.prototype.toISOString` writes it (offsets accepted). */
export const ISO_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIMESTAMP_PATTERN.test(value)
}

const EVENT_PATCH_KEYS = ['frame', 'kind', 'label', 'note', 'taxonomyVersion'] as const
const EPISODE_PATCH_KEYS = ['outcome', 'status', 'note'] as const

function invalid(message: string): never {
  throw new VivaError('INVALID_ARGUMENT', message)
}

function conflict(message: string): never {
  throw new VivaError('CONFLICT', message)
}

/** A value in a message: strings quoted, anything long cut with its length (a 1 MB label is not sent back whole). */
const show = (value: unknown): string => (value === undefined ? 'undefined' : typeof value === 'string' ? quoteValue(value) : cutText(JSON.stringify(value) ?? String(value)))

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function checkIndex(value: unknown, what: string): void {
  if (!isIndex(value)) invalid(`${what} must be a whole number ≥ 0, got ${show(value)}`)
}

function checkTimestamp(value: unknown, what: string): void {
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

function checkEventFields(fields: Partial<Record<keyof AnnotationEvent, unknown>>, what: string): void {
  if ('frame' in fields) checkIndex(fields.frame, `${what}frame`)
  if ('kind' in fields && !(EVENT_KINDS as readonly unknown[]).includes(fields.kind)) {
    invalid(`${what}kind must be one of ${EVENT_KINDS.join(', ')}, got ${show(fields.kind)}`)
  }
  if ('label' in fields) checkLabel(fields.label, `${what}label`)
  if ('note' in fields && typeof fields.note !== 'string') invalid(`${what}note must be text, got ${show(fields.note)}`)
  if ('taxonomyVersion' in fields) checkTaxonomyVersion(fields.taxonomyVersion, `${what}taxonomyVersion`)
}

function checkEvent(event: AnnotationEvent): void {
  if (typeof event.id !== 'string' || event.id === '') invalid(`event id must be a non-empty string, got ${show(event.id)}`)
  const what = `event "${event.id}": `
  checkIndex(event.episode, `${what}episode`)
  checkEventFields({ frame: event.frame, kind: event.kind, label: event.label, note: event.note, taxonomyVersion: event.taxonomyVersion }, what)
  if (typeof event.annotator !== 'string') invalid(`${what}annotator must be text, got ${show(event.annotator)}`)
  checkTimestamp(event.createdAt, `${what}createdAt`)
  checkTimestamp(event.updatedAt, `${what}updatedAt`)
}

function checkEpisodeFields(fields: Partial<Record<keyof EpisodeLabels, unknown>>, what: string): void {
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

function checkTaxonomy(t: Taxonomy): void {
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

function sameList(a: readonly string[], b: readonly string[]): boolean {
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

// ---------------------------------------------------------------------------------------------------------------
// Applying

/**
 * Copy-on-write view of a state: each map is copied the first time an edit writes to it, so one edit costs one
 * copy of what it touches and a batch (an import) costs one copy in all, not one per edit.
 */
class Draft {
  private events: Map<string, AnnotationEvent> | null = null
  private episodes: Map<number, EpisodeLabels> | null = null
  private taxonomies: Map<string, Taxonomy[]> | null = null

  constructor(private readonly base: ProjectState) {}

  get readEvents(): ReadonlyMap<string, AnnotationEvent> {
    return this.events ?? this.base.events
  }
  get readEpisodes(): ReadonlyMap<number, EpisodeLabels> {
    return this.episodes ?? this.base.episodes
  }
  get readTaxonomies(): ReadonlyMap<string, readonly Taxonomy[]> {
    return this.taxonomies ?? this.base.taxonomies
  }
  writeEvents(): Map<string, AnnotationEvent> {
    return (this.events ??= new Map(this.base.events))
  }
  writeEpisodes(): Map<number, EpisodeLabels> {
    return (this.episodes ??= new Map(this.base.episodes))
  }
  /** The version arrays are replaced, never mutated, since the base state still holds them. */
  writeTaxonomies(): Map<string, Taxonomy[]> {
    return (this.taxonomies ??= new Map(this.base.taxonomies))
  }
  result(): ProjectState {
    return {
      events: this.events ?? this.base.events,
      episodes: this.episodes ?? this.base.episodes,
      taxonomies: this.taxonomies ?? this.base.taxonomies,
    }
  }
}

function applyTo(draft: Draft, edit: Edit): void {
  validateEdit(edit)
  switch (edit.op) {
    case 'event.add': {
      const existing = draft.readEvents.get(edit.event.id)
      if (existing) conflict(`event "${edit.event.id}" already exists (episode ${existing.episode}, frame ${existing.frame})`)
      draft.writeEvents().set(edit.event.id, edit.event)
      return
    }
    case 'event.delete': {
      const id = edit.event.id
      const current = draft.readEvents.get(id)
      if (!current) conflict(`event "${id}" does not exist (deleted elsewhere?)`)
      const diffs = eventDifferences(current, edit.event)
      if (diffs.length > 0) {
        conflict(`event "${id}" changed since the edit was made: ${diffs.map((k) => `${k} is ${show(current[k])} here, the edit expected ${show(edit.event[k])}`).join('; ')}`)
      }
      draft.writeEvents().delete(id)
      return
    }
    case 'event.update': {
      const current = draft.readEvents.get(edit.id)
      if (!current) conflict(`event "${edit.id}" does not exist (deleted elsewhere?)`)
      if (current.episode !== edit.episode) conflict(`event "${edit.id}" is in episode ${current.episode}, the edit expected episode ${edit.episode}`)
      const diffs = EVENT_PATCH_KEYS.filter((k) => k in edit.before && edit.before[k] !== current[k])
      if (diffs.length > 0) {
        conflict(`event "${edit.id}" changed since the edit was made: ${diffs.map((k) => `${k} is ${show(current[k])} here, the edit expected ${show(edit.before[k])}`).join('; ')}`)
      }
      draft.writeEvents().set(edit.id, { ...current, ...edit.after, updatedAt: edit.at })
      return
    }
    case 'episode.update': {
      const stored = draft.readEpisodes.get(edit.episode)
      const next = updatedEpisodeLabels(stored ?? { ...DEFAULT_EPISODE_LABELS, episode: edit.episode, updatedAt: edit.at }, edit)
      if (next) draft.writeEpisodes().set(edit.episode, next)
      else if (stored) draft.writeEpisodes().delete(edit.episode)
      return
    }
    case 'taxonomy.save': {
      const after = edit.after
      const versions = draft.readTaxonomies.get(after.task) ?? []
      const latest = versions[versions.length - 1] ?? null
      checkLatest(after.task, latest, edit.before)
      const expected = (latest?.version ?? 0) + 1
      if (after.version !== expected) invalid(`taxonomy "${after.task}": the next version is ${expected}, the edit saves version ${after.version}`)
      draft.writeTaxonomies().set(after.task, [...versions, after])
      return
    }
    case 'taxonomy.delete': {
      const t = edit.taxonomy
      const versions = draft.readTaxonomies.get(t.task) ?? []
      const latest = versions[versions.length - 1] ?? null
      if (latest === null) conflict(`task "${t.task}" has no taxonomy to remove`)
      if (latest.version !== t.version) conflict(`only the latest version of taxonomy "${t.task}" (${latest.version}) can be removed, not version ${t.version}`)
      if (!sameTaxonomy(latest, t)) conflict(`taxonomy "${t.task}" version ${t.version} differs from the one the edit removes`)
      checkLatest(t.task, versions[versions.length - 2] ?? null, edit.previous, 'below it')
      const remaining = versions.slice(0, -1)
      if (remaining.length > 0) draft.writeTaxonomies().set(t.task, remaining)
      else draft.writeTaxonomies().delete(t.task)
      return
    }
    default: {
      const unknown: never = edit
      invalid(`unknown edit ${show((unknown as { op?: unknown }).op)}`)
    }
  }
}

function checkLatest(task: string, actual: Taxonomy | null, expected: Taxonomy | null, where = 'latest'): void {
  const describe = (t: Taxonomy | null): string => (t === null ? 'none' : `version ${t.version}`)
  if (actual === null && expected === null) return
  if (actual === null || expected === null || actual.version !== expected.version) {
    conflict(`taxonomy "${task}": the ${where} version is ${describe(actual)} here, the edit expected ${describe(expected)}`)
  }
  if (!sameTaxonomy(actual, expected)) conflict(`taxonomy "${task}" version ${actual.version} differs from the one the edit expected`)
}

/**
 * Applies one edit and returns the new state; the input is left untouched. Throws CONFLICT when the state is not
 * what the edit expects (`before`), INVALID_ARGUMENT when the edit's new values are not valid.
 */
export function applyEdit(state: ProjectState, edit: Edit): ProjectState {
  const draft = new Draft(state)
  applyTo(draft, edit)
  return draft.result()
}

/**
 * Applies edits in order, all or nothing: when one fails the error names it (`edit 3 of 10 (event.update): …`,
 * same code) and the input state is unchanged, since nothing is ever written to it.
 */
export function applyEdits(state: ProjectState, edits: readonly Edit[]): ProjectState {
  const draft = new Draft(state)
  edits.forEach((edit, i) => {
    try {
      applyTo(draft, edit)
    } catch (err) {
      if (err instanceof VivaError && edits.length > 1) throw new VivaError(err.code, `edit ${i + 1} of ${edits.length} (${edit.op}): ${err.message}`, err.file)
      throw err
    }
  })
  return draft.result()
}

/** The edit that undoes `edit` (applied right after it). Inverting twice gives back an equivalent edit. */
export function invertEdit(edit: Edit): Edit {
  switch (edit.op) {
    case 'event.add':
      return { op: 'event.delete', event: edit.event }
    case 'event.delete':
      return { op: 'event.add', event: edit.event }
    case 'event.update': {
      const inverse: EventUpdate = { op: 'event.update', id: edit.id, episode: edit.episode, before: edit.after, after: edit.before, at: edit.beforeAt ?? edit.at }
      if (edit.beforeAt !== undefined) inverse.beforeAt = edit.at
      return inverse
    }
    case 'episode.update': {
      const inverse: EpisodeUpdate = { op: 'episode.update', episode: edit.episode, before: edit.after, after: edit.before, at: edit.beforeAt ?? edit.at }
      if (edit.beforeAt !== undefined) inverse.beforeAt = edit.at
      return inverse
    }
    case 'taxonomy.save':
      return { op: 'taxonomy.delete', taxonomy: edit.after, previous: edit.before }
    case 'taxonomy.delete':
      return { op: 'taxonomy.save', before: edit.previous, after: edit.taxonomy }
  }
}

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
// Undo history

/**
 * A step of the undo history that is not a project edit: hiding a suggested event, or offering it again. Suggestions
 * are recomputed from a value curve and never stored, but dismissing one is a user action like any edit: undo must
 * take back that dismissal, not the edit made before it. `key` names the suggestion (its curve, kind and frame).
 */
export interface SuggestionStep {
  op: 'suggestion.dismiss' | 'suggestion.restore'
  key: string
}

export type UndoStep = Edit | SuggestionStep

export function isSuggestionStep(step: UndoStep): step is SuggestionStep {
  return step.op === 'suggestion.dismiss' || step.op === 'suggestion.restore'
}

/** The step that undoes `step`: an edit's inverse, or the opposite suggestion step. */
export function invertStep<S extends UndoStep>(step: S): S {
  if (isSuggestionStep(step)) {
    // The same kind of step with the opposite op: S is SuggestionStep here.
    return { op: step.op === 'suggestion.dismiss' ? 'suggestion.restore' : 'suggestion.dismiss', key: step.key } as S
  }
  // invertEdit maps an Edit to an Edit, so S (which is Edit or UndoStep) holds it.
  return invertEdit(step) as S
}

/**
 * Linear undo/redo over steps that were applied (edits committed by the store, or suggestion steps). `undo()` /
 * `redo()` hand back the step to apply and move it across at once; if applying it then fails (CONFLICT: the project
 * changed elsewhere) or no longer changes anything, `drop()` discards that step so the history never offers a step
 * that cannot be taken.
 */
export class UndoHistory<S extends UndoStep = Edit> {
  private done: S[] = []
  private undone: S[] = []
  private lastMove: 'undo' | 'redo' | null = null

  constructor(readonly capacity = 1000) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) invalid(`undo capacity must be a whole number ≥ 1, got ${show(capacity)}`)
  }

  /** After `step` was applied: it becomes the step to undo, and whatever could be redone is gone. */
  record(step: S): void {
    this.done.push(step)
    if (this.done.length > this.capacity) this.done.shift()
    this.undone = []
    this.lastMove = null
  }

  /** The inverse of the last step, to apply now; null when there is nothing to undo. */
  undo(): S | null {
    const step = this.done.pop()
    if (step === undefined) return null
    this.undone.push(step)
    this.lastMove = 'undo'
    return invertStep(step)
  }

  /** The last undone step, to apply again; null when there is nothing to redo. */
  redo(): S | null {
    const step = this.undone.pop()
    if (step === undefined) return null
    this.done.push(step)
    this.lastMove = 'redo'
    return step
  }

  /** Forget the step the last undo()/redo() returned, because applying it failed. */
  drop(): void {
    if (this.lastMove === 'undo') this.undone.pop()
    else if (this.lastMove === 'redo') this.done.pop()
    this.lastMove = null
  }

  get canUndo(): boolean {
    return this.done.length > 0
  }

  get canRedo(): boolean {
    return this.undone.length > 0
  }

  get undoCount(): number {
    return this.done.length
  }

  get redoCount(): number {
    return this.undone.length
  }

  clear(): void {
    this.done = []
    this.undone = []
    this.lastMove = null
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

/** Timeline order: frame, then creation time, then id (so equal timestamps still order the same everywhere). */
export function compareEvents(a: AnnotationEvent, b: AnnotationEvent): number {
  if (a.frame !== b.frame) return a.frame - b.frame
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function eventsOfEpisode(state: ProjectState, episode: number): AnnotationEvent[] {
  const out: AnnotationEvent[] = []
  for (const e of state.events.values()) if (e.episode === episode) out.push(e)
  return out.sort(compareEvents)
}

/** The first event strictly after `frame`, or null. */
export function nextEvent(state: ProjectState, episode: number, frame: number): AnnotationEvent | null {
  return eventsOfEpisode(state, episode).find((e) => e.frame > frame) ?? null
}

/** The last event strictly before `frame`, or null. */
export function prevEvent(state: ProjectState, episode: number, frame: number): AnnotationEvent | null {
  const before = eventsOfEpisode(state, episode).filter((e) => e.frame < frame)
  return before[before.length - 1] ?? null
}

export function latestTaxonomy(state: ProjectState, task: string): Taxonomy | null {
  const versions = state.taxonomies.get(task)
  return versions?.[versions.length - 1] ?? null
}

export function taxonomyVersion(state: ProjectState, task: string, version: number): Taxonomy | null {
  return state.taxonomies.get(task)?.find((t) => t.version === version) ?? null
}

/** An episode's labels; `updatedAt` is null when nothing was stored (the defaults apply). */
export interface EpisodeLabelsView extends Omit<EpisodeLabels, 'updatedAt'> {
  updatedAt: string | null
}

export function episodeLabels(state: ProjectState, episode: number): EpisodeLabelsView {
  return state.episodes.get(episode) ?? { ...DEFAULT_EPISODE_LABELS, episode, updatedAt: null }
}

export interface TaskSummary {
  episodes: number
  done: number
  inProgress: number
  needsReview: number
  todo: number
  success: number
  failure: number
  unknown: number
  /** Label → number of events; the latest taxonomy's names first (zeros included, in its order), then others. */
  milestoneCounts: Record<string, number>
  /** The error-type distribution of the paper's Fig. 4. */
  errorCounts: Record<string, number>
}

/** Labels are user text: a label such as "__proto__" must become a key, not reach the prototype. */
function setCount(counts: Record<string, number>, label: string, n: number): void {
  Object.defineProperty(counts, label, { value: n, enumerable: true, writable: true, configurable: true })
}

const STATUS_FIELD: Record<ReviewStatus, 'todo' | 'inProgress' | 'done' | 'needsReview'> = {
  todo: 'todo',
  in_progress: 'inProgress',
  done: 'done',
  needs_review: 'needsReview',
}

const OUTCOME_FIELD: Record<Outcome, 'success' | 'failure' | 'unknown'> = { success: 'success', failure: 'failure', unknown: 'unknown' }

/**
 * Progress and label counts over a task's episodes. Events at frames beyond an episode's length are not counted:
 * they cannot be scored against that episode's frames.
 */
export function taskSummary(state: ProjectState, episodesOfTask: readonly { index: number; length: number }[], task: string): TaskSummary {
  const latest = latestTaxonomy(state, task)
  const summary: TaskSummary = {
    episodes: episodesOfTask.length,
    done: 0,
    inProgress: 0,
    needsReview: 0,
    todo: 0,
    success: 0,
    failure: 0,
    unknown: 0,
    milestoneCounts: Object.fromEntries((latest?.milestones ?? []).map((m) => [m, 0])),
    errorCounts: Object.fromEntries((latest?.errorTypes ?? []).map((m) => [m, 0])),
  }
  const lengths = new Map<number, number>()
  for (const ep of episodesOfTask) {
    lengths.set(ep.index, ep.length)
    const labels = episodeLabels(state, ep.index)
    summary[STATUS_FIELD[labels.status]] += 1
    summary[OUTCOME_FIELD[labels.outcome]] += 1
  }
  const extra = { milestone: new Map<string, number>(), error: new Map<string, number>() }
  for (const e of state.events.values()) {
    const length = lengths.get(e.episode)
    if (length === undefined || e.frame >= length) continue
    const counts = e.kind === 'milestone' ? summary.milestoneCounts : summary.errorCounts
    if (Object.hasOwn(counts, e.label)) setCount(counts, e.label, (counts[e.label] ?? 0) + 1)
    else extra[e.kind].set(e.label, (extra[e.kind].get(e.label) ?? 0) + 1)
  }
  // Labels from older taxonomy versions follow, alphabetically, so the order never depends on event order.
  for (const kind of EVENT_KINDS) {
    const counts = kind === 'milestone' ? summary.milestoneCounts : summary.errorCounts
    for (const [label, n] of [...extra[kind]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) setCount(counts, label, n)
  }
  return summary
}
