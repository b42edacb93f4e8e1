import { join } from 'node:path'
import type { DatasetWarning, FormatVersion } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { normalizeCodec } from '../video/codecs'
import { compactRanges, openLeRobotDataset } from './lerobot'
import type { LeRobotSource } from './lerobot'

/** What `probe` learns from a real video file. `frames` 0 means "not counted". */
export interface ProbedVideo {
  codec: string
  width: number
  height: number
  frames: number
}

export type VideoProbeFn = (file: string) => Promise<ProbedVideo | null>

export interface InspectCamera {
  key: string
  dtype: 'video' | 'image'
  /** False when info.json declares the camera but no episode has a file for it. */
  onDisk: boolean
  declared: { codec: string | null; width: number | null; height: number | null; fps: number | null }
  /** The first present episode's file, probed; null without a probe or a file. */
  probed: (ProbedVideo & { file: string }) | null
}

export interface InspectReport {
  id: string
  name: string
  root: string
  format: FormatVersion
  declaredVersion: string | null
  fps: number
  robotType: string | null
  cameras: InspectCamera[]
  state: { key: string; dim: number; names: string[] } | null
  episodes: { listed: number; present: number; missing: number[] }
  /** Over present episodes, counted from their tables (the metadata's length when a table is unreadable). */
  frames: { total: number; min: number; median: number; max: number } | null
  tasks: string[]
  warnings: DatasetWarning[]
}

export interface InspectOptions {
  /** Read at most this many episode tables (all by default): table-level quirks only show when a table is read. */
  maxEpisodeTables?: number
}

const TABLE_CONCURRENCY = 4

/** ffprobe's names and the encoder names info.json files use for the same codec. */
function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Read every (or the first `max`) present episode's table, collecting its warnings and real length. */
async function readTables(
  source: LeRobotSource,
  max: number,
): Promise<{ lengths: Map<number, number>; warnings: DatasetWarning[] }> {
  const present = source.summary.episodes.filter((e) => e.present).slice(0, max)
  const lengths = new Map<number, number>()
  const perEpisode = new Map<number, DatasetWarning[]>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < present.length) {
      const ep = present[next++]
      if (!ep) break
      try {
        const data = await source.loadEpisode(ep.index)
        lengths.set(ep.index, data.length)
        // Open-time warnings are already in the summary; keep only what reading the table added.
        perEpisode.set(ep.index, data.warnings.filter((w) => !ep.warnings.includes(w)))
      } catch (err) {
        const e = err instanceof VivaError ? err : new VivaError('INTERNAL', String(err))
        perEpisode.set(ep.index, [
          { level: 'error', code: 'EPISODE_UNREADABLE', message: e.message, episode: ep.index, ...(e.file ? { file: e.file } : {}) },
        ])
      }
    }
  }
  await Promise.all(Array.from({ length: TABLE_CONCURRENCY }, worker))
  const warnings = [...perEpisode.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, w]) => w)
  return { lengths, warnings }
}

async function probeCamera(
  source: LeRobotSource,
  camera: string,
  probe: VideoProbeFn,
  lengthOf: (episode: number) => number,
  warnings: DatasetWarning[],
): Promise<InspectCamera['probed']> {
  const present = new Set(source.summary.episodes.filter((e) => e.present).map((e) => e.index))
  const entry = source.entries.find((e) => present.has(e.index) && e.videos.some((v) => v.camera === camera))
  const video = entry?.videos.find((v) => v.camera === camera)
  if (!entry || !video) return null
  const abs = join(source.summary.root, video.relPath)
  let probed: ProbedVideo | null
  try {
    probed = await probe(abs)
  } catch (err) {
    warnings.push({
      level: 'warning',
      code: 'PROBE_FAILED',
      message: `camera "${camera}": ${video.relPath} could not be probed (${err instanceof Error ? err.message : String(err)})`,
      file: video.relPath,
      episode: entry.index,
    })
    return null
  }
  if (probed === null) {
    warnings.push({
      level: 'warning',
      code: 'PROBE_FAILED',
      message: `camera "${camera}": ${video.relPath} could not be probed`,
      file: video.relPath,
      episode: entry.index,
    })
    return null
  }

  const declared = source.declaredCameras.find((c) => c.key === camera)
  if (declared?.declaredCodec && normalizeCodec(declared.declaredCodec) !== normalizeCodec(probed.codec)) {
    warnings.push({
      level: 'warning',
      code: 'CODEC_MISMATCH',
      message: `camera "${camera}": meta/info.json declares codec ${declared.declaredCodec} but ${video.relPath} is ${probed.codec}`,
      file: video.relPath,
      episode: entry.index,
    })
  }
  if (
    declared &&
    declared.width !== null &&
    declared.height !== null &&
    (declared.width !== probed.width || declared.height !== probed.height)
  ) {
    warnings.push({
      level: 'warning',
      code: 'RESOLUTION_MISMATCH',
      message: `camera "${camera}": meta/info.json declares ${declared.width}x${declared.height} but ${video.relPath} is ${probed.width}x${probed.height}`,
      file: video.relPath,
      episode: entry.index,
    })
  }
  if (probed.frames > 0) {
    // A v3.0 file holds several episodes back to back: compare with all the rows it backs.
    const sharing = source.entries.filter((e) => e.videos.some((v) => v.camera === camera && v.relPath === video.relPath))
    const rows = sharing.reduce((sum, e) => sum + lengthOf(e.index), 0)
    if (rows !== probed.frames) {
      const whose = sharing.length === 1 ? `episode ${entry.index}'s table has` : `its ${sharing.length} episodes have`
      warnings.push({
        level: 'warning',
        code: 'VIDEO_FRAMES_MISMATCH',
        message: `camera "${camera}": ${video.relPath} has ${probed.frames} frames but ${whose} ${rows} rows`,
        file: video.relPath,
        episode: entry.index,
      })
    }
  }
  return { ...probed, file: video.relPath }
}

/**
 * Everything `viva inspect` reports about a dataset: metadata, what is on disk, and every problem found, including
 * those that only show when each episode's table is read and (with `probe`) when a camera's first video is probed.
 */
export async function inspectDataset(
  root: string,
  probe?: VideoProbeFn,
  options: InspectOptions = {},
): Promise<InspectReport> {
  const source = await openLeRobotDataset(root)
  const { summary } = source
  const warnings: DatasetWarning[] = [...summary.warnings, ...summary.episodes.flatMap((e) => e.warnings)]

  const tables = await readTables(source, options.maxEpisodeTables ?? Number.POSITIVE_INFINITY)
  warnings.push(...tables.warnings)
  const metaLength = new Map(summary.episodes.map((e) => [e.index, e.length]))
  const lengthOf = (episode: number): number => tables.lengths.get(episode) ?? metaLength.get(episode) ?? 0

  const cameras: InspectCamera[] = []
  for (const c of source.declaredCameras) {
    const onDisk = c.dtype === 'video' && !source.missingCameras.includes(c.key)
    const probed = probe && onDisk ? await probeCamera(source, c.key, probe, lengthOf, warnings) : null
    cameras.push({
      key: c.key,
      dtype: c.dtype,
      onDisk,
      declared: { codec: c.declaredCodec, width: c.width, height: c.height, fps: c.fps },
      probed,
    })
  }

  const present = summary.episodes.filter((e) => e.present)
  const lengths = present.map((e) => lengthOf(e.index)).sort((a, b) => a - b)
  return {
    id: summary.id,
    name: summary.name,
    root: summary.root,
    format: summary.format,
    declaredVersion: source.info.declaredVersion,
    fps: summary.fps,
    robotType: summary.robotType,
    cameras,
    state: summary.state ? { key: summary.state.key, dim: summary.state.dim, names: [...summary.state.names] } : null,
    episodes: {
      listed: summary.episodes.length,
      present: present.length,
      missing: summary.episodes.filter((e) => !e.present).map((e) => e.index),
    },
    frames:
      lengths.length === 0
        ? null
        : {
            total: lengths.reduce((a, b) => a + b, 0),
            min: lengths[0] ?? 0,
            median: median(lengths),
            max: lengths[lengths.length - 1] ?? 0,
          },
    tasks: [...summary.tasks],
    warnings,
  }
}

function size(w: number | null, h: number | null): string {
  return w !== null && h !== null ? `${w}x${h}` : '?x?'
}

function num(n: number): string {
  return n.toLocaleString('en-US')
}

/** Warnings of one code read as one line, with the episodes they concern, so 1,000 identical ones stay readable. */
function groupWarnings(warnings: readonly DatasetWarning[]): string[] {
  const groups = new Map<string, DatasetWarning[]>()
  for (const w of warnings) {
    const key = `${w.level}\0${w.code}`
    const list = groups.get(key)
    if (list) list.push(w)
    else groups.set(key, [w])
  }
  const rank = { error: 0, warning: 1, info: 2 } as const
  return [...groups.values()]
    .sort((a, b) => rank[a[0]?.level ?? 'info'] - rank[b[0]?.level ?? 'info'])
    .flatMap((list) => {
      const first = list[0]
      if (!first) return []
      if (list.length === 1) return [`${first.level.padEnd(7)} ${first.code}: ${first.message}`]
      const episodes = [...new Set(list.flatMap((w) => (w.episode === undefined ? [] : [w.episode])))].sort((a, b) => a - b)
      const where = episodes.length > 0 ? ` in episodes ${compactRanges(episodes, 6)}` : ''
      return [`${first.level.padEnd(7)} ${first.code} x${list.length}${where}, e.g. ${first.message}`]
    })
}

/** Human-readable listing of an InspectReport for a terminal. */
export function formatInspectReport(report: InspectReport): string {
  const lines: string[] = []
  const field = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(9)} ${value}`)
  }
  lines.push(`${report.name}  (${report.root})`)
  const declared = report.declaredVersion === null ? 'no codebase_version' : `codebase_version "${report.declaredVersion}"`
  field('format', `LeRobot ${report.format} (${declared})`)
  field('fps', String(report.fps))
  field('robot', report.robotType ?? '(not given)')
  const missing = report.episodes.missing
  field(
    'episodes',
    `${num(report.episodes.listed)} listed, ${num(report.episodes.present)} present` +
      (missing.length > 0 ? `; missing: ${compactRanges(missing)}` : ''),
  )
  if (report.frames) {
    const f = report.frames
    field('frames', `${num(f.total)} total; per episode min ${num(f.min)}, median ${num(f.median)}, max ${num(f.max)}`)
  } else {
    field('frames', 'none (no episode present)')
  }
  if (report.state) {
    const shown = report.state.names.slice(0, 8).join(', ')
    const more = report.state.names.length > 8 ? `, ... (+${report.state.names.length - 8})` : ''
    field('state', `${report.state.key}, ${report.state.dim} dims: ${shown}${more}`)
  } else {
    field('state', '(none)')
  }
  field('tasks', String(report.tasks.length))
  for (const t of report.tasks.slice(0, 10)) lines.push(`    - ${t}`)
  if (report.tasks.length > 10) lines.push(`    ... and ${report.tasks.length - 10} more`)

  field('cameras', String(report.cameras.length))
  for (const c of report.cameras) {
    const d = c.declared
    const decl = `declared ${d.codec ?? '?'} ${size(d.width, d.height)}${d.fps === null ? '' : ` @${d.fps}`}`
    let real: string
    if (c.dtype === 'image') real = 'images stored in the tables'
    else if (!c.onDisk) real = 'NO FILES ON DISK'
    else if (c.probed) {
      const p = c.probed
      real = `file ${p.codec} ${size(p.width, p.height)}${p.frames > 0 ? `, ${num(p.frames)} frames` : ''} (${p.file})`
    } else real = 'not probed'
    lines.push(`    ${c.key}  [${c.dtype}]  ${decl}  |  ${real}`)
  }

  const counts = { error: 0, warning: 0, info: 0 }
  for (const w of report.warnings) counts[w.level]++
  field('problems', `${counts.error} errors, ${counts.warning} warnings, ${counts.info} notes`)
  for (const line of groupWarnings(report.warnings)) lines.push(`    ${line}`)
  return lines.join('\n')
}
