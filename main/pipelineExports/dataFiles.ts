/**
 * What the exports read from a LeRobot dataset's data files themselves: every `data/**.parquet` (v2.x holds one per
 * episode, v3.0 several episodes per file; both keep `episode_index`, `frame_index`, `index` and `timestamp` columns),
 * so the global `index` and the timestamps are the dataset's own, never recomputed.
 */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { asNumber, withParquet } from '../formats/parquetRead'

/** Data files of a dataset, relative to its root with forward slashes, in path order. */
export function dataParquetFiles(root: string): Promise<string[]> {
  return parquetFilesUnder(root, 'data')
}

/** The parquet files under one folder of a dataset (`data`, `meta/episodes`), relative with forward slashes, in order. */
export async function parquetFilesUnder(root: string, folder: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => [])
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = `${rel}/${e.name}`
      if (e.isDirectory()) await walk(child)
      else if (e.name.endsWith('.parquet')) out.push(child)
    }
  }
  await walk(folder)
  return out
}

export interface ScannedEpisode {
  /** Global `index` of frame 0 (null when the files have no `index` column). */
  fromIndex: number | null
  /** Rows of the episode found in the data files. */
  rows: number
  /** The `timestamp` column by frame index, when asked for and present. */
  timestamps: Float64Array | null
}

function bad(rel: string, message: string): VivaError {
  return new VivaError('DATASET_INVALID', `${rel}: ${message}`, rel)
}

/**
 * Every episode's rows in the data files: where it starts in the global index (checked to run on frame by frame,
 * as LeRobot's `index` does) and, with `timestamps`, its `timestamp` column in frame order.
 */
export async function scanDataFiles(root: string, options: { timestamps: boolean; signal?: AbortSignal }): Promise<Map<number, ScannedEpisode>> {
  const files = await dataParquetFiles(root)
  if (files.length === 0) throw new VivaError('DATASET_INVALID', `${root} has no parquet files under data/`, root)
  const found = new Map<number, { fromIndex: number | null; frames: Map<number, number> }>()
  for (const rel of files) {
    options.signal?.throwIfAborted()
    await withParquet(path.join(root, rel), rel, async (table) => {
      if (!table.has('episode_index')) throw bad(rel, 'has no episode_index column')
      const wanted = ['episode_index', ...['frame_index', 'index', 'timestamp'].filter((c) => table.has(c) && (c !== 'timestamp' || options.timestamps))]
      const cols = await table.read(wanted)
      const episodes = cols.get('episode_index') as unknown[]
      const frames = cols.get('frame_index')
      const index = cols.get('index')
      const stamps = cols.get('timestamp')
      const rowOrder = new Map<number, number>()
      for (let r = 0; r < episodes.length; r++) {
        const episode = asNumber(episodes[r])
        if (episode === null) throw bad(rel, `row ${r} has no episode_index`)
        const frame = frames ? asNumber(frames[r]) : (rowOrder.get(episode) ?? 0)
        rowOrder.set(episode, (rowOrder.get(episode) ?? 0) + 1)
        if (frame === null || !Number.isInteger(frame) || frame < 0) throw bad(rel, `row ${r} (episode ${episode}) has frame_index ${String(frames?.[r])}`)
        let entry = found.get(episode)
        if (!entry) found.set(episode, (entry = { fromIndex: null, frames: new Map() }))
        if (entry.frames.has(frame)) throw bad(rel, `frame ${frame} of episode ${episode} appears twice`)
        entry.frames.set(frame, stamps ? (asNumber(stamps[r]) ?? Number.NaN) : Number.NaN)
        if (index) {
          const global = asNumber(index[r])
          if (global === null) throw bad(rel, `row ${r} (episode ${episode}, frame ${frame}) has no index`)
          const start = global - frame
          if (entry.fromIndex === null && entry.frames.size === 1) entry.fromIndex = start
          else if (entry.fromIndex !== start) {
            throw bad(rel, `episode ${episode}: frame ${frame} has index ${global}, but its frame 0 is at index ${String(entry.fromIndex)}; the global index must run on frame by frame`)
          }
        }
      }
    })
  }
  const out = new Map<number, ScannedEpisode>()
  for (const [episode, entry] of found) {
    let timestamps: Float64Array | null = null
    if (options.timestamps) {
      timestamps = new Float64Array(entry.frames.size).fill(Number.NaN)
      for (const [frame, t] of entry.frames) if (frame < timestamps.length) timestamps[frame] = t
      if (timestamps.some((t) => Number.isNaN(t))) timestamps = null
    }
    out.set(episode, { fromIndex: entry.fromIndex, rows: entry.frames.size, timestamps })
  }
  return out
}
