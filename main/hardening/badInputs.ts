import { execFile } from 'node:child_process'
import { cp, mkdir, readFile, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { ByteWriter } from 'hyparquet-writer'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import { encodeParquet, type ParquetColumn } from '../formats/parquetWrite'
import { writePatternDataset } from '../synth/patternDataset'
import type { PatternQuirks } from '../synth/patternDataset'
import type { MediaTools } from '../video/tools'

/**
 * Builders of malformed inputs for the bad-input corpus (badInputCorpus.test.ts): each takes a small valid fixture,
 * copies it into a case's own folder and breaks one thing, so every case starts from data that is known to open.
 */

/** The valid fixtures every case starts from: three episodes of 10, 12 and 8 frames at 10 fps, two cameras. */
export const FIXTURE_LENGTHS = [10, 12, 8] as const
export const FIXTURE_FPS = 10
export const FIXTURE_CAMERAS = ['observation.images.cam_high', 'observation.images.cam_wrist'] as const

export interface CorpusFixtures {
  v21: string
  v30: string
}

function fixtureOptions(out: string, format: 'v2.1' | 'v3.0', quirks?: PatternQuirks, tools?: MediaTools) {
  return {
    out,
    format,
    lengths: [...FIXTURE_LENGTHS],
    fps: FIXTURE_FPS,
    // 64x48 is the smallest frame the pattern painter supports; small frames keep the corpus fast.
    cameras: FIXTURE_CAMERAS.map((key) => ({ key, width: 64, height: 48 })),
    ...(quirks ? { quirks } : {}),
    ...(tools ? { tools } : {}),
  }
}

export async function writeCorpusFixtures(dir: string, tools?: MediaTools): Promise<CorpusFixtures> {
  const v21 = path.join(dir, 'fixture-v21')
  const v30 = path.join(dir, 'fixture-v30')
  await writePatternDataset(fixtureOptions(v21, 'v2.1', undefined, tools))
  await writePatternDataset(fixtureOptions(v30, 'v3.0', undefined, tools))
  return { v21, v30 }
}

/** A fixture written with one of the writer's quirks (a camera shorter than its table, ...). */
export async function writeQuirkyDataset(out: string, quirks: PatternQuirks, tools?: MediaTools): Promise<string> {
  await writePatternDataset(fixtureOptions(out, 'v2.1', quirks, tools))
  return out
}

export async function copyDataset(src: string, dst: string): Promise<string> {
  await cp(src, dst, { recursive: true })
  return dst
}

/** Relative paths of the v2.1 fixture's files. */
export const V21 = {
  info: 'meta/info.json',
  episodes: 'meta/episodes.jsonl',
  tasks: 'meta/tasks.jsonl',
  data: (episode: number): string => `data/chunk-000/episode_${String(episode).padStart(6, '0')}.parquet`,
  videoDir: (camera: string): string => `videos/chunk-000/${camera}`,
  video: (episode: number, camera: string): string =>
    `videos/chunk-000/${camera}/episode_${String(episode).padStart(6, '0')}.mp4`,
} as const

/** Relative paths of the v3.0 fixture's files. */
export const V30 = {
  info: 'meta/info.json',
  episodes: 'meta/episodes/chunk-000/file-000.parquet',
  episodesDir: 'meta/episodes',
  tasks: 'meta/tasks.parquet',
  data: 'data/chunk-000/file-000.parquet',
  video: (camera: string): string => `videos/${camera}/chunk-000/file-000.mp4`,
} as const

// ---------------------------------------------------------------------------------------------------------------
// Damage

/** Empty the file (an interrupted copy or write). */
export async function zeroBytes(file: string): Promise<void> {
  await writeFile(file, new Uint8Array(0))
}

/** Keep only the first `fraction` of the file (a partial download). */
export async function truncateTo(file: string, fraction: number): Promise<void> {
  const { size } = await stat(file)
  await truncate(file, Math.floor(size * fraction))
}

/** Drop the last `bytes` bytes (for parquet: the footer's length and magic). */
export async function cutTail(file: string, bytes: number): Promise<void> {
  const { size } = await stat(file)
  await truncate(file, Math.max(0, size - bytes))
}

/** Replace a file or folder by a symlink that points at itself. */
export async function symlinkLoop(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true })
  await symlink(path.basename(target), target)
}

/** Replace a file by a symlink to a device that never ends (/dev/urandom) or a FIFO nobody writes to. */
export async function replaceWithEndless(target: string, kind: 'urandom' | 'fifo'): Promise<void> {
  await rm(target, { recursive: true, force: true })
  if (kind === 'urandom') await symlink('/dev/urandom', target)
  else await new Promise<void>((resolve, reject) => execFile('mkfifo', [target], (err) => (err ? reject(err) : resolve())))
}

/** Put a UTF-8 byte order mark in front of a text file (as Notepad or PowerShell save it). */
export async function prependBom(file: string): Promise<void> {
  await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await readFile(file)]))
}

/** Replace a file by a folder of the same name. */
export async function replaceWithFolder(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true })
  await mkdir(target)
}

/** Edit a JSON file in place. */
export async function editJson(file: string, edit: (doc: Record<string, unknown>) => void): Promise<void> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  edit(doc)
  await writeFile(file, JSON.stringify(doc, null, 2))
}

/** Edit the `features` object of an info.json in place. */
export async function editFeatures(infoFile: string, edit: (features: Record<string, Record<string, unknown>>) => void): Promise<void> {
  await editJson(infoFile, (doc) => edit(doc.features as Record<string, Record<string, unknown>>))
}

/** Edit a JSONL file's records (objects, one per line) in place. */
export async function editJsonl(file: string, edit: (records: Record<string, unknown>[]) => void): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '')
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  edit(records)
  await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
}

/** Text with a value nested `depth` lists deep: JSON.parse takes it, recursive code overflows the stack. */
export function deeplyNestedJson(depth: number, leaf = '"x"'): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth)
}

/** Bytes that are not UTF-8 (a lone continuation byte, an overlong form, 0xFF). */
export const INVALID_UTF8 = Buffer.from([0x80, 0xc0, 0xaf, 0xff, 0xfe])

/** A folder name (as bytes) that no JavaScript string can name: it holds invalid UTF-8. */
export function invalidUtf8Name(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), INVALID_UTF8])
}

/** Move `from` to a path given as bytes (node:fs takes Buffer paths where strings cannot say the name). */
export async function moveToBytePath(from: string, parent: string, name: Buffer): Promise<Buffer> {
  const to = Buffer.concat([Buffer.from(parent + path.sep), name])
  await rename(from, to)
  return to
}

// ---------------------------------------------------------------------------------------------------------------
// Parquet

export type CellKind = 'int64' | 'double' | 'string' | 'string-list'

export interface FlatColumn {
  name: string
  kind: CellKind
  /** One cell per row; null is a missing value. */
  data: unknown[]
}

/** Write a flat table with explicit column types (every column OPTIONAL, lists as pyarrow writes them). */
export async function writeFlatParquet(file: string, columns: readonly FlatColumn[]): Promise<void> {
  // The cells are whatever the table held (rewriteParquet): kindOf chose each column's type from them.
  const parquetColumns = columns.map((c): ParquetColumn => {
    if (c.kind === 'int64') return { name: c.name, type: 'INT64', data: c.data as bigint[] }
    if (c.kind === 'double') return { name: c.name, type: 'DOUBLE', data: c.data as (number | null)[] }
    if (c.kind === 'string') return { name: c.name, type: 'STRING', data: c.data as (string | null)[] }
    return { name: c.name, type: 'STRING_LIST', data: c.data as string[][] }
  })
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, encodeParquet(parquetColumns))
}

function kindOf(values: readonly unknown[]): CellKind | null {
  const sample = values.find((v) => v !== null && v !== undefined)
  if (typeof sample === 'bigint') return 'int64'
  if (typeof sample === 'number') return 'double'
  if (typeof sample === 'string') return 'string'
  if (Array.isArray(sample)) return 'string-list'
  return null
}

/**
 * Rewrite a flat parquet table (as the v3.0 meta/episodes files are) after editing its rows. Column types follow the
 * values: bigint → INT64, number → DOUBLE, string → STRING, list → list<string>; null-only columns are dropped.
 */
export async function rewriteParquet(file: string, edit: (rows: Record<string, unknown>[]) => void): Promise<void> {
  const bytes = await readFile(file)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  const rows = (await parquetReadObjects({ file: buffer, compressors })) as Record<string, unknown>[]
  edit(rows)
  const columns: FlatColumn[] = []
  for (const name of new Set(rows.flatMap((r) => Object.keys(r)))) {
    const data = rows.map((r) => r[name] ?? null)
    const kind = kindOf(data)
    if (kind !== null) columns.push({ name, kind, data })
  }
  await writeFlatParquet(file, columns)
}

/** A valid parquet file with other columns than the reader expects. */
export async function writeForeignParquet(file: string, rows: number): Promise<void> {
  await writeFile(file, encodeParquet([{ name: 'foo', type: 'INT64', data: Array.from({ length: rows }, (_, i) => BigInt(i)), nullable: false }]))
}

function zigzagVarint(n: bigint): number[] {
  let v = n >= 0n ? n << 1n : (-n << 1n) - 1n
  const out: number[] = []
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return out
}

/**
 * Make the footer of a parquet file claim `rows` rows in all while its row groups keep the real count: the
 * FileMetaData num_rows is the first thrift i64 field header (0x16) followed by the real count's varint.
 */
export async function claimRowCount(file: string, rows: bigint): Promise<void> {
  const bytes = await readFile(file)
  const footerLength = bytes.readUInt32LE(bytes.length - 8)
  const footerStart = bytes.length - 8 - footerLength
  const footer = bytes.subarray(footerStart, bytes.length - 8)
  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  const needle = Buffer.from([0x16, ...zigzagVarint(BigInt(metadata.num_rows))])
  const at = footer.indexOf(needle)
  if (at < 0) throw new Error(`claimRowCount: num_rows not found in the footer of ${file}`)
  const patched = Buffer.concat([
    footer.subarray(0, at),
    Buffer.from([0x16, ...zigzagVarint(rows)]),
    footer.subarray(at + needle.length),
  ])
  const length = Buffer.alloc(4)
  length.writeUInt32LE(patched.length)
  await writeFile(file, Buffer.concat([bytes.subarray(0, footerStart), patched, length, Buffer.from('PAR1')]))
}

/**
 * Make a parquet file's footer declare `rows` rows consistently (file, row groups and every column chunk agree)
 * while its pages keep the real few: a small file claiming a table of millions, which readers sizing arrays by the
 * footer would allocate for. The footer is re-serialised with the writer's own thrift encoder.
 */
export async function declareRows(file: string, rows: bigint): Promise<void> {
  const bytes = await readFile(file)
  const footerLength = bytes.readUInt32LE(bytes.length - 8)
  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  metadata.num_rows = rows
  metadata.row_groups.forEach((group, i) => {
    group.num_rows = i === 0 ? rows : 0n
    for (const column of group.columns) if (column.meta_data) column.meta_data.num_values = i === 0 ? rows : 0n
  })
  const writer = new ByteWriter()
  writeMetadata(writer, metadata)
  writer.appendUint32(0x31524150) // "PAR1"
  const body = bytes.subarray(0, bytes.length - 8 - footerLength)
  await writeFile(file, Buffer.concat([body, Buffer.from(writer.getBytes())]))
}

// ---------------------------------------------------------------------------------------------------------------
// Video

/** An mp4 with an audio stream and no video stream. */
export async function writeAudioOnlyMp4(ffmpeg: string, file: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      ffmpeg,
      ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '0.5', '-c:a', 'aac', file],
      (err) => (err ? reject(err) : resolve()),
    )
  })
}
