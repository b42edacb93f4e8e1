import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../app/errors'
import { errnoCode, fsReason } from './fsErrors'

/** Codes that mean "the disk (or the user's quota, or the file-size limit) has no room for this write" (SQLite's too). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL'])
const NOT_ALLOWED = new Set(['EACCES', 'EPERM', 'EROFS'])

/**
 * The one translation of a failed write into what the user reads: which file, why, and that nothing under that
 * name was touched (callers only use this for writes that go through a temporary file or a transaction).
 */
export function writeError(err: unknown, file: string, what = 'file'): VivaError {
  if (err instanceof VivaError) return err
  const errno = errnoCode(err) ?? undefined
  const detail = fsReason(err)
  if (errno !== undefined && NO_SPACE.has(errno)) {
    // SQLite rolls the transaction back: earlier commits stay. A file write went to a temporary name: nothing changed.
    const kept = errno.startsWith('SQLITE') ? 'this change was not stored; what was stored before is intact' : 'nothing was written to it'
    return new VivaError('DISK_FULL', `No space left to write the ${what} ${file} (${errno}); ${kept}. Free some disk space and try again.`, file)
  }
  if (errno !== undefined && NOT_ALLOWED.has(errno)) {
    return new VivaError('FORBIDDEN', `Not allowed to write the ${what} ${file} (${errno}): ${detail}`, file)
  }
  return new VivaError('INTERNAL', `Cannot write the ${what} ${file}: ${detail}`, file)
}

async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  // 'wx': a stale temporary name is never reused (names are random), and never followed through a symlink.
  const handle = await open(file, 'wx')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Make renames durable; directories cannot be opened on Windows, where NTFS journals the rename itself. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export interface AtomicFile {
  path: string
  data: string | Uint8Array
}

/**
 * Replace files so that a reader, a crash or a full disk only ever leaves the previous version or the complete new
 * one: each is written under a temporary name beside it, fsynced, and renamed over the final name once all of them
 * are staged (so a set of files, e.g. the two tables of a sidecar, is replaced as close together as possible).
 * On failure every temporary file is removed and the error names the file that could not be written.
 */
export async function writeFilesAtomic(files: AtomicFile[], what = 'file'): Promise<void> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`
  const staged: { temp: string; final: string }[] = []
  let current = files[0]?.path ?? ''
  try {
    for (const f of files) {
      current = path.resolve(f.path)
      await mkdir(path.dirname(current), { recursive: true })
      const temp = path.join(path.dirname(current), `.${path.basename(current)}.${tag}.partial`)
      staged.push({ temp, final: current })
      await writeDurably(temp, f.data)
    }
    for (const { temp, final } of staged) {
      current = final
      await rename(temp, final)
    }
    for (const dir of new Set(staged.map((s) => path.dirname(s.final)))) await syncDir(dir)
  } catch (err) {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true }).catch(() => undefined)))
    throw writeError(err, current, what)
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, what = 'file'): Promise<void> {
  await writeFilesAtomic([{ path: file, data }], what)
}

export async function writeJsonAtomic(file: string, value: unknown, what = 'file'): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, what)
}
