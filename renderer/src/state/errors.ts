import { toWireError, type WireError } from '../../../app/errors'
import type { SliceContext } from './slice'

/** Errors shown as toasts: the last five, each until dismissed. */
export interface ErrorsSlice {
  errors: (WireError & { id: number })[]
  pushError(err: unknown): void
  dismissError(id: number): void
}

export function createErrorsSlice({ set }: SliceContext<ErrorsSlice>): ErrorsSlice {
  let nextErrorId = 1
  return {
    errors: [],
    pushError(err) {
      const wire = toWireError(err)
      set((s) => ({ errors: [...s.errors.slice(-4), { ...wire, id: nextErrorId++ }] }))
    },
    dismissError(id) {
      set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }))
    },
  }
}
