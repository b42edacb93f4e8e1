/**
 * The acceptance tests' dataset: `viva generate` (3 episodes of the simulated task at 10 fps: two successes and one
 * failure with its error) with its ground truth imported into a project and a ramp value curve imported per
 * episode, behind the app's own services (the handlers the UI calls).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import type { SchemaElement } from 'hyparquet'
import type { Method, Params, Result } from '../../app/contract'
import { composeServices, type Services } from '../compose'
import { PACKAGE_ROOT } from '../paths'

export const VIVA = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')

export interface GroundTruth {
  episodes: { episode: number; outcome: string; status: string }[]
  events: { episode: number; frame: number; kind: string; label: string }[]
  taxonomies: { task: string; milestones: string[] }[]
  dataset: { episodes: { index: number; length: number; tasks: string[] }[] }
}

export interface PipelineFixture {
  root: string
  dataDir: string
  services: Services
  datasetId: string
  truth: GroundTruth
  lengths: number[]
  /** The ramp curve's series key and its value at a frame. */
  series: string
  ramp: (episode: number, frame: number) => number
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>
}

export function ramp(episode: number, frame: number, lengths: readonly number[]): number {
  return Number((frame / ((lengths[episode] as number) - 1)).toFixed(4))
}

export async function pipelineFixture(dir: string, format: 'v2.1' | 'v3.0' = 'v2.1'): Promise<PipelineFixture> {
  const root = path.join(dir, `task-${format}`)
  execFileSync('node', [VIVA, 'generate', '--out', root, '--episodes', '3', '--seed', '3', '--fps', '10', '--width', '96', '--height', '72', '--failure-rate', '0.5', '--format', format])
  const dataDir = path.join(dir, `data-${format}`)
  const services = composeServices({ mode: 'browser', version: 'test', dataDir })
  const call = <M extends Method>(method: M, params: Params<M>): Promise<Result<M>> =>
    (services.handlers[method] as (p: Params<M>, ctx: { signal: AbortSignal }) => Promise<Result<M>>)(params, { signal: new AbortController().signal })
  const datasetId = (await services.datasets.open(root)).id
  const truthText = readFileSync(path.join(root, 'meta', 'viva_ground_truth.json'), 'utf8')
  await call('annotations.import', { datasetId, text: truthText, mode: 'merge' })
  const truth = JSON.parse(truthText) as GroundTruth
  const lengths = truth.dataset.episodes.map((e) => e.length)
  const rows = ['episode,frame,value']
  lengths.forEach((n, e) => {
    for (let f = 0; f < n; f++) rows.push(`${e},${f},${ramp(e, f, lengths)}`)
  })
  const csv = path.join(dir, `ramp-${format}.csv`)
  writeFileSync(csv, `${rows.join('\n')}\n`)
  await call('curves.import', { datasetId, path: csv })
  const series = (await call('pipelines.series', { datasetId }))[0]?.key as string
  return { root, dataDir, services, datasetId, truth, lengths, series, ramp: (e, f) => ramp(e, f, lengths), call }
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/** A parquet file read with hyparquet, independently of the app's reader: rows as objects and the schema. */
export async function readParquetFile(file: string): Promise<{ rows: Record<string, unknown>[]; schema: SchemaElement[] }> {
  const buffer = arrayBuffer(readFileSync(file))
  return { rows: await parquetReadObjects({ file: buffer }), schema: parquetMetadata(buffer).schema }
}

/** [name, physical type, repetition] of the top-level leaf columns, for schema checks. */
export function columnTypes(schema: readonly SchemaElement[]): [string, string | null, string | null][] {
  return schema.slice(1).map((e) => [e.name, e.type ?? null, e.repetition_type ?? null])
}
