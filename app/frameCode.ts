/**
 * A visual code that test videos carry in their pixels so a test can read back which frame (and which episode) a
 * view is really showing. Three bands of 16 cells across the top of the image: frame index bits, their complement
 * (detects a torn or blended frame), and episode index bits. Cells are large and black/white so the code survives
 * lossy encoding and scaling.
 */

export const FRAME_CODE_BITS = 16
export const FRAME_CODE_BAND_FRACTION = 0.09
const ROWS = 3
const LO = 16
const HI = 235

export interface FrameCode {
  frame: number
  episode: number
}

interface Band {
  row: number
  value: number
}

function bands(code: FrameCode): Band[] {
  const mask = (1 << FRAME_CODE_BITS) - 1
  return [
    { row: 0, value: code.frame & mask },
    { row: 1, value: ~code.frame & mask },
    { row: 2, value: code.episode & mask },
  ]
}

function cellRect(width: number, height: number, row: number, bit: number): [number, number, number, number] {
  const bandH = Math.max(2, Math.floor(height * FRAME_CODE_BAND_FRACTION))
  const x0 = Math.floor((bit * width) / FRAME_CODE_BITS)
  const x1 = Math.floor(((bit + 1) * width) / FRAME_CODE_BITS)
  return [x0, row * bandH, x1, (row + 1) * bandH]
}

/** Height in pixels taken by the code at the top of a frame of this size. */
export function frameCodeHeight(height: number): number {
  return Math.max(2, Math.floor(height * FRAME_CODE_BAND_FRACTION)) * ROWS
}

/** Paint the code into an RGB24 buffer (row-major, 3 bytes per pixel). Bit 15 is the leftmost cell. */
export function drawFrameCode(rgb: Uint8Array, width: number, height: number, code: FrameCode): void {
  for (const { row, value } of bands(code)) {
    for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
      const on = (value >> (FRAME_CODE_BITS - 1 - bit)) & 1
      const v = on ? HI : LO
      const [x0, y0, x1, y1] = cellRect(width, height, row, bit)
      for (let y = y0; y < y1; y++) {
        rgb.fill(v, (y * width + x0) * 3, (y * width + x1) * 3)
      }
    }
  }
}

/**
 * Read the code back from pixels with `channels` bytes per pixel (3 for RGB, 4 for canvas RGBA). Samples the
 * middle half of each cell. Returns null when the complement band disagrees (not a coded frame, or a blend).
 */
export function readFrameCode(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): FrameCode | null {
  const values: number[] = []
  for (let row = 0; row < ROWS; row++) {
    let value = 0
    for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
      const [x0, y0, x1, y1] = cellRect(width, height, row, bit)
      const qx = Math.max(1, Math.floor((x1 - x0) / 4))
      const qy = Math.max(1, Math.floor((y1 - y0) / 4))
      let sum = 0
      let n = 0
      for (let y = y0 + qy; y < y1 - qy || (n === 0 && y < y1); y++) {
        for (let x = x0 + qx; x < x1 - qx || (n === 0 && x < x1); x++) {
          const i = (y * width + x) * channels
          sum += ((pixels[i] ?? 0) + (pixels[i + 1] ?? 0) + (pixels[i + 2] ?? 0)) / 3
          n++
        }
      }
      value = (value << 1) | (sum / Math.max(1, n) > 128 ? 1 : 0)
    }
    values.push(value)
  }
  const mask = (1 << FRAME_CODE_BITS) - 1
  const [frame, inverse, episode] = values as [number, number, number]
  if ((~frame & mask) !== inverse) return null
  return { frame, episode }
}
