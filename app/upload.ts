/**
 * Send a file to the main side in chunks (contract: upload.begin / upload.append), never as one message: the
 * renderer reads each chunk only when it sends it, and the main side refuses a file over MAX_UPLOAD_BYTES at
 * upload.begin, before any byte travels.
 */
import type { VivaClient } from './contract'

export interface UploadSource {
  name: string
  size: number
  /** `length` bytes from `offset` (a browser File: `file.slice(offset, offset + length).arrayBuffer()`). */
  read(offset: number, length: number): Promise<Uint8Array>
}

/** Upload the file; resolves with the upload's id once every byte is acknowledged. A failed upload is discarded. */
export async function uploadFile(
  client: Pick<VivaClient, 'call'>,
  source: UploadSource,
  options: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<string> {
  const { uploadId, chunkBytes } = await client.call('upload.begin', { name: source.name, size: source.size }, options.signal)
  try {
    for (let offset = 0; offset < source.size; offset += chunkBytes) {
      const data = await source.read(offset, Math.min(chunkBytes, source.size - offset))
      await client.call('upload.append', { uploadId, offset, data }, options.signal)
      options.onProgress?.(Math.min(1, (offset + data.byteLength) / source.size))
    }
  } catch (err) {
    void client.call('upload.discard', { uploadId }).catch(() => undefined)
    throw err
  }
  return uploadId
}
