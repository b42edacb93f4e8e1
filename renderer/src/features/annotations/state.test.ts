// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AnnotationEvent, Edit } from '../../../../app/annotations'
import { episodeLabels } from '../../../../app/annotationEdits'
import type { Method, Params, Result } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { guardUnsavedNotes } from '../../components/unloadGuard'
import { noteDraft, type NoteTarget } from './notes'
import { createAppStore, type AppStore } from '../../state/store'
import { datasetClient, TEST_TIME as AT, testEvent, testTaxonomy } from '../../testing/builders'

const LENGTH = 200

const EVENT: AnnotationEvent = testEvent('e1', 0, 20, 'milestone', 'grasp', { annotator: 'a', createdAt: AT, updatedAt: AT })

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

async function openPlayer(answers: Answers = {}) {
  const fake = datasetClient({ fps: 30, length: LENGTH, episodes: 2 }, answers, {}, { events: [EVENT], taxonomies: [testTaxonomy('fold', ['grasp'], ['drop'])] })
  const store = createAppStore(fake.client)
  await store.getState().openDataset('/data/d1')
  await vi.waitFor(() => expect(store.getState().project).not.toBeNull())
  await store.getState().openEpisode(0)
  const applied = (): Edit[] =>
    fake.calls.filter((c) => c.method === 'annotations.apply').flatMap((c) => (c.params as Params<'annotations.apply'>).edits)
  return { store, applied }
}

const eventFrame = (store: AppStore, id = 'e1'): number | undefined => store.getState().project?.events.get(id)?.frame
const episodeNote = (store: AppStore, ep: number): string => episodeLabels(store.getState().project!, ep).note
type NoteEdit = Extract<Edit, { op: 'episode.update' | 'event.update' }>
const noteEdits = (edits: Edit[]): NoteEdit[] =>
  edits.filter((e): e is NoteEdit => (e.op === 'episode.update' || e.op === 'event.update') && 'note' in e.after)

afterEach(() => {
  vi.useRealTimers()
})

describe('typing an event frame', () => {
  it('moves the event once, as one undo step, and shows where it went', async () => {
    const { store, applied } = await openPlayer()
    await store.getState().setEventFrame('e1', '131')
    expect(eventFrame(store)).toBe(131)
    expect(applied()).toHaveLength(1)
    expect(store.getState().frame).toBe(131)
    await store.getState().undo()
    expect(eventFrame(store)).toBe(20)
    expect(store.getState().canUndo()).toBe(false)
  })

  it('refuses a frame past the episode (no silent clamping) and ignores an unchanged or empty value', async () => {
    const { store, applied } = await openPlayer()
    await store.getState().setEventFrame('e1', '1315')
    expect(eventFrame(store)).toBe(20)
    expect(store.getState().errors.map((e) => [e.code, e.message])).toEqual([
      ['INVALID_ARGUMENT', 'Frame 1315 is past the last frame of this episode (199): the event stays at frame 20.'],
    ])
    await store.getState().setEventFrame('e1', '20')
    await store.getState().setEventFrame('e1', '')
    await store.getState().setEventFrame('e1', '  ')
    expect(applied()).toEqual([])
  })
})

describe('notes', () => {
  const epNote: NoteTarget = { kind: 'episode', episode: 0 }

  it('a note whose save fails with DISK_FULL stays visibly unsaved, is retried with backoff, then saved', async () => {
    let diskFull = true
    const { store, applied } = await openPlayer({
      'annotations.apply': ({ edits }) => {
        if (diskFull) throw new VivaError('DISK_FULL', 'No space left on the disk holding /p.sqlite', '/p.sqlite')
        return { applied: edits.length }
      },
    })
    vi.useFakeTimers()
    store.getState().editNote(epNote, 'gripper slipped')
    expect(noteDraft(store.getState(), epNote)).toMatchObject({ text: 'gripper slipped', status: 'unsaved' })
    await vi.advanceTimersToNextTimerAsync() // the typing pause
    expect(noteEdits(applied())).toHaveLength(1)
    expect(noteDraft(store.getState(), epNote)).toMatchObject({ text: 'gripper slipped', status: 'failed', error: { code: 'DISK_FULL' } })
    expect(episodeNote(store, 0)).toBe('')
    expect(store.getState().errors.map((e) => e.code)).toEqual(['DISK_FULL'])
    expect(store.getState().notesAtRisk()).toBe(true)

    await vi.advanceTimersToNextTimerAsync() // first retry: still full, and no second toast
    expect(noteEdits(applied())).toHaveLength(2)
    expect(noteDraft(store.getState(), epNote)?.status).toBe('failed')
    expect(store.getState().errors).toHaveLength(1)

    diskFull = false
    await vi.advanceTimersToNextTimerAsync()
    expect(noteEdits(applied())).toHaveLength(3)
    expect(noteDraft(store.getState(), epNote)).toMatchObject({ status: 'saved', error: null })
    expect(episodeNote(store, 0)).toBe('gripper slipped')
    expect(store.getState().notesAtRisk()).toBe(false)
    // Nothing left to retry.
    expect(vi.getTimerCount()).toBe(0)
  })

  it('the next edit of a failed note retries it', async () => {
    let diskFull = true
    const { store } = await openPlayer({
      'annotations.apply': ({ edits }) => {
        if (diskFull) throw new VivaError('DISK_FULL', 'No space left on the disk holding /p.sqlite', '/p.sqlite')
        return { applied: edits.length }
      },
    })
    vi.useFakeTimers()
    store.getState().editNote(epNote, 'slipped')
    await vi.advanceTimersToNextTimerAsync()
    expect(noteDraft(store.getState(), epNote)?.status).toBe('failed')
    diskFull = false
    store.getState().editNote(epNote, 'slipped twice')
    expect(noteDraft(store.getState(), epNote)?.status).toBe('unsaved')
    await store.getState().saveNote(epNote) // leaving the field saves at once
    expect(noteDraft(store.getState(), epNote)?.status).toBe('saved')
    expect(episodeNote(store, 0)).toBe('slipped twice')
  })

  it('changing episode saves pending notes at once, on the episode they were typed for', async () => {
    const { store, applied } = await openPlayer()
    vi.useFakeTimers()
    store.getState().editNote(epNote, 'note of episode 0')
    store.getState().editNote({ kind: 'event', id: 'e1' }, 'late grasp')
    await store.getState().openEpisode(1)
    await vi.advanceTimersByTimeAsync(0) // microtasks only: the typing pause has not passed
    expect(noteEdits(applied()).map((e) => [e.op, e.episode, e.after.note])).toEqual([
      ['episode.update', 0, 'note of episode 0'],
      ['event.update', 0, 'late grasp'],
    ])
    expect(episodeNote(store, 0)).toBe('note of episode 0')
    expect(episodeNote(store, 1)).toBe('')
    expect(store.getState().project?.events.get('e1')?.note).toBe('late grasp')
  })

  it('leaving the player saves pending notes at once', async () => {
    const { store, applied } = await openPlayer()
    vi.useFakeTimers()
    store.getState().editNote(epNote, 'done')
    store.getState().closeEpisode()
    await vi.advanceTimersByTimeAsync(0)
    expect(noteEdits(applied())).toHaveLength(1)
    expect(episodeNote(store, 0)).toBe('done')
  })

  it('undo first saves a note being typed, then undoes it (the last action)', async () => {
    const { store } = await openPlayer()
    store.getState().editNote(epNote, 'typed')
    await store.getState().undo()
    expect(episodeNote(store, 0)).toBe('')
    expect(noteDraft(store.getState(), epNote)?.status).toBe('saved')
    await store.getState().redo()
    expect(episodeNote(store, 0)).toBe('typed')
  })

  it('pagehide and a hidden tab save pending notes; closing warns while a note could not be saved', async () => {
    let diskFull = false
    const { store, applied } = await openPlayer({
      'annotations.apply': ({ edits }) => {
        if (diskFull) throw new VivaError('DISK_FULL', 'No space left on the disk holding /p.sqlite', '/p.sqlite')
        return { applied: edits.length }
      },
    })
    vi.useFakeTimers()
    const stop = guardUnsavedNotes(store, window, { warnBeforeUnload: true })
    try {
      store.getState().editNote(epNote, 'one')
      window.dispatchEvent(new Event('pagehide'))
      await vi.advanceTimersByTimeAsync(0)
      expect(episodeNote(store, 0)).toBe('one')

      store.getState().editNote(epNote, 'two')
      const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden')
      document.dispatchEvent(new Event('visibilitychange'))
      visibility.mockRestore()
      await vi.advanceTimersByTimeAsync(0)
      expect(episodeNote(store, 0)).toBe('two')

      // Saved notes: leaving needs no warning.
      const quiet = new Event('beforeunload', { cancelable: true })
      window.dispatchEvent(quiet)
      expect(quiet.defaultPrevented).toBe(false)

      diskFull = true
      store.getState().editNote(epNote, 'three')
      await vi.advanceTimersToNextTimerAsync()
      expect(noteDraft(store.getState(), epNote)?.status).toBe('failed')
      const warned = new Event('beforeunload', { cancelable: true })
      window.dispatchEvent(warned)
      expect(warned.defaultPrevented).toBe(true)
      await vi.advanceTimersByTimeAsync(0)
      expect(noteEdits(applied()).length).toBe(4) // beforeunload tried once more
    } finally {
      stop()
    }
  })
})
