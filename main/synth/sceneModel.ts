// The task scene's world: geometry, arm kinematics, the per-frame state types, and the conditions milestones and
// errors are judged by. Shared by the simulation (taskScene.ts) and the renderer (sceneRenderer.ts).

export const TASK = 'Put the object in the box and close the lid'
export const MILESTONES = ['Grasp object', 'Lift object', 'Place in box', 'Close lid'] as const
export const ERROR_TYPES = ['Dropped object', 'Missed grasp', 'Knocked over box', 'Stall', 'Regression'] as const
export type Milestone = (typeof MILESTONES)[number]
export type ErrorType = (typeof ERROR_TYPES)[number]

// Geometry (metres, radians). World: x right, y forward (away from cam_high's bottom edge), z up; table at z = 0.
export const TABLE = { x0: -0.6, x1: 0.6, y0: -0.45, y1: 0.45 } as const
export const ARM = { l1: 0.35, l2: 0.35, l3: 0.1, baseZ: 0.12, maxGap: 0.09 } as const
export const ARM_BASES = [
  { x: -0.5, y: 0, heading: 0 },
  { x: 0.5, y: 0, heading: Math.PI },
] as const
export const BOX_HEIGHT = 0.08
export const BOX_FLOOR = 0.008
export const LIFT_HEIGHT = 0.1
export const LID_OPEN = 0.8 * Math.PI
export const LID_CLOSED = 0.04
/** Gap beyond the object's width at which a closing gripper counts as closed on (or past) it. */
export const GRIP_SLACK = 0.002
export const STALL_JITTER = 0.0015
export const LID_GRIP_GAP = 0.02
export const LIFTED_Z = 0.2
export const GRAVITY = 9.8

export interface Vec3 {
  x: number
  y: number
  z: number
}

export interface ArmPose extends Vec3 {
  /** Direction of the jaws' closing axis in the table plane. */
  yaw: number
  /** Distance between the jaws. */
  gap: number
}

export interface ArmKinematics {
  base: Vec3
  elbow: Vec3
  wrist: Vec3
  /** Between the fingertips: where a grasped object's centre is. */
  tip: Vec3
  yaw: number
  gap: number
}

export interface SceneFrame {
  /** observation.state: left then right arm, 6 joints and the gripper each. */
  joints: Float32Array
  arms: [ArmKinematics, ArmKinematics]
  object: Vec3 & { yaw: number; attached: boolean }
  box: { x: number; y: number; yaw: number; tilt: number }
  lidAngle: number
  lidHeld: boolean
  /** cam_high's offset this frame, in [-1, 1] (the renderer scales it to pixels). */
  camJitter: [number, number]
}

export interface SceneEpisode {
  index: number
  length: number
  fps: number
  object: { size: number; rgb: [number, number, number] }
  box: { width: number; depth: number; height: number; x: number; y: number; yaw: number }
  distractors: { x: number; y: number; size: number; round: boolean; rgb: [number, number, number] }[]
  light: { brightness: number; tint: [number, number, number] }
  failure: { stage: number; type: ErrorType } | null
  frames: SceneFrame[]
  milestones: { label: Milestone; frame: number }[]
  error: { label: ErrorType; frame: number } | null
  outcome: 'success' | 'failure'
}

export interface SceneOptions {
  seed: number
  fps: number
  /** Probability that an episode fails (at a random stage, with an error type that can happen there). */
  failureRate: number
}

// ---------------------------------------------------------------------------------------------------------------
// Kinematics

export const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a))
export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))

/** Joint angles (6) and normalised gripper (1) that put arm `arm`'s fingertips at `pose`, jaws pointing down. */
export function inverseKinematics(arm: 0 | 1, pose: ArmPose, out: Float32Array, offset: number): void {
  const base = ARM_BASES[arm]
  const { l1, l2, l3, baseZ, maxGap } = ARM
  const dx = pose.x - base.x
  const dy = pose.y - base.y
  const waist = wrap(Math.atan2(dy, dx) - base.heading)
  const r = Math.hypot(dx, dy)
  const dz = pose.z + l3 - baseZ
  const d = clamp(Math.hypot(r, dz), 1e-3, l1 + l2 - 1e-4)
  const elbow = -Math.acos(clamp((d * d - l1 * l1 - l2 * l2) / (2 * l1 * l2), -1, 1))
  const shoulder = Math.atan2(dz, r) + Math.atan2(l2 * Math.sin(-elbow), l1 + l2 * Math.cos(elbow))
  out[offset] = waist
  out[offset + 1] = shoulder
  out[offset + 2] = elbow
  out[offset + 3] = 0 // forearm_roll: the script never rolls the forearm
  out[offset + 4] = -Math.PI / 2 - shoulder - elbow
  out[offset + 5] = wrap(pose.yaw - base.heading - waist)
  out[offset + 6] = clamp(pose.gap / maxGap, 0, 1)
}

/** Where arm `arm`'s links and fingertips are for these joints: what every camera draws. */
export function forwardKinematics(arm: 0 | 1, joints: ArrayLike<number>, offset: number): ArmKinematics {
  const base = ARM_BASES[arm]
  const { l1, l2, l3, baseZ, maxGap } = ARM
  const j = (i: number): number => joints[offset + i] ?? 0
  const dir = base.heading + j(0)
  const a1 = j(1)
  const a2 = a1 + j(2)
  const a3 = a2 + j(4)
  const at = (r: number, z: number): Vec3 => ({ x: base.x + r * Math.cos(dir), y: base.y + r * Math.sin(dir), z })
  const r1 = l1 * Math.cos(a1)
  const z1 = baseZ + l1 * Math.sin(a1)
  const r2 = r1 + l2 * Math.cos(a2)
  const z2 = z1 + l2 * Math.sin(a2)
  return {
    base: { x: base.x, y: base.y, z: baseZ },
    elbow: at(r1, z1),
    wrist: at(r2, z2),
    tip: at(r2 + l3 * Math.cos(a3), z2 + l3 * Math.sin(a3)),
    yaw: dir + j(3) + j(5),
    gap: j(6) * maxGap,
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scripts

// Conditions: shared by the simulation (which records milestones and errors with them) and by nothing else, so
// what is annotated is by construction what was simulated.

export type Box = SceneFrame['box']
export type BoxSize = SceneEpisode['box']

/** A point in the box's own frame: u across the hinge (lid hinged at u = −width/2), v along it. */
export function boxLocal(p: { x: number; y: number }, box: Box): { u: number; v: number } {
  const c = Math.cos(box.yaw)
  const s = Math.sin(box.yaw)
  const dx = p.x - box.x
  const dy = p.y - box.y
  return { u: c * dx + s * dy, v: -s * dx + c * dy }
}

export function insideFootprint(p: { x: number; y: number }, box: Box, size: BoxSize): boolean {
  const { u, v } = boxLocal(p, box)
  return Math.abs(u) <= size.width / 2 && Math.abs(v) <= size.depth / 2
}

/** The middle of the lid's free edge at this opening angle (0 = closed). */
export function lidEdge(box: Box, size: BoxSize, angle: number): Vec3 {
  const u = -size.width / 2 + size.width * Math.cos(angle)
  return { x: box.x + u * Math.cos(box.yaw), y: box.y + u * Math.sin(box.yaw), z: size.height + size.width * Math.sin(angle) }
}

/** Fingertips around the object's centre. */
export function aroundObject(tip: Vec3, object: Vec3, objectSize: number): boolean {
  return Math.hypot(tip.x - object.x, tip.y - object.y) <= 0.35 * objectSize && Math.abs(tip.z - object.z) <= 0.5 * objectSize
}

/** Jaws at most the object's width apart (plus slack): closed on it, or past where it would be. */
export const gripperClosed = (gap: number, objectSize: number): boolean => gap <= objectSize + GRIP_SLACK

export const distance = (a: Vec3, b: Vec3): number => Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z)
