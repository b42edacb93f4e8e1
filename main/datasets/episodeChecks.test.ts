import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetWarning } from '../../app/dataset'
import { composeServices, type Services } from '../compose'
import { BLACK_MEAN, contentStats, FROZEN_DIFF, judgeContent, SAMPLE_HEIGHT, SAMPLE_WIDTH, sampleIndices } from '../video/cameraContent'
import type { InspectReport } from './inspect'
import { writePatternDataset } from '../synth/patternDataset'
import { generateTaskDataset } from '../synth/taskDataset'

/**
 * Cameras that recorded nothing (all black, or one frozen picture) are found by sampling frames, per episode, in
 * the checks behind the episode list's Warnings column; healthy cameras (generated and real) are not flagged.
 */

const A = 'observation.images.a'
const B = 'observation.images.b'
const cameras = [A, B].map((key) => ({ key, width: 160, height: 120 }))
const SHARED = resolve(__dirname, '../../../shared/datasets')
const run = promisify(execFile)

let tmp = ''
let services: Services
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'viva-checks-'))
  services = composeServices({ mode: 'browser', version: 'test', dataDir: join(tmp, 'data') })
})
afterAll(async () => {
  await services.dispose()
  await rm(tmp, { recursive: true, force: true })
})

const contentCodes = (warnings: readonly DatasetWarning[]): string[][] =>
  warnings.filter((w) => w.code === 'CAMERA_BLACK' || w.code === 'CAMERA_FROZEN').map((w) => [w.code, w.message.split('"')[1] ?? ''])

describe('judging sampled frames', () => {
  const frame = (fill: (i: number) => number): Uint8Array => Uint8Array.from({ length: SAMPLE_WIDTH * SAMPLE_HEIGHT }, (_, i) => fill(i))
  it('black needs every sample dark and flat; frozen needs every consecutive pair the same picture', () => {
    const black = Array.from({ length: 8 }, () => frame(() => 1))
    expect(judgeContent(contentStats(black))).toBe('black')
    // Dark but textured (a real scene at night) is not black.
    const dark = Array.from({ length: 8 }, (_, k) => frame((i) => ((i + k) % 7) * 6))
    expect(contentStats(dark).means.every((m) => m <= BLACK_MEAN)).toBe(true)
    expect(judgeContent(contentStats(dark))).toBeNull()
    const still = Array.from({ length: 8 }, () => frame((i) => (i * 37) % 251))
    expect(judgeContent(contentStats(still))).toBe('frozen')
    // One sample that moved is enough to be alive.
    const moved = still.map((f, k) => (k === 5 ? frame((i) => ((i * 37) % 251) ^ 8) : f))
    expect(contentStats(moved).diffs.some((d) => d > FROZEN_DIFF)).toBe(true)
    expect(judgeContent(contentStats(moved))).toBeNull()
    expect(judgeContent(contentStats([frame(() => 128)]))).toBeNull()
  })

  it('spreads samples over the episode, first and last frame included', () => {
    expect(sampleIndices(60)).toEqual([0, 8, 17, 25, 34, 42, 51, 59])
    expect(sampleIndices(3)).toEqual([0, 1, 2])
    expect(sampleIndices(1)).toEqual([0])
    expect(sampleIndices(0)).toEqual([])
  })
})

describe.each(['v2.1', 'v3.0'] as const)('%s: a black camera and a frozen camera', (format) => {
  it('are flagged in exactly their episodes and cameras, with the file and an action', async () => {
    const out = join(tmp, `content-${format}`)
    await writePatternDataset({
      out,
      format,
      lengths: [20, 24, 18],
      fps: 10,
      cameras,
      quirks: { blackCamera: { camera: B, episode: 1 }, frozenCamera: { camera: A, episode: 2 } },
    })
    const summary = await services.datasets.open(out)
    const checks = await services.handlers['dataset.checkEpisodes']({ datasetId: summary.id, episodes: [0, 1, 2] }, { signal: new AbortController().signal })
    expect(checks.map((c) => [c.episode, contentCodes(c.warnings)])).toEqual([
      [0, []],
      [1, [['CAMERA_BLACK', B]]],
      [2, [['CAMERA_FROZEN', A]]],
    ])
    const black = checks[1]?.warnings.find((w) => w.code === 'CAMERA_BLACK')
    expect(black).toMatchObject({ level: 'warning', episode: 1 })
    expect(black?.file).toContain(B)
    expect(black?.message).toContain('recorded nothing in episode 1')
    expect(black?.message).toContain('check the camera')
    expect(checks[2]?.warnings.find((w) => w.code === 'CAMERA_FROZEN')?.message).toContain('shows the same picture all through episode 2')

    // viva inspect says the same, per episode, with the file; --skip-content leaves it out.
    const inspect = async (...extra: string[]): Promise<InspectReport> =>
      JSON.parse((await run('node', [resolve('main/cli/viva.mjs'), 'inspect', out, '--json', ...extra], { encoding: 'utf8' })).stdout) as InspectReport
    const report = await inspect()
    expect(contentCodes(report.warnings).sort()).toEqual([
      ['CAMERA_BLACK', B],
      ['CAMERA_FROZEN', A],
    ])
    expect(report.episodeProblems.map((p) => [p.episode, p.codes])).toEqual([
      [1, ['CAMERA_BLACK']],
      [2, ['CAMERA_FROZEN']],
    ])
    expect(contentCodes((await inspect('--skip-content')).warnings)).toEqual([])
  }, 60_000)
})

describe('no false positives', () => {
  it('on the generated task (every camera, every episode)', async () => {
    const out = join(tmp, 'task')
    await generateTaskDataset({ out, episodes: 4, seed: 3, format: 'v2.1', width: 160, height: 120 })
    const summary = await services.datasets.open(out)
    const checks = await services.handlers['dataset.checkEpisodes']({ datasetId: summary.id, episodes: [0, 1, 2, 3] }, { signal: new AbortController().signal })
    expect(checks.flatMap((c) => contentCodes(c.warnings))).toEqual([])
  }, 120_000)

  it.each(['unitree-g1-bottle-pick', 'gr00t-sim-gr1-picknplace'])('on the real dataset %s', async (name) => {
    // Read-only: checking reads tables and decodes frames, it writes nothing.
    const summary = await services.datasets.open(join(SHARED, name))
    const episodes = summary.episodes.filter((e) => e.present).map((e) => e.index)
    const checks = await services.handlers['dataset.checkEpisodes']({ datasetId: summary.id, episodes }, { signal: new AbortController().signal })
    expect(checks).toHaveLength(episodes.length)
    expect(checks.flatMap((c) => contentCodes(c.warnings))).toEqual([])
  }, 120_000)
})
