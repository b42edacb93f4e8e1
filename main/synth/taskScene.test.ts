import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkAgainstDataset, parseImportDocument } from '../../app/exchange'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { createSceneRenderer } from './sceneRenderer'
import type { SceneCameraName } from './sceneRenderer'
import { generateTaskDataset } from './taskDataset'
import type { TaskDatasetResult } from './taskDataset'
import { aroundObject, BOX_FLOOR, ERROR_TYPES, forwardKinematics, gripperClosed, insideFootprint, LID_CLOSED, LIFT_HEIGHT, MILESTONES, STALL_JITTER, TASK } from './sceneModel'
import type { SceneEpisode, SceneFrame } from './sceneModel'
import { simulateEpisode } from './taskScene'

const FPS = 30
const sim = (index: number, failureRate = 0.6, seed = 11): SceneEpisode => simulateEpisode({ seed, fps: FPS, failureRate }, index)
const episodes = Array.from({ length: 150 }, (_, i) => sim(i))
const frameOf = (ep: SceneEpisode, f: number): SceneFrame => {
  const frame = ep.frames[f]
  if (!frame) throw new Error(`episode ${ep.index} has no frame ${f}`)
  return frame
}

describe('taskScene simulation', () => {
  it('is deterministic: same seed, same joints, marks and first frame pixels', () => {
    const a = sim(3)
    const b = sim(3)
    expect(b.milestones).toEqual(a.milestones)
    expect(b.error).toEqual(a.error)
    expect(b.frames.map((f) => Array.from(f.joints))).toEqual(a.frames.map((f) => Array.from(f.joints)))
    for (const cam of ['cam_high', 'cam_left_wrist', 'cam_right_wrist'] as const) {
      const r = createSceneRenderer(96, 72, cam)
      const pa = new Uint8Array(r.frameBytes)
      const pb = new Uint8Array(r.frameBytes)
      r.paint(pa, a, 0)
      createSceneRenderer(96, 72, cam).paint(pb, b, 0)
      expect(Buffer.from(pb).equals(Buffer.from(pa))).toBe(true)
    }
    expect(sim(3, 0.6, 12).object).not.toEqual(a.object)
  })

  it('draws what the stored joints say: arm geometry is forward kinematics of the float32 state', () => {
    for (const ep of episodes.slice(0, 10)) {
      for (const f of ep.frames) {
        expect(forwardKinematics(0, f.joints, 0)).toEqual(f.arms[0])
        expect(forwardKinematics(1, f.joints, 7)).toEqual(f.arms[1])
      }
    }
  })

  it('varies the scene per episode and keeps it independent of the failure rate', () => {
    expect(new Set(episodes.map((e) => e.object.rgb.join())).size).toBeGreaterThan(100)
    expect(new Set(episodes.map((e) => e.distractors.length))).toEqual(new Set([0, 1, 2, 3]))
    const noFail = sim(5, 0)
    expect(noFail.object).toEqual(sim(5, 1).object)
    expect(noFail.outcome).toBe('success')
  })

  it('records each milestone at the first frame its stage condition holds', () => {
    const conditions: Record<string, (ep: SceneEpisode, f: SceneFrame) => boolean> = {
      'Grasp object': (ep, f) =>
        f.object.attached && gripperClosed(f.arms[1].gap, ep.object.size) && aroundObject(f.arms[1].tip, f.object, ep.object.size),
      'Lift object': (_, f) => f.object.attached && f.object.z >= LIFT_HEIGHT,
      'Place in box': (ep, f) =>
        !f.object.attached &&
        insideFootprint(f.object, f.box, ep.box) &&
        Math.abs(f.object.z - (BOX_FLOOR + ep.object.size / 2)) < 1e-9 &&
        f.arms[1].gap > ep.object.size,
      'Close lid': (_, f) => f.lidAngle <= LID_CLOSED,
    }
    let checked = 0
    for (const ep of episodes) {
      expect(ep.milestones.map((m) => m.label)).toEqual(MILESTONES.slice(0, ep.milestones.length))
      let after = 0
      for (const m of ep.milestones) {
        const holds = conditions[m.label]
        if (!holds) throw new Error(m.label)
        expect(holds(ep, frameOf(ep, m.frame)), `${ep.index} ${m.label} at ${m.frame}`).toBe(true)
        for (let f = after; f < m.frame; f++) expect(holds(ep, frameOf(ep, f)), `${ep.index} ${m.label} before, at ${f}`).toBe(false)
        after = m.frame
        checked++
      }
      if (ep.error) expect(ep.milestones.every((m) => m.frame < (ep.error?.frame ?? 0))).toBe(true)
      if (ep.outcome === 'success') expect(ep.milestones).toHaveLength(4)
      else expect(ep.milestones).toHaveLength(ep.failure?.stage ?? -1)
    }
    expect(checked).toBeGreaterThan(200)
  })

  it('records each error at the frame the failure starts', () => {
    const seen = new Set<string>()
    for (const ep of episodes) {
      if (!ep.error) continue
      const e = ep.error.frame
      const at = frameOf(ep, e)
      const before = frameOf(ep, e - 1)
      const size = ep.object.size
      seen.add(ep.error.label)
      expect(ep.length - e).toBeGreaterThanOrEqual(FPS)
      expect(ep.length - e).toBeLessThanOrEqual(3 * FPS + 1)
      switch (ep.error.label) {
        case 'Missed grasp':
          expect(gripperClosed(at.arms[1].gap, size) && !aroundObject(at.arms[1].tip, at.object, size)).toBe(true)
          expect(gripperClosed(before.arms[1].gap, size)).toBe(false)
          expect(ep.frames.some((f) => f.object.attached)).toBe(false)
          break
        case 'Dropped object':
          expect(before.object.attached && !at.object.attached).toBe(true)
          expect(at.object.z).toBeLessThan(before.object.z)
          expect(gripperClosed(at.arms[1].gap, size)).toBe(true)
          break
        case 'Knocked over box': {
          const first = frameOf(ep, 0).box
          expect(before.box).toEqual(first)
          expect(at.box).not.toEqual(first)
          break
        }
        case 'Stall':
          expect(Math.hypot(before.arms[0].tip.x - frameOf(ep, e - 2).arms[0].tip.x, before.arms[1].tip.x - frameOf(ep, e - 2).arms[1].tip.x, before.arms[0].tip.z - frameOf(ep, e - 2).arms[0].tip.z, before.arms[1].tip.z - frameOf(ep, e - 2).arms[1].tip.z)).toBeGreaterThan(STALL_JITTER)
          for (const f of ep.frames.slice(e)) {
            for (const arm of [0, 1] as const) {
              const d = Math.hypot(f.arms[arm].tip.x - before.arms[arm].tip.x, f.arms[arm].tip.y - before.arms[arm].tip.y, f.arms[arm].tip.z - before.arms[arm].tip.z)
              expect(d).toBeLessThanOrEqual(STALL_JITTER * Math.sqrt(3) + 1e-4)
            }
          }
          break
        case 'Regression': {
          const stage = ep.failure?.stage
          const progress = (f: SceneFrame): number =>
            stage === 1 ? -f.object.z : stage === 2 ? Math.hypot(f.object.x - f.box.x, f.object.y - f.box.y) : f.lidAngle
          expect(progress(at)).toBeGreaterThan(progress(before))
          // Before it, the stage only ever moved forwards.
          const start = ep.milestones.at(-1)?.frame ?? 0
          for (let f = start + 1; f < e; f++) expect(progress(frameOf(ep, f))).toBeLessThanOrEqual(progress(frameOf(ep, f - 1)) + 1e-4)
          break
        }
      }
    }
    expect([...seen].sort()).toEqual([...ERROR_TYPES].sort())
  })

  it('honours the failure rate', () => {
    const n = 400
    const failures = Array.from({ length: n }, (_, i) => sim(i, 0.3, 99)).filter((e) => e.outcome === 'failure').length
    expect(failures / n).toBeGreaterThan(0.24)
    expect(failures / n).toBeLessThan(0.36)
    expect(Array.from({ length: 50 }, (_, i) => sim(i, 0, 99)).every((e) => e.outcome === 'success')).toBe(true)
    expect(Array.from({ length: 50 }, (_, i) => sim(i, 1, 99)).every((e) => e.outcome === 'failure')).toBe(true)
  })
})

describe('sceneRenderer', () => {
  const W = 96
  const H = 72
  /** Fraction of luma samples that differ by more than a codec's noise. */
  function changed(cam: SceneCameraName, ep: SceneEpisode, a: number, b: number): number {
    const r = createSceneRenderer(W, H, cam)
    const pa = new Uint8Array(r.frameBytes)
    const pb = new Uint8Array(r.frameBytes)
    r.paint(pa, ep, a)
    r.paint(pb, ep, b)
    let n = 0
    for (let i = 0; i < W * H; i++) if (Math.abs((pa[i] ?? 0) - (pb[i] ?? 0)) > 8) n++
    return n / (W * H)
  }

  it('wrist views move with their arm while cam_high stays mostly still', () => {
    const ep = sim(0, 0)
    const grasp = ep.milestones[0]?.frame ?? 0
    const place = ep.milestones[2]?.frame ?? 0
    // The right arm travels from its home pose to the object; the left one, later, to the lid.
    expect(changed('cam_right_wrist', ep, 0, grasp)).toBeGreaterThan(0.3)
    expect(changed('cam_left_wrist', ep, 0, place + 20)).toBeGreaterThan(0.3)
    expect(changed('cam_high', ep, 0, grasp)).toBeLessThan(0.2)
    expect(changed('cam_high', ep, 0, 1)).toBeLessThan(0.2)
    // At full size cam_high shakes by a pixel or two from frame to frame: the table's pattern shifts, little more.
    const jitters = ep.frames.slice(0, 30).map((f) => f.camJitter.map((j) => Math.round(j * 1.5)).join())
    expect(new Set(jitters).size).toBeGreaterThan(3)
  })
})

describe('generateTaskDataset', () => {
  let tmp = ''
  let result: TaskDatasetResult
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'viva-task-'))
    result = await generateTaskDataset({ out: path.join(tmp, 'ds'), episodes: 3, seed: 4, fps: 10, width: 96, height: 72, failureRate: 0.5 })
  })
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })

  it('refuses rates too low for the script to play out, before writing anything', async () => {
    const out = path.join(tmp, 'slow')
    await expect(generateTaskDataset({ out, episodes: 1, seed: 7, fps: 6 })).rejects.toThrow(/fps must be an integer ≥ 10, got 6/)
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('writes a dataset that opens cleanly, with ground truth that imports against it', async () => {
    const ds = await openLeRobotDataset(result.root)
    expect(ds.summary.warnings.filter((w) => w.level !== 'info')).toEqual([])
    expect(ds.summary.episodes.map((e) => e.length)).toEqual(result.episodes.map((e) => e.length))
    expect(ds.summary.cameras.map((c) => c.key)).toEqual(['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => `observation.images.${c}`))
    expect(ds.summary.tasks).toEqual([TASK])
    const doc = parseImportDocument(await readFile(result.groundTruthFile, 'utf8'))
    checkAgainstDataset(doc, ds.summary)
    const events = result.episodes.flatMap((e) => [...e.milestones, ...(e.error ? [e.error] : [])].map((m) => ({ episode: e.index, ...m })))
    expect(doc.events.map((e) => ({ episode: e.episode, label: e.label, frame: e.frame })).sort((a, b) => a.episode - b.episode || a.frame - b.frame)).toEqual(
      events.sort((a, b) => a.episode - b.episode || a.frame - b.frame),
    )
    expect(doc.episodes.map((e) => [e.outcome, e.status])).toEqual(result.episodes.map((e) => [e.outcome, 'done']))
    expect(doc.taxonomies).toEqual([expect.objectContaining({ task: TASK, version: 1, milestones: [...MILESTONES], errorTypes: [...ERROR_TYPES], preset: null })])
    const loaded = await ds.loadEpisode(0)
    expect(loaded).toBeTruthy()
  })
})
