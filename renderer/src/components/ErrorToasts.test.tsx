// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { VivaError } from '../../../app/errors'
import { TOAST_MS } from '../state/errors'
import { createAppStore } from '../state/store'
import { StoreProvider } from '../state/StoreContext'
import { datasetClient } from '../testing/builders'
import { ErrorToasts } from './ErrorToasts'

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('ErrorToasts', () => {
  it('shows a repeat count, and each toast goes TOAST_MS after its error last happened', () => {
    vi.useFakeTimers()
    const fake = datasetClient({ fps: 30, length: 10, episodes: 1 })
    const store = createAppStore(fake.client)
    render(
      <StoreProvider store={store} client={fake.client}>
        <ErrorToasts />
      </StoreProvider>,
    )
    act(() => store.getState().pushError(new VivaError('MEDIA_FAILED', 'Cannot read video a.mp4')))
    act(() => vi.advanceTimersByTime(TOAST_MS / 2))
    act(() => store.getState().pushError(new VivaError('MEDIA_FAILED', 'Cannot read video a.mp4')))
    act(() => store.getState().pushError(new VivaError('INTERNAL', 'other')))
    expect(screen.getByLabelText('2 times')).toBeTruthy()
    act(() => vi.advanceTimersByTime(TOAST_MS / 2 + 10))
    // The repeated error restarted its time; both are still there.
    expect(screen.getAllByRole('button', { name: 'Dismiss' })).toHaveLength(2)
    act(() => vi.advanceTimersByTime(TOAST_MS / 2))
    expect(screen.queryByRole('alert')).toBeNull()
    expect(store.getState().errors).toEqual([])
  })
})
