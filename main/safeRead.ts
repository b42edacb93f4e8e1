import { constants, type Stats } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { MAX_IMPORT_BYTES } from '../app/exchange'
import { stripBom } from '../app/text'

/**
 * The one way the app reads a file it was pointed at (dataset metadata and tables, import files, model manifests,
 * settings): regular files only, no larger than their kind allows, and never more bytes than `stat` said.
 *
 * Why each step:
 * - `stat` first, then refuse anything but a regular file: a symlink to /dev/urandom never ends, and reading a FIFO
 *   (named pipe) waits for a writer forever while holding one of libuv's four threadpool threads, so five of them
 *   stop all file I/O of the process.
 * - open with O_NONBLOCK, so that a file swapped for a FIFO after the stat still cannot block the open (POSIX open():
 *   "If O_NONBLOCK is set, an open() for reading-only shall return without delay", and likewise for character
 *   devices; https://pubs.opengroup.org/onlinepubs/9799919799/functions/open.html), then `fstat` the handle and
 *   check again: what is read is what was checked.
 * - the size limit is checked against that fstat, and reading stops at that size even if the file grows meanwhile.
 */

export interface ReadLimit {
  /** Most bytes a file of this kind may have. */
  bytes: number
  /** The kind, for the message: "an info.json". */
  what: string
}

const MiB = 1024 * 1024

/**
 * Per kind of file. Each is far above any real file of its kind and far below what would hurt the process; files
 * read by range (parquet) cost memory for what is read, not for their size, so their limit only rules out nonsense.
 */
export const READ_LIMITS = {
  /** Real info.json files are a few KB (a feature entry per column); 16 MB is not metadata. */
  info: { bytes: 16 * MiB, what: 'an info.json' },
  /** episodes.jsonl of a million episodes is ~200 MB; the text must stay under V8's ~512 MB string limit. */
  jsonl: { bytes: 256 * MiB, what: 'a metadata .jsonl file' },
  /** Read by range: LeRobot v3 writes ~100 MB data files, v2 one small file per episode. */
  parquet: { bytes: 64 * 1024 * MiB, what: 'a parquet table' },
  /** The same limit the import's validation applies to the text (app/exchange.ts). */
  annotations: { bytes: MAX_IMPORT_BYTES, what: 'an annotations file' },
  /** Parsed from one string: beyond this V8's string limit is near, and parquet is the right format. */
  curveText: { bytes: 400 * MiB, what: 'a text curve file' },
  curveParquet: { bytes: 64 * 1024 * MiB, what: 'a parquet curve file' },
  /** viva-model.json lists a handful of files and shapes: a few KB. */
  manifest: { bytes: 4 * MiB, what: 'a model manifest' },
  /** models.json, recent-datasets.json, window-state.json, a tensor cache's meta.json. */
  settings: { bytes: 16 * MiB, what: 'a settings file' },
} as const satisfies Record<string, ReadLimit>

/** Not on Windows, where a FIFO cannot appear under a dataset path anyway. */
const O_NONBLOCK = (constants as { O_NONBLOCK?: number }).O_NONBLOCK ?? 0

/**
 * A file the helper will not read. `code` follows Node's errno style so the callers' existing translation
 * (fsErrors.fsReason) applies: EISDIR for a folder, the rest carry their reason as the message.
 */
export class UnreadableFileError extends Error {
  constructor(
    readonly code: 'EISDIR' | 'ENOTREG' | 'ETOOBIG',
    message: string,
  ) {
    super(message)
    this.name = 'UnreadableFileError'
  }
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} bytes`
  if (n < MiB) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MB`
  return `${(n / 1024 / MiB).toFixed(1)} GB`
}

function irregularKind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isCharacterDevice()) return 'a character device (such as /dev/urandom)'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

function check(st: Stats, limit: ReadLimit): void {
  if (st.isDirectory()) throw new UnreadableFileError('EISDIR', 'it is a folder, not a file (EISDIR)')
  if (!st.isFile()) throw new UnreadableFileError('ENOTREG', `it is ${irregularKind(st)}, not a regular file; only regular files are read`)
  if (st.size > limit.bytes) {
    throw new UnreadableFileError('ETOOBIG', `it is ${bytesText(st.size)}, more than the ${bytesText(limit.bytes)} allowed for ${limit.what}`)
  }
}

export interface RegularFile {
  handle: FileHandle
  /** The size fstat gave when it was opened: read no further. */
  size: number
}

/**
 * Open a regular file for reading (see the module comment). Errors: the fs error for a missing or unreachable path
 * (ENOENT, ELOOP, EACCES… as Node gives them), UnreadableFileError for a folder, a FIFO, a device, a socket or a file
 * over the limit. The caller closes the handle.
 */
export async function openRegularFile(file: string, limit: ReadLimit): Promise<RegularFile> {
  check(await stat(file), limit)
  const handle = await open(file, constants.O_RDONLY | O_NONBLOCK)
  try {
    const st = await handle.stat()
    check(st, limit)
    return { handle, size: st.size }
  } catch (err) {
    await handle.close()
    throw err
  }
}

/** At most `size` bytes from the start of an open file; fewer when it shrank meanwhile. */
export async function readHandle(handle: FileHandle, size: number): Promise<Buffer<ArrayBuffer>> {
  const out = Buffer.allocUnsafe(size)
  let done = 0
  while (done < size) {
    const { bytesRead } = await handle.read(out, done, size - done, done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done === size ? out : out.subarray(0, done)
}

/** The bytes of a regular file within its kind's limit. */
export async function readRegularFile(file: string, limit: ReadLimit): Promise<Buffer<ArrayBuffer>> {
  const { handle, size } = await openRegularFile(file, limit)
  try {
    return await readHandle(handle, size)
  } finally {
    await handle.close()
  }
}

/** Bytes as UTF-8 text without a leading byte order mark: what every JSON, JSONL and CSV parser is given. */
export function decodeUtf8(bytes: Uint8Array): string {
  return stripBom(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
}

/** A regular file's text (UTF-8, a leading byte order mark dropped) within its kind's limit. */
export async function readTextFile(file: string, limit: ReadLimit): Promise<string> {
  return decodeUtf8(await readRegularFile(file, limit))
}
