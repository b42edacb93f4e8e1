import { useEffect, useState, type ReactNode } from 'react'
import { matchShortcut, shortcutGroups, shortcutKeys, type LabelOptions } from '../../../../app/shortcuts'
import { isTypingTarget } from '../../components/keyboard'
import { useApp, useAppStore } from '../../state/StoreContext'
import './shortcuts.css'

/** navigator.keyboard (the Keyboard Map API): Chromium and Electron have it; elsewhere keys get US labels. */
type LayoutMapSource = { keyboard?: { getLayoutMap?: () => Promise<{ get(code: string): string | undefined }> } }

/** The character the user's layout types at each position, once the browser has said. */
function useLayoutLabels(): LabelOptions['layout'] {
  const [layout, setLayout] = useState<LabelOptions['layout']>(undefined)
  useEffect(() => {
    let cancelled = false
    const source = (navigator as Navigator & LayoutMapSource).keyboard
    source?.getLayoutMap?.().then(
      (map) => {
        if (!cancelled) setLayout(() => (code: string) => map.get(code))
      },
      () => undefined,
    )
    return () => {
      cancelled = true
    }
  }, [])
  return layout
}

/** `?` anywhere (outside text fields and dialogs that take keys) shows or hides the overlay. */
export function useHelpKey(): void {
  const store = useAppStore()
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      // The label picker and open dialogs take their keys in the capture phase and stop them; text fields keep theirs.
      if (e.defaultPrevented || isTypingTarget(e.target)) return
      if (matchShortcut(e, 'anywhere') !== 'help.toggle') return
      e.preventDefault()
      const s = store.getState()
      s.setShortcutsOpen(!s.shortcutsOpen)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [store])
}

/**
 * Every shortcut, drawn from the registry the key handlers use (app/shortcuts.ts), each key named as the user's
 * layout labels it. While open it takes every key: Esc (or `?`) closes it, nothing reaches the player behind.
 */
export function ShortcutHelp(): ReactNode {
  const open = useApp((s) => s.shortcutsOpen)
  const setOpen = useApp((s) => s.setShortcutsOpen)
  const desktop = useApp((s) => s.appMode === 'electron')
  const layout = useLayoutLabels()

  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent): void => {
      const id = matchShortcut(e, 'help') ?? matchShortcut(e, 'anywhere')
      if (id === 'help.close' || id === 'help.toggle') setOpen(false)
      // Tab stays, so the close button can be reached from the keyboard.
      if (e.key === 'Tab') return
      e.preventDefault()
      e.stopImmediatePropagation()
    }
    window.addEventListener('keydown', onKey, { capture: true })
    return () => window.removeEventListener('keydown', onKey, { capture: true })
  }, [open, setOpen])

  if (!open) return null
  const opts: LabelOptions = { mac: /Mac|iPhone|iPad/.test(navigator.platform), ...(layout ? { layout } : {}) }
  return (
    <div className="shortcut-backdrop" onMouseDown={() => setOpen(false)}>
      <div className="shortcut-help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()}>
        <header>
          <h2>Keyboard shortcuts</h2>
          <button type="button" onClick={() => setOpen(false)} aria-label="Close" autoFocus>
            ×
          </button>
        </header>
        <p className="muted">
          Keys are matched by their place on the keyboard, named here as your layout labels them. Keys typed into a text field stay in
          that field.
        </p>
        <div className="shortcut-groups">
          {shortcutGroups({ desktop }).map((g) => (
            <section key={g.group} aria-label={g.group}>
              <h3>{g.group}</h3>
              <table>
                <tbody>
                  {g.shortcuts.map((def) => (
                    <tr key={def.id} data-shortcut={def.id}>
                      <th scope="row">
                        {shortcutKeys(def, opts).map((k, i) => (
                          <span key={k}>
                            {i > 0 ? ' / ' : null}
                            <kbd>{k}</kbd>
                          </span>
                        ))}
                      </th>
                      <td>{def.does}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
        </div>
      </div>
    </div>
  )
}
