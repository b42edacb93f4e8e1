import Database from 'better-sqlite3'
import { VivaError } from '../../app/errors'

function sqliteCode(err: unknown): string | null {
  return err instanceof Database.SqliteError ? err.code : null
}

/** Another connection holds the lock (SQLITE_BUSY / SQLITE_LOCKED and their extended codes). */
export function isBusyError(err: unknown): boolean {
  const code = sqliteCode(err)
  return code !== null && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** A SQLite error on the project `file` as the VivaError the UI explains (busy, damaged, read-only, disk full, ...). */
export function translate(err: unknown, file: string): Error {
  if (err instanceof VivaError) return err
  const code = sqliteCode(err)
  const message = err instanceof Error ? err.message : String(err)
  if (code === null) return err instanceof Error ? err : new Error(message)
  if (isBusyError(err)) {
    return new VivaError(
      'LOCKED',
      `${file} is busy: another ViVa Studio instance kept it locked too long. Try again.`,
      file,
    )
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new VivaError('DATASET_INVALID', `${file} is not a ViVa Studio project or is damaged (${message}).`, file)
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return new VivaError('FORBIDDEN', `${file} cannot be written (${message}).`, file)
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return new VivaError('NOT_FOUND', `${file} cannot be opened (${message}).`, file)
  if (code === 'SQLITE_FULL') {
    return new VivaError('DISK_FULL', `The disk holding the annotation project ${file} is full; this edit was not saved (earlier ones are). Free some disk space and try again.`, file)
  }
  return new VivaError('INTERNAL', `${file}: ${message} (${code})`, file)
}
