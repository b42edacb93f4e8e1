import { createReadStream, type ReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../../app/errors'

/**
 * The only files the renderer may read: those inside registered roots (opened datasets, the proxy cache).
 * Both transports (HTTP route, Electron protocol) resolve through here.
 */
export class MediaRoots {
  private readonly roots = new Map<string, string>()
  /** Where a root's files may really be, when not inside the root itself (see register). */
  private readonly within = new Map<string, string>()

  /**
   * `within`: a folder around `dir` that the real paths of its files may reach, for a dataset whose files are
   * symlinks to a sibling folder (a Hugging Face cache snapshot links into its repo's blobs/). Paths are still
   * named relative to `dir`, and nothing outside `within` is ever served.
   */
  register(rootId: string, dir: string, within?: string | null): void {
    this.roots.set(rootId, path.resolve(dir))
    if (within) this.within.set(rootId, path.resolve(within))
    else this.within.delete(rootId)
  }

  has(rootId: string): boolean {
    return this.roots.has(rootId)
  }

  /** Resolve a root-relative path to a real file inside that root, refusing traversal and symlinks out of it. */
  async resolve(rootId: string, relPath: string): Promise<string> {
    const root = this.roots.get(rootId)
    if (root === undefined) throw new VivaError('FORBIDDEN', `Unknown media root: ${rootId}`)
    if (relPath.includes('\0') || path.isAbsolute(relPath) || /^[a-zA-Z]:/.test(relPath)) {
      throw new VivaError('FORBIDDEN', `Refused media path: ${relPath}`)
    }
    const parts = relPath.split(/[\\/]+/).filter((p) => p.length > 0)
    if (parts.some((p) => p === '..' || p === '.')) throw new VivaError('FORBIDDEN', `Refused media path: ${relPath}`)
    const candidate = path.join(root, ...parts)
    let real: string
    let realRoot: string
    try {
      ;[real, realRoot] = await Promise.all([realpath(candidate), realpath(this.within.get(rootId) ?? root)])
    } catch {
      throw new VivaError('NOT_FOUND', `Media file not found: ${relPath}`)
    }
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      throw new VivaError('FORBIDDEN', `Refused media path outside its root: ${relPath}`)
    }
    const info = await stat(real)
    if (!info.isFile()) throw new VivaError('FORBIDDEN', `Not a file: ${relPath}`)
    return real
  }
}

export interface RangeReply {
  status: 200 | 206 | 416
  headers: Record<string, string>
  body: ReadStream | null
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
}

/** HTTP Range (single range) over a file, as video elements need for seeking. */
export async function rangeReply(file: string, rangeHeader: string | undefined | null): Promise<RangeReply> {
  const { size } = await stat(file)
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
  const base = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache' }
  if (!rangeHeader) {
    return { status: 200, headers: { ...base, 'Content-Length': String(size) }, body: createReadStream(file) }
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim())
  let start: number
  let end: number
  if (m && (m[1] !== '' || m[2] !== '')) {
    if (m[1] === '') {
      const suffix = Number(m[2])
      start = Math.max(0, size - suffix)
      end = size - 1
    } else {
      start = Number(m[1])
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
    }
  } else {
    start = NaN
    end = NaN
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || start > end || start >= size) {
    return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: null }
  }
  return {
    status: 206,
    headers: { ...base, 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${size}` },
    body: createReadStream(file, { start, end }),
  }
}
