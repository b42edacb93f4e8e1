import { describe, expect, it } from 'vitest'
import { drawFrameCode, frameCodeHeight, readFrameCode } from './frameCode'

describe('frame code', () => {
  it('reads back what it draws, for RGB and RGBA, at several sizes', () => {
    for (const [w, h] of [[640, 480], [160, 120], [64, 48]] as const) {
      for (const code of [{ frame: 0, episode: 0 }, { frame: 12345, episode: 999 }, { frame: 65535, episode: 1 }]) {
        const rgb = new Uint8Array(w * h * 3).fill(90)
        drawFrameCode(rgb, w, h, code)
        expect(readFrameCode(rgb, w, h, 3)).toEqual(code)
        const rgba = new Uint8Array(w * h * 4)
        for (let i = 0; i < w * h; i++) rgba.set([rgb[i * 3] ?? 0, rgb[i * 3 + 1] ?? 0, rgb[i * 3 + 2] ?? 0, 255], i * 4)
        expect(readFrameCode(rgba, w, h, 4)).toEqual(code)
      }
    }
  })

  it('survives noise but rejects an uncoded image', () => {
    const w = 320
    const h = 240
    const rgb = new Uint8Array(w * h * 3)
    drawFrameCode(rgb, w, h, { frame: 4242, episode: 7 })
    let seed = 1
    for (let i = 0; i < rgb.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      rgb[i] = Math.max(0, Math.min(255, (rgb[i] ?? 0) + ((seed % 61) - 30)))
    }
    expect(readFrameCode(rgb, w, h, 3)).toEqual({ frame: 4242, episode: 7 })
    expect(readFrameCode(new Uint8Array(w * h * 3).fill(128), w, h, 3)).toBeNull()
    expect(frameCodeHeight(h)).toBeLessThan(h / 3)
  })
})
