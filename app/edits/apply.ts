/**
 * Applying and inverting annotation edits. Pure: states are never mutated (a new state shares whatever an edit did
 * not touch), and time only enters as the `at` a caller passes in.
 */
import { DEFAULT_EPISODE_LABELS, type AnnotationEvent, type Edit, type EpisodeLabels, type ProjectState, type Taxonomy } from '../annotations'
import { VivaError } from '../errors'
import { EVENT_PATCH_KEYS, type EpisodeUpdate, type EventUpdate, conflict, eventDifferences, invalid, sameTaxonomy, show, updatedEpisodeLabels, validateEdit } from './validate'

export function emptyProject(): ProjectState {
  return { events: new Map(), episodes: new Map(), taxonomies: new Map() }
}

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
