import type { AnnotationEvent, Edit, EpisodePatch, EventKind, ProjectState } from '../../../../app/annotations'
import {
  applyEdit,
  deleteEventEdit,
  emptyProject,
  episodeEdit,
  eventsOfEpisode,
  isSuggestionStep,
  latestTaxonomy,
  moveEventEdit,
  nextEvent,
  prevEvent,
  relabelEventEdit,
  saveTaxonomyEdit,
  UndoHistory,
  type SuggestionStep,
  type UndoStep,
} from '../../../../app/annotationEdits'
import type { ProjectSnapshot } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { createNoteSaver, noteEdit, noteKey, NOTE_PAUSE_MS, type NoteDraft, type NoteTarget } from './notes'
import type { ErrorsSlice } from '../../state/errors'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { PlayerSlice } from '../player/state'
import { newId } from '../../state/newId'

export interface PickerState {
  kind: EventKind
  frame: number
  /** Set when the event being labelled already exists (relabel) rather than being added. */
  eventId: string | null
}

export type EditBuilder = (project: ProjectState) => Edit | null

export interface AnnotationsSlice {
  /** Identifies this window's edits in change notifications, so it does not reload after its own. */
  clientId: string
  project: ProjectState | null
  projectFile: string | null
  identityNote: string | null
  /** Bumped on every change, so components re-render on history and project changes. */
  projectVersion: number
  selectedEventId: string | null
  picker: PickerState | null
  taxonomyEditorOpen: boolean
  annotator: string
  loadProject(datasetId: string): Promise<void>
  /**
   * Queue an edit. Pass a function to build it from the project as left by every earlier queued edit: keys typed
   * faster than the main side answers then still act on the right state.
   */
  commit(edit: Edit | null | EditBuilder): Promise<boolean>
  undo(): Promise<void>
  redo(): Promise<void>
  /**
   * Record a suggestion dismissal (already shown) as the next undo step, after every edit queued before it, so
   * undo takes back the user's last action and never the one before it.
   */
  recordSuggestionStep(step: SuggestionStep): void
  canUndo(): boolean
  canRedo(): boolean
  openPicker(kind: EventKind, eventId?: string | null): void
  /** Open the picker to add an event of `kind` at `frame` (a suggestion being accepted), with no event selected. */
  openPickerAt(kind: EventKind, frame: number): void
  closePicker(): void
  /** From the picker: add an event of the picker's kind at its frame, or relabel the event it was opened for. */
  pickLabel(label: string): Promise<void>
  usePreset(presetMilestones: string[], presetErrors: string[], preset: string): Promise<void>
  selectEvent(id: string | null): void
  jumpEvent(direction: 1 | -1): void
  moveEvent(id: string, frame: number): Promise<void>
  /**
   * A frame typed into an event's frame field: one move (one undo step), and a seek to show where the event goes.
   * Empty or unchanged text does nothing; a frame outside the episode is refused with a message, never clamped.
   */
  setEventFrame(id: string, typed: string): Promise<void>
  relabelEvent(id: string, kind: EventKind, label: string): Promise<void>
  /** Notes typed in this window that the project may not hold yet, by noteKey (saved ones stay, to say so). */
  noteDrafts: Record<string, NoteDraft>
  /** A keystroke in a note: shown at once, saved when typing pauses (NOTE_PAUSE_MS). */
  editNote(target: NoteTarget, text: string): void
  /** Save a note's draft now (its field was left). */
  saveNote(target: NoteTarget): Promise<void>
  /** Save every pending note now: episode change, leaving the player, the page going away, undo/redo. */
  flushNotes(): Promise<void>
  /** Whether some typed note could not be saved (a save failed, or its dataset's project is not open). */
  notesAtRisk(): boolean
  deleteEvent(id: string): Promise<void>
  updateEpisode(patch: EpisodePatch): Promise<void>
  saveTaxonomy(task: string, milestones: string[], errorTypes: string[], preset: string | null): Promise<void>
  setTaxonomyEditorOpen(open: boolean): void
  setAnnotator(name: string): void
}

export interface AnnotationsHooks {
  /** Undo or redo of a suggestion dismissal (the detector's); false when it would change nothing. */
  applySuggestionStep(step: SuggestionStep): boolean
}

const ANNOTATOR_KEY = 'viva.annotator'

function readAnnotator(): string {
  try {
    return globalThis.localStorage?.getItem(ANNOTATOR_KEY) ?? ''
  } catch {
    return ''
  }
}

function fromSnapshot(snapshot: ProjectSnapshot): ProjectState {
  const state = emptyProject()
  for (const e of snapshot.events) state.events.set(e.id, e)
  for (const e of snapshot.episodes) state.episodes.set(e.episode, e)
  for (const t of [...snapshot.taxonomies].sort((a, b) => a.version - b.version)) {
    const list = state.taxonomies.get(t.task) ?? []
    list.push(t)
    state.taxonomies.set(t.task, list)
  }
  return state
}


/**
 * Annotation state in the renderer mirrors the project file exactly: an edit is sent to the main side, and only
 * once it is committed there is it applied here and recorded for undo. Edits go out one at a time, in order.
 */
export function createAnnotationsSlice(
  { client, set, get }: SliceContext<AnnotationsSlice, PlayerSlice & DatasetsSlice & ErrorsSlice>,
  hooks: AnnotationsHooks,
): AnnotationsSlice {
  const history = new UndoHistory<UndoStep>()
  let queue: Promise<unknown> = Promise.resolve()
  const now = (): string => new Date().toISOString()

  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.catch(() => undefined)
    return run
  }

  /**
   * The dataset whose project `project` is. Edits go there, built on that state, even when the UI has already moved
   * to another dataset whose project is still loading.
   */
  let projectDatasetId: string | null = null

  /**
   * Resolves true once the edit is committed and applied here; false when there was no project to build it on, or
   * when another dataset's project replaced this one while it was in flight (saved, but no longer this window's
   * state or history).
   */
  const send = async (edit: Edit): Promise<boolean> => {
    const datasetId = projectDatasetId
    const project = get().project
    if (datasetId === null || project === null) return false
    // Check locally first: a conflict is reported without a round trip and nothing is sent.
    const next = applyEdit(project, edit)
    await client.call('annotations.apply', { datasetId, edits: [edit], origin: slice.clientId })
    if (projectDatasetId !== datasetId) return false
    set((s) => ({ project: next, projectVersion: s.projectVersion + 1 }))
    return true
  }

  const notes = createNoteSaver({
    drafts: () => get().noteDrafts,
    setDrafts: (update) =>
      set((s) => {
        const next = update(s.noteDrafts)
        return next === s.noteDrafts ? s : { noteDrafts: next }
      }),
    pushError: (err) => get().pushError(err),
    enqueue,
    async save(datasetId, target, text) {
      const project = get().project
      if (projectDatasetId !== datasetId || project === null) {
        throw new VivaError('CONFLICT', 'A note typed for another dataset is not saved yet: it will be saved when that dataset is open again.')
      }
      const edit = noteEdit(project, target, text, now())
      if (edit === 'gone') return false
      if (edit !== null && (await send(edit))) {
        history.record(edit)
        set((s) => ({ projectVersion: s.projectVersion + 1 }))
      }
      return true
    },
  })
  const saveNoteKey = notes.save
  const flushAllNotes = notes.flushAll
  const scheduleNote = notes.schedule

  const current = (): { episode: number; task: string } | null => {
    const ep = get().episode
    if (!ep) return null
    return { episode: ep.index, task: ep.tasks[0] ?? '' }
  }

  const slice: AnnotationsSlice = {
    clientId: newId(),
    project: null,
    projectFile: null,
    identityNote: null,
    projectVersion: 0,
    selectedEventId: null,
    picker: null,
    taxonomyEditorOpen: false,
    annotator: readAnnotator(),

    async loadProject(datasetId) {
      try {
        const snapshot = await client.call('annotations.load', { datasetId })
        if (get().currentDatasetId !== datasetId) return
        history.clear()
        projectDatasetId = datasetId
        set((s) => ({
          project: fromSnapshot(snapshot),
          projectFile: snapshot.projectFile,
          identityNote: snapshot.identityNote,
          projectVersion: s.projectVersion + 1,
          selectedEventId: null,
        }))
        // Notes that failed, or waited for this dataset's project: try them now rather than at their next retry.
        for (const [key, d] of Object.entries(get().noteDrafts)) {
          if (d.datasetId === datasetId && d.status === 'failed') void saveNoteKey(key)
        }
      } catch (err) {
        get().pushError(err)
      }
    },

    commit(edit) {
      if (edit === null) return Promise.resolve(false)
      return enqueue(async () => {
        try {
          const project = get().project
          if (!project) return false
          const built = typeof edit === 'function' ? edit(project) : edit
          if (built === null) return false
          const ok = await send(built)
          if (ok) {
            history.record(built)
            set((s) => ({ projectVersion: s.projectVersion + 1 }))
          }
          return ok
        } catch (err) {
          get().pushError(err)
          return false
        }
      })
    },

    undo() {
      // A note being typed is the user's last action: save it first, so undo takes it back.
      void flushAllNotes()
      return enqueue(async () => {
        await takeStep(() => history.undo())
        set((s) => ({ projectVersion: s.projectVersion + 1 }))
      })
    },

    redo() {
      void flushAllNotes()
      return enqueue(async () => {
        await takeStep(() => history.redo())
        set((s) => ({ projectVersion: s.projectVersion + 1 }))
      })
    },

    recordSuggestionStep(step) {
      void enqueue(async () => {
        history.record(step)
        set((s) => ({ projectVersion: s.projectVersion + 1 }))
      })
    },

    canUndo: () => history.canUndo,
    canRedo: () => history.canRedo,

    openPicker(kind, eventId = null) {
      const episode = get().episode
      if (!episode) return
      const frame = eventId ? (get().project?.events.get(eventId)?.frame ?? get().frame) : get().frame
      set({ picker: { kind, frame, eventId } })
    },

    openPickerAt(kind, frame) {
      set({ selectedEventId: null, picker: { kind, frame, eventId: null } })
    },

    closePicker() {
      set({ picker: null })
    },

    async pickLabel(label) {
      const picker = get().picker
      const here = current()
      if (!picker || !here) return
      set({ picker: null })
      if (picker.eventId) {
        await get().relabelEvent(picker.eventId, picker.kind, label)
        return
      }
      const id = newId()
      const ok = await get().commit((project) => {
        const at = now()
        return {
          op: 'event.add',
          event: {
            id,
            episode: here.episode,
            frame: picker.frame,
            kind: picker.kind,
            label,
            note: '',
            annotator: get().annotator || 'anonymous',
            taxonomyVersion: latestTaxonomy(project, here.task)?.version ?? 0,
            createdAt: at,
            updatedAt: at,
          },
        }
      })
      if (ok) set({ selectedEventId: id })
    },

    async usePreset(milestones, errorTypes, preset) {
      const here = current()
      if (!here) return
      await get().commit((project) =>
        latestTaxonomy(project, here.task) ? null : saveTaxonomyEdit(project, here.task, milestones, errorTypes, preset, now()),
      )
    },

    selectEvent(id) {
      set({ selectedEventId: id })
    },

    jumpEvent(direction) {
      const here = current()
      const project = get().project
      if (!here || !project) return
      const target = direction > 0 ? nextEvent(project, here.episode, get().frame) : prevEvent(project, here.episode, get().frame)
      if (!target) return
      set({ selectedEventId: target.id })
      get().seek(target.frame)
    },

    async moveEvent(id, frame) {
      const episode = get().episode
      if (!episode) return
      const clamped = Math.max(0, Math.min(episode.length - 1, Math.round(frame)))
      await get().commit((project) => (project.events.has(id) ? moveEventEdit(project, id, clamped, now()) : null))
    },

    async setEventFrame(id, typed) {
      const episode = get().episode
      const event = get().project?.events.get(id)
      const text = typed.trim()
      if (!episode || !event || text === '') return
      const last = episode.length - 1
      const frame = /^\d+$/.test(text) ? Number(text) : NaN
      if (frame === event.frame) return
      if (!Number.isSafeInteger(frame) || frame > last) {
        const what = Number.isNaN(frame) ? `"${text.slice(0, 20)}" is not a frame number` : `Frame ${text} is past the last frame of this episode (${last})`
        get().pushError(new VivaError('INVALID_ARGUMENT', `${what}: the event stays at frame ${event.frame}.`))
        return
      }
      // Seek now rather than on the acknowledgement: a press elsewhere that committed this edit (a marker, the
      // scrubber) seeks after it, and must win.
      get().seek(frame)
      await get().moveEvent(id, frame)
    },

    async relabelEvent(id, kind, label) {
      const here = current()
      if (!here) return
      await get().commit((project) =>
        project.events.has(id)
          ? relabelEventEdit(project, id, kind, label, latestTaxonomy(project, here.task)?.version ?? 0, now())
          : null,
      )
    },

    noteDrafts: {},

    editNote(target, text) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      const key = noteKey(datasetId, target)
      const before = get().noteDrafts[key]
      set((s) => ({
        noteDrafts: {
          ...s.noteDrafts,
          [key]: { datasetId, target, text, status: 'unsaved', error: before?.error ?? null, failures: before?.failures ?? 0 },
        },
      }))
      // Also the retry of a failed note: its next keystroke saves it after the same pause.
      scheduleNote(key, NOTE_PAUSE_MS)
    },

    saveNote(target) {
      const datasetId = get().currentDatasetId
      return datasetId === null ? Promise.resolve() : saveNoteKey(noteKey(datasetId, target))
    },

    flushNotes: flushAllNotes,

    notesAtRisk() {
      return Object.values(get().noteDrafts).some((d) => d.status !== 'saved' && (d.failures > 0 || d.datasetId !== projectDatasetId))
    },

    async deleteEvent(id) {
      const ok = await get().commit((project) => (project.events.has(id) ? deleteEventEdit(project, id) : null))
      if (ok && get().selectedEventId === id) set({ selectedEventId: null })
    },

    async updateEpisode(patch) {
      const here = current()
      if (!here) return
      await get().commit((project) => episodeEdit(project, here.episode, patch, now()))
    },

    async saveTaxonomy(task, milestones, errorTypes, preset) {
      await get().commit((project) => saveTaxonomyEdit(project, task, milestones, errorTypes, preset, now()))
    },

    setTaxonomyEditorOpen(open) {
      set({ taxonomyEditorOpen: open })
    },

    setAnnotator(name) {
      try {
        globalThis.localStorage?.setItem(ANNOTATOR_KEY, name)
      } catch {
        // Private mode or storage disabled: the name still applies to this session.
      }
      set({ annotator: name })
    },
  }

  /**
   * Apply the step `next` hands out (history.undo or history.redo). A suggestion step that no longer changes anything
   * (new detector parameters already offered the suggestion again) is dropped and the next step taken, so one
   * Ctrl+Z always visibly undoes something; an edit the project refuses is dropped and reported.
   */
  async function takeStep(next: () => UndoStep | null): Promise<void> {
    for (let step = next(); step !== null; step = next()) {
      if (isSuggestionStep(step)) {
        if (hooks.applySuggestionStep(step)) return
        history.drop()
        continue
      }
      try {
        await send(step)
        followEdit(step)
      } catch (err) {
        history.drop()
        get().pushError(err)
      }
      return
    }
  }

  /** After undo/redo, show where the change happened: seek to the event it touched. */
  function followEdit(edit: Edit): void {
    const here = current()
    if (!here) return
    if (edit.op === 'event.add' && edit.event.episode === here.episode) {
      set({ selectedEventId: edit.event.id })
      get().seek(edit.event.frame)
    } else if (edit.op === 'event.update' && edit.episode === here.episode) {
      set({ selectedEventId: edit.id })
      const frame = edit.after.frame ?? get().project?.events.get(edit.id)?.frame
      if (frame !== undefined) get().seek(frame)
    } else if (edit.op === 'event.delete' && get().selectedEventId === edit.event.id) {
      set({ selectedEventId: null })
    }
  }

  return slice
}

export function episodeEvents(state: Pick<AnnotationsSlice, 'project'> & Pick<PlayerSlice, 'episode'>): AnnotationEvent[] {
  if (!state.project || !state.episode) return []
  return eventsOfEpisode(state.project, state.episode.index)
}
