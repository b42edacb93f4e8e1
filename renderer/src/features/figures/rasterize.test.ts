import { describe, expect, it } from 'vitest'
import { svgToPng, type RasterCanvas, type RasterEnv } from './rasterize'

/** The first bytes of a PNG of this size (signature, IHDR), as a canvas would encode. */
function pngBlob(width: number, height: number): Blob {
  const b = new Uint8Array(33)
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  new DataView(b.buffer).setUint32(16, width)
  new DataView(b.buffer).setUint32(20, height)
  return new Blob([b], { type: 'image/png' })
}

/** A page whose canvas records what it was asked and encodes a PNG of `encodes` (default: the canvas size). */
function fakeEnv(o: { decodeFails?: boolean; noContext?: boolean; encodes?: { width: number; height: number } | null } = {}) {
  const log: string[] = []
  const image = { fake: 'image' } as unknown as CanvasImageSource
  const canvas: RasterCanvas = {
    width: 300,
    height: 150,
    getContext: () =>
      o.noContext
        ? null
        : {
            drawImage: ((img: unknown, ...args: number[]) => log.push(`draw ${img === image ? 'svg' : '?'} ${args.join(',')}`)) as CanvasRenderingContext2D['drawImage'],
          },
    toBlob(cb, type) {
      log.push(`encode ${type} ${canvas.width}x${canvas.height}`)
      const size = o.encodes === undefined ? { width: canvas.width, height: canvas.height } : o.encodes
      cb(size ? pngBlob(size.width, size.height) : null)
    },
  }
  const env: RasterEnv = {
    async decodeSvg(svg, width, height) {
      log.push(`decode ${svg.length} chars at ${width}x${height}`)
      if (o.decodeFails) throw new Error('bad SVG')
      return { image, release: () => log.push('release') }
    },
    createCanvas: () => canvas,
  }
  return { env, log }
}

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="420"/>'

describe('svgToPng', () => {
  it('paints the SVG on a canvas of exactly the asked size and hands over its PNG', async () => {
    const { env, log } = fakeEnv()
    const png = await svgToPng(SVG, 900, 420, env)
    expect(png.type).toBe('image/png')
    expect(log).toEqual([`decode ${SVG.length} chars at 900x420`, 'draw svg 0,0,900,420', 'encode image/png 900x420', 'release'])
  })

  it('refuses a PNG the canvas encoded at another size (a capped canvas), and frees the image', async () => {
    const { env, log } = fakeEnv({ encodes: { width: 450, height: 210 } })
    await expect(svgToPng(SVG, 900, 420, env)).rejects.toThrow('The PNG came out 450×210 instead of 900×420; try a smaller size or the SVG')
    expect(log.at(-1)).toBe('release')
  })

  it('says why when the figure cannot be decoded, drawn or encoded', async () => {
    await expect(svgToPng(SVG, 900, 420, fakeEnv({ decodeFails: true }).env)).rejects.toThrow('The figure could not be drawn as an image: bad SVG')
    await expect(svgToPng(SVG, 900, 420, fakeEnv({ noContext: true }).env)).rejects.toThrow('This window cannot draw a 900×420 PNG (no 2D canvas)')
    const failed = fakeEnv({ encodes: null })
    await expect(svgToPng(SVG, 900, 420, failed.env)).rejects.toThrow('The 900×420 PNG could not be encoded')
    expect(failed.log.at(-1)).toBe('release')
  })
})
