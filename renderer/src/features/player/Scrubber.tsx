import { useRef, type ReactNode } from 'react'
import { useApp } from '../../state/StoreContext'

/** Frame-snapped timeline: click or drag to seek. Later issues add event markers on the same axis. */
export function Scrubber(props: { length: number; fps: number }): ReactNode {
  const frame = useApp((s) => s.frame)
  const seek = useApp((s) => s.seek)
  const trackRef = useRef<HTMLDivElement>(null)
  const last = Math.max(1, props.length - 1)

  const frameAt = (clientX: number): number => {
    const rect = trackRef.current?.getBoundingClientRect()
    if (!rect || rect.width === 0) return 0
    return Math.round(Math.max(0, Math.min(1, (clientX - rect.left) / rect.width)) * last)
  }

  return (
    <div
      className="scrubber"
      ref={trackRef}
      role="slider"
      aria-label="Frame"
      aria-valuemin={0}
      aria-valuemax={last}
      aria-valuenow={frame}
      aria-valuetext={`frame ${frame}`}
      onPointerDown={(e) => {
        e.preventDefault()
        ;(e.target as HTMLElement).setPointerCapture(e.pointerId)
        seek(frameAt(e.clientX))
      }}
      onPointerMove={(e) => {
        if (e.buttons & 1) seek(frameAt(e.clientX))
      }}
    >
      <div className="scrubber-fill" style={{ width: `${(frame / last) * 100}%` }} />
      <div className="scrubber-head" style={{ left: `${(frame / last) * 100}%` }}>
        <span>{frame}</span>
      </div>
    </div>
  )
}
