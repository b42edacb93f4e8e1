import { describe, expect, it } from 'vitest'
import type { AnnotationEvent, Edit, EventKind, ReviewStatus, Taxonomy } from '../annotations'
import { applyEdit, applyEdits, emptyProject, invertEdit } from './apply'
import { addEventEdit, deleteEventEdit, episodeEdit, moveEventEdit, noteEventEdit, relabelEventEdit, saveTaxonomyEdit } from './builders'
import { episodeLabels, latestTaxonomy, taxonomyVersion } from './queries'
import { at, expectCode, plain, frozen, event, withEvents } from '../testing/editFixtures'

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
