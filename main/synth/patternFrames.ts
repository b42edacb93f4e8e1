import { drawFrameCode, frameCodeHeight } from '../../app/frameCode'

/**
 * Synthetic camera frames for fixture datasets. Machines read the frame code at the top (app/frameCode.ts); people
 * read the rest: each camera has its own background hue and moving shape, the frame number is drawn in large
 * 7-segment digits ("F 17") and the episode in smaller ones ("E 2"), so a screenshot of a multi-view player shows
 * at a glance whether the views agree. Nothing is ever drawn over the code band.
 *
 * Frames are painted straight into planar YUV 4:2:0, the encoders' own format: fed RGB, ffmpeg spent nearly half
 * of a fixture's CPU time converting colours, while painting flat shapes into planes is just byte fills. Colours
 * are BT.601 limited range, which is what ffmpeg assumes for untagged SD video.
 */

export interface FramePainter {
  readonly width: number
  readonly height: number
  /** Bytes of one yuv420p (I420) frame. */
  readonly frameBytes: number
  /** Overwrite `out` (at least frameBytes long) with the frame for this frame/episode index. */
  paint(out: Uint8Array, frame: number, episode: number): void
}

type Rgb = readonly [number, number, number]
interface Yuv {
  y: number
  u: number
  v: number
}
type Shape = 'circle' | 'square' | 'triangle' | 'diamond'

const HUES = [215, 25, 130, 285, 55, 175, 330, 95]
const SHAPES: readonly Shape[] = ['circle', 'square', 'triangle', 'diamond']

// Segment bits a..g as 1,2,4,..,64; letters only for the two prefixes we draw.
const SEGMENTS: Record<string, number> = {
  '0': 0b0111111,
  '1': 0b0000110,
  '2': 0b1011011,
  '3': 0b1001111,
  '4': 0b1100110,
  '5': 0b1101101,
  '6': 0b1111101,
  '7': 0b0000111,
  '8': 0b1111111,
  '9': 0b1101111,
  E: 0b1111001,
  F: 0b1110001,
  ' ': 0,
}

// app/frameCode.ts draws three equal bands: frame, its complement, episode.
const CODE_ROWS = 3

const clamp8 = (x: number): number => Math.max(0, Math.min(255, Math.round(x)))

/** BT.601 limited-range YUV of an 8-bit RGB colour. */
export function rgbToYuv([r, g, b]: Rgb): Yuv {
  return {
    y: clamp8(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
    u: clamp8(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255),
    v: clamp8(128 + (112 * r - 93.786 * g - 18.214 * b) / 255),
  }
}

/** 8-bit RGB of hue `h` (degrees), saturation and lightness in [0, 1]. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s
  const hp = (((h % 360) + 360) % 360) / 60
  const x = c * (1 - Math.abs((hp % 2) - 1))
  const [r, g, b] =
    hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x]
  const m = l - c / 2
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)]
}

export function createFramePainter(width: number, height: number, cameraIndex: number): FramePainter {
  if (width % 2 || height % 2) throw new Error('yuv420p frames need even sizes')
  const cw = width / 2
  const uOff = width * height
  const vOff = uOff + cw * (height / 2)
  const frameBytes = vOff + cw * (height / 2)
  const codeH = frameCodeHeight(height)
  // Should frameCode.ts ever draw bands of another height, fall back to converting every row.
  const bandH = Number.isInteger(codeH / CODE_ROWS) ? codeH / CODE_ROWS : 1
  const top = codeH + 1
  const hue = HUES[cameraIndex % HUES.length] ?? 0
  const shape = SHAPES[cameraIndex % SHAPES.length] ?? 'circle'

  // Static part drawn once, then copied per frame: a vertical gradient with a faint grid so motion reads.
  const background = new Uint8Array(frameBytes)
  const grid = Math.max(16, Math.floor(Math.min(width, height) / 8))
  const rows = Array.from({ length: height }, (_, y) => [0.22, 0.3].map((l) => rgbToYuv(hslToRgb(hue, 0.5, l + (0.2 * y) / height))))
  const bgAt = (x: number, y: number): Yuv => rows[y]?.[y % grid === 0 || x % grid === 0 ? 1 : 0] ?? { y: 16, u: 128, v: 128 }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) background[y * width + x] = bgAt(x, y).y
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      // Chroma of the 2x2 block's centre, so grid lines don't tint their neighbours.
      const c = bgAt(x + 1, y + 1)
      background[uOff + (y / 2) * cw + x / 2] = c.u
      background[vOff + (y / 2) * cw + x / 2] = c.v
    }
  }

  const shapeColour = rgbToYuv(hslToRgb(hue + 180, 0.9, 0.6))
  const panelColour = rgbToYuv([12, 12, 12])
  const frameDigitColour = rgbToYuv([245, 245, 245])
  const episodeDigitColour = rgbToYuv([255, 205, 60])

  // The code is drawn by app/frameCode.ts into an RGB scratch the height of its band, then moved to the Y plane.
  const band = new Uint8Array(width * codeH * 3)
  const greyToY = Uint8Array.from({ length: 256 }, (_, v) => rgbToYuv([v, v, v]).y)

  function span(out: Uint8Array, y: number, x0: number, x1: number, c: Yuv): void {
    if (y < top || y >= height) return
    const a = Math.max(0, Math.round(x0))
    const b = Math.min(width, Math.round(x1))
    if (b <= a) return
    out.fill(c.y, y * width + a, y * width + b)
    if (y % 2 === 0) {
      const row = (y / 2) * cw
      const ca = Math.floor(a / 2)
      const cb = Math.ceil(b / 2)
      out.fill(c.u, uOff + row + ca, uOff + row + cb)
      out.fill(c.v, vOff + row + ca, vOff + row + cb)
    }
  }

  function rect(out: Uint8Array, x0: number, y0: number, x1: number, y1: number, c: Yuv): void {
    for (let y = Math.max(top, Math.round(y0)); y < Math.min(height, Math.round(y1)); y++) span(out, y, x0, x1, c)
  }

  function drawShape(out: Uint8Array, cx: number, cy: number, r: number): void {
    for (let y = Math.ceil(cy - r); y <= Math.floor(cy + r); y++) {
      const dy = y - cy
      let half: number
      if (shape === 'circle') half = Math.sqrt(Math.max(0, r * r - dy * dy))
      else if (shape === 'square') half = r * 0.85
      else if (shape === 'triangle') half = (dy + r) / 2
      else half = r - Math.abs(dy)
      span(out, y, cx - half, cx + half, shapeColour)
    }
  }

  const glyphWidth = (digitH: number): number => Math.max(3, Math.floor(digitH * 0.55))
  const glyphGap = (digitH: number): number => Math.max(1, Math.floor(glyphWidth(digitH) * 0.35))
  const textWidth = (text: string, digitH: number): number =>
    text.length * glyphWidth(digitH) + (text.length - 1) * glyphGap(digitH)

  /** 7-segment glyphs on a dark panel, clipped to the frame below the code band. */
  function drawText(out: Uint8Array, text: string, x: number, y: number, digitH: number, c: Yuv): void {
    const dw = glyphWidth(digitH)
    const gap = glyphGap(digitH)
    const t = Math.max(1, Math.floor(digitH / 8))
    const pad = Math.max(2, t)
    rect(out, x - pad, y - pad, x + textWidth(text, digitH) + pad, y + digitH + pad, panelColour)
    const mid = Math.floor(digitH / 2)
    for (let k = 0; k < text.length; k++) {
      const bits = SEGMENTS[text[k] ?? ' '] ?? 0
      const gx = x + k * (dw + gap)
      if (bits & 1) rect(out, gx + t, y, gx + dw - t, y + t, c)
      if (bits & 2) rect(out, gx + dw - t, y + t, gx + dw, y + mid, c)
      if (bits & 4) rect(out, gx + dw - t, y + mid, gx + dw, y + digitH - t, c)
      if (bits & 8) rect(out, gx + t, y + digitH - t, gx + dw - t, y + digitH, c)
      if (bits & 16) rect(out, gx, y + mid, gx + t, y + digitH - t, c)
      if (bits & 32) rect(out, gx, y + t, gx + t, y + mid, c)
      if (bits & 64) rect(out, gx + t, y + mid - Math.floor(t / 2), gx + dw - t, y + mid + Math.ceil(t / 2), c)
    }
  }

  const usable = height - top
  const bigH = Math.max(8, Math.floor(height * 0.2))
  const smallH = Math.max(6, Math.floor(height * 0.1))
  const margin = Math.max(3, Math.floor(height * 0.03))
  const radius = Math.max(4, Math.floor(Math.min(width, usable) * 0.14))
  // Cameras move out of phase so a frame where two views show the same pose would be a visible bug.
  const phase = cameraIndex * 1.7

  return {
    width,
    height,
    frameBytes,
    paint(out: Uint8Array, frame: number, episode: number): void {
      out.set(background)
      const t = frame / 24 + episode * 0.9 + phase
      const cx = width / 2 + (width / 2 - radius - 2) * Math.sin(t)
      const cy = top + usable / 2 + (usable / 2 - radius - 2) * Math.sin(2 * t + 0.5)
      drawShape(out, cx, cy, radius)
      drawText(out, `F ${frame}`, margin + 2, height - bigH - margin - 2, bigH, frameDigitColour)
      const eText = `E ${episode}`
      drawText(out, eText, width - textWidth(eText, smallH) - margin - 2, top + margin + 2, smallH, episodeDigitColour)

      drawFrameCode(band, width, height, { frame, episode })
      // Cells are solid rectangles, so convert one row per band and copy it down.
      for (let y0 = 0; y0 < codeH; y0 += bandH) {
        for (let x = 0; x < width; x++) out[y0 * width + x] = greyToY[band[(y0 * width + x) * 3] ?? 0] ?? 0
        for (let y = y0 + 1; y < y0 + bandH; y++) out.copyWithin(y * width, y0 * width, (y0 + 1) * width)
      }
      // Grey chroma for every chroma row touching the band, so no colour bleeds into the code's cells.
      const chromaRows = Math.ceil(codeH / 2) * cw
      out.fill(128, uOff, uOff + chromaRows)
      out.fill(128, vOff, vOff + chromaRows)
    },
  }
}
