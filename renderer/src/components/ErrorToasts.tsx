import { useEffect, type ReactNode } from 'react'
import { TOAST_MS } from '../state/errors'
import { useApp } from '../state/StoreContext'

export function ErrorToasts(): ReactNode {
  const errors = useApp((s) => s.errors)
  const dismiss = useApp((s) => s.dismissError)
  // Each toast goes TOAST_MS after its error last happened (a repeat restarts its time).
  useEffect(() => {
    const timers = errors.map((e) => setTimeout(() => dismiss(e.id), Math.max(0, e.at + TOAST_MS - Date.now())))
    return () => timers.forEach(clearTimeout)
  }, [errors, dismiss])
  if (errors.length === 0) return null
  return (
    <div className="toasts" role="alert" aria-live="assertive">
      {errors.map((e) => (
        <div key={e.id} className="toast" data-code={e.code} data-count={e.count}>
          <span className="toast-code">{e.code}</span>
          <span className="toast-message">{e.message}</span>
          {e.count > 1 ? <span className="toast-count" aria-label={`${e.count} times`}>×{e.count}</span> : null}
          <button type="button" onClick={() => dismiss(e.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
