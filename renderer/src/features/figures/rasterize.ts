/**
 * The figure's SVG as a PNG of exactly the size asked, drawn by the page itself: the SVG decoded as an image and
 * painted on a canvas of width × height pixels (never scaled by the screen's pixel ratio), encoded by the canvas.
 * Nothing leaves the machine (no Plotly toImage server, no upload); Electron and the browser take the same path.
 */
import { VivaError } from '../../../../app/errors'
import { pngSize } from '../../../../app/figures/png'

export interface RasterCanvas {
  width: number
  height: number
  getContext(kind: '2d'): Pick<CanvasRenderingContext2D, 'drawImage'> | null
  toBlob(callback: (blob: Blob | null) => void, type: string): void
}

/** What rasterizing needs of the page (the DOM in the app; a fake in unit tests). */
export interface RasterEnv {
  /** The SVG decoded as an image; `release` frees what decoding held (an object URL). */
  decodeSvg(svg: string, width: number, height: number): Promise<{ image: CanvasImageSource; release: () => void }>
  createCanvas(): RasterCanvas
}

export const browserRaster: RasterEnv = {
  async decodeSvg(svg, width, height) {
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }))
    const image = new Image(width, height)
    image.src = url
    try {
      await image.decode()
    } catch (err) {
      URL.revokeObjectURL(url)
      throw err
    }
    return { image, release: () => URL.revokeObjectURL(url) }
  },
  createCanvas: () => document.createElement('canvas'),
}

export async function svgToPng(svg: string, width: number, height: number, env: RasterEnv = browserRaster): Promise<Blob> {
  let decoded: { image: CanvasImageSource; release: () => void }
  try {
    decoded = await env.decodeSvg(svg, width, height)
  } catch (err) {
    throw new VivaError('MEDIA_FAILED', `The figure could not be drawn as an image: ${err instanceof Error ? err.message : String(err)}`)
  }
  try {
    const canvas = env.createCanvas()
    canvas.width = width
    canvas.height = height
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new VivaError('MEDIA_FAILED', `This window cannot draw a ${width}×${height} PNG (no 2D canvas); export the SVG instead`)
    ctx.drawImage(decoded.image, 0, 0, width, height)
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
    if (!blob) throw new VivaError('MEDIA_FAILED', `The ${width}×${height} PNG could not be encoded (too large for this window's canvas?); try a smaller size or the SVG`)
    // A canvas silently capped below the asked size would hand over the wrong figure: check what was encoded.
    const got = pngSize(new Uint8Array(await blob.slice(0, 24).arrayBuffer()))
    if (got.width !== width || got.height !== height) {
      throw new VivaError('MEDIA_FAILED', `The PNG came out ${got.width}×${got.height} instead of ${width}×${height}; try a smaller size or the SVG`)
    }
    return blob
  } finally {
    decoded.release()
  }
}
