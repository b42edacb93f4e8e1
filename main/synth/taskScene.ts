import { ALOHA_STATE_NAMES } from './lerobotWriter'
import { hslToRgb } from './patternFrames'
import { mulberry32 } from '../../app/random'
import { type ArmKinematics, type ErrorType, MILESTONES, type ArmPose, BOX_FLOOR, BOX_HEIGHT, type Box, type BoxSize, GRAVITY, GRIP_SLACK, LID_CLOSED, LID_GRIP_GAP, LID_OPEN, LIFTED_Z, LIFT_HEIGHT, STALL_JITTER, type SceneEpisode, type SceneFrame, type SceneOptions, type Vec3, aroundObject, boxLocal, clamp, distance, forwardKinematics, gripperClosed, insideFootprint, inverseKinematics, lidEdge, wrap } from './sceneModel'

/**
 * A deterministic bimanual "object into box, close the lid" episode: a task-space script per arm (seeded
 * variation, optional injected failure), turned into ALOHA joint angles by inverse kinematics. Everything that
 * is drawn or annotated comes from those joints (float32, as the dataset stores them) through forward kinematics
 * and a small per-frame physics pass (grasp, carry, release, fall, lid, box push), so milestone and error frames
 * are exactly the frames where the simulated state meets each stage's condition.
 */

export const STATE_NAMES = ALOHA_STATE_NAMES

type Ease = (t: number) => number
const inOut: Ease = (t) => t * t * (3 - 2 * t)
const linear: Ease = (t) => t
/** Starts at full speed: a reversal shows from its first frame. */
const out: Ease = (t) => 1 - (1 - t) * (1 - t)

interface Segment {
  t0: number
  t1: number
  /** Frames from `stop` on hold the pose reached at `stop` (t1 unless the segment was cut short). */
  stop: number
  from: ArmPose
  to: ArmPose
  ease: Ease
}

const lerpPose = (a: ArmPose, b: ArmPose, t: number): ArmPose => ({
  x: a.x + (b.x - a.x) * t,
  y: a.y + (b.y - a.y) * t,
  z: a.z + (b.z - a.z) * t,
  yaw: a.yaw + wrap(b.yaw - a.yaw) * t,
  gap: a.gap + (b.gap - a.gap) * t,
})

const poseIn = (s: Segment, f: number): ArmPose => {
  const g = Math.min(f, s.stop)
  return g >= s.t1 ? s.to : lerpPose(s.from, s.to, s.ease((g - s.t0) / (s.t1 - s.t0)))
}

/** One arm's task-space motion: segments back to back, holding the last pose after them. */
class Track {
  private segments: Segment[] = []
  private frozen: { from: number; pose: ArmPose; jitter: (f: number) => Vec3 } | null = null
  /** Frame at which the last segment (or hold) ends. */
  end = 0

  constructor(private readonly start: ArmPose) {}

  private last(): ArmPose {
    const s = this.segments.at(-1)
    return s ? poseIn(s, s.stop) : this.start
  }

  to(pose: Partial<ArmPose>, frames: number, ease: Ease = inOut): { t0: number; t1: number } {
    const from = this.last()
    const t0 = this.end
    this.end += Math.max(1, Math.round(frames))
    this.segments.push({ t0, t1: this.end, stop: this.end, from, to: { ...from, ...pose }, ease })
    return { t0, t1: this.end }
  }

  hold(frames: number): void {
    this.end += Math.max(0, Math.round(frames))
  }

  holdUntil(frame: number): void {
    this.end = Math.max(this.end, frame)
  }

  at(f: number): ArmPose {
    if (this.frozen && f >= this.frozen.from) {
      const j = this.frozen.jitter(f)
      const p = this.frozen.pose
      return { ...p, x: p.x + j.x, y: p.y + j.y, z: p.z + j.z }
    }
    let pose = this.start
    for (const s of this.segments) {
      if (f < s.t0) break
      pose = poseIn(s, f)
    }
    return pose
  }

  /** Drops everything from frame `f` on: the arm holds its pose at `f`, and new segments start there. */
  cut(f: number): void {
    this.segments = this.segments.filter((s) => s.t0 < f).map((s) => ({ ...s, stop: Math.min(s.stop, f) }))
    this.end = f
  }

  /** From frame `f` on, the arm stays where it was at f − 1, plus a small tremor. */
  freeze(f: number, jitter: (f: number) => Vec3): void {
    this.frozen = { from: f, pose: this.at(f - 1), jitter }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------------------
// Episodes

const STAGE_ERRORS: readonly (readonly ErrorType[])[] = [
  ['Missed grasp', 'Stall'],
  ['Dropped object', 'Stall', 'Regression'],
  ['Dropped object', 'Knocked over box', 'Stall', 'Regression'],
  ['Stall', 'Regression'],
]

function mix(...values: number[]): number {
  let h = 0x811c9dc5
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193)
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)
  }
  return h >>> 0
}

const pick = <T>(items: readonly T[], roll: number): T => {
  const item = items[Math.min(items.length - 1, Math.floor(roll * items.length))]
  if (item === undefined) throw new Error('taskScene: nothing to pick from')
  return item
}

/**
 * Simulate episode `index`: same options and index, same episode, bit for bit. The random draws are the same
 * whatever `failureRate` is, so an episode's scene does not change when only the failure rate does.
 */
export function simulateEpisode(options: SceneOptions, index: number): SceneEpisode {
  const { fps, seed } = options
  const rand = mulberry32(mix(seed, index, 0x5ce4e))
  const range = (a: number, b: number): number => a + (b - a) * rand()
  const speed = range(0.75, 1.3)
  const dur = (seconds: number): number => Math.max(2, Math.round((seconds * fps * range(0.8, 1.25)) / speed))

  const size = range(0.035, 0.05)
  const object0 = { x: range(0.13, 0.27), y: range(-0.15, 0.15), yaw: range(-Math.PI / 4, Math.PI / 4) }
  const objectHue = range(0, 360)
  const boxSize: BoxSize = {
    width: range(0.12, 0.15),
    depth: range(0.12, 0.16),
    height: BOX_HEIGHT,
    x: range(-0.1, -0.02),
    y: range(-0.1, 0.1),
    yaw: range(-0.2, 0.2),
  }
  const light = { brightness: range(0.8, 1.15), tint: [range(0.92, 1.08), range(0.92, 1.08), range(0.92, 1.08)] as [number, number, number] }
  const distractors = Array.from({ length: Math.floor(rand() * 4) }, () => ({
    x: range(-0.45, 0.45),
    y: (rand() < 0.5 ? -1 : 1) * range(0.27, 0.4),
    size: range(0.025, 0.05),
    round: rand() < 0.5,
    hue: range(0, 360),
  }))
  const [failRoll, stageRoll, typeRoll, whenRoll, missRoll, tailRoll] = [rand(), rand(), rand(), rand(), rand(), rand()]
  const failStage = Math.floor(stageRoll * 4)
  const failure = failRoll < options.failureRate ? { stage: failStage, type: pick(STAGE_ERRORS[failStage] ?? [], typeRoll) } : null

  // ---- nominal script, with the missed grasp's offset built in
  const box0: Box = { x: boxSize.x, y: boxSize.y, yaw: boxSize.yaw, tilt: 0 }
  const edge = (angle: number): Vec3 => lidEdge(box0, boxSize, angle)
  const gripYaw = object0.yaw + Math.PI / 2
  const missed = failure?.type === 'Missed grasp'
  const missAngle = (missRoll - 0.5) * Math.PI // away from the box, which is at smaller x
  const missBy = size / 2 + 0.03
  const graspAt = missed ? { x: object0.x + missBy * Math.cos(missAngle), y: object0.y + missBy * Math.sin(missAngle) } : object0
  const homeR: ArmPose = { x: 0.3, y: -0.05, z: 0.22, yaw: Math.PI / 2, gap: 0.06 }
  const homeL: ArmPose = { x: -0.3, y: 0.05, z: 0.22, yaw: Math.PI / 2, gap: 0.06 }
  const r = new Track(homeR)
  const l = new Track(homeL)
  r.hold(dur(0.3))
  const approach = r.to({ x: graspAt.x, y: graspAt.y, z: 0.15, yaw: gripYaw, gap: 0.085 }, dur(1.2))
  r.to({ z: size / 2 }, dur(0.6))
  const close = r.to({ gap: missed ? 0.004 : size }, dur(0.4))
  const lift = r.to({ z: LIFTED_Z }, dur(0.7))
  const transfer = r.to({ x: box0.x, y: box0.y }, dur(1.5))
  r.to({ z: BOX_FLOOR + size / 2 + 0.005 }, dur(0.6))
  r.to({ gap: 0.085 }, dur(0.3))
  const raise = r.to({ z: LIFTED_Z }, dur(0.5))
  r.to(homeR, dur(0.8))

  const open = edge(LID_OPEN)
  l.holdUntil(transfer.t0)
  l.to({ x: open.x, y: open.y, z: open.z + 0.06, yaw: box0.yaw, gap: 0.05 }, dur(1.2))
  l.holdUntil(raise.t0)
  l.to({ z: open.z }, dur(0.5))
  l.to({ gap: 0.008 }, dur(0.3))
  const arcFrames = dur(1.2)
  const steps = 5
  const arc = { t0: l.end, t1: l.end }
  for (let k = 1; k <= steps; k++) {
    const p = edge(LID_OPEN * (1 - k / steps))
    arc.t1 = l.to({ x: p.x, y: p.y, z: p.z }, arcFrames / steps, linear).t1
  }
  l.to({ gap: 0.05 }, dur(0.3))
  l.to({ z: BOX_HEIGHT + 0.08 }, dur(0.4))
  l.to(homeL, dur(0.8))

  // ---- the injected failure
  const within = (seg: { t0: number; t1: number }, a: number, b: number): number =>
    seg.t0 + Math.floor((a + (b - a) * whenRoll) * (seg.t1 - seg.t0))
  /** A frame of the lift while the object is still below the lift height (so the Lift milestone is not reached). */
  const duringLowLift = (): number => {
    const frames: number[] = []
    for (let f = lift.t0 + 1; f < lift.t1; f++) {
      const z = r.at(f).z
      if (z > size / 2 + 0.01 && z < LIFT_HEIGHT - 0.015) frames.push(f)
    }
    return pick(frames, whenRoll)
  }
  const stageFrame = (stage: number): number =>
    stage === 0 ? within(approach, 0.3, 0.7) : stage === 1 ? duringLowLift() : stage === 2 ? within(transfer, 0.2, 0.6) : within(arc, 0.1, 0.5)
  let dropFrame = -1
  let stallFrame = -1
  let regressFrom = -1
  if (failure) {
    const type = failure.type
    const other = failure.stage === 3 ? r : l
    const active = failure.stage === 3 ? l : r
    const from = type === 'Missed grasp' ? close.t0 : type === 'Knocked over box' ? transfer.t0 : stageFrame(failure.stage)
    if (type === 'Stall') {
      stallFrame = from
      const tremor = (arm: number) => (f: number): Vec3 => {
        const j = mulberry32(mix(seed, index, f, arm))
        return { x: (j() - 0.5) * 2 * STALL_JITTER, y: (j() - 0.5) * 2 * STALL_JITTER, z: (j() - 0.5) * 2 * STALL_JITTER }
      }
      l.freeze(from, tremor(0))
      r.freeze(from, tremor(1))
    } else {
      other.cut(from)
      // Dropped during the transfer only while still far from the box, so it cannot land inside it.
      if (type === 'Dropped object') dropFrame = failure.stage === 2 ? within(transfer, 0.05, 0.3) : from
      if (type === 'Knocked over box') {
        r.cut(from)
        const dx = box0.x - object0.x
        const dy = box0.y - object0.y
        const n = Math.hypot(dx, dy)
        r.to({ z: 0.045 }, dur(0.5))
        r.to({ x: box0.x + (0.03 * dx) / n, y: box0.y + (0.03 * dy) / n }, dur(1.2))
      }
      if (type === 'Regression') {
        regressFrom = from
        active.cut(from)
        if (failure.stage === 1) {
          r.to({ z: size / 2 }, dur(0.5), out)
        } else if (failure.stage === 2) {
          r.to({ x: object0.x, y: object0.y }, dur(1.0), out)
          r.to({ z: size / 2 }, dur(0.5))
        } else {
          l.to({ ...edge(LID_OPEN) }, dur(0.8), out)
        }
        active.to({ gap: 0.085 }, dur(0.3))
        active.to({ z: 0.15 }, dur(0.5))
      }
    }
  }

  // ---- physics and annotation, frame by frame
  const simEnd = Math.max(r.end, l.end) + Math.round(3.5 * fps)
  const frames: SceneFrame[] = []
  const object = { x: object0.x, y: object0.y, z: size / 2, yaw: object0.yaw, attached: false }
  let vz = 0
  let hold = { x: 0, y: 0, z: 0, yaw: 0, tipYaw: 0 }
  const box: Box = { ...box0 }
  let knockedBy = -1
  let lidAngle = LID_OPEN
  let lidHeld = false
  const milestones: SceneEpisode['milestones'] = []
  let error: SceneEpisode['error'] = null
  const tailFrames = Math.round((1 + 2 * tailRoll) * fps)
  let length = simEnd
  let prev: SceneFrame | null = null
  const progress = (): number =>
    failure?.stage === 1 ? -object.z : failure?.stage === 2 ? Math.hypot(object.x - box.x, object.y - box.y) : lidAngle
  let lastProgress = 0

  for (let f = 0; f < length; f++) {
    const joints = new Float32Array(14)
    inverseKinematics(0, l.at(f), joints, 0)
    inverseKinematics(1, r.at(f), joints, 7)
    const arms: [ArmKinematics, ArmKinematics] = [forwardKinematics(0, joints, 0), forwardKinematics(1, joints, 7)]
    const right = arms[1]
    const wasAttached = object.attached

    // Box: pushed along by an arm whose fingertips came through a wall below its rim.
    if (knockedBy < 0 && prev) {
      for (const arm of [0, 1] as const) {
        const tip = arms[arm].tip
        const before = prev.arms[arm].tip
        const low = (p: Vec3): boolean => p.z < 0.8 * boxSize.height
        if (low(tip) && low(before) && insideFootprint(tip, box, boxSize) && !insideFootprint(before, box, boxSize)) knockedBy = arm
      }
    }
    if (knockedBy >= 0 && prev) {
      const tip = arms[knockedBy === 0 ? 0 : 1].tip
      const before = prev.arms[knockedBy === 0 ? 0 : 1].tip
      box.x += tip.x - before.x
      box.y += tip.y - before.y
      const step = Math.PI / 2 / Math.max(1, 0.3 * fps)
      if (box.tilt < Math.PI / 2) {
        box.tilt = Math.min(Math.PI / 2, box.tilt + step)
        box.yaw += 0.25 * step
      }
    }

    // Object: grasped, carried, dropped or released, falling to the table or the box floor.
    if (object.attached) {
      if (f === dropFrame) {
        object.attached = false
        vz = -0.3
        object.z -= 0.01
      } else if (right.gap > size + 0.01) {
        object.attached = false
        vz = 0
      } else {
        object.x = right.tip.x + hold.x
        object.y = right.tip.y + hold.y
        object.z = right.tip.z + hold.z
        object.yaw = hold.yaw + right.yaw - hold.tipYaw
      }
    } else if (gripperClosed(right.gap, size) && aroundObject(right.tip, object, size) && right.gap >= size - GRIP_SLACK) {
      object.attached = true
      hold = { x: object.x - right.tip.x, y: object.y - right.tip.y, z: object.z - right.tip.z, yaw: object.yaw, tipYaw: right.yaw }
    }
    if (!object.attached) {
      const rest = (insideFootprint(object, box, boxSize) ? BOX_FLOOR : 0) + size / 2
      if (object.z > rest) {
        vz -= GRAVITY / fps
        object.z = Math.max(rest, object.z + vz / fps)
      }
      if (object.z <= rest) vz = 0
    }

    // Lid: follows the left fingertips while they pinch its free edge.
    const left = arms[0]
    if (!lidHeld && left.gap <= LID_GRIP_GAP && distance(left.tip, lidEdge(box, boxSize, lidAngle)) <= 0.02) lidHeld = true
    else if (lidHeld && left.gap > 0.03) lidHeld = false
    if (lidHeld) {
      const { u } = boxLocal(left.tip, box)
      lidAngle = clamp(Math.atan2(left.tip.z - boxSize.height, u + boxSize.width / 2), 0, LID_OPEN)
    }

    const jit = mulberry32(mix(seed, index, f, 0xca3))
    const frame: SceneFrame = {
      joints,
      arms,
      object: { ...object },
      box: { ...box },
      lidAngle,
      lidHeld,
      camJitter: [jit() * 2 - 1, jit() * 2 - 1],
    }
    frames.push(frame)

    if (failure && !error) {
      const t = failure.type
      const closedNear = gripperClosed(right.gap, size)
      const boxMoved = box.x !== box0.x || box.y !== box0.y || box.yaw !== box0.yaw || box.tilt !== 0
      const regressed = regressFrom >= 0 && f > regressFrom && progress() > lastProgress + 1e-4
      if (
        (t === 'Missed grasp' && closedNear && !object.attached && !aroundObject(right.tip, object, size)) ||
        (t === 'Dropped object' && wasAttached && !object.attached && closedNear) ||
        (t === 'Knocked over box' && boxMoved) ||
        (t === 'Stall' && f === stallFrame) ||
        (t === 'Regression' && regressed)
      ) {
        error = { label: t, frame: f }
        length = Math.min(simEnd, f + tailFrames)
      }
    }
    lastProgress = progress()
    if (!error) {
      const next = MILESTONES[milestones.length]
      const reached =
        (next === 'Grasp object' && object.attached && !wasAttached) ||
        (next === 'Lift object' && object.attached && object.z >= LIFT_HEIGHT) ||
        (next === 'Place in box' && !object.attached && vz === 0 && insideFootprint(object, box, boxSize)) ||
        (next === 'Close lid' && lidAngle <= LID_CLOSED)
      if (next && reached) milestones.push({ label: next, frame: f })
      if (!failure && milestones.length === MILESTONES.length && length === simEnd) {
        length = Math.min(simEnd, Math.max(r.end, l.end) + Math.round(0.5 * fps))
      }
    }
    prev = frame
  }
  if (failure ? !error : milestones.length !== MILESTONES.length) {
    throw new Error(`taskScene: episode ${index} (seed ${seed}) did not play out as scripted (${failure?.type ?? 'success'})`)
  }
  return {
    index,
    length,
    fps,
    object: { size, rgb: hslToRgb(objectHue, 0.75, 0.5) },
    box: boxSize,
    distractors: distractors.map((d) => ({ x: d.x, y: d.y, size: d.size, round: d.round, rgb: hslToRgb(d.hue, 0.45, 0.45) })),
    light,
    failure,
    frames: frames.slice(0, length),
    milestones,
    error,
    outcome: failure ? 'failure' : 'success',
  }
}
