import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AnnotationEvent, Edit, EpisodeLabels, EventKind, Outcome, ProjectState, ReviewStatus, Taxonomy } from './annotations'
import {
  addEventEdit,
  applyEdit,
  applyEdits,
  deleteEventEdit,
  emptyProject,
  episodeEdit,
  episodeLabels,
  eventsOfEpisode,
  invertEdit,
  latestTaxonomy,
  moveEventEdit,
  nextEvent,
  noteEventEdit,
  prevEvent,
  relabelEventEdit,
  saveTaxonomyEdit,
  taskSummary,
  taxonomyVersion,
  UndoHistory,
  invertStep,
  isSuggestionStep,
  type SuggestionStep,
  type UndoStep,
} from './annotationEdits'
import { thrown } from './testing/thrown'

const T0 = Date.UTC(2026, 0, 1)
const at = (step: number): string => new Date(T0 + step * 1000).toISOString()

function expectCode(fn: () => unknown, code: string, message?: RegExp | string): void {
  const err = thrown(fn)
  expect(err.code).toBe(code)
  if (typeof message === 'string') expect(err.message).toBe(message)
  else if (message) expect(err.message).toMatch(message)
}

/** Maps turned into sorted plain objects, so equality ignores insertion order and sees every field. */
function plain(state: ProjectState): unknown {
  const sorted = <K extends string | number, V>(m: Map<K, V>): [K, V][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return {
    events: Object.fromEntries(sorted(state.events)),
    episodes: Object.fromEntries(sorted(state.episodes)),
    taxonomies: Object.fromEntries(sorted(state.taxonomies)),
  }
}

function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v)
    // A frozen Map can still be set(); replace its mutators so any write by applyEdit throws.
    const fail = (): never => {
      throw new Error('mutated a frozen map')
    }
    Object.assign(value, { set: fail, delete: fail, clear: fail })
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return Object.freeze(value)
}

function frozen(state: ProjectState): ProjectState {
  return deepFreeze({ events: state.events, episodes: state.episodes, taxonomies: state.taxonomies })
}

function event(overrides: Partial<AnnotationEvent> = {}): AnnotationEvent {
  return {
    id: 'e1',
    episode: 0,
    frame: 10,
    kind: 'milestone',
    label: 'Grasp',
    note: '',
    annotator: 'ana',
    taxonomyVersion: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }
}

function withEvents(...events: AnnotationEvent[]): ProjectState {
  return applyEdits(emptyProject(), events.map((e): Edit => ({ op: 'event.add', event: e })))
}

describe('event edits', () => {
  it('adds an event without touching the input state', () => {
    const base = frozen(emptyProject())
    const edit = addEventEdit(base, { id: 'e1', episode: 2, frame: 5, kind: 'error', label: ' Drop ', annotator: 'ana', taxonomyVersion: 1 }, at(1))
    expect(edit).toEqual({ op: 'event.add', event: event({ episode: 2, frame: 5, kind: 'error', label: 'Drop', createdAt: at(1), updatedAt: at(1) }) })
    const next = applyEdit(base, edit)
    expect(next.events.get('e1')?.label).toBe('Drop')
    expect(base.events.size).toBe(0)
    // Untouched parts are shared, not copied.
    expect(next.episodes).toBe(base.episodes)
    expect(next.taxonomies).toBe(base.taxonomies)
  })

  it('rejects a second event with the same id as a conflict', () => {
    const state = withEvents(event())
    expectCode(() => applyEdit(state, { op: 'event.add', event: event({ frame: 99 }) }), 'CONFLICT', 'event "e1" already exists (episode 0, frame 10)')
    expectCode(() => addEventEdit(state, { ...event(), note: '' }, at(1)), 'CONFLICT', /already exists/)
  })

  it('rejects invalid values as INVALID_ARGUMENT', () => {
    const add = (e: Partial<AnnotationEvent>): (() => unknown) => () => applyEdit(emptyProject(), { op: 'event.add', event: event(e) })
    expectCode(add({ frame: -1 }), 'INVALID_ARGUMENT', 'event "e1": frame must be a whole number ≥ 0, got -1')
    expectCode(add({ frame: 1.5 }), 'INVALID_ARGUMENT', /frame must be a whole number/)
    expectCode(add({ episode: -2 }), 'INVALID_ARGUMENT', /episode must be a whole number ≥ 0, got -2/)
    expectCode(add({ label: '  ' }), 'INVALID_ARGUMENT', 'event "e1": label must be a non-empty label, got "  "')
    expectCode(add({ id: '' }), 'INVALID_ARGUMENT', /event id must be a non-empty string/)
    expectCode(add({ taxonomyVersion: 0 }), 'INVALID_ARGUMENT', /taxonomyVersion must be a taxonomy version/)
    expectCode(add({ kind: 'oops' as EventKind }), 'INVALID_ARGUMENT', /kind must be one of milestone, error/)
    expectCode(add({ createdAt: 'yesterday' }), 'INVALID_ARGUMENT', /createdAt must be an ISO 8601 timestamp/)
  })

  it('moves, relabels and annotates through builders that compute `before`', () => {
    const state = withEvents(event())
    const move = moveEventEdit(state, 'e1', 14, at(2))
    expect(move).toEqual({ op: 'event.update', id: 'e1', episode: 0, before: { frame: 10 }, after: { frame: 14 }, at: at(2), beforeAt: at(0) })
    const moved = applyEdit(state, move as Edit)
    expect(moved.events.get('e1')).toEqual(event({ frame: 14, updatedAt: at(2) }))

    const relabel = relabelEventEdit(moved, 'e1', 'error', 'Drop', 2, at(3))
    expect(relabel).toMatchObject({ before: { kind: 'milestone', label: 'Grasp', taxonomyVersion: 1 }, after: { kind: 'error', label: 'Drop', taxonomyVersion: 2 } })
    const relabelled = applyEdit(moved, relabel as Edit)
    // Kind omitted: only the label changes.
    expect(relabelEventEdit(relabelled, 'e1', undefined, 'Collision', 2, at(4))).toMatchObject({ before: { label: 'Drop' }, after: { label: 'Collision' } })

    const note = noteEventEdit(relabelled, 'e1', 'slipped, then "recovered"', at(5))
    expect(note).toMatchObject({ before: { note: '' }, after: { note: 'slipped, then "recovered"' } })
  })

  it('returns null for no-op changes and NOT_FOUND for unknown events', () => {
    const state = withEvents(event())
    expect(moveEventEdit(state, 'e1', 10, at(1))).toBeNull()
    expect(relabelEventEdit(state, 'e1', 'milestone', 'Grasp', 1, at(1))).toBeNull()
    expect(relabelEventEdit(state, 'e1', undefined, ' Grasp ', 1, at(1))).toBeNull()
    expect(noteEventEdit(state, 'e1', '', at(1))).toBeNull()
    expectCode(() => moveEventEdit(state, 'nope', 3, at(1)), 'NOT_FOUND', 'event "nope" does not exist')
    expectCode(() => deleteEventEdit(state, 'nope'), 'NOT_FOUND')
    expectCode(() => moveEventEdit(state, 'e1', -3, at(1)), 'INVALID_ARGUMENT', /frame must be a whole number/)
  })

  it('reports a conflict when the event changed since the edit was made', () => {
    const state = withEvents(event())
    const stale = moveEventEdit(state, 'e1', 20, at(1)) as Edit
    const elsewhere = applyEdit(state, moveEventEdit(state, 'e1', 14, at(2)) as Edit)
    expectCode(() => applyEdit(elsewhere, stale), 'CONFLICT', 'event "e1" changed since the edit was made: frame is 14 here, the edit expected 10')
    const gone = applyEdit(state, deleteEventEdit(state, 'e1'))
    expectCode(() => applyEdit(gone, stale), 'CONFLICT', 'event "e1" does not exist (deleted elsewhere?)')
    expectCode(
      () => applyEdit(state, { op: 'event.update', id: 'e1', episode: 3, before: { frame: 10 }, after: { frame: 11 }, at: at(1) }),
      'CONFLICT',
      'event "e1" is in episode 0, the edit expected episode 3',
    )
    expectCode(() => applyEdit(elsewhere, deleteEventEdit(state, 'e1')), 'CONFLICT', /frame is 14 here, the edit expected 10; updatedAt is/)
  })

  it('rejects malformed updates', () => {
    const state = withEvents(event())
    expectCode(
      () => applyEdit(state, { op: 'event.update', id: 'e1', episode: 0, before: { frame: 10 }, after: { frame: 11, note: 'x' }, at: at(1) }),
      'INVALID_ARGUMENT',
      'update of event "e1": before names fields [frame] but after names [frame, note]',
    )
    const sneaky = { op: 'event.update', id: 'e1', episode: 0, before: { annotator: 'ana' }, after: { annotator: 'bob' }, at: at(1) } as unknown as Edit
    expectCode(() => applyEdit(state, sneaky), 'INVALID_ARGUMENT', /"annotator" cannot be changed by an update/)
    expectCode(
      () => applyEdit(state, { op: 'event.update', id: 'e1', episode: 0, before: { frame: 10 }, after: { frame: -1 }, at: at(1) }),
      'INVALID_ARGUMENT',
      /frame must be a whole number ≥ 0, got -1/,
    )
  })

  it('applyEdits is all or nothing and names the failing edit', () => {
    const state = frozen(withEvents(event()))
    const edits: Edit[] = [
      { op: 'event.add', event: event({ id: 'e2' }) },
      { op: 'event.add', event: event({ id: 'e1' }) },
    ]
    expectCode(() => applyEdits(state, edits), 'CONFLICT', 'edit 2 of 2 (event.add): event "e1" already exists (episode 0, frame 10)')
    expect(state.events.has('e2')).toBe(false)
  })
})

describe('episode edits', () => {
  it('treats episodes without labels as defaults and stores only non-default labels', () => {
    const base = emptyProject()
    expect(episodeLabels(base, 4)).toEqual({ episode: 4, outcome: 'unknown', status: 'todo', note: '', updatedAt: null })
    const edit = episodeEdit(base, 4, { status: 'done', outcome: 'unknown' }, at(1))
    // Only the fields that change, and no beforeAt since nothing was stored.
    expect(edit).toEqual({ op: 'episode.update', episode: 4, before: { status: 'todo' }, after: { status: 'done' }, at: at(1) })
    const done = applyEdit(base, edit as Edit)
    expect(done.episodes.get(4)).toEqual({ episode: 4, outcome: 'unknown', status: 'done', note: '', updatedAt: at(1) })
    const back = applyEdit(done, episodeEdit(done, 4, { status: 'todo' }, at(2)) as Edit)
    expect(back.episodes.has(4)).toBe(false)
    expect(episodeEdit(base, 4, { status: 'todo' }, at(1))).toBeNull()
  })

  it('undo restores labels and their timestamp exactly', () => {
    let state = applyEdit(emptyProject(), episodeEdit(emptyProject(), 1, { outcome: 'failure', note: 'dropped' }, at(1)) as Edit)
    const before = plain(state)
    const edit = episodeEdit(state, 1, { outcome: 'success' }, at(5)) as Edit
    state = applyEdit(state, edit)
    expect(state.episodes.get(1)?.updatedAt).toBe(at(5))
    state = applyEdit(state, invertEdit(edit))
    expect(plain(state)).toEqual(before)
  })

  it('reports conflicts and invalid values', () => {
    const state = applyEdit(emptyProject(), episodeEdit(emptyProject(), 1, { status: 'in_progress' }, at(1)) as Edit)
    const stale = episodeEdit(emptyProject(), 1, { status: 'done' }, at(2)) as Edit
    expectCode(() => applyEdit(state, stale), 'CONFLICT', 'episode 1 changed since the edit was made: status is "in_progress" here, the edit expected "todo"')
    expectCode(() => episodeEdit(state, 1, { status: 'finished' as ReviewStatus }, at(2)), 'INVALID_ARGUMENT', /status must be one of todo, in_progress, done, needs_review/)
    expectCode(() => episodeEdit(state, -1, { status: 'done' }, at(2)), 'INVALID_ARGUMENT', /episode must be a whole number/)
    expectCode(() => episodeEdit(state, 1, { status: 'done' }, 'now'), 'INVALID_ARGUMENT', /at must be an ISO 8601 timestamp/)
  })
})

describe('taxonomy edits', () => {
  it('saves new versions (latest + 1), trims names, and skips unchanged lists', () => {
    const s0 = emptyProject()
    const save1 = saveTaxonomyEdit(s0, 'fold', [' Grasp', 'Fold '], ['Drop'], 'generic', at(1)) as Edit
    expect(save1).toEqual({
      op: 'taxonomy.save',
      before: null,
      after: { task: 'fold', version: 1, milestones: ['Grasp', 'Fold'], errorTypes: ['Drop'], preset: 'generic', createdAt: at(1) },
    })
    const s1 = applyEdit(s0, save1)
    expect(saveTaxonomyEdit(s1, 'fold', ['Grasp', 'Fold'], ['Drop'], null, at(2))).toBeNull()
    const save2 = saveTaxonomyEdit(s1, 'fold', ['Grasp', 'Fold', 'Place'], ['Drop'], null, at(2)) as Edit
    const s2 = applyEdit(s1, save2)
    expect(latestTaxonomy(s2, 'fold')?.version).toBe(2)
    expect(taxonomyVersion(s2, 'fold', 1)?.milestones).toEqual(['Grasp', 'Fold'])
    expect(latestTaxonomy(s2, 'other')).toBeNull()
    expectCode(() => saveTaxonomyEdit(s2, 'fold', ['Grasp', 'grasp'], [], null, at(3)), 'INVALID_ARGUMENT', /repeats milestone 1/)
    expectCode(() => saveTaxonomyEdit(s2, 'fold', [], ['Drop'], null, at(3)), 'INVALID_ARGUMENT', /Add at least one milestone/)
  })

  it('conflicts when another save got there first, and removes only the latest version', () => {
    const s1 = applyEdit(emptyProject(), saveTaxonomyEdit(emptyProject(), 'fold', ['Grasp'], [], null, at(1)) as Edit)
    const a = saveTaxonomyEdit(s1, 'fold', ['Grasp', 'Lift'], [], null, at(2)) as Edit
    const b = saveTaxonomyEdit(s1, 'fold', ['Grasp', 'Place'], [], null, at(3)) as Edit
    const s2 = applyEdit(s1, a)
    expectCode(() => applyEdit(s2, b), 'CONFLICT', 'taxonomy "fold": the latest version is version 2 here, the edit expected version 1')
    const v1 = latestTaxonomy(s1, 'fold') as Taxonomy
    expectCode(() => applyEdit(s2, { op: 'taxonomy.delete', taxonomy: v1, previous: null }), 'CONFLICT', 'only the latest version of taxonomy "fold" (2) can be removed, not version 1')
    expectCode(() => applyEdit(s1, { op: 'taxonomy.save', before: null, after: { ...v1, version: 2 } }), 'CONFLICT', /the latest version is version 1 here, the edit expected none/)
    expectCode(() => applyEdit(s1, { op: 'taxonomy.save', before: v1, after: { ...v1, version: 5 } }), 'INVALID_ARGUMENT', /the next version is 2, the edit saves version 5/)
    expectCode(
      () => applyEdit(s1, { op: 'taxonomy.save', before: { ...v1, milestones: ['Other'] }, after: { ...v1, version: 2 } }),
      'CONFLICT',
      'taxonomy "fold" version 1 differs from the one the edit expected',
    )
    const back = applyEdit(s2, invertEdit(a))
    expect(plain(back)).toEqual(plain(s1))
    const empty = applyEdit(back, { op: 'taxonomy.delete', taxonomy: v1, previous: null })
    expect(empty.taxonomies.size).toBe(0)
    expectCode(() => applyEdit(empty, { op: 'taxonomy.delete', taxonomy: v1, previous: null }), 'CONFLICT', 'task "fold" has no taxonomy to remove')
  })
})

describe('invertEdit', () => {
  it('swaps add/delete, before/after (and the timestamps) and save/delete; twice gives the edit back', () => {
    const e = event()
    const tax: Taxonomy = { task: 't', version: 2, milestones: ['A'], errorTypes: [], preset: null, createdAt: at(1) }
    const prev: Taxonomy = { ...tax, version: 1 }
    const edits: Edit[] = [
      { op: 'event.add', event: e },
      { op: 'event.delete', event: e },
      { op: 'event.update', id: 'e1', episode: 0, before: { frame: 1 }, after: { frame: 2 }, at: at(2), beforeAt: at(1) },
      { op: 'episode.update', episode: 0, before: { status: 'todo' }, after: { status: 'done' }, at: at(2) },
      { op: 'taxonomy.save', before: prev, after: tax },
      { op: 'taxonomy.delete', taxonomy: tax, previous: prev },
    ]
    expect(invertEdit(edits[0] as Edit)).toEqual({ op: 'event.delete', event: e })
    expect(invertEdit(edits[2] as Edit)).toEqual({ op: 'event.update', id: 'e1', episode: 0, before: { frame: 2 }, after: { frame: 1 }, at: at(1), beforeAt: at(2) })
    expect(invertEdit(edits[4] as Edit)).toEqual({ op: 'taxonomy.delete', taxonomy: tax, previous: prev })
    for (const edit of edits) expect(invertEdit(invertEdit(edit))).toEqual(edit)
  })
})

describe('UndoHistory', () => {
  const add = (id: string): Edit => ({ op: 'event.add', event: event({ id }) })

  it('undoes and redoes in order; a new edit clears redo', () => {
    const h = new UndoHistory()
    expect(h.canUndo).toBe(false)
    expect(h.undo()).toBeNull()
    h.record(add('a'))
    h.record(add('b'))
    expect(h.undo()).toEqual(invertEdit(add('b')))
    expect(h.canRedo).toBe(true)
    expect(h.redo()).toEqual(add('b'))
    expect(h.redo()).toBeNull()
    h.undo()
    h.record(add('c'))
    expect(h.canRedo).toBe(false)
    expect(h.undoCount).toBe(2)
    h.clear()
    expect(h.canUndo || h.canRedo).toBe(false)
  })

  it('keeps at most `capacity` steps, dropping the oldest', () => {
    const h = new UndoHistory(3)
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.record(add(id))
    const undone: Edit[] = []
    for (let e = h.undo(); e !== null; e = h.undo()) undone.push(e)
    expect(undone.map((e) => (e.op === 'event.delete' ? e.event.id : '?'))).toEqual(['e', 'd', 'c'])
    expectCode(() => new UndoHistory(0), 'INVALID_ARGUMENT')
  })

  it('holds suggestion steps among edits: undo hands back the opposite step, redo the step itself', () => {
    const h = new UndoHistory<UndoStep>()
    const dismiss: SuggestionStep = { op: 'suggestion.dismiss', key: 'd1#0|a|error@50' }
    h.record(add('a'))
    h.record(dismiss)
    expect(h.undo()).toEqual({ op: 'suggestion.restore', key: dismiss.key })
    expect(h.undo()).toEqual(invertEdit(add('a')))
    expect(h.redo()).toEqual(add('a'))
    expect(h.redo()).toEqual(dismiss)
    expect(invertStep(invertStep(dismiss))).toEqual(dismiss)
    expect(isSuggestionStep(dismiss)).toBe(true)
    expect(isSuggestionStep(add('b'))).toBe(false)
  })

  it('drop() forgets a step whose undo or redo could not be applied', () => {
    const h = new UndoHistory()
    h.record(add('a'))
    h.record(add('b'))
    expect(h.undo()).not.toBeNull()
    h.drop()
    expect(h.canRedo).toBe(false)
    expect(h.undoCount).toBe(1)
    h.undo()
    h.redo()
    h.drop()
    expect(h.undoCount).toBe(0)
    expect(h.redoCount).toBe(0)
    h.drop()
    expect(h.undoCount + h.redoCount).toBe(0)
  })
})

describe('queries', () => {
  const state = withEvents(
    event({ id: 'c', frame: 30, createdAt: at(1) }),
    event({ id: 'a', frame: 10, createdAt: at(2) }),
    event({ id: 'b', frame: 10, createdAt: at(1) }),
    event({ id: 'z', frame: 5, episode: 1 }),
  )

  it('lists an episode’s events by frame, then creation time', () => {
    expect(eventsOfEpisode(state, 0).map((e) => e.id)).toEqual(['b', 'a', 'c'])
    expect(eventsOfEpisode(state, 7)).toEqual([])
  })

  it('finds the next and previous event strictly after / before a frame', () => {
    expect(nextEvent(state, 0, 0)?.id).toBe('b')
    expect(nextEvent(state, 0, 10)?.id).toBe('c')
    expect(nextEvent(state, 0, 30)).toBeNull()
    expect(prevEvent(state, 0, 30)?.id).toBe('a')
    expect(prevEvent(state, 0, 10)).toBeNull()
    expect(prevEvent(state, 1, 100)?.id).toBe('z')
  })

  it('summarizes a task: review progress, outcomes, milestone and error-type counts', () => {
    let s = applyEdit(emptyProject(), saveTaxonomyEdit(emptyProject(), 'fold', ['Grasp', 'Fold'], ['Drop', 'Stall'], null, at(0)) as Edit)
    const add = (id: string, episode: number, frame: number, kind: EventKind, label: string): void => {
      s = applyEdit(s, addEventEdit(s, { id, episode, frame, kind, label, annotator: 'a', taxonomyVersion: 1 }, at(1)))
    }
    add('1', 0, 1, 'milestone', 'Grasp')
    add('2', 1, 1, 'milestone', 'Grasp')
    add('3', 1, 2, 'error', 'Drop')
    add('4', 1, 3, 'error', 'Slip (v0)')
    add('5', 1, 99, 'error', 'Drop') // beyond the episode's 50 frames: not counted
    add('6', 9, 1, 'error', 'Drop') // another task's episode
    add('7', 0, 2, 'milestone', '__proto__')
    s = applyEdit(s, episodeEdit(s, 0, { status: 'done', outcome: 'success' }, at(2)) as Edit)
    s = applyEdit(s, episodeEdit(s, 1, { status: 'needs_review', outcome: 'failure' }, at(2)) as Edit)
    s = applyEdit(s, episodeEdit(s, 2, { status: 'in_progress' }, at(2)) as Edit)
    const summary = taskSummary(s, [{ index: 0, length: 50 }, { index: 1, length: 50 }, { index: 2, length: 50 }, { index: 3, length: 50 }], 'fold')
    expect(summary).toMatchObject({ episodes: 4, done: 1, needsReview: 1, inProgress: 1, todo: 1, success: 1, failure: 1, unknown: 2 })
    expect(Object.entries(summary.milestoneCounts)).toEqual([['Grasp', 2], ['Fold', 0], ['__proto__', 1]])
    expect(Object.entries(summary.errorCounts)).toEqual([['Drop', 1], ['Stall', 0], ['Slip (v0)', 1]])
    expect(Object.getPrototypeOf(summary.milestoneCounts)).toBe(Object.prototype)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Property: applyEdit + UndoHistory behave like an independent model in which every change pushes a full snapshot
// and undo/redo move along the snapshots.

interface RefEpisode {
  outcome: Outcome
  status: ReviewStatus
  note: string
  updatedAt: string
}
interface RefState {
  events: Record<string, AnnotationEvent>
  episodes: Record<number, RefEpisode>
  taxonomies: Record<string, Taxonomy[]>
}

type Command =
  | { t: 'add'; episode: number; frame: number; kind: EventKind; label: string; version: number }
  | { t: 'move'; pick: number; frame: number }
  | { t: 'relabel'; pick: number; kind: EventKind | undefined; label: string; version: number }
  | { t: 'note'; pick: number; note: string }
  | { t: 'delete'; pick: number }
  | { t: 'episode'; episode: number; outcome?: Outcome; status?: ReviewStatus; note?: string }
  | { t: 'taxonomy'; task: string; milestones: string[]; errorTypes: string[] }
  | { t: 'undo' }
  | { t: 'redo' }

const LABELS = ['Grasp', 'Lift', 'Place', 'Drop', 'Stall']
const NOTES = ['', 'ok', 'slipped, "twice"', 'line\nbreak']
const kindArb = fc.constantFrom<EventKind>('milestone', 'error')
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('add' as const), episode: fc.integer({ min: 0, max: 3 }), frame: fc.integer({ min: 0, max: 20 }), kind: kindArb, label: fc.constantFrom(...LABELS), version: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('move' as const), pick: fc.nat(), frame: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('relabel' as const), pick: fc.nat(), kind: fc.option(kindArb, { nil: undefined }), label: fc.constantFrom(...LABELS), version: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('note' as const), pick: fc.nat(), note: fc.constantFrom(...NOTES) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        t: fc.constant('episode' as const),
        episode: fc.integer({ min: 0, max: 3 }),
        outcome: fc.constantFrom<Outcome>('success', 'failure', 'unknown'),
        status: fc.constantFrom<ReviewStatus>('todo', 'in_progress', 'done', 'needs_review'),
        note: fc.constantFrom(...NOTES),
      },
      { requiredKeys: ['t', 'episode'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('taxonomy' as const),
      task: fc.constantFrom('fold', 'pack'),
      milestones: fc.uniqueArray(fc.constantFrom('Grasp', 'Lift', 'Place'), { minLength: 1 }),
      errorTypes: fc.uniqueArray(fc.constantFrom('Drop', 'Stall'), {}),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ t: 'undo' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'redo' as const }) },
)

function clone(s: RefState): RefState {
  return structuredClone(s)
}

function refPlain(s: RefState): unknown {
  const episodes: Record<number, EpisodeLabels> = {}
  for (const [k, v] of Object.entries(s.episodes)) episodes[Number(k)] = { episode: Number(k), ...v }
  return { events: s.events, episodes, taxonomies: s.taxonomies }
}

/** The model's own reading of each command: returns the next state, or null when the command changes nothing. */
function refStep(s: RefState, c: Command, ids: string[], newId: string, now: string): RefState | null {
  const target = (pick: number): AnnotationEvent | undefined => s.events[ids[pick % Math.max(ids.length, 1)] ?? '']
  switch (c.t) {
    case 'add': {
      const next = clone(s)
      next.events[newId] = { id: newId, episode: c.episode, frame: c.frame, kind: c.kind, label: c.label, note: '', annotator: 'prop', taxonomyVersion: c.version, createdAt: now, updatedAt: now }
      return next
    }
    case 'move':
    case 'relabel':
    case 'note': {
      const e = target(c.pick)
      if (!e) return null
      const changed = { ...e }
      if (c.t === 'move') changed.frame = c.frame
      if (c.t === 'note') changed.note = c.note
      if (c.t === 'relabel') Object.assign(changed, { kind: c.kind ?? e.kind, label: c.label, taxonomyVersion: c.version })
      if (JSON.stringify(changed) === JSON.stringify(e)) return null
      const next = clone(s)
      next.events[e.id] = { ...changed, updatedAt: now }
      return next
    }
    case 'delete': {
      const e = target(c.pick)
      if (!e) return null
      const next = clone(s)
      delete next.events[e.id]
      return next
    }
    case 'episode': {
      const cur = s.episodes[c.episode] ?? { outcome: 'unknown', status: 'todo', note: '', updatedAt: '' }
      const merged = { outcome: c.outcome ?? cur.outcome, status: c.status ?? cur.status, note: c.note ?? cur.note }
      if (merged.outcome === cur.outcome && merged.status === cur.status && merged.note === cur.note) return null
      const next = clone(s)
      if (merged.outcome === 'unknown' && merged.status === 'todo' && merged.note === '') delete next.episodes[c.episode]
      else next.episodes[c.episode] = { ...merged, updatedAt: now }
      return next
    }
    case 'taxonomy': {
      const versions = s.taxonomies[c.task] ?? []
      const last = versions[versions.length - 1]
      if (last && JSON.stringify([last.milestones, last.errorTypes]) === JSON.stringify([c.milestones, c.errorTypes])) return null
      const next = clone(s)
      next.taxonomies[c.task] = [...versions, { task: c.task, version: versions.length + 1, milestones: c.milestones, errorTypes: c.errorTypes, preset: null, createdAt: now }]
      return next
    }
    default:
      return null
  }
}

function sutEdit(state: ProjectState, c: Command, ids: string[], newId: string, now: string): Edit | null {
  const id = (pick: number): string | undefined => ids[pick % Math.max(ids.length, 1)]
  switch (c.t) {
    case 'add':
      return addEventEdit(state, { id: newId, episode: c.episode, frame: c.frame, kind: c.kind, label: c.label, annotator: 'prop', taxonomyVersion: c.version }, now)
    case 'move': {
      const target = id(c.pick)
      return target === undefined ? null : moveEventEdit(state, target, c.frame, now)
    }
    case 'relabel': {
      const target = id(c.pick)
      return target === undefined ? null : relabelEventEdit(state, target, c.kind, c.label, c.version, now)
    }
    case 'note': {
      const target = id(c.pick)
      return target === undefined ? null : noteEventEdit(state, target, c.note, now)
    }
    case 'delete': {
      const target = id(c.pick)
      return target === undefined ? null : deleteEventEdit(state, target)
    }
    case 'episode': {
      const patch: Partial<EpisodeLabels> = {}
      if (c.outcome !== undefined) patch.outcome = c.outcome
      if (c.status !== undefined) patch.status = c.status
      if (c.note !== undefined) patch.note = c.note
      return episodeEdit(state, c.episode, patch, now)
    }
    case 'taxonomy':
      return saveTaxonomyEdit(state, c.task, c.milestones, c.errorTypes, null, now)
    default:
      return null
  }
}

interface RunResult {
  state: ProjectState
  history: UndoHistory
  past: RefState[]
  present: RefState
}

function run(commands: Command[], capacity: number): RunResult {
  let state = emptyProject()
  const history = new UndoHistory(capacity)
  const past: RefState[] = []
  let present: RefState = { events: {}, episodes: {}, taxonomies: {} }
  let future: RefState[] = []
  commands.forEach((c, step) => {
    const now = at(step + 1)
    if (c.t === 'undo') {
      const inverse = history.undo()
      const previous = past.pop()
      expect(inverse === null).toBe(previous === undefined)
      if (inverse && previous) {
        state = applyEdit(state, inverse)
        future.push(present)
        present = previous
      }
    } else if (c.t === 'redo') {
      const edit = history.redo()
      const following = future.pop()
      expect(edit === null).toBe(following === undefined)
      if (edit && following) {
        state = applyEdit(state, edit)
        past.push(present)
        present = following
      }
    } else {
      const ids = Object.keys(present.events).sort()
      const newId = `ev-${step}`
      const expected = refStep(present, c, ids, newId, now)
      const edit = sutEdit(state, c, ids, newId, now)
      expect(edit === null).toBe(expected === null)
      if (edit && expected) {
        state = applyEdit(state, edit)
        history.record(edit)
        past.push(present)
        if (past.length > capacity) past.shift()
        present = expected
        future = []
      }
    }
    expect(plain(state)).toEqual(refPlain(present))
  })
  return { state, history, past, present }
}

describe('edits + undo history against a snapshot model (property)', () => {
  it('agree after every step of long random sequences, with a small undo capacity', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 150 }), fc.integer({ min: 1, max: 8 }), (commands, capacity) => {
        const { state, history, past, present } = run(commands, capacity)
        // Undo as far as the history goes: back to the oldest snapshot it still covers.
        let s = state
        for (let inverse = history.undo(); inverse !== null; inverse = history.undo()) s = applyEdit(s, inverse)
        expect(plain(s)).toEqual(refPlain(past[0] ?? present))
      }),
      { numRuns: 300 },
    )
  })

  it('undo-all returns to the empty project, and redo-all back to the last state reached', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 200 }), (commands) => {
        const { state, history } = run(commands, 1000)
        let top = state
        for (let edit = history.redo(); edit !== null; edit = history.redo()) top = applyEdit(top, edit)
        let s = top
        for (let inverse = history.undo(); inverse !== null; inverse = history.undo()) s = applyEdit(s, inverse)
        expect(plain(s)).toEqual(plain(emptyProject()))
        for (let edit = history.redo(); edit !== null; edit = history.redo()) s = applyEdit(s, edit)
        expect(plain(s)).toEqual(plain(top))
      }),
      { numRuns: 200 },
    )
  })
})
