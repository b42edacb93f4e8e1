// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Edit } from '../../../../app/annotations'
import type { Params } from '../../../../app/contract'
import { StoreProvider } from '../../state/StoreContext'
import { createAppStore } from '../../state/store'
import { AnnotationPanel } from './AnnotationPanel'
import { datasetClient, TEST_TIME, testEvent, testTaxonomy } from '../../testing/builders'

async function setup() {
  const fake = datasetClient(
    { fps: 30, length: 200, episodes: 2 },
    {},
    {},
    { events: [testEvent('e1', 0, 20, 'milestone', 'grasp', { annotator: 'a', createdAt: TEST_TIME, updatedAt: TEST_TIME })], taxonomies: [testTaxonomy('fold', ['grasp'], ['drop'])] },
  )
  const store = createAppStore(fake.client)
  await store.getState().openDataset('/data/d1')
  await vi.waitFor(() => expect(store.getState().project).not.toBeNull())
  await store.getState().openEpisode(0)
  render(
    <StoreProvider store={store} client={fake.client}>
      <AnnotationPanel />
    </StoreProvider>,
  )
  const applied = (): Edit[] =>
    fake.calls.filter((c) => c.method === 'annotations.apply').flatMap((c) => (c.params as Params<'annotations.apply'>).edits)
  return { store, applied }
}

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('AnnotationPanel notes', () => {
  it('an episode note still being typed when the episode changes is saved on its own episode, and not shown on the next', async () => {
    const { store, applied } = await setup()
    vi.useFakeTimers()
    fireEvent.change(screen.getByLabelText('Episode note'), { target: { value: 'lid jammed' } })
    await act(async () => {
      await store.getState().openEpisode(1)
    })
    await act(() => vi.advanceTimersByTimeAsync(2000))
    expect(applied().map((e) => (e.op === 'episode.update' ? [e.episode, e.after.note] : e.op))).toEqual([[0, 'lid jammed']])
    expect((screen.getByLabelText('Episode note') as HTMLTextAreaElement).value).toBe('')
  })

  it('shows whether a note is saved beside it', async () => {
    const { store } = await setup()
    const field = screen.getByLabelText('Episode note')
    fireEvent.change(field, { target: { value: 'slipped' } })
    expect(screen.getByTestId('note-status-episode').textContent).toBe('unsaved')
    await act(async () => {
      fireEvent.blur(field)
      await store.getState().flushNotes()
    })
    expect(screen.getByTestId('note-status-episode').textContent).toBe('saved')
  })
})
