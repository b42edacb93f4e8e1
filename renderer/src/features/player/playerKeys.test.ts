// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import type { Params } from '../../../../app/contract'
import { playerStore } from '../../testing/builders'
import { playerKeyHandler } from './playerKeys'

/** A keydown as a browser sends it: `code` is the key's position, `key` what the user's layout types there. */
function keydown(code: string, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  return new KeyboardEvent('keydown', { code, key, cancelable: true, ...init })
}

describe('player keys on a French AZERTY keyboard (matched by position, event.code)', () => {
  it('the M position (which types ",") marks a milestone; the key that types "m" does nothing', async () => {
    const { store } = await playerStore({ fps: 10, length: 50, episodes: 2 })
    const onKey = playerKeyHandler(store, store.getState().episode!)
    const other = keydown('Semicolon', 'm')
    onKey(other)
    expect(other.defaultPrevented).toBe(false)
    expect(store.getState().picker).toBeNull()
    const m = keydown('KeyM', ',')
    onKey(m)
    expect(m.defaultPrevented).toBe(true)
    expect(store.getState().picker).toMatchObject({ kind: 'milestone', frame: 0 })
  })

  it('the S position sets the outcome; Shift+M typing "?" is help, not a milestone', async () => {
    const { store, calls } = await playerStore({ fps: 10, length: 50, episodes: 2 })
    const onKey = playerKeyHandler(store, store.getState().episode!)
    onKey(keydown('KeyM', '?', { shiftKey: true }))
    expect(store.getState().picker).toBeNull()
    onKey(keydown('KeyS', 's'))
    await expect.poll(() => calls.filter((c) => c.method === 'annotations.apply').length).toBe(1)
    const edits = (calls.find((c) => c.method === 'annotations.apply')?.params as Params<'annotations.apply'>).edits
    expect(edits[0]).toMatchObject({ op: 'episode.update', after: { outcome: 'success' } })
  })

  it('→ steps a frame, Shift+→ ten; keys typed into a field stay there', async () => {
    const { store } = await playerStore({ fps: 10, length: 50, episodes: 2 })
    const onKey = playerKeyHandler(store, store.getState().episode!)
    onKey(keydown('ArrowRight', 'ArrowRight'))
    expect(store.getState().frame).toBe(1)
    onKey(keydown('ArrowRight', 'ArrowRight', { shiftKey: true }))
    expect(store.getState().frame).toBe(11)
    const input = document.createElement('input')
    document.body.append(input)
    const typed = keydown('KeyS', 's', { bubbles: true })
    input.addEventListener('keydown', onKey)
    input.dispatchEvent(typed)
    expect(typed.defaultPrevented).toBe(false)
    input.remove()
  })
})
