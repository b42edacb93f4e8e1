import { describe, expect, it } from 'vitest'
import type { Edit } from '../annotations'
import { invertEdit } from './apply'
import { invertStep, isSuggestionStep, type SuggestionStep, UndoHistory, type UndoStep } from './undo'
import { expectCode, event } from '../testing/editFixtures'

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
