// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EpisodeStatsReport } from '../../../../app/episodeStats'
import { StoreProvider } from '../../state/StoreContext'
import { createAppStore, type AppStore } from '../../state/store'
import { datasetClient, settle, testEvent } from '../../testing/builders'
import { DatasetScreen } from './DatasetScreen'
import { SORT_PREFERENCE } from './state'
import { RELOAD_MS } from './episodeStats'

// jsdom lays nothing out, so it has no scrollIntoView (the episode list keeps its selection in view with it).
Element.prototype.scrollIntoView = function scrollIntoView(): void {}
afterEach(cleanup)
beforeEach(() => localStorage.clear())

const LENGTH = 20
/** One series: episode 1 has no complete curve; means 0.2, 0.9, 0.5 on 0, 2, 3 (episode 3 = 0.5 ties with nothing). */
const stats = (name = 'viva'): EpisodeStatsReport => ({
  window: { frames: 5, seconds: 0.5, fps: 10, requested: { seconds: 0.5 } },
  threshold: 0.1,
  series: [
    {
      key: `m:${name}`,
      name,
      episodes: Int32Array.from([0, 2, 3]),
      mean: Float32Array.from([0.2, 0.9, 0.5]),
      final: Float32Array.from([0.1, 1, 0.4]),
      drops: Int32Array.from([2, 0, 1]),
    },
  ],
})

async function shown(answer: () => EpisodeStatsReport = () => stats()): Promise<{ store: AppStore; fake: ReturnType<typeof datasetClient> }> {
  const fake = datasetClient(
    { fps: 10, length: LENGTH, episodes: 4 },
    { 'triage.episodeStats': answer },
    {},
    {
      events: [testEvent('a', 2, 3, 'error', 'Drop'), testEvent('b', 2, 5, 'error', 'Drop'), testEvent('c', 1, 4, 'milestone', 'Grasp')],
      episodes: [
        { episode: 3, outcome: 'success', status: 'done', note: '', updatedAt: '' },
        { episode: 0, outcome: 'failure', status: 'todo', note: '', updatedAt: '' },
      ],
    },
  )
  const store = createAppStore(fake.client)
  await store.getState().openDataset('/data/d1')
  await settle()
  render(
    <StoreProvider store={store} client={fake.client}>
      <DatasetScreen />
    </StoreProvider>,
  )
  await act(settle)
  return { store, fake }
}

const order = (): number[] => screen.getAllByRole('row').flatMap((r) => (r.dataset.episode === undefined ? [] : [Number(r.dataset.episode)]))
const header = (name: string | RegExp): HTMLElement => screen.getByRole('columnheader', { name })
const click = async (name: string | RegExp): Promise<void> => {
  await act(async () => fireEvent.click(within(header(name)).getByRole('button')))
}

describe('episode list sorting', () => {
  it('a click on a header sorts by it, a second click reverses it, with aria-sort and ▲ / ▼ on that header', async () => {
    await shown()
    expect(order()).toEqual([0, 1, 2, 3])
    expect(header(/^#/).getAttribute('aria-sort')).toBe('ascending')
    await click(/Errors/)
    // Ties (no errors: 0, 1, 3) keep the episode order.
    expect(order()).toEqual([0, 1, 3, 2])
    expect(header(/Errors/).getAttribute('aria-sort')).toBe('ascending')
    expect(header(/Errors/).textContent).toContain('▲')
    expect(header(/^#/).getAttribute('aria-sort')).toBeNull()
    await click(/Errors/)
    expect(order()).toEqual([2, 0, 1, 3])
    expect(header(/Errors/).textContent).toContain('▼')
    // Outcome: success, failure, then the unknown ones (in episode order) in both directions.
    await click(/Outcome/)
    expect(order()).toEqual([3, 0, 1, 2])
    await click(/Outcome/)
    expect(order()).toEqual([0, 3, 1, 2])
  })

  it('has mean / final / drops columns per series; an episode without a curve of it sorts last', async () => {
    await shown()
    const group = screen.getByRole('columnheader', { name: 'viva' })
    expect(group.getAttribute('colspan')).toBe('3')
    await click(/^mean/)
    expect(order()).toEqual([0, 3, 2, 1])
    await click(/^mean/)
    expect(order()).toEqual([2, 3, 0, 1])
    await click(/^drops/)
    expect(order()).toEqual([2, 3, 0, 1])
    const row0 = screen.getAllByRole('row').find((r) => r.dataset.episode === '0')!
    expect(within(row0).getAllByRole('cell').slice(-3).map((c) => c.textContent)).toEqual(['0.200', '0.100', '2'])
  })

  it('remembers the sort across sessions; a remembered series column another dataset lacks sorts by episode', async () => {
    await shown()
    await click(/^final/)
    await click(/^final/)
    expect(JSON.parse(localStorage.getItem(SORT_PREFERENCE)!)).toEqual({ column: 'series:final:m:viva', direction: 'desc' })
    cleanup()
    await shown()
    expect(order()).toEqual([2, 3, 0, 1])
    cleanup()
    await shown(() => stats('other'))
    expect(order()).toEqual([0, 1, 2, 3])
    expect(header(/^#/).getAttribute('aria-sort')).toBe('ascending')
  })

  it('asks for the numbers with triage\'s drop settings, and again (once) after the curves change', async () => {
    const { store, fake } = await shown()
    expect(fake.calls.filter((c) => c.method === 'triage.episodeStats').map((c) => c.params)).toEqual([{ datasetId: 'd1', window: { seconds: 0.5 }, threshold: 0.1 }])
    for (let i = 0; i < 5; i++) fake.emit('curves.changed', { datasetId: 'd1', episode: i })
    await act(() => new Promise((r) => setTimeout(r, RELOAD_MS + 50)))
    expect(fake.count('triage.episodeStats')).toBe(2)
    await act(async () => store.getState().setTriageOptions({ threshold: 0.3 }))
    expect(fake.calls.filter((c) => c.method === 'triage.episodeStats').at(-1)?.params).toEqual({ datasetId: 'd1', window: { seconds: 0.5 }, threshold: 0.3 })
  })
})

describe('filters that hide every episode', () => {
  it('say no episodes match, and Clear filters shows them all again', async () => {
    await shown()
    await act(async () => fireEvent.change(screen.getByRole('searchbox', { name: 'Filter episodes' }), { target: { value: 'no such task' } }))
    expect(screen.getByTestId('no-episodes-match').textContent).toContain('No episodes match the filters.')
    expect(order()).toEqual([])
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Clear filters' })))
    expect(order()).toEqual([0, 1, 2, 3])
    expect(screen.queryByTestId('no-episodes-match')).toBeNull()
  })
})
