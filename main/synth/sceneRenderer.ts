import { rgbToYuv } from './patternFrames'
import { BOX_FLOOR, lidEdge, TABLE } from './sceneModel'
import type { SceneEpisode, SceneFrame, Vec3 } from './sceneModel'

/**
 * Draws a simulated episode (taskScene.ts) as the three ALOHA cameras see it, straight into yuv420p: flat-shaded
 * convex polygons, painter's order, one global brightness and tint per episode. cam_high looks down on the table
 * from above (with a small per-frame jitter); each wrist camera hangs above its fingertips, turning with the wrist,
 * so its view of the table, the box and the object moves whenever that arm does, and its own jaws show how far
 * the gripper is open.
 */

export const SCENE_CAMERAS = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'] as const
export type SceneCameraName = (typeof SCENE_CAMERAS)[number]

type Rgb = readonly [number, number, number]
type Point = [number, number]
type Projector = (p: Vec3) => Point | null

const HIGH_CAMERA_Z = 1.3
const WRIST_CAMERA_ABOVE = 0.15
const CHECKER = 0.04
const WALL = 0.008

const COLOURS = {
  floor: [52, 54, 60],
  table: [196, 170, 128],
  tableDark: [176, 150, 110],
  boxWall: [150, 104, 60],
  boxInside: [112, 76, 42],
  boxFloor: [170, 126, 80],
  lid: [186, 136, 84],
  shadow: [120, 104, 80],
  arms: [
    [70, 72, 82],
    [44, 46, 54],
  ],
  jaw: [28, 28, 30],
} as const

export interface SceneRenderer {
  readonly frameBytes: number
  paint(out: Uint8Array, episode: SceneEpisode, frame: number): void
}

export function createSceneRenderer(width: number, height: number, camera: SceneCameraName): SceneRenderer {
  if (width % 2 || height % 2) throw new Error('yuv420p frames need even sizes')
  const cw = width / 2
  const uOff = width * height
  const vOff = uOff + cw * (height / 2)
  const frameBytes = vOff + cw * (height / 2)
  const wrist = camera === 'cam_high' ? -1 : camera === 'cam_left_wrist' ? 0 : 1
  const highFocal = ((width / 2) * HIGH_CAMERA_Z) / 0.62
  const wristFocal = width * 0.7

  let light: SceneEpisode['light'] = { brightness: 1, tint: [1, 1, 1] }
  const yuv = (rgb: Rgb, shade = 1): { y: number; u: number; v: number } => {
    const k = light.brightness * shade
    return rgbToYuv([rgb[0] * k * light.tint[0], rgb[1] * k * light.tint[1], rgb[2] * k * light.tint[2]])
  }

  function polygon(out: Uint8Array, pts: readonly Point[], rgb: Rgb, shade = 1): void {
    if (pts.length < 3) return
    let y0 = Infinity
    let y1 = -Infinity
    for (const [, y] of pts) {
      y0 = Math.min(y0, y)
      y1 = Math.max(y1, y)
    }
    const top = Math.max(0, Math.ceil(y0 - 0.5))
    const bottom = Math.min(height - 1, Math.floor(y1 - 0.5))
    if (bottom < top) return
    const c = yuv(rgb, shade)
    for (let y = top; y <= bottom; y++) {
      const sy = y + 0.5
      let xa = Infinity
      let xb = -Infinity
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i] as Point
        const q = pts[(i + 1) % pts.length] as Point
        if ((p[1] <= sy && q[1] > sy) || (q[1] <= sy && p[1] > sy)) {
          const x = p[0] + ((sy - p[1]) / (q[1] - p[1])) * (q[0] - p[0])
          xa = Math.min(xa, x)
          xb = Math.max(xb, x)
        }
      }
      const a = Math.max(0, Math.round(xa))
      const b = Math.min(width, Math.round(xb))
      if (b <= a) continue
      out.fill(c.y, y * width + a, y * width + b)
      if (y % 2 === 0) {
        const row = (y / 2) * cw
        out.fill(c.u, uOff + row + Math.floor(a / 2), uOff + row + Math.ceil(b / 2))
        out.fill(c.v, vOff + row + Math.floor(a / 2), vOff + row + Math.ceil(b / 2))
      }
    }
  }

  /** A world polygon; dropped whole when any corner is behind (or too close to) the camera. */
  function shape(out: Uint8Array, project: Projector, corners: readonly Vec3[], rgb: Rgb, shade = 1): void {
    const pts: Point[] = []
    for (const c of corners) {
      const p = project(c)
      if (!p) return
      pts.push(p)
    }
    polygon(out, pts, rgb, shade)
  }

  /** Rectangle centred at (x, y) at height z, turned by yaw. */
  const rect = (x: number, y: number, z: number, hu: number, hv: number, yaw: number): Vec3[] => {
    const c = Math.cos(yaw)
    const s = Math.sin(yaw)
    return [
      [-hu, -hv],
      [hu, -hv],
      [hu, hv],
      [-hu, hv],
    ].map(([u = 0, v = 0]) => ({ x: x + c * u - s * v, y: y + s * u + c * v, z }))
  }

  const disc = (x: number, y: number, z: number, r: number): Vec3[] =>
    Array.from({ length: 12 }, (_, i) => ({ x: x + r * Math.cos((i * Math.PI) / 6), y: y + r * Math.sin((i * Math.PI) / 6), z }))

  function link(out: Uint8Array, project: Projector, a: Vec3, b: Vec3, w: number, rgb: Rgb): void {
    let dx = b.x - a.x
    let dy = b.y - a.y
    const n = Math.hypot(dx, dy)
    if (n < 1e-6) {
      dx = 1
      dy = 0
    } else {
      dx /= n
      dy /= n
    }
    const nx = (-dy * w) / 2
    const ny = (dx * w) / 2
    shape(out, project, [
      { x: a.x + nx, y: a.y + ny, z: a.z },
      { x: b.x + nx, y: b.y + ny, z: b.z },
      { x: b.x - nx, y: b.y - ny, z: b.z },
      { x: a.x - nx, y: a.y - ny, z: a.z },
    ], rgb)
  }

  function table(out: Uint8Array, project: Projector, centre: { x: number; y: number }, radius: number): void {
    shape(out, project, rect((TABLE.x0 + TABLE.x1) / 2, (TABLE.y0 + TABLE.y1) / 2, 0, (TABLE.x1 - TABLE.x0) / 2, (TABLE.y1 - TABLE.y0) / 2, 0), COLOURS.table)
    // Checker squares give a moving wrist camera something to see move, even over bare table.
    const i0 = Math.max(Math.floor((centre.x - radius - TABLE.x0) / CHECKER), 0)
    const i1 = Math.min(Math.ceil((centre.x + radius - TABLE.x0) / CHECKER), Math.round((TABLE.x1 - TABLE.x0) / CHECKER))
    const j0 = Math.max(Math.floor((centre.y - radius - TABLE.y0) / CHECKER), 0)
    const j1 = Math.min(Math.ceil((centre.y + radius - TABLE.y0) / CHECKER), Math.round((TABLE.y1 - TABLE.y0) / CHECKER))
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        if ((i + j) % 2) continue
        const x = TABLE.x0 + (i + 0.5) * CHECKER
        const y = TABLE.y0 + (j + 0.5) * CHECKER
        shape(out, project, rect(x, y, 0, CHECKER / 2, CHECKER / 2, 0), COLOURS.tableDark)
      }
    }
  }

  function statics(out: Uint8Array, project: Projector, ep: SceneEpisode, centre: { x: number; y: number }, radius: number): void {
    table(out, project, centre, radius)
    for (const d of ep.distractors) {
      if (d.round) shape(out, project, disc(d.x, d.y, d.size, d.size / 2), d.rgb)
      else shape(out, project, rect(d.x, d.y, d.size, d.size / 2, d.size / 2, d.x * 7), d.rgb)
    }
  }

  function dynamics(out: Uint8Array, project: Projector, ep: SceneEpisode, f: SceneFrame): void {
    const { box, object } = f
    const size = ep.box
    const half = ep.object.size / 2
    const drawObject = (): void => {
      if (object.z > half + 0.002) shape(out, project, rect(object.x, object.y, 0, half, half, object.yaw), COLOURS.shadow)
      shape(out, project, rect(object.x, object.y, object.z + half, half, half, object.yaw), ep.object.rgb)
    }
    // A tipped box shows its side: a face growing from the rim towards where it was pushed.
    if (box.tilt > 0) {
      const reach = size.height * Math.sin(box.tilt)
      const corners = rect(box.x, box.y, size.height, size.width / 2, size.depth / 2, box.yaw)
      const [a, b] = [corners[1], corners[2]] as [Vec3, Vec3]
      const ox = reach * Math.cos(box.yaw)
      const oy = reach * Math.sin(box.yaw)
      shape(out, project, [a, b, { x: b.x + ox, y: b.y + oy, z: 0 }, { x: a.x + ox, y: a.y + oy, z: 0 }], COLOURS.boxInside)
    }
    shape(out, project, rect(box.x, box.y, size.height, size.width / 2, size.depth / 2, box.yaw), COLOURS.boxWall)
    shape(out, project, rect(box.x, box.y, size.height, size.width / 2 - WALL, size.depth / 2 - WALL, box.yaw), COLOURS.boxInside)
    shape(out, project, rect(box.x, box.y, BOX_FLOOR, size.width / 2 - WALL, size.depth / 2 - WALL, box.yaw), COLOURS.boxFloor)
    const held = object.attached || object.z > size.height
    if (!held) drawObject()
    // Lid: from the hinge at the rim to its free edge, lighter the flatter it lies.
    const hinge = { x: box.x - (size.width / 2) * Math.cos(box.yaw), y: box.y - (size.width / 2) * Math.sin(box.yaw) }
    const free = lidEdge(box, size, f.lidAngle)
    const vx = (-Math.sin(box.yaw) * size.depth) / 2
    const vy = (Math.cos(box.yaw) * size.depth) / 2
    shape(out, project, [
      { x: hinge.x - vx, y: hinge.y - vy, z: size.height },
      { x: hinge.x + vx, y: hinge.y + vy, z: size.height },
      { x: free.x + vx, y: free.y + vy, z: free.z },
      { x: free.x - vx, y: free.y - vy, z: free.z },
    ], COLOURS.lid, 0.7 + 0.3 * Math.abs(Math.cos(f.lidAngle)))
    if (held) drawObject()
    f.arms.forEach((arm, i) => {
      const colour = COLOURS.arms[i] ?? COLOURS.jaw
      if (i !== wrist) {
        link(out, project, arm.base, arm.elbow, 0.045, colour)
        link(out, project, arm.elbow, arm.wrist, 0.038, colour)
        shape(out, project, disc(arm.elbow.x, arm.elbow.y, arm.elbow.z, 0.026), colour, 1.25)
        link(out, project, arm.wrist, arm.tip, 0.03, colour)
      }
      const c = Math.cos(arm.yaw)
      const s = Math.sin(arm.yaw)
      for (const side of [-1, 1]) {
        const d = side * (arm.gap / 2 + 0.006)
        shape(out, project, rect(arm.tip.x + c * d, arm.tip.y + s * d, arm.tip.z + 0.02, 0.006, 0.016, arm.yaw), COLOURS.jaw)
      }
    })
  }

  // cam_high's static layer (floor, table, distractors) only changes with the episode and the jitter offset.
  const staticCache = new Map<string, Uint8Array>()
  let cachedEpisode: SceneEpisode | null = null
  // Up to 1.5 px at 640 wide, scaled with the frame, so small test frames stay still.
  const jitterPixels = (1.5 * width) / 640

  function fill(out: Uint8Array, rgb: Rgb): void {
    const c = yuv(rgb)
    out.fill(c.y, 0, uOff)
    out.fill(c.u, uOff, vOff)
    out.fill(c.v, vOff, frameBytes)
  }

  return {
    frameBytes,
    paint(out: Uint8Array, ep: SceneEpisode, frameIndex: number): void {
      // Asked past the episode's end (a writer quirk), show its last frame.
      const f = ep.frames[Math.min(frameIndex, ep.frames.length - 1)]
      if (!f) throw new Error(`sceneRenderer: episode ${ep.index} has no frames`)
      light = ep.light
      if (wrist < 0) {
        const jx = Math.round(f.camJitter[0] * jitterPixels)
        const jy = Math.round(f.camJitter[1] * jitterPixels)
        const project: Projector = (p) => {
          const depth = HIGH_CAMERA_Z - p.z
          return [width / 2 + jx + (highFocal * p.x) / depth, height / 2 + jy - (highFocal * p.y) / depth]
        }
        if (cachedEpisode !== ep) {
          staticCache.clear()
          cachedEpisode = ep
        }
        const key = `${jx},${jy}`
        let layer = staticCache.get(key)
        if (!layer) {
          layer = new Uint8Array(frameBytes)
          fill(layer, COLOURS.floor)
          statics(layer, project, ep, { x: 0, y: 0 }, 1)
          staticCache.set(key, layer)
        }
        out.set(layer)
        dynamics(out, project, ep, f)
        return
      }
      const arm = f.arms[wrist === 0 ? 0 : 1]
      const cz = arm.tip.z + WRIST_CAMERA_ABOVE
      const c = Math.cos(arm.yaw)
      const s = Math.sin(arm.yaw)
      const project: Projector = (p) => {
        const depth = cz - p.z
        if (depth < 0.03) return null
        const dx = p.x - arm.tip.x
        const dy = p.y - arm.tip.y
        return [width / 2 + (wristFocal * (c * dx + s * dy)) / depth, height / 2 - (wristFocal * (-s * dx + c * dy)) / depth]
      }
      fill(out, COLOURS.floor)
      statics(out, project, ep, arm.tip, (cz * Math.hypot(width, height)) / (2 * wristFocal) + CHECKER)
      dynamics(out, project, ep, f)
    },
  }
}
