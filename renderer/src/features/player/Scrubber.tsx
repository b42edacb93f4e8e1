import { useRef, useState, type ReactNode } from 'react'
import { formatDuration } from '../../../../app/dataset'
import { useApp } from '../../state/StoreContext'

/** Frame-snapped timeline: click or drag to seek; hovering shows the frame under the pointer. */
export function Scrubber(props: { length: number; fps: number }): ReactNode {
  const frame = useApp((s) => s.frame)
  const seek = useApp((s) => s.seek)
  const trackRef = useRef<HTMLDivElement>(null)
  const [hover, setHover] = useState<number | null>(null)
  const last = Math.max(1, props.length - 1)

  const frameAt = (clientX: number): number => {
    const rect = trackRef.current?.getBoundingClientRect()
    if (!rect || rect.width === 0) return 0
    return Math.round(Math.max(0, Math.min(1, (clientX - rect.left) / rect.width)) * last)
  }
  const pct = (f: number): string => `${(f / last) * 100}%`

  return (
    <div
      className="scrubber"
      ref={trackRef}
      role="slider"
      aria-label="Frame"
      aria-valuemin={0}
      aria-valuemax={last}
      aria-valuenow={frame}
      aria-valuetext={`frame ${frame}, ${formatDuration(frame, props.fps)}`}
      onPointerDown={(e) => {
        e.preventDefault()
        ;(e.target as HTMLElement).setPointerCapture(e.pointerId)
        seek(frameAt(e.clientX))
      }}
      onPointerMove={(e) => {
        const f = frameAt(e.clientX)
        setHover(f)
        if (e.buttons & 1) seek(f)
      }}
      onPointerLeave={() => setHover(null)}
    >
      <div className="scrubber-fill" style={{ width: pct(frame) }} />
      {hover !== null && hover !== frame ? (
        <div className="scrubber-hover" style={{ left: pct(hover) }}>
          <span>{hover}</span>
        </div>
      ) : null}
      <div className="scrubber-head" style={{ left: pct(frame) }}>
        <span>
          {frame} · {formatDuration(frame, props.fps)}
        </span>
      </div>
    </div>
  )
}
