/**
 * Light and dark themes. The app follows the system's choice (the prefers-color-scheme media feature,
 * https://www.w3.org/TR/mediaqueries-5/#prefers-color-scheme) unless the user forces one; the choice is remembered.
 * The document's data-theme attribute selects the CSS variables (styles.css); the plots read `theme` from the store
 * and take THEME_COLORS (app/figures/palette.ts), redrawing when it changes.
 */
import type { Theme } from '../../../app/figures/palette'
import { readPreference, writePreference } from './preferences'
import type { SliceContext } from './slice'

export type { Theme } from '../../../app/figures/palette'

export const THEME_PREFERENCES = ['system', 'light', 'dark'] as const
export type ThemePreference = (typeof THEME_PREFERENCES)[number]

export const THEME_PREFERENCE_KEY = 'viva.theme'
const DARK_QUERY = '(prefers-color-scheme: dark)'

export interface ThemeSlice {
  themePreference: ThemePreference
  /** What the system asks for now. */
  systemTheme: Theme
  /** The theme shown: the forced one, else the system's. */
  theme: Theme
  setThemePreference(preference: ThemePreference): void
  setSystemTheme(theme: Theme): void
}

export function resolveTheme(preference: ThemePreference, system: Theme): Theme {
  return preference === 'system' ? system : preference
}

export function parseThemePreference(v: unknown): ThemePreference | null {
  return (THEME_PREFERENCES as readonly unknown[]).includes(v) ? (v as ThemePreference) : null
}

/**
 * The system's theme. Where the media feature cannot be read (tests, very old engines): dark, the app's look
 * before themes existed. A browser with no preference matches `light`, as the spec says.
 */
export function systemThemeOf(win: Pick<Window, 'matchMedia'> | undefined): Theme {
  if (!win || typeof win.matchMedia !== 'function') return 'dark'
  return win.matchMedia(DARK_QUERY).matches ? 'dark' : 'light'
}

export function storedThemePreference(): ThemePreference {
  return readPreference(THEME_PREFERENCE_KEY, parseThemePreference, 'system')
}

export function createThemeSlice({ set, get }: SliceContext<ThemeSlice>): ThemeSlice {
  const themePreference = storedThemePreference()
  const systemTheme = systemThemeOf(globalThis.window)
  return {
    themePreference,
    systemTheme,
    theme: resolveTheme(themePreference, systemTheme),
    setThemePreference(preference) {
      writePreference(THEME_PREFERENCE_KEY, preference)
      set({ themePreference: preference, theme: resolveTheme(preference, get().systemTheme) })
    },
    setSystemTheme(theme) {
      set({ systemTheme: theme, theme: resolveTheme(get().themePreference, theme) })
    },
  }
}

/** Show `theme` on the document (the CSS variables and the browser's own controls follow data-theme). */
export function applyTheme(doc: Document, theme: Theme): void {
  doc.documentElement.dataset.theme = theme
}

/**
 * Keep the document's theme on the store's, and the store's system theme on the system's, until the returned
 * function is called.
 */
export function followTheme(store: { getState(): ThemeSlice; subscribe(l: (s: ThemeSlice, prev: ThemeSlice) => void): () => void }, win: Window): () => void {
  applyTheme(win.document, store.getState().theme)
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.theme !== prev.theme) applyTheme(win.document, s.theme)
  })
  const query = typeof win.matchMedia === 'function' ? win.matchMedia(DARK_QUERY) : null
  const onChange = (e: MediaQueryListEvent): void => store.getState().setSystemTheme(e.matches ? 'dark' : 'light')
  query?.addEventListener('change', onChange)
  if (query) store.getState().setSystemTheme(query.matches ? 'dark' : 'light')
  return () => {
    unsubscribe()
    query?.removeEventListener('change', onChange)
  }
}
