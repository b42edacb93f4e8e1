import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { VivaError } from '../../../app/errors'
import { encodeParquet, type ParquetColumn } from '../../formats/parquetWrite'
import type { CurveImportTarget, ImportedCurve } from '../importCurves'
import { importCurveFile } from '../importCurves'
import { tempDirHooks } from '../../testing/tempDir'

// Fixtures of the curve import tests (main/curves/importCurves*.test.ts).

/** The temporary folder of the running test file (set by useTempDir). */
export let tmp = ''

/** A fresh temporary folder for the test file, removed after it. */
export function useTempDir(): void {
  tempDirHooks('viva-curves-', (dir) => {
    tmp = dir
  })
}

/** Episodes 0 (5 frames), 1 (4 frames) and 3 (6 frames): episode 2 is absent, as in a partial download. */
export const TARGET: CurveImportTarget = {
  episodes: [
    { index: 0, length: 5 },
    { index: 1, length: 4 },
    { index: 3, length: 6 },
  ],
}

type Col =
  | { name: string; int64: number[] }
  | { name: string; float: (number | null)[] }
  | { name: string; double: (number | null)[] }
  | { name: string; string: (string | null)[] }

export async function writeParquetFixture(name: string, columns: Col[]): Promise<string> {
  const parquetColumns = columns.map((c): ParquetColumn => {
    if ('int64' in c) return { name: c.name, type: 'INT64', data: c.int64.map((n) => BigInt(n)), nullable: false }
    if ('float' in c) return { name: c.name, type: 'FLOAT', data: c.float }
    if ('double' in c) return { name: c.name, type: 'DOUBLE', data: c.double }
    return { name: c.name, type: 'STRING', data: c.string }
  })
  const file = join(tmp, name)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, encodeParquet(parquetColumns))
  return file
}

export async function writeText(name: string, text: string): Promise<string> {
  const file = join(tmp, name)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, text)
  return file
}

/** The VivaError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<VivaError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError)
    return err as VivaError
  }
  throw new Error('expected the import to fail')
}

export async function expectInvalid(file: string, ...parts: (string | RegExp)[]): Promise<VivaError> {
  const err = await rejection(importCurveFile(file, TARGET))
  expect(err.code).toBe('IMPORT_INVALID')
  expect(err.file).toBe(file)
  for (const part of parts) expect(err.message).toMatch(part)
  return err
}

export const values = (c: ImportedCurve | undefined): (number | null)[] =>
  Array.from(c?.values ?? [], (v) => (Number.isNaN(v) ? null : Math.round(v * 1e6) / 1e6))

export const find = (curves: ImportedCurve[], episode: number, name: string): ImportedCurve | undefined =>
  curves.find((c) => c.episode === episode && c.name === name)

