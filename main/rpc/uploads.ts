import { randomUUID } from 'node:crypto'
import {
  MAX_UPLOAD_BYTES,
  MAX_UPLOAD_BYTES_TOTAL,
  MAX_UPLOADS_PER_CONNECTION,
  UPLOAD_CHUNK_BYTES,
  UPLOAD_IDLE_MS,
  type UploadStarted,
} from '../../app/contract'
import { VivaError } from '../../app/errors'

export interface UploadLimits {
  maxBytes: number
  maxPerSession: number
  maxTotalBytes: number
  idleMs: number
  chunkBytes: number
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: MAX_UPLOAD_BYTES,
  maxPerSession: MAX_UPLOADS_PER_CONNECTION,
  maxTotalBytes: MAX_UPLOAD_BYTES_TOTAL,
  idleMs: UPLOAD_IDLE_MS,
  chunkBytes: UPLOAD_CHUNK_BYTES,
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`

interface Upload {
  name: string
  size: number
  received: number
  chunks: Uint8Array[]
  timer: ReturnType<typeof setTimeout>
}

/**
 * Files sent by the renderer in chunks (see the contract's upload.* methods), held in memory until used. All
 * sessions share one byte budget, reserved by the declared size when an upload begins, so neither many connections
 * nor a size that is declared and never sent can make the process hold more than `maxTotalBytes`.
 */
export class UploadStore {
  private reserved = 0

  constructor(readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS) {}

  /** Bytes reserved by uploads in progress or waiting to be used. */
  get heldBytes(): number {
    return this.reserved
  }

  /** The uploads of one connection (a WebSocket, an Electron page): closed with it. */
  session(): UploadSession {
    return new UploadSession(this.limits, {
      reserve: (bytes) => {
        if (this.reserved + bytes > this.limits.maxTotalBytes) return false
        this.reserved += bytes
        return true
      },
      release: (bytes) => {
        this.reserved -= bytes
      },
    })
  }
}

interface Budget {
  reserve(bytes: number): boolean
  release(bytes: number): void
}

export class UploadSession {
  private readonly uploads = new Map<string, Upload>()
  private closed = false

  constructor(
    private readonly limits: UploadLimits,
    private readonly budget: Budget,
  ) {}

  get count(): number {
    return this.uploads.size
  }

  begin(name: string, size: number): UploadStarted {
    if (this.closed) throw new VivaError('INVALID_ARGUMENT', 'This connection is closing; uploads are no longer accepted.')
    const what = name ? `"${name.slice(0, 200)}"` : 'The file'
    if (size > this.limits.maxBytes) {
      throw new VivaError(
        'INVALID_ARGUMENT',
        `${what} is ${mb(size)}; files sent to ViVa Studio are limited to ${mb(this.limits.maxBytes)}. Split it (export fewer episodes, by task or episode range) and import the parts.`,
      )
    }
    if (this.uploads.size >= this.limits.maxPerSession) {
      throw new VivaError(
        'INVALID_ARGUMENT',
        `Too many uploads at once on this connection (at most ${this.limits.maxPerSession}); wait for the others to finish.`,
      )
    }
    if (!this.budget.reserve(size)) {
      throw new VivaError(
        'INVALID_ARGUMENT',
        `ViVa Studio is holding too many uploaded files (${mb(this.limits.maxTotalBytes)} in all); try ${what} again once other imports are done.`,
      )
    }
    const uploadId = randomUUID()
    this.uploads.set(uploadId, { name, size, received: 0, chunks: [], timer: this.idleTimer(uploadId) })
    return { uploadId, chunkBytes: this.limits.chunkBytes }
  }

  append(uploadId: string, offset: number, data: Uint8Array): { received: number; size: number } {
    const up = this.get(uploadId)
    if (offset !== up.received) {
      throw new VivaError('INVALID_ARGUMENT', `Upload of "${up.name}": expected the bytes at offset ${up.received}, got offset ${offset}.`)
    }
    if (up.received + data.byteLength > up.size) {
      throw new VivaError('INVALID_ARGUMENT', `Upload of "${up.name}": more bytes than the ${up.size} announced.`)
    }
    // A copy: the chunk may be a view on a larger decoded message that should not stay alive with it.
    up.chunks.push(Uint8Array.from(data))
    up.received += data.byteLength
    this.touch(uploadId, up)
    return { received: up.received, size: up.size }
  }

  /** The whole file, once every byte announced has arrived. */
  bytes(uploadId: string): Uint8Array {
    const up = this.get(uploadId)
    if (up.received !== up.size) {
      throw new VivaError('INVALID_ARGUMENT', `Upload of "${up.name}" is incomplete: ${up.received} of ${up.size} bytes arrived.`)
    }
    if (up.chunks.length !== 1) {
      const whole = new Uint8Array(up.size)
      let at = 0
      for (const c of up.chunks) {
        whole.set(c, at)
        at += c.byteLength
      }
      up.chunks = [whole]
    }
    this.touch(uploadId, up)
    return up.chunks[0] ?? new Uint8Array(0)
  }

  /** The file as text: UTF-8, a byte order mark dropped, as a browser's File.text() reads it. */
  text(uploadId: string): string {
    return new TextDecoder('utf-8').decode(this.bytes(uploadId))
  }

  discard(uploadId: string): boolean {
    const up = this.uploads.get(uploadId)
    if (!up) return false
    clearTimeout(up.timer)
    this.uploads.delete(uploadId)
    this.budget.release(up.size)
    return true
  }

  /** Free every upload; later calls to begin are refused. */
  close(): void {
    this.closed = true
    for (const id of [...this.uploads.keys()]) this.discard(id)
  }

  private get(uploadId: string): Upload {
    const up = this.uploads.get(uploadId)
    if (!up) {
      throw new VivaError(
        'NOT_FOUND',
        `No upload ${uploadId.slice(0, 100)} on this connection (it was used, discarded, or unused for ${Math.round(this.limits.idleMs / 60000)} minutes).`,
      )
    }
    return up
  }

  private idleTimer(uploadId: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.discard(uploadId), this.limits.idleMs)
    // Never keeps the process alive by itself.
    timer.unref?.()
    return timer
  }

  private touch(uploadId: string, up: Upload): void {
    clearTimeout(up.timer)
    up.timer = this.idleTimer(uploadId)
  }
}
