/**
 * Notes as the user types them: each is a draft shown at once, saved when typing pauses, retried with backoff when a
 * save fails, and kept (saying so) until the main side acknowledges it. The annotations state owns the drafts; this
 * module holds the timers and the saves in flight of one store.
 */
import type { Edit, ProjectState } from '../../../../app/annotations'
import { episodeEdit, noteEventEdit } from '../../../../app/annotationEdits'
import { toWireError, type WireError } from '../../../../app/errors'

/** A note the user types: an episode's or an event's. */
export type NoteTarget = { kind: 'episode'; episode: number } | { kind: 'event'; id: string }

/**
 * unsaved: typed, not sent yet (sent when typing pauses, the field is left, the episode changes or the page goes);
 * saving: sent, not acknowledged; failed: the main side refused it (e.g. DISK_FULL), retried with backoff and on the
 * next keystroke; saved: acknowledged, the project holds it.
 */
export type NoteStatus = 'unsaved' | 'saving' | 'failed' | 'saved'

export interface NoteDraft {
  datasetId: string
  target: NoteTarget
  text: string
  status: NoteStatus
  /** Why the last save failed; kept until a save succeeds. */
  error: WireError | null
  /** Failed saves in a row: sets the retry delay, and only the first one is reported as a toast. */
  failures: number
}

/** Typing pauses this long before a note is saved. */
export const NOTE_PAUSE_MS = 800

/** Delay before retrying a note after its n-th failed save in a row: 1 s, doubling, at most 30 s. */
export function noteRetryDelay(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1))
}

export function noteKey(datasetId: string, target: NoteTarget): string {
  return target.kind === 'episode' ? `${datasetId}|episode:${target.episode}` : `${datasetId}|event:${target.id}`
}

/** The draft of a note of the open dataset, if it was typed in this window. */
export function noteDraft(s: { noteDrafts: Record<string, NoteDraft>; currentDatasetId: string | null }, target: NoteTarget): NoteDraft | undefined {
  return s.currentDatasetId === null ? undefined : s.noteDrafts[noteKey(s.currentDatasetId, target)]
}

/** null: the note already says that; 'gone': its event no longer exists (deleted, or its add undone). */
export function noteEdit(project: ProjectState, target: NoteTarget, text: string, at: string): Edit | null | 'gone' {
  if (target.kind === 'episode') return episodeEdit(project, target.episode, { note: text }, at)
  return project.events.has(target.id) ? noteEventEdit(project, target.id, text, at) : 'gone'
}

export interface NoteSaverDeps {
  drafts(): Record<string, NoteDraft>
  setDrafts(update: (drafts: Record<string, NoteDraft>) => Record<string, NoteDraft>): void
  pushError(err: unknown): void
  /** Run after every edit queued before it (the annotations' edit queue). */
  enqueue<T>(task: () => Promise<T>): Promise<T>
  /** Save the note; false when its event is gone. Throws when the main side refuses it. */
  save(datasetId: string, target: NoteTarget, text: string): Promise<boolean>
}

export interface NoteSaver {
  /** Send a note's draft (by noteKey) now. */
  save(key: string): Promise<void>
  /** Send every pending draft now. */
  flushAll(): Promise<void>
  /** Send a note's draft after `ms` (typing pauses, or a retry), replacing its earlier timer. */
  schedule(key: string, ms: number): void
}

export function createNoteSaver(deps: NoteSaverDeps): NoteSaver {
  /** Debounce or retry timer per note. */
  const noteTimers = new Map<string, ReturnType<typeof setTimeout>>()
  /** The save in flight per note. */
  const noteSaves = new Map<string, Promise<void>>()

  const patchDraft = (key: string, patch: Partial<NoteDraft>): void => {
    deps.setDrafts((drafts) => {
      const d = drafts[key]
      return d ? { ...drafts, [key]: { ...d, ...patch } } : drafts
    })
  }

  const clearNoteTimer = (key: string): void => {
    const t = noteTimers.get(key)
    if (t !== undefined) clearTimeout(t)
    noteTimers.delete(key)
  }

  const schedule = (key: string, ms: number): void => {
    clearNoteTimer(key)
    noteTimers.set(
      key,
      setTimeout(() => {
        noteTimers.delete(key)
        void save(key)
      }, ms),
    )
  }

  /**
   * Send a note's draft after every edit queued before it. The draft stays (and says so) until the main side
   * acknowledges it; a failure keeps it and retries with backoff. Text typed meanwhile is saved by its own save.
   */
  const save = (key: string): Promise<void> => {
    clearNoteTimer(key)
    const draft = deps.drafts()[key]
    if (!draft || draft.status === 'saved') return Promise.resolve()
    if (draft.status === 'saving') return noteSaves.get(key) ?? Promise.resolve()
    const { text, datasetId, target } = draft
    patchDraft(key, { status: 'saving' })
    const run = deps
      .enqueue(() => deps.save(datasetId, target, text))
      .then(
        (kept) => {
          const d = deps.drafts()[key]
          if (!d || d.text !== text || d.status !== 'saving') return
          if (!kept) {
            // The event went away with its row: there is nowhere left to keep the note.
            deps.setDrafts((drafts) => {
              const { [key]: _gone, ...rest } = drafts
              return rest
            })
            return
          }
          patchDraft(key, { status: 'saved', error: null, failures: 0 })
        },
        (err: unknown) => {
          const d = deps.drafts()[key]
          if (!d || d.text !== text || d.status !== 'saving') return
          const failures = d.failures + 1
          if (failures === 1) deps.pushError(err)
          patchDraft(key, { status: 'failed', error: toWireError(err), failures })
          schedule(key, noteRetryDelay(failures))
        },
      )
      .finally(() => {
        if (noteSaves.get(key) === run) noteSaves.delete(key)
      })
    noteSaves.set(key, run)
    return run
  }

  const flushAll = (): Promise<void> => Promise.all(Object.keys(deps.drafts()).map((key) => save(key))).then(() => undefined)

  return { save, flushAll, schedule }
}
