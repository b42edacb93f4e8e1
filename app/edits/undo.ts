/** The undo history over annotation edits and suggestion steps. */
import type { Edit } from '../annotations'
import { invertEdit } from './apply'
import { invalid, show } from './validate'

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
