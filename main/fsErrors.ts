/**
 * File-system failures in words a user can act on. Node's messages ("ELOOP: too many symbolic links encountered,
 * stat '/very/long/…'") repeat the path, which the caller names already, and a catch-all "does not exist" hides
 * that the folder is there but unreachable (a symlink loop, a name too long, no permission).
 */
export function errnoCode(err: unknown): string | null {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : null
}

/** True for "there is nothing at this path" (as opposed to "something is there but cannot be read"). */
export function isAbsent(err: unknown): boolean {
  const code = errnoCode(err)
  return code === 'ENOENT' || code === 'ENOTDIR'
}

const REASONS: Record<string, string> = {
  ELOOP: 'a symbolic link in the path loops back on itself',
  ENAMETOOLONG: 'the path or one of its names is too long for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EMFILE: 'too many open files',
  EIO: 'an input/output error from the disk',
}

/** A short reason for an fs error, without the path. */
export function fsReason(err: unknown): string {
  const code = errnoCode(err)
  const known = code === null ? undefined : REASONS[code]
  if (known !== undefined) return `${known} (${code})`
  return err instanceof Error ? err.message : String(err)
}
