import path from 'node:path'
import type { CurveConvention } from '../../app/curves'
import { VivaError } from '../../app/errors'
import { formatCsv } from '../formats/csv'
import { encodeParquet } from '../formats/parquetWrite'
import type { WriteGuard } from '../writeGuard'

export interface CurveRows {
  episode: number
  values: Float32Array
  /** values.length × futureNames.length, or null. */
  future: Float32Array | null
}

export interface CurveFileMeta {
  model: string
  modelId: string
  convention: CurveConvention
  steps: number
  seed: number
  futureNames: string[]
  /** Frames between a frame and the future state predicted for it. */
  futureOffset: number
}

export const CURVE_OUTPUT_EXTENSIONS = ['.parquet', '.csv', '.json'] as const

/**
 * Per-frame values of scored episodes as a file that policy-training or analysis code reads: one row per frame
 * (episode_index, frame_index, value, future.<joint>...). Frames without a value are left out. Written to a temporary
 * file and renamed, so a failed write (disk full) never leaves a truncated file under the final name.
 */
export async function writeCurvesFile(out: string, curves: CurveRows[], meta: CurveFileMeta, writeGuard: WriteGuard): Promise<{ rows: number }> {
  const ext = path.extname(out).toLowerCase()
  if (!(CURVE_OUTPUT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new VivaError('INVALID_ARGUMENT', `${out}: unknown output format "${ext || '(none)'}"; use ${CURVE_OUTPUT_EXTENSIONS.join(', ')}`)
  }
  const episode: number[] = []
  const frame: number[] = []
  const value: number[] = []
  const D = meta.futureNames.length
  const future: number[][] = meta.futureNames.map(() => [])
  for (const c of curves) {
    for (let f = 0; f < c.values.length; f++) {
      const v = c.values[f] as number
      if (Number.isNaN(v)) continue
      episode.push(c.episode)
      frame.push(f)
      value.push(v)
      for (let d = 0; d < D; d++) (future[d] as number[]).push(c.future ? (c.future[f * D + d] as number) : Number.NaN)
    }
  }
  let data: Uint8Array | string
  if (ext === '.parquet') {
    data = encodeParquet(
      [
        { name: 'episode_index', type: 'INT64', data: episode.map((e) => BigInt(e)), nullable: false },
        { name: 'frame_index', type: 'INT64', data: frame.map((f) => BigInt(f)), nullable: false },
        { name: 'value', type: 'FLOAT', data: value, nullable: false },
        ...meta.futureNames.map((n, d) => ({ name: `future.${n}`, type: 'FLOAT' as const, data: future[d] as number[], nullable: false })),
      ],
      { metadata: { 'viva-studio': JSON.stringify(meta) } },
    )
  } else if (ext === '.csv') {
    // LeRobot's column names, as in the parquet (issue 14); importCurveFile still reads the older episode,frame.
    // Joint names come from the model's manifest and may hold commas or quotes: quoted as every CSV here.
    const header = ['episode_index', 'frame_index', 'value', ...meta.futureNames.map((n) => `future.${n}`)]
    const rows = value.map((v, i) => [episode[i] as number, frame[i] as number, v, ...future.map((col) => col[i] as number)])
    data = formatCsv([header, ...rows])
  } else {
    const doc = {
      format: 'viva-studio/values',
      version: 1,
      ...meta,
      name: meta.model,
      curves: curves.map((c) => ({
        name: meta.model,
        convention: meta.convention,
        episode_index: c.episode,
        values: Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)),
        ...(c.future && D > 0 ? { future: Array.from({ length: c.values.length }, (_, f) => Array.from(c.future!.subarray(f * D, (f + 1) * D))) } : {}),
      })),
    }
    data = `${JSON.stringify(doc)}\n`
  }
  await writeGuard.writeFile(out, data, 'export')
  return { rows: value.length }
}
