import { mkdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { ColumnSource } from 'hyparquet-writer'
import { VivaError } from '../../app/errors'
import type { ExportDocument } from '../../app/exchange'
import { writeFilesAtomic } from '../atomicWrite'

/** The parts of the canonical export document the sidecar writes (a whole `ExportDocument` fits). */
export type LeRobotSidecarInput = Pick<ExportDocument, 'dataset' | 'episodes' | 'events'>

export const SIDECAR_FILES = { annotations: 'annotations.parquet', episodes: 'episodes.parquet' } as const

/** Both paths as they are on disk, symlinks resolved, so a link into the dataset cannot sneak a write inside it. */
async function resolveReal(p: string): Promise<string> {
  const abs = path.resolve(p)
  const rest: string[] = []
  let dir = abs
  for (;;) {
    try {
      return path.join(await realpath(dir), ...rest.reverse())
    } catch {
      const parent = path.dirname(dir)
      if (parent === dir) return abs
      rest.push(path.basename(dir))
      dir = parent
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

function annotationColumns(doc: LeRobotSidecarInput): ColumnSource[] {
  const events = [...doc.events].sort((a, b) => a.episode - b.episode || a.frame - b.frame || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return [
    { name: 'episode_index', type: 'INT64', nullable: false, data: events.map((e) => BigInt(e.episode)) },
    { name: 'frame_index', type: 'INT64', nullable: false, data: events.map((e) => BigInt(e.frame)) },
    { name: 'kind', type: 'STRING', nullable: false, data: events.map((e) => e.kind) },
    { name: 'direction', type: 'INT32', nullable: false, data: events.map((e) => e.direction) },
    { name: 'label', type: 'STRING', nullable: false, data: events.map((e) => e.label) },
    { name: 'note', type: 'STRING', nullable: false, data: events.map((e) => e.note) },
    { name: 'annotator', type: 'STRING', nullable: false, data: events.map((e) => e.annotator) },
  ]
}

function episodeColumns(doc: LeRobotSidecarInput): ColumnSource[] {
  const episodes = [...doc.episodes].sort((a, b) => a.episode - b.episode)
  return [
    { name: 'episode_index', type: 'INT64', nullable: false, data: episodes.map((e) => BigInt(e.episode)) },
    { name: 'outcome', type: 'STRING', nullable: false, data: episodes.map((e) => e.outcome) },
    { name: 'status', type: 'STRING', nullable: false, data: episodes.map((e) => e.status) },
    { name: 'note', type: 'STRING', nullable: false, data: episodes.map((e) => e.note) },
  ]
}

/**
 * Write the annotations as parquet tables beside (never inside) a LeRobot dataset: `annotations.parquet` (one row
 * per event) and `episodes.parquet` (one row per labelled episode). Each file is written under a temporary name,
 * fsynced and renamed over the old one, so a reader sees either the previous file or the complete new one.
 * Returns the paths written.
 */
export async function writeLeRobotSidecar(outDir: string, doc: LeRobotSidecarInput): Promise<string[]> {
  const out = await resolveReal(outDir)
  const root = await resolveReal(doc.dataset.root)
  if (isInside(out, root)) {
    throw new VivaError(
      'INVALID_ARGUMENT',
      `Refusing to write into ${out}: it is inside the dataset (${root}), and annotating never modifies the dataset. Choose a folder beside it.`,
    )
  }
  await mkdir(out, { recursive: true })

  const kvMetadata = [
    { key: 'viva_studio.dataset', value: JSON.stringify({ name: doc.dataset.name, format: doc.dataset.format, fps: doc.dataset.fps }) },
  ]
  const tables = [
    { name: SIDECAR_FILES.annotations, columnData: annotationColumns(doc) },
    { name: SIDECAR_FILES.episodes, columnData: episodeColumns(doc) },
  ]
  const files = tables.map((table) => ({
    path: path.join(out, table.name),
    data: new Uint8Array(parquetWriteBuffer({ columnData: table.columnData, kvMetadata, createdBy: 'ViVa Studio' })),
  }))
  await writeFilesAtomic(files, 'export')
  return files.map((f) => f.path)
}
