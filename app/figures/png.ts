import { VivaError } from '../errors'

/**
 * Width and height of a PNG from its header: the 8-byte signature 137 80 78 71 13 10 26 10, then the IHDR chunk, which
 * must come first (4-byte length, type "IHDR", then width and height as 4-byte big-endian integers), as the PNG
 * specification fixes them (https://libpng.org/pub/png/spec/1.2/PNG-Structure.html §3.1–3.2,
 * https://www.libpng.org/pub/png/spec/1.1/PNG-Chunks.html §4.1.1). The figure export checks what the canvas encoded
 * against the size asked before handing the file over.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const
const IHDR = [0x49, 0x48, 0x44, 0x52] as const

export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) throw new VivaError('INVALID_ARGUMENT', `Not a PNG file: ${bytes.length} bytes, too short for its header`)
  if (SIGNATURE.some((b, i) => bytes[i] !== b)) throw new VivaError('INVALID_ARGUMENT', 'Not a PNG file: it does not start with the PNG signature')
  if (IHDR.some((b, i) => bytes[12 + i] !== b)) throw new VivaError('INVALID_ARGUMENT', 'Not a PNG file: its first chunk is not IHDR')
  const view = new DataView(bytes.buffer, bytes.byteOffset, 24)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}
