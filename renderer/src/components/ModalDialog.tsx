import { useEffect, useRef, type ReactNode } from 'react'

/**
 * A dialog over the screen that owns the keyboard while open: it takes focus when it opens, and no key reaches the
 * player's shortcuts (window listeners) while it is open, even when focus fell back to the page because the
 * focused button went away (Render becomes Cancel): Escape closes the dialog, not the episode; Space does not play.
 * A click outside closes it.
 */
export function ModalDialog(props: { label: string; className: string; onClose: () => void; children: ReactNode }): ReactNode {
  const ref = useRef<HTMLDivElement>(null)
  const onClose = useRef(props.onClose)
  onClose.current = props.onClose
  useEffect(() => {
    ref.current?.focus()
    // Capture on window runs before any other keydown listener; keys typed inside the dialog go on to its fields.
    const outside = (e: KeyboardEvent): void => {
      if (ref.current?.contains(e.target as Node | null)) return
      e.stopPropagation()
      if (e.key === 'Escape') onClose.current()
    }
    window.addEventListener('keydown', outside, true)
    return () => window.removeEventListener('keydown', outside, true)
  }, [])
  return (
    <div className="picker-backdrop" onMouseDown={props.onClose}>
      <div
        ref={ref}
        tabIndex={-1}
        className={`dialog ${props.className}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.label}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onClose()
          e.stopPropagation()
        }}
      >
        {props.children}
      </div>
    </div>
  )
}
