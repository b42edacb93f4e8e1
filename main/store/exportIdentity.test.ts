import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEventEdit, saveTaxonomyEdit } from '../../app/annotationEdits'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'

/**
 * Exports carry the frame's recorded timestamp (the table's `timestamp`, drifting from frame/fps as real recordings
 * do) as `timestamp`, and frame/fps as `time_from_frame_s`; and `viva import` checks that the file was made for the
 * dataset it goes into (fps and episode lengths; fingerprint and name are noted).
 */

const run = promisify(execFile)
const VIVA = path.resolve('main/cli/viva.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-identity-'))
const camera = [{ key: 'observation.images.cam_high', width: 64, height: 48 }]
const TASK = 'fold the towel'
// Recorded timestamps start 0.05 s late and drift a further 1.4 s by each episode's last frame.
const QUIRKS = { timestampOffset: 0.05, timestampDrift: 1.4 }
const source = path.join(dir, 'source')
const exported = path.join(dir, 'export.json')
let services: Services

const cli = (args: string[]) => run('node', [VIVA, ...args, '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' })
const make = (out: string, lengths: number[], codec: 'h264' | 'mpeg4' = 'h264') =>
  writePatternDataset({ out, format: 'v2.1', lengths, fps: 10, cameras: camera, tasks: [TASK], codec, quirks: QUIRKS })

beforeAll(async () => {
  await make(source, [30, 40])
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  const id = (await services.datasets.open(source)).id
  const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
  services.projects.apply(id, [saveTaxonomyEdit(services.projects.store(id).load(), TASK, ['Grasp'], ['Drop'], 'generic', at(0))].flatMap((e) => (e ? [e] : [])))
  const state = services.projects.store(id).load()
  services.projects.apply(id, [
    addEventEdit(state, { id: 'e1', episode: 0, frame: 0, kind: 'milestone', label: 'Grasp', annotator: 'ana', taxonomyVersion: 1 }, at(1)),
    addEventEdit(state, { id: 'e2', episode: 1, frame: 39, kind: 'error', label: 'Drop', annotator: 'ana', taxonomyVersion: 1 }, at(2)),
  ])
  services.projects.close()
  await services.dispose()
  await cli(['export', source, '--format', 'json', '--out', exported])
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('exports: recorded timestamp and frame/fps, by name', () => {
  // Episode 1 (40 frames): frame 39 was recorded at 39/10 + 0.05 + 1.4 = 5.35 s (float32 on disk), not 3.9 s.
  it('JSON and CSV', async () => {
    const doc = JSON.parse(readFileSync(exported, 'utf8')) as { events: { id: string; timestamp: number; time_from_frame_s: number }[] }
    expect(doc.events.map((e) => [e.id, e.timestamp, e.time_from_frame_s])).toEqual([
      ['e1', 0.05, 0],
      ['e2', 5.35, 3.9],
    ])
    const csv = path.join(dir, 'export.csv')
    await cli(['export', source, '--format', 'csv', '--out', csv])
    expect(readFileSync(csv, 'utf8').trim().split(/\r?\n/)).toEqual([
      'episode_index,frame_index,timestamp,time_from_frame_s,kind,direction,label,note,annotator',
      '0,0,0.050000,0.000000,milestone,1,Grasp,,ana',
      '1,39,5.350000,3.900000,error,-1,Drop,,ana',
    ])
  })

  it('LeRobot sidecar', async () => {
    const out = path.join(dir, 'sidecar')
    await cli(['export', source, '--format', 'lerobot', '--out', out])
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(out, 'annotations.parquet')) })
    expect(rows.map((r) => [r.episode_index, r.frame_index, r.timestamp, r.time_from_frame_s])).toEqual([
      [0n, 0n, 0.05, 0],
      [1n, 39n, 5.35, 3.9],
    ])
  })
})

describe('viva import checks the file was made for this dataset', () => {
  it('a copy of the same dataset elsewhere (same fingerprint): imported, nothing to say', async () => {
    const copy = path.join(dir, 'copy')
    cpSync(source, copy, { recursive: true })
    // The copy is offered the source's project first (same content); start it fresh to import into it.
    await cli(['reattach', copy, '--fresh'])
    const { stdout, stderr } = await cli(['import', copy, exported])
    expect(stdout).toMatch(/Imported .* 2 events added/)
    expect(stderr).toBe('')
  })

  it('other episode lengths: refused with a one-line reason naming the difference, nothing imported; --force takes it with a warning', async () => {
    const other = path.join(dir, 'longer')
    await make(other, [30, 41])
    const refused = await cli(['import', other, exported]).then(
      () => null,
      (err: { code: number; stderr: string; stdout: string }) => err,
    )
    expect(refused?.code).toBe(1)
    expect(refused?.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused?.stderr).toContain('This file was made for other data')
    expect(refused?.stderr).toContain('episode 1 has 40 frames there, 41 here')
    expect(refused?.stderr).toContain('"source"')
    const nothing = path.join(dir, 'nothing.json')
    await cli(['export', other, '--format', 'json', '--out', nothing])
    expect((JSON.parse(readFileSync(nothing, 'utf8')) as { events: unknown[] }).events).toEqual([])

    const forced = await cli(['import', other, exported, '--force'])
    expect(forced.stdout).toMatch(/Imported .* 2 events added/)
    expect(forced.stderr).toContain('warning')
    expect(forced.stderr).toContain('imported anyway')
  }, 60_000)

  it('same lengths, other content (re-encoded, so info.json differs): imported, with a note saying so', async () => {
    const reencoded = path.join(dir, 'reencoded')
    await make(reencoded, [30, 40], 'mpeg4')
    const { stdout, stderr } = await cli(['import', reencoded, exported, '--dry-run'])
    expect(stdout).toMatch(/Would import .* 2 events added/)
    expect(stderr).toContain('differs from this dataset')
    expect(stderr).toContain('frames line up')
  }, 60_000)
})
