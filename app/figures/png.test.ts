import { describe, expect, it } from 'vitest'
import { pngSize } from './png'

/** The first 24 bytes of a PNG: signature, IHDR length and type, width, height (big-endian). */
function pngHead(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33)
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  const v = new DataView(b.buffer)
  v.setUint32(16, width)
  v.setUint32(20, height)
  return b
}

describe('pngSize', () => {
  it("reads the width and height from the PNG's IHDR chunk", () => {
    expect(pngSize(pngHead(1200, 600))).toEqual({ width: 1200, height: 600 })
    expect(pngSize(pngHead(70000, 3))).toEqual({ width: 70000, height: 3 })
  })

  it('refuses what is not a PNG, naming what it got', () => {
    expect(() => pngSize(new Uint8Array(10))).toThrow('Not a PNG file: 10 bytes, too short for its header')
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>')
    expect(() => pngSize(svg)).toThrow('Not a PNG file: it does not start with the PNG signature')
    const noIhdr = pngHead(10, 10)
    noIhdr[12] = 0x58
    expect(() => pngSize(noIhdr)).toThrow('Not a PNG file: its first chunk is not IHDR')
  })
})
