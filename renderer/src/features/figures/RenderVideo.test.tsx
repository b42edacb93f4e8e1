// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { StoreProvider } from '../../state/StoreContext'
import { playerStore } from '../../testing/builders'
import { RenderVideoButton } from './RenderVideo'

afterEach(cleanup)

describe('Render video dialog', () => {
  it("says when the render running belongs to another episode, and not for the open episode's own", async () => {
    const { store, client } = await playerStore({ fps: 30, length: 20, episodes: 2 })
    render(
      <StoreProvider store={store} client={client}>
        <RenderVideoButton />
      </StoreProvider>,
    )
    act(() => store.setState({ render: { phase: 'running', token: 't', episode: 1, out: '/tmp/ep1.mp4', done: 3, total: 20 } }))
    fireEvent.click(screen.getByTestId('render-video-button'))
    expect(screen.getByTestId('render-other-episode').textContent).toContain('Rendering episode 1')
    expect(screen.getByTestId('render-progress').textContent).toBe('3/20 frames')
    act(() => store.setState({ render: { phase: 'running', token: 't', episode: 0, out: '/tmp/ep0.mp4', done: 3, total: 20 } }))
    expect(screen.queryByTestId('render-other-episode')).toBeNull()
  })
})
