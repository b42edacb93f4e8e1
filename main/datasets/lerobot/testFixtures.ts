import { cp, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import type { DatasetWarning } from '../../../app/dataset'
import { VivaError } from '../../../app/errors'
import { encodeParquet, type ParquetColumn } from '../../formats/parquetWrite'
import { tempDirHooks } from '../../testing/tempDir'

// Fixtures of the LeRobot reader tests: the shared real datasets, writable copies, hand-made parquet tables.

const SHARED = resolve(__dirname, '../../../../shared/datasets')
export const GR00T = join(SHARED, 'gr00t-sim-gr1-picknplace')
export const UNITREE = join(SHARED, 'unitree-g1-bottle-pick')

/** The temporary folder of the running test file (set by useTempDir). */
export let tmp = ''

/** A fresh temporary folder for the test file, removed after it. */
export function useTempDir(): void {
  tempDirHooks('viva-lerobot-', (dir) => {
    tmp = dir
  })
}

let counter = 0
/** A writable copy of a shared dataset (only the listed subfolders, to keep copies small). */
export async function copyDataset(src: string, parts: string[] = ['meta', 'data', 'videos']): Promise<string> {
  const dst = join(tmp, `copy-${counter++}`)
  for (const part of parts) await cp(join(src, part), join(dst, part), { recursive: true })
  return dst
}

export async function rejection(p: Promise<unknown>): Promise<VivaError> {
  try {
    await p
  } catch (err) {
    if (err instanceof VivaError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

export const codes = (warnings: readonly DatasetWarning[]): string[] => warnings.map((w) => w.code)

export async function readRow(file: string, row: number): Promise<Record<string, unknown>> {
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors, rowStart: row, rowEnd: row + 1 })
  const first = rows[0]
  if (!first) throw new Error(`no row ${row} in ${file}`)
  return first
}

export function stateRow(values: Float32Array, dim: number, row: number): number[] {
  return Array.from(values.subarray(row * dim, (row + 1) * dim))
}

// ------------------------------------------------------------------------------------------------------------
// Small hand-written parquet fixtures.

export type Col =
  | { name: string; kind: 'int64'; data: number[] }
  | { name: string; kind: 'double'; data: number[] }
  | { name: string; kind: 'string'; data: string[] }
  | { name: string; kind: 'double-list'; data: number[][] }
  | { name: string; kind: 'string-list'; data: string[][] }

export function parquetColumn(c: Col): ParquetColumn {
  if (c.kind === 'int64') return { name: c.name, type: 'INT64', data: c.data.map(BigInt) }
  if (c.kind === 'double') return { name: c.name, type: 'DOUBLE', data: c.data }
  if (c.kind === 'string') return { name: c.name, type: 'STRING', data: c.data }
  if (c.kind === 'double-list') return { name: c.name, type: 'DOUBLE_LIST', data: c.data }
  return { name: c.name, type: 'STRING_LIST', data: c.data }
}

export async function writeTable(file: string, cols: Col[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, encodeParquet(cols.map(parquetColumn)))
}

// ------------------------------------------------------------------------------------------------------------
