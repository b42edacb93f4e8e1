/**
 * A copy of a LeRobot dataset with files added or rewritten: for consumers that read their input from inside a
 * dataset (RLinf's meta/ sidecars, per-frame success flags and language columns in the data files). The source is
 * never written: the copy is built in a temporary folder beside the output and renamed into place whole at the end,
 * so a crash, a full disk or a cancel leaves no half-made dataset under the output name. Videos (and images), which
 * nothing here changes, are hard-linked when the output is on the same file system (copied otherwise); every other
 * file is copied, so editing the copy in place cannot reach the source. A copy killed before its rename (SIGKILL,
 * power loss) leaves its temporary folder; the next copy into the same folder removes it (removeLeftovers).
 */
import { randomBytes } from 'node:crypto'
import { copyFile, link, mkdir, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { writeError } from '../atomicWrite'
import { errnoCode, fsReason, isAbsent } from '../fsErrors'
import { removeStaleFiles } from '../processes'
import { withParquet, type ParquetTable } from '../formats/parquetRead'
import { withAddedColumns } from '../formats/parquetRewrite'
import type { ParquetColumn } from '../formats/parquetWrite'
import type { WriteGuard } from '../writeGuard'

/** Columns added to every parquet file under a folder of the dataset (`data/`, `meta/episodes/`). */
export interface AddedColumns {
  under: string
  add: (table: ParquetTable) => Promise<ParquetColumn[]>
}

export interface DatasetCopyPlan {
  /** Columns added to the parquet files under each folder, computed from the file's table; other files are copied. */
  columns?: readonly AddedColumns[]
  /** Files of the copy made from the source's file of that path (null when it has none), e.g. a merged info.json. */
  edits?: Readonly<Record<string, (existing: string | null) => string | Uint8Array>>
}

const MEDIA = /\.(mp4|mkv|webm|avi|mov|png|jpe?g)$/i

/** A hard link, or a copy where links cannot be made (another file system, a file system without links). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to)
  } catch (err) {
    if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(errnoCode(err) ?? '')) throw err
    await copyFile(from, to)
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  await writeFile(file, data, { flag: 'wx' })
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function isEmptyFolder(dir: string): Promise<boolean | null> {
  try {
    const st = await stat(dir)
    if (!st.isDirectory()) return false
    return (await readdir(dir)).length === 0
  } catch (err) {
    if (isAbsent(err)) return null
    throw err
  }
}

/** One file of the source that goes into the copy, found before anything is written (so progress has a total). */
interface CopyItem {
  rel: string
  /** The file itself: a symbolic link's target. */
  file: string
  how: AddedColumns | 'link' | 'copy'
}

/** Every file of the copy that comes from the source, in a stable order; folders reached twice (links) once. */
async function planItems(source: string, plan: DatasetCopyPlan, signal: AbortSignal | undefined): Promise<{ folders: string[]; items: CopyItem[] }> {
  const edits = plan.edits ?? {}
  const folders: string[] = []
  const items: CopyItem[] = []
  const visited = new Set<string>()
  const walk = async (rel: string): Promise<void> => {
    const real = await realpath(path.join(source, rel))
    if (visited.has(real)) return
    visited.add(real)
    folders.push(rel)
    const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      signal?.throwIfAborted()
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
      const from = path.join(real, entry.name)
      // Symbolic links (a Hugging Face cache snapshot links every file to a blob) are followed to what they name.
      const st = entry.isSymbolicLink() ? await stat(from) : null
      if (entry.isDirectory() || st?.isDirectory()) {
        await walk(childRel)
        continue
      }
      if (!(entry.isFile() || st?.isFile()) || childRel in edits) continue
      const file = st ? await realpath(from) : from
      const added = childRel.endsWith('.parquet') ? plan.columns?.find((c) => childRel.startsWith(c.under)) : undefined
      const how = added ?? (MEDIA.test(entry.name) ? 'link' : 'copy')
      items.push({ rel: childRel, file, how })
    }
  }
  await walk('')
  return { folders, items }
}

/** Only letters, digits and '-' of the host name: it is part of a file name. */
export function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9-]/g, '').slice(0, 40) || 'host'
}

/** Names of the temporary folders of copies this process is writing now. */
const writing = new Set<string>()

/**
 * Remove what copies killed mid-way (a crash, SIGKILL, power loss) left in `dir`: their temporary folders,
 * `.<name>.<pid>-<8 hex>.<host>.partial` (older builds wrote no host), of this machine and whose process is gone.
 * One of a running copy (this process or another) is left alone, and so is one written from another machine (a
 * shared folder), whose process cannot be asked.
 */
function removeLeftovers(dir: string): Promise<string[]> {
  const host = hostTag()
  return removeStaleFiles(dir, new RegExp(`^\\..+\\.(\\d+)-[0-9a-f]{8}(?:\\.${host})?\\.partial$`), (name) => !writing.has(name))
}

export interface DatasetCopyResult {
  /** The folder written. */
  dir: string
  /** Temporary folders of earlier copies that never finished, removed before this one started. */
  removedLeftovers: string[]
}

/**
 * Copy the dataset at `root` to `out` (a new or empty folder) with `plan` applied. `onProgress` is told the files
 * done out of all the copy will have, from (0, total) before the first to (total, total) before the final rename.
 */
export async function writeDatasetCopy(
  root: string,
  out: string,
  guard: WriteGuard,
  plan: DatasetCopyPlan,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<DatasetCopyResult> {
  const target = await guard.check(out, { replacesFolder: true })
  const empty = await isEmptyFolder(target).catch((err: unknown) => {
    throw new VivaError('INVALID_ARGUMENT', `Cannot write ${target}: ${fsReason(err)}`, target)
  })
  if (empty === false) throw new VivaError('INVALID_ARGUMENT', `${target} already exists and is not an empty folder; choose a new folder for the copy of the dataset`, target)
  const source = await realpath(root)
  const removedLeftovers = await removeLeftovers(path.dirname(target))
  const temp = await guard.check(path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.${hostTag()}.partial`))
  writing.add(path.basename(temp))
  const edits = Object.entries(plan.edits ?? {})
  const signal = options.signal

  try {
    const { folders, items } = await planItems(source, plan, signal)
    const total = items.length + edits.length
    let done = 0
    const step = (): void => options.onProgress?.(++done, total)
    options.onProgress?.(0, total)
    for (const rel of folders) await mkdir(path.join(temp, rel), { recursive: true })
    for (const item of items) {
      signal?.throwIfAborted()
      const to = path.join(temp, item.rel)
      const how = item.how
      if (typeof how === 'object') {
        await writeSynced(to, await withParquet(item.file, item.rel, async (table) => withAddedColumns(table, await how.add(table))))
      } else if (how === 'link') {
        await linkOrCopy(item.file, to)
      } else {
        await copyFile(item.file, to)
      }
      step()
    }
    for (const [rel, edit] of edits) {
      signal?.throwIfAborted()
      const existing = await readFile(path.join(source, rel), 'utf8').catch((err: unknown) => {
        if (isAbsent(err)) return null
        throw err
      })
      await mkdir(path.dirname(path.join(temp, rel)), { recursive: true })
      await writeSynced(path.join(temp, rel), edit(existing))
      step()
    }
    // Renaming over an empty folder replaces it (POSIX rename); the copy appears whole or not at all.
    await rename(temp, target)
  } catch (err) {
    await rm(temp, { recursive: true, force: true })
    if (err instanceof VivaError) throw err
    if (signal?.aborted) throw new VivaError('CANCELLED', `The copy to ${target} was cancelled; nothing was left there`)
    throw writeError(err, target, 'dataset copy')
  } finally {
    writing.delete(path.basename(temp))
  }
  return { dir: target, removedLeftovers }
}
