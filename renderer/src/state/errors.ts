import { toWireError, type WireError } from '../../../app/errors'
import type { SliceContext } from './slice'

/** How long a toast stays after its error last happened (ErrorToasts dismisses it then). */
export const TOAST_MS = 20_000

export type ShownError = WireError & { id: number; count: number; at: number }

/**
 * Errors shown as toasts: the last five. The same error again (code and message) raises the one toast's count
 * instead of piling up copies; each expires TOAST_MS after it last happened; navigating (another dataset, an
 * episode opened or closed) clears them, since they were about what was on screen.
 */
export interface ErrorsSlice {
  errors: ShownError[]
  pushError(err: unknown): void
  dismissError(id: number): void
  clearErrors(): void
}

export function createErrorsSlice({ set }: SliceContext<ErrorsSlice>): ErrorsSlice {
  let nextErrorId = 1
  return {
    errors: [],
    pushError(err) {
      const wire = toWireError(err)
      const at = Date.now()
      set((s) => {
        const same = s.errors.find((e) => e.code === wire.code && e.message === wire.message)
        if (same) return { errors: [...s.errors.filter((e) => e !== same), { ...same, count: same.count + 1, at }] }
        return { errors: [...s.errors.slice(-4), { ...wire, id: nextErrorId++, count: 1, at }] }
      })
    },
    dismissError(id) {
      set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }))
    },
    clearErrors() {
      set((s) => (s.errors.length === 0 ? s : { errors: [] }))
    },
  }
}
