import { drawFrameCode, frameCodeHeight } from '../../app/frameCode'

/**
 * Synthetic camera frames for fixture datasets. Machines read the frame code at the top (app/frameCode.ts); people
 * read the rest: each camera has its own background hue and moving shape, the frame number is drawn in large
 * 7-segment digits ("F 17") and the episode in smaller ones ("E 2"), so a screenshot of a multi-view player shows
 * at a glance whether the views agree. Nothing is ever drawn over the code band.
 */

export interface FramePainter {
  readonly width: number
  readonly height: number
  /** Bytes of one RGB24 frame. */
  readonly frameBytes: number
  /** Overwrite `out` (at least frameBytes long) with the frame for this frame/episode index. */
  paint(out: Uint8Array, frame: number, episode: number): void
}

type Rgb = readonly [number, number, number]
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

function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s
  const hp = (((h % 360) + 360) % 360) / 60
  const x = c * (1 - Math.abs((hp % 2) - 1))
  const [r, g, b] =
    hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x]
  const m = l - c / 2
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)]
}

export function createFramePainter(width: number, height: number, cameraIndex: number): FramePainter {
  const frameBytes = width * height * 3
  const top = frameCodeHeight(height) + 1
  const hue = HUES[cameraIndex % HUES.length] ?? 0
  const shape = SHAPES[cameraIndex % SHAPES.length] ?? 'circle'

  // Static part drawn once, then copied per frame: a vertical gradient with a faint grid so motion reads.
  const background = new Uint8Array(frameBytes)
  const grid = Math.max(16, Math.floor(Math.min(width, height) / 8))
  for (let y = 0; y < height; y++) {
    const base = hslToRgb(hue, 0.55, 0.22 + (0.2 * y) / height)
    const line = hslToRgb(hue, 0.45, 0.3 + (0.2 * y) / height)
    for (let x = 0; x < width; x++) {
      const c = y % grid === 0 || x % grid === 0 ? line : base
      const i = (y * width + x) * 3
      background[i] = c[0]
      background[i + 1] = c[1]
      background[i + 2] = c[2]
    }
  }

  // Rows of a single colour, so any span is one TypedArray.set instead of a per-pixel loop.
  const solidRow = (c: Rgb): Uint8Array => {
    const row = new Uint8Array(width * 3)
    for (let x = 0; x < width; x++) row.set(c, x * 3)
    return row
  }
  const shapeRow = solidRow(hslToRgb(hue + 180, 0.9, 0.6))
  const panelRow = solidRow([12, 12, 12])
  const frameDigitRow = solidRow([245, 245, 245])
  const episodeDigitRow = solidRow([255, 205, 60])

  function span(out: Uint8Array, y: number, x0: number, x1: number, row: Uint8Array): void {
    if (y < top || y >= height) return
    const a = Math.max(0, Math.round(x0))
    const b = Math.min(width, Math.round(x1))
    if (b <= a) return
    out.set(row.subarray(0, (b - a) * 3), (y * width + a) * 3)
  }

  function rect(out: Uint8Array, x0: number, y0: number, x1: number, y1: number, row: Uint8Array): void {
    for (let y = Math.max(top, Math.round(y0)); y < Math.min(height, Math.round(y1)); y++) span(out, y, x0, x1, row)
  }

  function drawShape(out: Uint8Array, cx: number, cy: number, r: number): void {
    for (let y = Math.ceil(cy - r); y <= Math.floor(cy + r); y++) {
      const dy = y - cy
      let half: number
      if (shape === 'circle') half = Math.sqrt(Math.max(0, r * r - dy * dy))
      else if (shape === 'square') half = r * 0.85
      else if (shape === 'triangle') half = (r * (dy + r)) / (2 * r)
      else half = r - Math.abs(dy)
      span(out, y, cx - half, cx + half, shapeRow)
    }
  }

  /** Text of 7-segment glyphs on a dark panel; returns nothing, clips to the frame. */
  function drawText(out: Uint8Array, text: string, x: number, y: number, digitH: number, row: Uint8Array): void {
    const dw = Math.max(3, Math.floor(digitH * 0.55))
    const t = Math.max(1, Math.floor(digitH / 8))
    const gap = Math.max(1, Math.floor(dw * 0.35))
    const pad = Math.max(2, t)
    const textW = text.length * dw + (text.length - 1) * gap
    rect(out, x - pad, y - pad, x + textW + pad, y + digitH + pad, panelRow)
    const mid = Math.floor(digitH / 2)
    for (let k = 0; k < text.length; k++) {
      const bits = SEGMENTS[text[k] ?? ' '] ?? 0
      const gx = x + k * (dw + gap)
      if (bits & 1) rect(out, gx + t, y, gx + dw - t, y + t, row)
      if (bits & 2) rect(out, gx + dw - t, y + t, gx + dw, y + mid, row)
      if (bits & 4) rect(out, gx + dw - t, y + mid, gx + dw, y + digitH - t, row)
      if (bits & 8) rect(out, gx + t, y + digitH - t, gx + dw - t, y + digitH, row)
      if (bits & 16) rect(out, gx, y + mid, gx + t, y + digitH - t, row)
      if (bits & 32) rect(out, gx, y + t, gx + t, y + mid, row)
      if (bits & 64) rect(out, gx + t, y + mid - Math.floor(t / 2), gx + dw - t, y + mid + Math.ceil(t / 2), row)
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
      drawText(out, `F ${frame}`, margin + 2, height - bigH - margin - 2, bigH, frameDigitRow)
      const eText = `E ${episode}`
      const smallW = eText.length * Math.floor(smallH * 0.55) * 1.35
      drawText(out, eText, width - smallW - margin - 2, top + margin + 2, smallH, episodeDigitRow)
      drawFrameCode(out, width, height, { frame, episode })
    },
  }
}
