import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react'
import type { CameraView } from '../../../../app/contract'
import { shortCameraName } from '../../../../app/dataset'
import { useClient } from '../../state/StoreContext'
import type { PlaybackController } from './playbackController'
import { aspectOf, blockHeight, placeTiles, tileLayout, type TileRect } from './tileLayout'

/** Gap between tiles, and what a tile adds to its video: the caption (.view figcaption) and the 1 px border. */
const GAP = 6
const CAPTION = 20
const BORDER = 1

function VideoView(props: { camera: CameraView; controller: PlaybackController; progress: number | undefined; rect: TileRect | undefined }): ReactNode {
  const client = useClient()
  const ref = useRef<HTMLVideoElement>(null)
  const { camera, controller } = props
  const src = camera.status === 'ready' && camera.media ? client.mediaUrl(camera.media) : null

  useEffect(() => {
    const video = ref.current
    if (!video || !src) return
    return controller.attach(camera.key, video, camera.frameTimes)
  }, [controller, camera.key, camera.frameTimes, src])

  return (
    <figure
      className="view"
      data-camera={camera.key}
      data-status={camera.status}
      style={props.rect ? { left: props.rect.left, top: props.rect.top, width: props.rect.width, height: props.rect.height } : { visibility: 'hidden' }}
    >
      <figcaption title={`${camera.key}${camera.codec ? ` · ${camera.sourceCodec ?? camera.codec} ${camera.width}×${camera.height}` : ''}`}>
        <span className="view-name">{shortCameraName(camera.key)}</span>
        {camera.codec ? (
          // The dataset's own codec; a proxy that plays in its place is noted, not shown as the source.
          <span className="view-meta" data-testid={`camera-codec-${camera.key}`}>
            {camera.sourceCodec ?? camera.codec} {camera.width}×{camera.height}
            {camera.sourceCodec && camera.sourceCodec !== camera.codec ? (
              <span className="muted" title={`${camera.sourceCodec} cannot be decoded by the browser engine; a ${camera.codec} copy plays`}>
                {' '}
                (plays as {camera.codec} proxy)
              </span>
            ) : null}
          </span>
        ) : null}
      </figcaption>
      {src ? (
        <video ref={ref} src={src} muted playsInline preload="auto" data-camera={camera.key} />
      ) : camera.status === 'failed' || camera.status === 'missing' ? (
        // An unreadable file, a video window that does not fit it, or no file at all (where it was expected and
        // searched for): say why in this camera's pane, never a blank or a frame of another episode.
        <div className="view-placeholder view-error" role="alert" data-testid={`camera-error-${camera.key}`}>
          <p className="view-error-title">
            {camera.status === 'missing' ? 'No video for' : 'Cannot show'} {shortCameraName(camera.key)}
          </p>
          <p>{camera.statusMessage ?? (camera.status === 'missing' ? 'No video file.' : 'This video cannot be read.')}</p>
        </div>
      ) : (
        <div className="view-placeholder">
          {camera.status === 'needs-proxy' ? (
            <>
              <p>{camera.statusMessage}</p>
              <progress max={1} value={props.progress ?? 0} aria-label={`Transcoding ${camera.key}`} />
              <p>{Math.round((props.progress ?? 0) * 100)}%</p>
            </>
          ) : (
            <p>{camera.statusMessage ?? 'No video'}</p>
          )}
        </div>
      )}
    </figure>
  )
}

/** Smallest height the views get, even when the plots and controls leave less (the column scrolls then). */
const MIN_VIEWS_HEIGHT = 150

/**
 * The height the column `section` sits in leaves for it: the column's height less its other children (those above
 * the fold) and the gaps
 * between them (the views are sized from this, not from their own box, so that it never depends on their height).
 */
function spaceLeft(section: HTMLElement): { width: number; height: number } {
  const column = section.parentElement
  if (!column) return { width: section.clientWidth, height: section.clientHeight }
  const style = getComputedStyle(column)
  const gap = Number.parseFloat(style.rowGap) || 0
  const padding = (Number.parseFloat(style.paddingTop) || 0) + (Number.parseFloat(style.paddingBottom) || 0)
  // What is meant to be scrolled to (.below-plots: the analysis tools, warnings) does not take room from the views.
  const children = ([...column.children] as HTMLElement[]).filter((c) => !c.classList.contains('below-plots'))
  const others = children.filter((c) => c !== section).reduce((a, c) => a + c.offsetHeight, 0)
  return { width: section.clientWidth, height: Math.max(MIN_VIEWS_HEIGHT, column.clientHeight - padding - others - gap * (children.length - 1)) }
}

/**
 * The episode's cameras, each tile exactly its video's aspect ratio (tileLayout.ts), as large as the width and the
 * height the plots and controls leave allow; the views are as high as their tiles, so nothing is left around them
 * (what is left of the column stays under its last pane). Laid out again when the space changes (window resize,
 * a pane dragged, a plot drawn). Tiles are absolutely placed children of one element, so a new arrangement never
 * remounts a video.
 */
export function CameraViews(props: { cameras: CameraView[]; controller: PlaybackController; progress: Record<string, number> }): ReactNode {
  const ref = useRef<HTMLElement>(null)
  const [space, setSpace] = useState<{ width: number; height: number } | null>(null)
  useLayoutEffect(() => {
    const section = ref.current
    const column = section?.parentElement
    if (!section || !column) return
    const measure = (): void => {
      const next = spaceLeft(section)
      setSpace((old) => (old && old.width === next.width && old.height === next.height ? old : next))
    }
    const resized = new ResizeObserver(measure)
    const watch = (): void => {
      resized.disconnect()
      resized.observe(column)
      for (const child of column.children) resized.observe(child)
    }
    // Panes come and go (warnings, the value plot's tools): watch the new ones too.
    const added = new MutationObserver(() => {
      watch()
      measure()
    })
    added.observe(column, { childList: true })
    watch()
    measure()
    return () => {
      resized.disconnect()
      added.disconnect()
    }
  }, [])
  const aspects = props.cameras.map((c) => aspectOf(c.width, c.height))
  const chrome = { gap: GAP, chromeWidth: 2 * BORDER, chromeHeight: CAPTION + 2 * BORDER }
  const layout = space ? tileLayout(aspects, { ...space, ...chrome }) : null
  const height = layout ? Math.max(MIN_VIEWS_HEIGHT, blockHeight(layout, chrome)) : undefined
  const rects = space && layout ? placeTiles(layout, aspects, { width: space.width, height: height ?? space.height, ...chrome }) : []
  return (
    <section ref={ref} className="views" aria-label="Camera views" data-rows={layout?.rows.length ?? 0} style={height === undefined ? undefined : { height }}>
      {props.cameras.map((cam, i) => (
        <VideoView key={cam.key} camera={cam} controller={props.controller} progress={props.progress[cam.key]} rect={rects[i]} />
      ))}
    </section>
  )
}
