import type { SliceContext } from '../../state/slice'

/** The keyboard help overlay (`?`, or Help › Keyboard shortcuts on the desktop). */
export interface ShortcutsSlice {
  shortcutsOpen: boolean
  setShortcutsOpen(open: boolean): void
}

export function createShortcutsSlice({ set }: SliceContext<ShortcutsSlice>): ShortcutsSlice {
  return {
    shortcutsOpen: false,
    setShortcutsOpen(open) {
      set({ shortcutsOpen: open })
    },
  }
}
