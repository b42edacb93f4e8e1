import type { ReactNode } from 'react'
import { useApp } from '../state/StoreContext'

export function ErrorToasts(): ReactNode {
  const errors = useApp((s) => s.errors)
  const dismiss = useApp((s) => s.dismissError)
  if (errors.length === 0) return null
  return (
    <div className="toasts" role="alert" aria-live="assertive">
      {errors.map((e) => (
        <div key={e.id} className="toast" data-code={e.code}>
          <span className="toast-code">{e.code}</span>
          <span className="toast-message">{e.message}</span>
          <button type="button" onClick={() => dismiss(e.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
