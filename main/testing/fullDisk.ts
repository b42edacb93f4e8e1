import { execFileSync } from 'node:child_process'
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * A real small filesystem (tmpfs) for disk-full tests: the kernel answers ENOSPC exactly as a full disk does, for
 * plain writes and for SQLite alike. Mounting needs root with CAP_SYS_ADMIN (true on our build and CI machines);
 * where it is not allowed, `mountTinyDisk` returns null and the caller says the test was not run.
 */
export interface TinyDisk {
  dir: string
  /** Take every free block (a filler file), so the next write that needs space fails with ENOSPC. */
  fill(): void
  /** Give the filler's space back. */
  free(): void
  dispose(): void
}

export function mountTinyDisk(bytes = 8 * 1024 * 1024): TinyDisk | null {
  if (process.platform !== 'linux') return null
  const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-tinydisk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'viva-tinydisk', dir], { stdio: 'ignore' })
  } catch {
    rmSync(dir, { recursive: true, force: true })
    return null
  }
  const filler = path.join(dir, '.filler')
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a')
      try {
        // Shrinking blocks: the last few KiB of the disk are taken too.
        for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
          const block = Buffer.alloc(size, 1)
          for (;;) {
            try {
              writeSync(fd, block)
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
              throw err
            }
          }
        }
      } finally {
        closeSync(fd)
      }
    },
    free() {
      rmSync(filler, { force: true })
    },
    dispose() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/**
 * Limit the size of files this process may write (RLIMIT_FSIZE through util-linux `prlimit`); writes past it fail
 * with EFBIG, mid-file, as on a full disk. Works without root; returns the function that lifts the limit, or null
 * when prlimit is missing.
 */
export function limitFileSize(bytes: number): (() => void) | null {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:`], { stdio: 'ignore' })
  } catch {
    return null
  }
  return () => execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited:'], { stdio: 'ignore' })
}
