import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AnnotationEvent, Edit, EpisodeLabels, EventKind, Outcome, ProjectState, ReviewStatus, Taxonomy } from '../annotations'
import { applyEdit, emptyProject } from './apply'
import { addEventEdit, deleteEventEdit, episodeEdit, moveEventEdit, noteEventEdit, relabelEventEdit, saveTaxonomyEdit } from './builders'
import { UndoHistory } from './undo'
import { at, plain } from '../testing/editFixtures'

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
