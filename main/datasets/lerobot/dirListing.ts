import { readdir } from 'node:fs/promises'
import { join, posix } from 'node:path'

/**
 * Answers "does this file exist?" for many files under one root with one readdir per directory, not one stat
 * per file: checking every episode of a 1,000-episode dataset must cost a handful of syscalls.
 */
export class DirListing {
  private readonly dirs = new Map<string, Promise<Set<string>>>()

  constructor(private readonly root: string) {}

  /** Names in a directory (relative to the root, forward slashes); empty when it does not exist. */
  list(relDir: string): Promise<Set<string>> {
    let entries = this.dirs.get(relDir)
    if (!entries) {
      entries = readdir(join(this.root, relDir)).then(
        (names) => new Set(names),
        () => new Set<string>(),
      )
      this.dirs.set(relDir, entries)
    }
    return entries
  }

  async has(relPath: string): Promise<boolean> {
    const dir = posix.dirname(relPath)
    return (await this.list(dir === '.' ? '' : dir)).has(posix.basename(relPath))
  }

  /** Which of these paths exist, checking each distinct directory once. */
  async existing(relPaths: Iterable<string>): Promise<Set<string>> {
    const unique = [...new Set(relPaths)]
    const found = await Promise.all(unique.map((p) => this.has(p)))
    return new Set(unique.filter((_, i) => found[i]))
  }
}

/** Every file under `relDir` (recursively), as root-relative paths with forward slashes. */
export async function listFilesRecursive(root: string, relDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(root, relDir), { recursive: true, withFileTypes: true })
    return entries
      // Symlinks too: a Hugging Face cache snapshot is made of links to its blobs (what they lead to is checked
      // when read: safeRead takes regular files only).
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => {
        // Node 20's Dirent carries the directory as parentPath (newer) or path (older 20.x).
        const parent = (e as { parentPath?: string }).parentPath ?? (e as { path?: string }).path ?? ''
        const rel = posix.join(relDir, posix.relative(posix.join(toPosix(root), relDir), toPosix(parent)), e.name)
        return rel
      })
      .sort()
  } catch {
    return []
  }
}

function toPosix(p: string): string {
  return p.split('\\').join('/')
}
