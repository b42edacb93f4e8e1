import { useRef, useState, type ReactNode } from 'react'
import type { AnnotationEvent } from '../../../../app/annotations'
import { formatFrameTime } from '../../../../app/dataset'
import { useApp, useEpisodeEvents } from '../../state/StoreContext'

/**
 * Frame-snapped timeline: click or drag to seek; hovering shows the frame under the pointer. Event markers sit on
 * it (milestones above, errors below): clicking one seeks to it and selects it, dragging moves it.
 */
export function Scrubber(props: { length: number; fps: number; timestamps?: Float64Array | null | undefined }): ReactNode {
  const frame = useApp((s) => s.frame)
  const seek = useApp((s) => s.seek)
  const events = useEpisodeEvents()
  const selected = useApp((s) => s.selectedEventId)
  const { selectEvent, moveEvent } = useApp((s) => s)
  const trackRef = useRef<HTMLDivElement>(null)
  const [hover, setHover] = useState<number | null>(null)
  const [drag, setDrag] = useState<{ id: string; frame: number; moved: boolean } | null>(null)
  const last = Math.max(1, props.length - 1)

  const frameAt = (clientX: number): number => {
    const rect = trackRef.current?.getBoundingClientRect()
    if (!rect || rect.width === 0) return 0
    return Math.round(Math.max(0, Math.min(1, (clientX - rect.left) / rect.width)) * last)
  }
  const pct = (f: number): string => `${(f / last) * 100}%`

  const marker = (e: AnnotationEvent): ReactNode => {
    const at = drag?.id === e.id ? drag.frame : e.frame
    return (
      <div
        key={e.id}
        className={`marker marker-${e.kind}${e.id === selected ? ' selected' : ''}`}
        style={{ left: pct(at) }}
        data-event-id={e.id}
        data-frame={at}
        title={`${e.kind}: ${e.label} @ ${at}`}
        onPointerDown={(ev) => {
          ev.stopPropagation()
          ev.preventDefault()
          ;(ev.target as HTMLElement).setPointerCapture(ev.pointerId)
          setDrag({ id: e.id, frame: e.frame, moved: false })
        }}
        onPointerMove={(ev) => {
          if (!drag || drag.id !== e.id) return
          ev.stopPropagation()
          const f = frameAt(ev.clientX)
          if (f !== drag.frame) setDrag({ id: e.id, frame: f, moved: true })
        }}
        onPointerUp={(ev) => {
          ev.stopPropagation()
          const d = drag
          setDrag(null)
          selectEvent(e.id)
          if (d && d.moved && d.frame !== e.frame) {
            void moveEvent(e.id, d.frame)
            seek(d.frame)
          } else {
            seek(e.frame)
          }
        }}
      />
    )
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
      aria-valuetext={`frame ${frame}, ${formatFrameTime(frame, props.fps, props.timestamps)}`}
      onPointerDown={(e) => {
        e.preventDefault()
        ;(e.target as HTMLElement).setPointerCapture(e.pointerId)
        seek(frameAt(e.clientX))
      }}
      onPointerMove={(e) => {
        const f = frameAt(e.clientX)
        setHover(f)
        if (e.buttons & 1 && !drag) seek(f)
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
          {frame} · {formatFrameTime(frame, props.fps, props.timestamps)}
        </span>
      </div>
      {events.map(marker)}
    </div>
  )
}
