import { useRef, type ReactNode } from 'react'

/**
 * A pane splitter, as the WAI-ARIA APG window splitter pattern describes it
 * (https://www.w3.org/WAI/ARIA/apg/patterns/windowsplitter/): a focusable separator whose value is the primary
 * pane's size, named after that pane; dragging moves it, and so do the arrow keys (Shift: 5× the step), Home / End
 * (smallest / largest). A drag does not take the keyboard from the player's shortcuts.
 *
 * `axis` is the direction the splitter moves: 'x' for a vertical bar between columns, 'y' for a horizontal bar
 * under a pane. `grow` is the pointer direction that makes the pane larger (+1: right / down, −1: left / up).
 */
export function Splitter(props: {
  label: string
  axis: 'x' | 'y'
  value: number
  min: number
  max: number
  grow?: 1 | -1
  step?: number
  onChange: (px: number) => void
  testId?: string
  className?: string
}): ReactNode {
  const { axis, value, min, max, onChange } = props
  const grow = props.grow ?? 1
  const step = props.step ?? 10
  const drag = useRef<{ start: number; from: number } | null>(null)
  const keys = axis === 'x' ? { less: 'ArrowLeft', more: 'ArrowRight' } : { less: 'ArrowUp', more: 'ArrowDown' }
  return (
    <div
      role="separator"
      tabIndex={0}
      aria-label={props.label}
      aria-orientation={axis === 'x' ? 'vertical' : 'horizontal'}
      aria-valuenow={Math.round(value)}
      aria-valuemin={min}
      aria-valuemax={max}
      title={`${props.label}: drag to resize`}
      data-testid={props.testId}
      className={`splitter splitter-${axis} ${props.className ?? ''}`}
      onPointerDown={(e) => {
        if (e.button !== 0) return
        // No focus from a drag: the arrow keys stay the player's.
        e.preventDefault()
        e.currentTarget.setPointerCapture(e.pointerId)
        drag.current = { start: axis === 'x' ? e.clientX : e.clientY, from: value }
      }}
      onPointerMove={(e) => {
        const d = drag.current
        if (!d) return
        const moved = (axis === 'x' ? e.clientX : e.clientY) - d.start
        onChange(d.from + grow * moved)
      }}
      onPointerUp={(e) => {
        drag.current = null
        if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId)
      }}
      onPointerCancel={() => {
        drag.current = null
      }}
      onKeyDown={(e) => {
        const by = e.shiftKey ? step * 5 : step
        let next: number | null = null
        if (e.key === keys.more) next = value + grow * by
        else if (e.key === keys.less) next = value - grow * by
        else if (e.key === 'Home') next = min
        else if (e.key === 'End') next = max
        else if (e.key === 'Escape') {
          e.currentTarget.blur()
          e.preventDefault()
          e.stopPropagation()
          return
        }
        if (next === null) return
        e.preventDefault()
        e.stopPropagation()
        onChange(next)
      }}
    />
  )
}
