import type { AppStore } from '../state/store'

/**
 * Notes are saved when typing pauses; a tab closed, reloaded or navigated away during that pause would drop the
 * timer with the text. When the page is going (or hidden, after which a mobile or discarded tab may never run
 * again), pending notes are sent at once: the message leaves in the same task, and the main side commits what it
 * receives even when the page that sent it is gone.
 *
 * `beforeunload` also asks the user to stay when a note is known not to be saved (its save failed, e.g. a full
 * disk): sending again cannot be trusted to succeed then. Browsers show their own text for it and only after the
 * user has interacted with the page (https://developer.mozilla.org/en-US/docs/Web/API/Window/beforeunload_event).
 * The desktop shell turns a cancelled unload into its own Stay / Leave dialog (main/electron/main.ts,
 * 'will-prevent-unload'), so the same guard serves both.
 */
export function guardUnsavedNotes(store: AppStore, win: Window, options: { warnBeforeUnload: boolean }): () => void {
  const flush = (): void => {
    void store.getState().flushNotes()
  }
  const onBeforeUnload = (e: BeforeUnloadEvent): void => {
    const atRisk = store.getState().notesAtRisk()
    flush()
    if (atRisk && options.warnBeforeUnload) {
      e.preventDefault()
      // Older Chromium versions show the prompt only when returnValue is set.
      e.returnValue = ''
    }
  }
  const onVisibility = (): void => {
    if (win.document.visibilityState === 'hidden') flush()
  }
  win.addEventListener('beforeunload', onBeforeUnload)
  win.addEventListener('pagehide', flush)
  win.document.addEventListener('visibilitychange', onVisibility)
  return () => {
    win.removeEventListener('beforeunload', onBeforeUnload)
    win.removeEventListener('pagehide', flush)
    win.document.removeEventListener('visibilitychange', onVisibility)
  }
}
