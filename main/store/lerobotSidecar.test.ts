import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProjectState } from '../../app/annotations'
import { emptyProject } from '../../app/annotationEdits'
import { VivaError } from '../../app/errors'
import { buildExportDocument } from '../../app/exchange'
import type { ExportDocument } from '../../app/exchange'
import { composeWriteGuard } from '../compose'
import { SIDECAR_FILES, writeLeRobotSidecar } from './lerobotSidecar'
import { makeEvent, T0 } from './testing/fixtures'

let dir: string
let datasetRoot: string

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'viva-sidecar-'))
  datasetRoot = path.join(dir, 'dataset')
  mkdirSync(path.join(datasetRoot, 'meta'), { recursive: true })
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** The app's guard, as compose.ts builds it, over this test's own data folder. */
const guard = () => composeWriteGuard({ dataDir: path.join(dir, 'app-data') })

function documentOf(state: ProjectState): ExportDocument {
  const episodes = [0, 1, 2].map((index) => ({ index, length: 100, tasks: ['fold'] }))
  // Recorded timestamps drift from frame/fps; episode 2's table has none.
  const timestampOf = (episode: number, frame: number): number | null => (episode === 2 ? null : 0.1 + frame * 0.035)
  return buildExportDocument(state, { name: 'viva-test', root: datasetRoot, format: 'v3.0', fps: 30, episodes, timestampOf }, {}, T0)
}

function sampleState(): ProjectState {
  const state = emptyProject()
  const events = [
    makeEvent('z', { episode: 2, frame: 5, kind: 'error', label: 'drop', note: 'slipped — ça glisse', annotator: 'ana' }),
    makeEvent('a', { episode: 0, frame: 40, label: 'fold' }),
    makeEvent('b', { episode: 0, frame: 12, label: 'grasp', note: 'clean' }),
  ]
  for (const e of events) state.events.set(e.id, e)
  state.episodes.set(2, { episode: 2, outcome: 'failure', status: 'done', note: 'dropped at the end', updatedAt: T0 })
  state.episodes.set(0, { episode: 0, outcome: 'success', status: 'needs_review', note: '', updatedAt: T0 })
  return state
}

async function readTable(file: string): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string | undefined> }> {
  const buffer = await asyncBufferFromFile(file)
  const metadata = await parquetMetadataAsync(buffer)
  const types = Object.fromEntries(metadata.schema.slice(1).map((s) => [s.name, s.type]))
  return { rows: await parquetReadObjects({ file: buffer, metadata }), types }
}

describe('writeLeRobotSidecar', () => {
  it('writes annotations and episode labels as parquet tables, readable back', async () => {
    const out = path.join(dir, 'export', 'sidecar')
    const paths = await writeLeRobotSidecar(out, documentOf(sampleState()), guard())
    expect(paths).toEqual([path.join(out, SIDECAR_FILES.annotations), path.join(out, SIDECAR_FILES.episodes)])
    expect(readdirSync(out).sort()).toEqual([SIDECAR_FILES.annotations, SIDECAR_FILES.episodes])

    const annotations = await readTable(path.join(out, SIDECAR_FILES.annotations))
    expect(annotations.types).toEqual({
      episode_index: 'INT64',
      frame_index: 'INT64',
      timestamp: 'DOUBLE',
      time_from_frame_s: 'DOUBLE',
      kind: 'BYTE_ARRAY',
      direction: 'INT32',
      label: 'BYTE_ARRAY',
      note: 'BYTE_ARRAY',
      annotator: 'BYTE_ARRAY',
    })
    expect(annotations.rows).toEqual([
      { episode_index: 0n, frame_index: 12n, timestamp: 0.52, time_from_frame_s: 0.4, kind: 'milestone', direction: 1, label: 'grasp', note: 'clean', annotator: 'tester' },
      { episode_index: 0n, frame_index: 40n, timestamp: 1.5, time_from_frame_s: 1.333333, kind: 'milestone', direction: 1, label: 'fold', note: '', annotator: 'tester' },
      { episode_index: 2n, frame_index: 5n, timestamp: null, time_from_frame_s: 0.166667, kind: 'error', direction: -1, label: 'drop', note: 'slipped — ça glisse', annotator: 'ana' },
    ])

    const episodes = await readTable(path.join(out, SIDECAR_FILES.episodes))
    expect(episodes.types).toEqual({ episode_index: 'INT64', outcome: 'BYTE_ARRAY', status: 'BYTE_ARRAY', note: 'BYTE_ARRAY' })
    expect(episodes.rows).toEqual([
      { episode_index: 0n, outcome: 'success', status: 'needs_review', note: '' },
      { episode_index: 2n, outcome: 'failure', status: 'done', note: 'dropped at the end' },
    ])
  })

  it('writes empty tables for an empty project, and replaces earlier files whole', async () => {
    const out = path.join(dir, 'sidecar')
    await writeLeRobotSidecar(out, documentOf(sampleState()), guard())
    await writeLeRobotSidecar(out, documentOf(emptyProject()), guard())
    expect((await readTable(path.join(out, SIDECAR_FILES.annotations))).rows).toEqual([])
    expect((await readTable(path.join(out, SIDECAR_FILES.episodes))).rows).toEqual([])
    expect(readdirSync(out).sort()).toEqual([SIDECAR_FILES.annotations, SIDECAR_FILES.episodes])
  })

  it('refuses to write inside the dataset, also through a symlink', async () => {
    const doc = documentOf(sampleState())
    const link = path.join(dir, 'link-to-dataset')
    symlinkSync(datasetRoot, link)
    for (const out of [datasetRoot, path.join(datasetRoot, 'meta', 'viva'), path.join(link, 'annotations')]) {
      const err = await writeLeRobotSidecar(out, doc, guard()).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err, out).toBeInstanceOf(VivaError)
      expect((err as VivaError).code).toBe('INVALID_ARGUMENT')
      expect((err as VivaError).message).toMatch(/inside the dataset/)
    }
    expect(readdirSync(datasetRoot)).toEqual(['meta'])
    expect(readdirSync(path.join(datasetRoot, 'meta'))).toEqual([])
    // Beside the dataset (a sibling whose name starts the same) is fine.
    await writeLeRobotSidecar(`${datasetRoot}-annotations`, doc, guard())
    expect(existsSync(path.join(`${datasetRoot}-annotations`, SIDECAR_FILES.annotations))).toBe(true)
  })

  // PYTHON picks another interpreter (e.g. a venv with pyarrow); without pyarrow the check is skipped.
  const python = process.env.PYTHON ?? '/usr/bin/python3'
  const hasPyarrow = spawnSync(python, ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0
  it.skipIf(!hasPyarrow)('is read by pyarrow with the documented types', async () => {
    const out = path.join(dir, 'sidecar')
    await writeLeRobotSidecar(out, documentOf(sampleState()), guard())
    const script = [
      'import json, sys, pyarrow.parquet as pq',
      't = pq.read_table(sys.argv[1])',
      'print(json.dumps({"types": {f.name: str(f.type) for f in t.schema}, "rows": t.num_rows, "direction": t.column("direction").to_pylist()}))',
    ].join('\n')
    const result = spawnSync(python, ['-c', script, path.join(out, SIDECAR_FILES.annotations)], { encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      types: { episode_index: 'int64', frame_index: 'int64', kind: 'string', direction: 'int32', label: 'string', note: 'string', annotator: 'string' },
      rows: 3,
      direction: [1, 1, -1],
    })
  })
})
