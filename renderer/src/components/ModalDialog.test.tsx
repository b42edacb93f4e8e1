// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ModalDialog } from './ModalDialog'

afterEach(cleanup)

describe('ModalDialog', () => {
  it('takes focus, keeps every key from the page’s shortcuts, and closes on Escape wherever focus is', () => {
    const shortcuts: string[] = []
    const onShortcut = (e: KeyboardEvent): void => void shortcuts.push(e.key)
    window.addEventListener('keydown', onShortcut)
    const onClose = vi.fn()
    render(
      <ModalDialog label="Render video" className="render-dialog" onClose={onClose}>
        <input aria-label="Video path" />
      </ModalDialog>,
    )
    const dialog = screen.getByRole('dialog', { name: 'Render video' })
    expect(document.activeElement).toBe(dialog)
    fireEvent.keyDown(screen.getByLabelText('Video path'), { key: ' ' })
    // Focus fell back to the page (the focused button went away): still the dialog's keys.
    fireEvent.keyDown(document.body, { key: ' ' })
    expect(shortcuts).toEqual([])
    expect(onClose).not.toHaveBeenCalled()
    fireEvent.keyDown(document.body, { key: 'Escape' })
    expect(onClose).toHaveBeenCalledTimes(1)
    fireEvent.keyDown(dialog, { key: 'Escape' })
    expect(onClose).toHaveBeenCalledTimes(2)
    expect(shortcuts).toEqual([])
    cleanup()
    fireEvent.keyDown(document.body, { key: ' ' })
    expect(shortcuts).toEqual([' '])
    window.removeEventListener('keydown', onShortcut)
  })
})
