import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../app/errors'
import { writeFilesAtomic, type AtomicFile } from './atomicWrite'
import { fsReason, isAbsent } from './fsErrors'

/**
 * The one check every user-chosen output path passes (exports of annotations, curves, metrics and advantages, the
 * LeRobot sidecar, backups, tensor caches, datasets the CLI generates): a write never lands inside an open dataset,
 * inside the app's data folder (projects, caches, settings) or on an annotation project file.
 *
 * Paths are compared as they are on disk: the real path of the nearest existing ancestor (symlinks followed) plus the
 * names that do not exist yet, so `LINK/meta/info.json` with LINK → the dataset is inside the dataset, and so is the
 * real path of a dataset opened through a symlink. A final name that is itself a symlink is checked at its target
 * too (the write replaces the link, by rename, and never follows it; refusing says why nothing was written there).
 */

export type ProtectedKind = 'dataset' | 'data folder' | 'projects folder' | 'project file'

export interface ProtectedPath {
  path: string
  kind: ProtectedKind
}

const SPECIFICITY: readonly ProtectedKind[] = ['project file', 'dataset', 'projects folder', 'data folder']

/** What is protected right now: read at each check, so datasets opened later are covered. */
export type ProtectedSource = () => Iterable<ProtectedPath>

export interface CheckOptions {
  /** The output replaces a whole folder (a tensor cache): it must not contain anything protected either. */
  replacesFolder?: boolean
}

/** Case-insensitive file systems (macOS, Windows by default): compare names without case. */
const FOLD_CASE = process.platform === 'win32' || process.platform === 'darwin'

function key(p: string): string {
  return FOLD_CASE ? p.toLowerCase() : p
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(key(parent), key(child))
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel))
}

/** A project file and the journal files SQLite keeps beside it (-wal, -shm, -journal). */
function isProjectFile(candidate: string, projectFile: string): boolean {
  const c = key(candidate)
  const f = key(projectFile)
  return c === f || (c.startsWith(`${f}-`) && path.dirname(c) === path.dirname(f))
}

/** The real path of `p`, or of its nearest existing ancestor joined with the names that do not exist yet. */
export async function resolveWritePath(p: string): Promise<string> {
  const abs = path.resolve(p)
  const rest: string[] = []
  let dir = abs
  for (;;) {
    try {
      return path.join(await realpath(dir), ...rest.reverse())
    } catch (err) {
      if (!isAbsent(err)) throw err
      const parent = path.dirname(dir)
      if (parent === dir) return abs
      rest.push(path.basename(dir))
      dir = parent
    }
  }
}

function describe(target: ProtectedPath): string {
  switch (target.kind) {
    case 'dataset':
      return `inside the dataset ${target.path} (datasets are never modified)`
    case 'data folder':
      return `inside the data folder ${target.path} (the app's annotation projects, caches and settings)`
    case 'projects folder':
      return `inside the annotation projects folder ${target.path}`
    case 'project file':
      return `the annotation project file ${target.path}`
  }
}

export class WriteGuard {
  constructor(private readonly sources: readonly ProtectedSource[]) {}

  /** The same guard, also protecting `extra` (e.g. the dataset an export is made from). */
  with(extra: readonly ProtectedPath[]): WriteGuard {
    return new WriteGuard([...this.sources, () => extra])
  }

  /** Real paths of what is protected, the most specific first, so a reason names the project file, not its folder. */
  private async protectedNow(): Promise<ProtectedPath[]> {
    const all = this.sources.flatMap((source) => [...source()]).sort((a, b) => SPECIFICITY.indexOf(a.kind) - SPECIFICITY.indexOf(b.kind))
    return Promise.all(all.map(async (p) => ({ kind: p.kind, path: await resolveWritePath(p.path).catch(() => path.resolve(p.path)) })))
  }

  /**
   * Where a write to `target` lands (its parent's real path + its name), or INVALID_ARGUMENT with a one-line reason
   * naming the path and what it is inside of. Write to the returned path: it is the one that was checked.
   */
  async check(target: string, options: CheckOptions = {}): Promise<string> {
    const shown = path.resolve(target)
    let lands: string
    let linkTarget: string | null = null
    try {
      const parent = await resolveWritePath(path.dirname(shown))
      lands = path.join(parent, path.basename(shown))
      const st = await lstat(lands).catch((err: unknown) => {
        if (isAbsent(err)) return null
        throw err
      })
      if (st?.isSymbolicLink()) linkTarget = await resolveWritePath(lands)
    } catch (err) {
      throw new VivaError('INVALID_ARGUMENT', `Cannot write ${shown}: ${fsReason(err)}`, shown)
    }
    const candidates = linkTarget === null ? [lands] : [lands, linkTarget]
    for (const guarded of await this.protectedNow()) {
      for (const candidate of candidates) {
        const hit = guarded.kind === 'project file' ? isProjectFile(candidate, guarded.path) : isInside(candidate, guarded.path)
        if (!hit) continue
        const via =
          candidate === linkTarget ? ` (${shown} is a symbolic link to ${linkTarget})` : candidate === shown ? '' : ` (${shown} resolves to ${candidate})`
        throw new VivaError('INVALID_ARGUMENT', `Refusing to write ${shown}: it is ${describe(guarded)}${via}. Choose a path outside it.`, shown)
      }
      // A folder that is replaced whole must not hold anything protected either.
      if (options.replacesFolder && candidates.some((c) => isInside(guarded.path, c))) {
        throw new VivaError('INVALID_ARGUMENT', `Refusing to replace ${shown}: it holds ${describe(guarded).replace(/^inside /, '')}. Choose a new or empty folder.`, shown)
      }
    }
    return lands
  }

  /** Check every file, then write them all through temporary files and renames (atomicWrite). Returns the paths written. */
  async writeFiles(files: readonly AtomicFile[], what = 'export'): Promise<string[]> {
    const checked: AtomicFile[] = []
    for (const f of files) checked.push({ path: await this.check(f.path), data: f.data })
    await writeFilesAtomic(checked, what)
    return checked.map((f) => f.path)
  }

  async writeFile(file: string, data: string | Uint8Array, what = 'export'): Promise<string> {
    const [written] = await this.writeFiles([{ path: file, data }], what)
    return written as string
  }
}
