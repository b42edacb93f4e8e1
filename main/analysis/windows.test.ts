import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../paths'

/**
 * ERS windows are durations: the same episodes rendered at 10 and at 30 fps are measured over the same time
 * around each event, and every report says how many frames that was.
 */
const run = promisify(execFile)
const cli = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
const root = mkdtempSync(path.join(os.tmpdir(), 'viva-windows-'))

interface Truth {
  dataset: { fps: number; episodes: { index: number; length: number }[] }
  events: { episode: number; frame: number; kind: 'milestone' | 'error' }[]
}
interface Report {
  window: number
  windowSeconds: number
  fps: number
  tasks: { rows: { series: string; row: { MDR: number | null; ErrDR: number | null; window: number } }[] }[]
}

const dirs = { 10: path.join(root, 'fps10'), 30: path.join(root, 'fps30') } as const
const truthOf = (fps: 10 | 30): string => path.join(dirs[fps], 'meta', 'viva_ground_truth.json')
const valuesOf = (fps: 10 | 30): string => path.join(root, `values-${fps}.csv`)

/**
 * A model-like curve defined in time, so both renderings show the same curve: progress with a step up at each
 * milestone and down at each error, and a 0.4 s ripple that short and long windows average differently.
 */
function writeCurve(fps: 10 | 30): void {
  const truth = JSON.parse(readFileSync(truthOf(fps), 'utf8')) as Truth
  const lines = ['episode,frame,value']
  for (const { index: episode, length } of truth.dataset.episodes) {
    const events = truth.events.filter((e) => e.episode === episode).map((e) => ({ t: e.frame / fps, d: e.kind === 'milestone' ? 0.08 : -0.12 }))
    for (let f = 0; f < length; f++) {
      const t = f / fps
      let v = 0.2 + (0.4 * f) / length + 0.05 * Math.sin((2 * Math.PI * t) / 0.4)
      for (const e of events) if (t >= e.t) v += e.d
      lines.push(`${episode},${f},${v.toFixed(6)}`)
    }
  }
  writeFileSync(valuesOf(fps), `${lines.join('\n')}\n`)
}

async function metrics(fps: 10 | 30, ...extra: string[]): Promise<Report> {
  const { stdout } = await run('node', [cli, 'metrics', dirs[fps], '--annotations', truthOf(fps), '--values', valuesOf(fps), '--json', ...extra], { cwd: PACKAGE_ROOT })
  return JSON.parse(stdout) as Report
}

const curveRow = (r: Report) => r.tasks[0]!.rows[1]!.row

beforeAll(async () => {
  for (const fps of [10, 30] as const) {
    await run('node', [cli, 'generate', '--out', dirs[fps], '--episodes', '4', '--seed', '11', '--fps', String(fps), '--width', '96', '--height', '72', '--failure-rate', '1'], { cwd: PACKAGE_ROOT })
    writeCurve(fps)
  }
}, 120_000)

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('ERS windows in seconds', () => {
  it('cover the same duration at 10 and 30 fps, and say how many frames that is', async () => {
    const [d10, d30] = [await metrics(10), await metrics(30)]
    // The default: the paper's 5 frames at 30 fps = 1/6 s; at 10 fps 1.67 frames, rounded to 2.
    expect(d30).toMatchObject({ window: 5, fps: 30 })
    expect(d30.windowSeconds).toBeCloseTo(1 / 6, 12)
    expect(d10).toMatchObject({ window: 2, fps: 10, windowSeconds: 0.2 })
    expect(Math.abs(d10.windowSeconds - d30.windowSeconds)).toBeLessThanOrEqual(0.5 / 10) // within half a frame
    expect(curveRow(d30).window).toBe(5)

    const [h10, h30] = [await metrics(10, '--window', '0.5s'), await metrics(30, '--window', '0.5s')]
    expect([h10.window, h30.window]).toEqual([5, 15])
    expect([h10.windowSeconds, h30.windowSeconds]).toEqual([0.5, 0.5])
    // The same episodes over the same time: the same detections at both frame rates.
    expect(curveRow(h10).MDR).toBe(curveRow(h30).MDR)
    expect(curveRow(h10).ErrDR).toBe(curveRow(h30).ErrDR)

    const { stdout } = await run('node', [cli, 'metrics', dirs[30], '--annotations', truthOf(30), '--values', valuesOf(30)], { cwd: PACKAGE_ROOT })
    expect(stdout).toContain('window 5 frames = 0.167 s at 30 fps')
  }, 60_000)

  it('at 30 fps the default gives exactly the metrics of its frames-equivalent window, 5 frames', async () => {
    const [byDefault, byFrames] = [await metrics(30), await metrics(30, '--window', '5f')]
    expect(curveRow(byDefault).ErrDR).not.toBeNull()
    expect(curveRow(byDefault)).toEqual(curveRow(byFrames))
    expect(byFrames.window).toBe(5)
    // A bare number was a frame count before windows had units: refused, never silently read as seconds.
    const bare = await run('node', [cli, 'metrics', dirs[30], '--annotations', truthOf(30), '--values', valuesOf(30), '--window', '5'], { cwd: PACKAGE_ROOT }).catch((e: { stderr: string }) => e)
    expect((bare as { stderr: string }).stderr).toMatch(/--window needs a unit: seconds like 0.2s .* or frames like 5f/)
  }, 60_000)
})
