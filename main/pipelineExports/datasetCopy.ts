/**
 * A copy of a LeRobot dataset with files added or rewritten: for consumers that read their input from inside a
 * dataset (RLinf's meta/ sidecars, per-frame success flags and language columns in the data files). The source is
 * never written: the copy is built in a temporary folder beside the output and renamed into place whole at the end,
 * so a crash, a full disk or a cancel leaves no half-made dataset under the output name. Videos (and images), which
 * nothing here changes, are hard-linked when the output is on the same file system (copied otherwise); every other
 * file is copied, so editing the copy in place cannot reach the source.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, link, mkdir, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { writeError } from '../atomicWrite'
import { errnoCode, fsReason, isAbsent } from '../fsErrors'
import { withParquet, type ParquetTable } from '../formats/parquetRead'
import { withAddedColumns } from '../formats/parquetRewrite'
import type { ParquetColumn } from '../formats/parquetWrite'
import type { WriteGuard } from '../writeGuard'

export interface DatasetCopyPlan {
  /** Columns added to each data file (`data/**.parquet`), computed from its table; absent: data files are copied. */
  dataColumns?: (table: ParquetTable) => Promise<ParquetColumn[]>
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

/**
 * Copy the dataset at `root` to `out` (a new or empty folder) with `plan` applied; returns the folder written.
 * `onFile` is told each file done (for progress).
 */
export async function writeDatasetCopy(
  root: string,
  out: string,
  guard: WriteGuard,
  plan: DatasetCopyPlan,
  options: { signal?: AbortSignal; onFile?: (done: number) => void } = {},
): Promise<string> {
  const target = await guard.check(out, { replacesFolder: true })
  const empty = await isEmptyFolder(target).catch((err: unknown) => {
    throw new VivaError('INVALID_ARGUMENT', `Cannot write ${target}: ${fsReason(err)}`, target)
  })
  if (empty === false) throw new VivaError('INVALID_ARGUMENT', `${target} already exists and is not an empty folder; choose a new folder for the copy of the dataset`, target)
  const source = await realpath(root)
  const temp = await guard.check(path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`))
  const edits = plan.edits ?? {}
  let done = 0
  const visited = new Set<string>()

  const copyTree = async (rel: string): Promise<void> => {
    const real = await realpath(path.join(source, rel))
    // A folder reached twice through symbolic links (a loop) is copied once.
    if (visited.has(real)) return
    visited.add(real)
    await mkdir(path.join(temp, rel), { recursive: true })
    const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      options.signal?.throwIfAborted()
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
      const from = path.join(real, entry.name)
      // Symbolic links (a Hugging Face cache snapshot links every file to a blob) are followed to what they name.
      const st = entry.isSymbolicLink() ? await stat(from) : null
      if (entry.isDirectory() || st?.isDirectory()) {
        await copyTree(childRel)
        continue
      }
      if (!(entry.isFile() || st?.isFile())) continue
      if (childRel in edits) continue
      const to = path.join(temp, childRel)
      const file = st ? await realpath(from) : from
      if (plan.dataColumns && childRel.startsWith('data/') && childRel.endsWith('.parquet')) {
        const add = plan.dataColumns
        const bytes = await withParquet(file, childRel, async (table) => withAddedColumns(table, await add(table)))
        await writeSynced(to, bytes)
      } else if (MEDIA.test(entry.name)) {
        await linkOrCopy(file, to)
      } else {
        await copyFile(file, to)
      }
      options.onFile?.(++done)
    }
  }

  try {
    await copyTree('')
    for (const [rel, edit] of Object.entries(edits)) {
      const existing = await readFile(path.join(source, rel), 'utf8').catch((err: unknown) => {
        if (isAbsent(err)) return null
        throw err
      })
      await mkdir(path.dirname(path.join(temp, rel)), { recursive: true })
      await writeSynced(path.join(temp, rel), edit(existing))
      options.onFile?.(++done)
    }
    // Renaming over an empty folder replaces it (POSIX rename); the copy appears whole or not at all.
    await rename(temp, target)
  } catch (err) {
    await rm(temp, { recursive: true, force: true })
    if (err instanceof VivaError) throw err
    if (options.signal?.aborted) throw new VivaError('CANCELLED', `The copy to ${target} was cancelled; nothing was left there`)
    throw writeError(err, target, 'dataset copy')
  }
  return target
}
