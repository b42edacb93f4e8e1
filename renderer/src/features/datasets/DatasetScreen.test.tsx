// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProjectSnapshot } from '../../../../app/contract'
import type { DatasetSummary, ReattachOffer } from '../../../../app/dataset'
import { StoreProvider } from '../../state/StoreContext'
import { createAppStore } from '../../state/store'
import { fakeClient } from '../../testing/fakeClient'
import { testEvent, testSnapshot, testSummary } from '../../testing/builders'
import { DatasetScreen } from './DatasetScreen'

const OFFER: ReattachOffer = { projectPath: '/data/projects/0ld1d.viva.sqlite', previousPath: '/old/place/towels', annotationCount: 7 }

const summary = (reattach: ReattachOffer | null): DatasetSummary =>
  testSummary({ fps: 10, length: 20, episodes: 2 }, { root: '/new/place/towels', name: 'towels', reattach })

const snapshot = (events: number): ProjectSnapshot =>
  testSnapshot({ projectFile: '/data/projects/d1.viva.sqlite', events: Array.from({ length: events }, (_, i) => testEvent(`e${i}`, 0, i, 'milestone', 'Grasp')) })

// jsdom lays nothing out, so it has no scrollIntoView (the episode list keeps its selection in view with it).
Element.prototype.scrollIntoView = function scrollIntoView(): void {}
afterEach(cleanup)

describe('DatasetScreen re-attach banner', () => {
  it.each([
    ['reattach', 'Re-attach', 7],
    ['fresh', 'Start fresh', 0],
  ] as const)('offers the annotations found at the old path; %s decides, then the project loads', async (action, button, events) => {
    let attached = false
    const fake = fakeClient({
      'dataset.open': () => summary(OFFER),
      'annotations.load': () => snapshot(attached ? events : 0),
      'dataset.reattachProject': () => {
        attached = true
        return summary(null)
      },
    })
    const store = createAppStore(fake.client)
    await store.getState().openDataset('/new/place/towels')
    render(
      <StoreProvider store={store} client={fake.client}>
        <DatasetScreen />
      </StoreProvider>,
    )
    const banner = screen.getByRole('region', { name: 'Annotations found elsewhere' })
    expect(banner.textContent).toContain("This dataset's annotations were found at /old/place/towels (7 events)")
    expect(banner.textContent).toContain('/data/projects/0ld1d.viva.sqlite')

    await act(async () => {
      fireEvent.click(within(banner).getByRole('button', { name: button }))
    })
    expect(fake.calls.find((c) => c.method === 'dataset.reattachProject')?.params).toEqual(
      action === 'reattach' ? { datasetId: 'd1', action, projectPath: OFFER.projectPath } : { datasetId: 'd1', action },
    )
    expect(screen.queryByRole('region', { name: 'Annotations found elsewhere' })).toBeNull()
    expect(store.getState().project?.events.size).toBe(events)
  })
})
