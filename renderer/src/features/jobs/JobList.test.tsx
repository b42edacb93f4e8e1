// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppStore } from '../../state/store'
import { StoreProvider } from '../../state/StoreContext'
import { datasetClient, testJob } from '../../testing/builders'
import { JobList } from './JobList'

afterEach(cleanup)

describe('JobList', () => {
  it('one group per model; finished jobs behind an "N finished" expander, running and failed ones in view', () => {
    const fake = datasetClient({ fps: 30, length: 10, episodes: 1 })
    const store = createAppStore(fake.client)
    render(
      <StoreProvider store={store} client={fake.client}>
        <JobList />
      </StoreProvider>,
    )
    act(() => {
      for (const [id, modelId, state] of [
        ['j1', 'A', 'done'],
        ['j2', 'A', 'cancelled'],
        ['j3', 'B', 'failed'],
        ['j4', 'A', 'running'],
      ] as const) {
        store.getState().applyJob(testJob(10, { id, modelId, modelName: `model ${modelId}`, state }))
      }
    })
    const groups = screen.getAllByTestId('job-group')
    expect(groups.map((g) => g.getAttribute('data-model-id'))).toEqual(['A', 'B'])
    const a = within(groups[0]!)
    const finished = a.getByTestId('job-finished') as HTMLDetailsElement
    expect(finished.open).toBe(false)
    expect(within(finished).getByText('2 finished')).toBeTruthy()
    const rowIds = (root: HTMLElement): string[] =>
      [...root.querySelectorAll('[data-testid="job-row"]')].map((r) => r.getAttribute('data-job-id') ?? '')
    expect(rowIds(finished)).toEqual(['j2', 'j1'])
    // The running job is outside the expander, with its buttons.
    const running = groups[0]!.querySelector('[data-job-id="j4"]') as HTMLElement
    expect(finished.contains(running)).toBe(false)
    expect(within(running).getByTestId('job-cancel')).toBeTruthy()
    expect(within(groups[1]!).queryByTestId('job-finished')).toBeNull()
    expect(rowIds(groups[1]!)).toEqual(['j3'])

    fireEvent.click(within(finished).getByText('2 finished'))
    expect(finished.open).toBe(true)
    // A job that ends moves into the expander, which stays as the user left it.
    act(() => store.getState().applyJob(testJob(10, { id: 'j4', modelId: 'A', modelName: 'model A', state: 'done' })))
    expect(within(screen.getAllByTestId('job-group')[0]!).getByText('3 finished')).toBeTruthy()
    expect((screen.getAllByTestId('job-finished')[0] as HTMLDetailsElement).open).toBe(true)
  })
})
