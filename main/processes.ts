import type { ChildProcess } from 'node:child_process'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'

/** Whether a process with this id runs (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The child processes (ffmpeg, ffprobe) the app runs, so that quitting ends them: a child outlives its parent
 * unless killed, and a transcode left running would keep writing a proxy nobody finishes.
 */
export class ChildProcesses {
  private readonly live = new Set<ChildProcess>()

  track<T extends ChildProcess>(child: T): T {
    if (child.exitCode !== null || child.signalCode !== null) return child
    this.live.add(child)
    const forget = (): void => {
      this.live.delete(child)
    }
    child.once('exit', forget)
    child.once('error', forget)
    return child
  }

  /** Ids of the children still running. */
  get pids(): number[] {
    return [...this.live].map((c) => c.pid).filter((pid): pid is number => pid !== undefined)
  }

  /** SIGKILL every child still running (synchronous, so it also works from a process 'exit' handler). */
  killAll(): void {
    for (const child of this.live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    this.live.clear()
  }
}

/**
 * Remove what killed runs left in `dir`: entries whose name matches `pattern`, whose first capture group is the id
 * of the process that wrote them, and that process is gone (or is this very process and `ownIsStale` says the
 * entry is not one of its own: ids are reused, e.g. by a container that starts the app as the same pid each time).
 * Returns the paths removed; a folder that does not exist has nothing to remove.
 */
export async function removeStaleFiles(
  dir: string,
  pattern: RegExp,
  ownIsStale: (name: string) => boolean = () => false,
): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const removed: string[] = []
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1])
    if (!Number.isSafeInteger(pid) || pid <= 0) continue
    const stale = pid === process.pid ? ownIsStale(name) : !processAlive(pid)
    if (!stale) continue
    const file = path.join(dir, name)
    // A file that cannot be removed (permissions) stays; it is only wasted space.
    if (await rm(file, { recursive: true, force: true }).then(() => true, () => false)) removed.push(file)
  }
  return removed
}
