import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { ExportDocument } from '../../app/exchange'
import { encodeParquet, type ParquetColumn } from '../formats/parquetWrite'
import type { WriteGuard } from '../writeGuard'

/** The parts of the canonical export document the sidecar writes (a whole `ExportDocument` fits). */
export type LeRobotSidecarInput = Pick<ExportDocument, 'dataset' | 'episodes' | 'events'>

export const SIDECAR_FILES = { annotations: 'annotations.parquet', episodes: 'episodes.parquet' } as const

function annotationColumns(doc: LeRobotSidecarInput): ParquetColumn[] {
  const events = [...doc.events].sort((a, b) => a.episode - b.episode || a.frame - b.frame || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return [
    { name: 'episode_index', type: 'INT64', nullable: false, data: events.map((e) => BigInt(e.episode)) },
    { name: 'frame_index', type: 'INT64', nullable: false, data: events.map((e) => BigInt(e.frame)) },
    // The recorded time of the frame, as LeRobot's tables name it (null where the table has none), and frame / fps.
    { name: 'timestamp', type: 'DOUBLE', nullable: true, data: events.map((e) => e.timestamp ?? null) },
    { name: 'time_from_frame_s', type: 'DOUBLE', nullable: false, data: events.map((e) => e.time_from_frame_s ?? e.frame / doc.dataset.fps) },
    { name: 'kind', type: 'STRING', nullable: false, data: events.map((e) => e.kind) },
    { name: 'direction', type: 'INT32', nullable: false, data: events.map((e) => e.direction) },
    { name: 'label', type: 'STRING', nullable: false, data: events.map((e) => e.label) },
    { name: 'note', type: 'STRING', nullable: false, data: events.map((e) => e.note) },
    { name: 'annotator', type: 'STRING', nullable: false, data: events.map((e) => e.annotator) },
  ]
}

function episodeColumns(doc: LeRobotSidecarInput): ParquetColumn[] {
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
export async function writeLeRobotSidecar(outDir: string, doc: LeRobotSidecarInput, writeGuard: WriteGuard): Promise<string[]> {
  // The dataset the document describes is protected even when it is not open (a sidecar written from a file).
  const guard = writeGuard.with([{ path: doc.dataset.root, kind: 'dataset' }])
  const out = await guard.check(outDir)
  await mkdir(out, { recursive: true })

  const metadata = { 'viva_studio.dataset': JSON.stringify({ name: doc.dataset.name, format: doc.dataset.format, fps: doc.dataset.fps }) }
  const tables = [
    { name: SIDECAR_FILES.annotations, columns: annotationColumns(doc) },
    { name: SIDECAR_FILES.episodes, columns: episodeColumns(doc) },
  ]
  const files = tables.map((table) => ({
    path: path.join(out, table.name),
    data: encodeParquet(table.columns, { metadata, createdBy: 'ViVa Studio' }),
  }))
  return guard.writeFiles(files, 'export')
}
