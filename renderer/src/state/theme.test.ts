// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fakeClient } from '../testing/fakeClient'
import { createAppStore } from './store'
import { followTheme, parseThemePreference, resolveTheme, THEME_PREFERENCE_KEY } from './theme'

/** A window whose prefers-color-scheme the test switches. */
function fakeSystem(dark: boolean): { win: Window; set(dark: boolean): void } {
  const listeners = new Set<(e: MediaQueryListEvent) => void>()
  const query = {
    get matches() {
      return dark
    },
    addEventListener: (_: string, l: (e: MediaQueryListEvent) => void) => listeners.add(l),
    removeEventListener: (_: string, l: (e: MediaQueryListEvent) => void) => listeners.delete(l),
  }
  const win = Object.assign(Object.create(window) as Window, { document, matchMedia: () => query })
  return {
    win,
    set(next) {
      dark = next
      for (const l of listeners) l({ matches: next } as MediaQueryListEvent)
    },
  }
}

beforeEach(() => localStorage.clear())
afterEach(() => delete document.documentElement.dataset.theme)

describe('themes', () => {
  it('resolves a forced theme over the system one; reads only a known stored value', () => {
    expect(resolveTheme('system', 'light')).toBe('light')
    expect(resolveTheme('dark', 'light')).toBe('dark')
    expect(resolveTheme('light', 'dark')).toBe('light')
    expect(parseThemePreference('dark')).toBe('dark')
    expect(parseThemePreference('blue')).toBeNull()
  })

  it('follows the system by default, live; a forced theme wins, is remembered, and "system" follows again', () => {
    const system = fakeSystem(true)
    const store = createAppStore(fakeClient({}).client)
    const stop = followTheme(store, system.win)
    expect(document.documentElement.dataset.theme).toBe('dark')
    system.set(false)
    expect(document.documentElement.dataset.theme).toBe('light')
    store.getState().setThemePreference('dark')
    expect(document.documentElement.dataset.theme).toBe('dark')
    expect(localStorage.getItem(THEME_PREFERENCE_KEY)).toBe('"dark"')
    system.set(false)
    expect(document.documentElement.dataset.theme).toBe('dark')
    // A new session (a reload) starts with the remembered choice.
    const again = createAppStore(fakeClient({}).client)
    expect(again.getState().themePreference).toBe('dark')
    expect(again.getState().theme).toBe('dark')
    store.getState().setThemePreference('system')
    expect(document.documentElement.dataset.theme).toBe('light')
    stop()
    system.set(true)
    expect(document.documentElement.dataset.theme).toBe('light')
  })
})
