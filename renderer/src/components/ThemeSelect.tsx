import type { ReactNode } from 'react'
import { useApp } from '../state/StoreContext'
import { parseThemePreference, THEME_PREFERENCES, type ThemePreference } from '../state/theme'

const NAMES: Record<ThemePreference, string> = { system: 'System', light: 'Light', dark: 'Dark' }

/** The theme setting: follow the system (its current theme in brackets), or always light / dark. */
export function ThemeSelect(): ReactNode {
  const preference = useApp((s) => s.themePreference)
  const system = useApp((s) => s.systemTheme)
  const setPreference = useApp((s) => s.setThemePreference)
  return (
    <label className="theme-select" title="Colour theme: follow the system, or always light / dark (remembered)">
      <span className="muted">theme</span>
      <select
        aria-label="Theme"
        value={preference}
        onChange={(e) => {
          const p = parseThemePreference(e.target.value)
          if (p) setPreference(p)
          // Hand the keyboard back to the screen's shortcuts.
          e.target.blur()
        }}
      >
        {THEME_PREFERENCES.map((p) => (
          <option key={p} value={p}>
            {p === 'system' ? `${NAMES.system} (${system})` : NAMES[p]}
          </option>
        ))}
      </select>
    </label>
  )
}
