import { spawn } from 'node:child_process'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { RENDER_BOUNDS } from '../../app/contract/render'
import { shortCameraName } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { THEME_COLORS } from '../../app/figures/palette'
import { valueFigure, type FigureEvent, type FigureSeries } from '../../app/figures/valueFigure'
import type { EpisodeSource, EpisodeVideo } from '../datasets/episodeSource'
import { decodeEpisode, type FrameBatch } from '../video/frameDecoder'
import type { VideoProbe } from '../video/probe'
import type { MediaTools } from '../video/tools'
import type { WriteGuard } from '../writeGuard'

/**
 * An MP4 of an episode's frame range for talks and papers: the chosen cameras side by side, each tile at its own
 * aspect ratio and the same height, and under them the value figure (app/figures/valueFigure) with a cursor on the
 * frame being shown. Frames come from the decoder the scoring job uses (frame index → video frame in one place), so
 * output frame k is episode frame from + k in every camera; the video runs at the dataset's fps.
 */

export interface RenderEpisodeRequest {
  source: EpisodeSource
  episode: number
  /** Camera keys or their short names (shortCameraName, as the UI shows them); default every camera with a video. */
  cameras?: readonly string[]
  /** Inclusive frame range; default the whole episode. */
  from?: number
  to?: number
  curves: readonly FigureSeries[]
  events: readonly FigureEvent[]
  out: string
  /** Height of each camera tile in pixels (even); default 240. */
  tileHeight?: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export interface RenderEpisodeDeps {
  tools: MediaTools
  probe: (file: string, signal?: AbortSignal) => Promise<VideoProbe>
  guard: WriteGuard
}

export interface RenderLayout {
  width: number
  height: number
  tiles: { camera: string; x: number; width: number; height: number }[]
  /** The figure strip under the tiles; `area` is its plot area (where the cursor runs), relative to the strip. */
  plot: { y: number; height: number; area: { top: number; height: number } } | null
}

export interface RenderResult {
  file: string
  frames: number
  fps: number
  layout: RenderLayout
  cameras: string[]
}

/** Tile bounds are the contract's (render.video); the width cap keeps an H.264 level any player decodes. */
export const RENDER_LIMITS = { minTileHeight: RENDER_BOUNDS.minTileHeight, maxTileHeight: RENDER_BOUNDS.maxTileHeight, maxWidth: 7680 } as const

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2))

/** The cameras asked for, in the order asked (default: every camera of the episode with a video). */
export function pickCameras(videos: readonly EpisodeVideo[], asked: readonly string[] | undefined, episode: number): EpisodeVideo[] {
  if (!asked || asked.length === 0) {
    if (videos.length === 0) throw new VivaError('MEDIA_FAILED', `Episode ${episode} has no camera video to render`)
    return [...videos]
  }
  return asked.map((name) => {
    const hit = videos.find((v) => v.camera === name) ?? videos.find((v) => shortCameraName(v.camera) === name)
    if (!hit) {
      const known = videos.map((v) => shortCameraName(v.camera)).join(', ') || 'none'
      throw new VivaError('INVALID_ARGUMENT', `Episode ${episode} has no video for camera "${name}" (cameras with video: ${known})`)
    }
    return hit
  })
}

/** Tiles at one height, each at its camera's aspect ratio; the plot strip under them as wide as the row. */
export function renderLayout(sizes: readonly { camera: string; width: number; height: number }[], tileHeight: number, withPlot: boolean): RenderLayout {
  let h = even(tileHeight)
  const aspectSum = sizes.reduce((s, c) => s + c.width / c.height, 0)
  if (aspectSum * h > RENDER_LIMITS.maxWidth) h = even(Math.floor(RENDER_LIMITS.maxWidth / aspectSum) - 1)
  let x = 0
  const tiles = sizes.map((c) => {
    const tile = { camera: c.camera, x, width: even((h * c.width) / c.height), height: h }
    x += tile.width
    return tile
  })
  const width = Math.max(even(x), 160)
  const plotHeight = withPlot ? even(Math.min(600, Math.max(160, width * 0.3))) : 0
  return { width, height: h + plotHeight, tiles, plot: withPlot ? { y: h, height: plotHeight, area: { top: 0, height: plotHeight } } : null }
}

function checkRange(from: number, to: number, length: number, episode: number): void {
  for (const [name, v] of [['--from', from], ['--to', to]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= length) {
      throw new VivaError('INVALID_ARGUMENT', `${name} ${v} is not a frame of episode ${episode} (frames 0–${length - 1})`)
    }
  }
  if (to < from) throw new VivaError('INVALID_ARGUMENT', `--to ${to} is before --from ${from}`)
}

function runFfmpeg(tools: MediaTools, args: string[], input: Buffer | null, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'], signal })
    tools.children?.track(child)
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-2000)))
    child.on('error', (e) => reject(signal?.aborted ? new VivaError('CANCELLED', 'Rendering cancelled.') : new VivaError('TOOL_MISSING', `Cannot run ffmpeg: ${e.message}`)))
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out))
      else reject(new VivaError('MEDIA_FAILED', `ffmpeg failed: ${err.trim().split('\n').pop() ?? `exit ${code}`}`))
    })
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? undefined)
  })
}

/** The figure as rgb24 pixels, rasterized by ffmpeg's librsvg decoder (Debian's ffmpeg has it). */
async function rasterize(tools: MediaTools, svg: string, width: number, height: number, signal?: AbortSignal): Promise<Uint8Array> {
  // ffmpeg 5.1 cannot probe SVG from a pipe; its image2 demuxer reads it from a file named .svg.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'viva-figure-'))
  try {
    const file = path.join(dir, 'plot.svg')
    await writeFile(file, svg)
    const args = ['-v', 'error', '-nostdin', '-i', file, '-vf', `scale=${width}:${height}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']
    const pixels = await runFfmpeg(tools, args, null, signal).catch((err: unknown) => {
      if (err instanceof VivaError && err.code === 'MEDIA_FAILED') {
        throw new VivaError('TOOL_MISSING', `${tools.ffmpeg} cannot draw the value plot (it needs an ffmpeg built with librsvg, as Debian's is): ${err.message}`)
      }
      throw err
    })
    if (pixels.length !== width * height * 3) throw new VivaError('MEDIA_FAILED', `The value plot rasterized to ${pixels.length} bytes, expected ${width * height * 3}`)
    return pixels
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]
}

export async function renderEpisodeVideo(deps: RenderEpisodeDeps, req: RenderEpisodeRequest): Promise<RenderResult> {
  const { source, episode, signal } = req
  const summary = source.summary.episodes.find((e) => e.index === episode)
  if (!summary) throw new VivaError('NOT_FOUND', `Episode ${episode} is not in dataset ${source.summary.name}`)
  const target = await deps.guard.check(req.out)
  const data = await source.loadEpisode(episode, signal)
  const from = req.from ?? 0
  const to = req.to ?? data.length - 1
  checkRange(from, to, data.length, episode)
  const tileHeight = req.tileHeight ?? 240
  if (!Number.isInteger(tileHeight) || tileHeight < RENDER_LIMITS.minTileHeight || tileHeight > RENDER_LIMITS.maxTileHeight) {
    throw new VivaError('INVALID_ARGUMENT', `Tile height must be a whole number from ${RENDER_LIMITS.minTileHeight} to ${RENDER_LIMITS.maxTileHeight} (got ${tileHeight})`)
  }
  const videos = pickCameras(data.videos, req.cameras, episode)
  const probes = await Promise.all(videos.map((v) => deps.probe(v.file, signal)))
  const withPlot = req.curves.length > 0 || req.events.length > 0
  const layout = renderLayout(
    videos.map((v, i) => ({ camera: v.camera, width: probes[i]!.width, height: probes[i]!.height })),
    tileHeight,
    withPlot,
  )
  const fps = source.summary.fps
  const frames = to - from + 1
  let plotPixels: Uint8Array | null = null
  let cursorX: (frame: number) => number = () => 0
  if (layout.plot) {
    const fig = valueFigure(req.curves, req.events, { width: layout.width, height: layout.plot.height, from, to: Math.max(to, from + 1), theme: 'light' })
    plotPixels = await rasterize(deps.tools, fig.svg, layout.width, layout.plot.height, signal)
    cursorX = fig.xOf
    layout.plot.area = { top: fig.plot.top, height: fig.plot.height }
  }

  const partial = `${target}.${process.pid}.partial.mp4`
  const encoder = spawn(
    deps.tools.ffmpeg,
    ['-v', 'error', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${layout.width}x${layout.height}`, '-r', String(fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', partial],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  deps.tools.children?.track(encoder)
  let encoderError = ''
  encoder.stderr.setEncoding('utf8').on('data', (s: string) => (encoderError = (encoderError + s).slice(-2000)))
  const encoded = new Promise<void>((resolve, reject) => {
    encoder.on('error', (e) => reject(new VivaError('TOOL_MISSING', `Cannot run ffmpeg: ${e.message}`)))
    encoder.on('close', (code) => (code === 0 ? resolve() : reject(new VivaError('MEDIA_FAILED', `Encoding ${req.out} failed: ${encoderError.trim().split('\n').pop() ?? `ffmpeg exited with ${code}`}`, req.out))))
  })
  encoded.catch(() => {})
  // An encoder that is gone (it failed, or Cancel killed it) never drains its input again: a write waiting for
  // 'drain' must also end when it closes, or the render (and its partial file) would wait forever.
  let encoderClosed = false
  const closed = new Promise<void>((resolve) =>
    encoder.once('close', () => {
      encoderClosed = true
      resolve()
    }),
  )
  encoder.stdin.on('error', () => {})
  const onAbort = (): void => void encoder.kill('SIGKILL')
  signal?.addEventListener('abort', onAbort, { once: true })

  const decoders = videos.map((v, i) =>
    decodeEpisode(deps.tools, [{ file: v.file, from: v.fromTimestamp }], {
      width: layout.tiles[i]!.width,
      height: layout.tiles[i]!.height,
      count: to + 1,
      start: from,
      batch: 8,
      hwaccel: false,
      scaleFlags: 'bicubic',
      ...(signal ? { signal } : {}),
    }),
  )
  const frameBytes = layout.width * layout.height * 3
  const cursor = hexRgb(THEME_COLORS.light.cursor)
  let done = 0
  try {
    for (let first = from; first <= to; first += 8) {
      const batches: FrameBatch[] = []
      for (const d of decoders) {
        const next = await d.next()
        if (next.done) throw new VivaError('MEDIA_FAILED', `A camera of episode ${episode} ended before frame ${first}`)
        batches.push(next.value)
      }
      const n = batches[0]!.count
      const out = Buffer.alloc(n * frameBytes)
      for (let k = 0; k < n; k++) {
        const base = k * frameBytes
        batches.forEach((b, c) => {
          const tile = layout.tiles[c]!
          const tileBytes = tile.width * tile.height * 3
          const src = b.pixels.subarray(k * tileBytes, (k + 1) * tileBytes)
          for (let y = 0; y < tile.height; y++) {
            out.set(src.subarray(y * tile.width * 3, (y + 1) * tile.width * 3), base + (y * layout.width + tile.x) * 3)
          }
        })
        if (layout.plot && plotPixels) {
          out.set(plotPixels, base + layout.plot.y * layout.width * 3)
          drawCursor(out, base, layout, Math.round(cursorX(first + k)), cursor)
        }
      }
      if (signal?.aborted) throw new VivaError('CANCELLED', 'Rendering cancelled.')
      if (!encoder.stdin.write(out)) await Promise.race([new Promise<void>((resolve) => encoder.stdin.once('drain', resolve)), closed])
      if (signal?.aborted) throw new VivaError('CANCELLED', 'Rendering cancelled.')
      if (encoderClosed) {
        await encoded
        throw new VivaError('MEDIA_FAILED', `Encoding ${req.out} failed: ffmpeg stopped before frame ${first + n}`, req.out)
      }
      done += n
      req.onProgress?.(done, frames)
    }
    encoder.stdin.end()
    await encoded
    if (signal?.aborted) throw new VivaError('CANCELLED', 'Rendering cancelled.')
    await rename(partial, target)
  } catch (err) {
    encoder.kill('SIGKILL')
    await encoded.catch(() => {})
    await rm(partial, { force: true })
    if (signal?.aborted) throw new VivaError('CANCELLED', 'Rendering cancelled.')
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await Promise.all(decoders.map((d) => d.return(undefined)))
  }
  return { file: target, frames, fps, layout, cameras: videos.map((v) => v.camera) }
}

/** A 2-pixel vertical cursor over the plot area of the strip. */
function drawCursor(out: Buffer, base: number, layout: RenderLayout, x: number, rgb: [number, number, number]): void {
  if (!layout.plot) return
  const { top, height } = layout.plot.area
  for (let y = layout.plot.y + Math.floor(top); y < layout.plot.y + Math.ceil(top + height); y++) {
    for (let dx = -1; dx <= 0; dx++) {
      const px = x + dx
      if (px < 0 || px >= layout.width) continue
      const at = base + (y * layout.width + px) * 3
      out[at] = rgb[0]
      out[at + 1] = rgb[1]
      out[at + 2] = rgb[2]
    }
  }
}
