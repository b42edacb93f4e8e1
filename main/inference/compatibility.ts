import type { CameraMapping, CompatIssue } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { formatStateMap, isIdentityMap, type StateMapEntry } from '../../app/modelMapping'
import { cameraSlotNames, type Manifest } from './manifest'

/**
 * Can a model score a dataset as it is mapped? Checked before any frame is scored, by the Models panel
 * (models.check) and by every scoring job (score.start, `viva score`): errors refuse the job with the reason,
 * warnings go with it (job, CLI stderr) and notes are shown in the panel.
 */

/** A state this many training ranges beyond the manifest's min/max is out of distribution (issue 14: "> 3 ranges"). */
export const OOD_RANGES = 3
/** Degrees per radian: the unit mix-up most often met in joint states. */
const DEG_PER_RAD = 180 / Math.PI
/** Frame rates closer than this (relative) are the same rate written differently (29.97 vs 30). */
const FPS_TOLERANCE = 0.01

export interface StateSample {
  /** length × dim, row-major: the state of one episode (the first to score), after the state map. */
  values: Float32Array
  length: number
}

export interface CompatibilityInput {
  manifest: Manifest
  summary: DatasetSummary
  cameras: CameraMapping
  /** The state map in use (parsed), or null for none. */
  stateMap: StateMapEntry[] | null
  /** The dimension the dataset's state really has (from an episode's table when read; else info.json's). */
  datasetStateDim: number
  /** The state of one episode after the state map, for the range check; null when none could be read. */
  sample: StateSample | null
}

/** "a, b, c, ... (+n)" for a list of names. */
function someNames(names: readonly string[], max = 4): string {
  return `${names.slice(0, max).join(', ')}${names.length > max ? `, ... (+${names.length - max})` : ''}`
}

/** A state map that fits dimension `from` into `to`: the first joints, then pads at the middle of the model's range. */
export function suggestStateMap(from: number, to: number): string | null {
  if (from <= 0 || to <= 0 || from === to) return null
  const kept = Math.min(from, to)
  const entries: StateMapEntry[] = [
    ...Array.from({ length: kept }, (_, i): StateMapEntry => ({ kind: 'joint', index: i })),
    ...Array.from({ length: to - kept }, (): StateMapEntry => ({ kind: 'pad', value: 'mid' })),
  ]
  return formatStateMap(entries)
}

/**
 * Fraction of the (frame, joint) values, multiplied by `factor`, that lie within the training range widened by a
 * quarter of it on each side (joints constant in training left out). Near 1 for data like the training data.
 */
function insideFraction(values: Float32Array, length: number, min: readonly number[], max: readonly number[], factor: number): number {
  const D = min.length
  let inside = 0
  let judged = 0
  for (let j = 0; j < D; j++) {
    const lo = min[j] ?? 0
    const hi = max[j] ?? 0
    const r = hi - lo
    if (!(r > 1e-9)) continue
    for (let f = 0; f < length; f++) {
      const v = (values[f * D + j] ?? Number.NaN) * factor
      if (!Number.isFinite(v)) continue
      judged++
      if (v >= lo - r / 4 && v <= hi + r / 4) inside++
    }
  }
  return judged === 0 ? 0 : inside / judged
}

/**
 * Why a state (length × D, after the state map) is out of the model's training distribution, or null: some joint
 * goes more than OOD_RANGES training ranges beyond the manifest's min/max. Joints constant in training (min = max)
 * cannot be judged this way and are skipped. When the values fit once divided or multiplied by 57.3 (or 1000), the
 * message says the units look different (degrees vs radians, millimetres vs metres).
 */
export function stateOutOfRange(
  values: Float32Array,
  length: number,
  min: readonly number[],
  max: readonly number[],
  names: readonly string[],
  modelName: string,
): string | null {
  const D = min.length
  let worst: { joint: number; value: number; ranges: number } | null = null
  const outJoints: number[] = []
  for (let j = 0; j < D; j++) {
    const lo = min[j] ?? 0
    const hi = max[j] ?? 0
    const r = hi - lo
    if (!(r > 1e-9)) continue
    let jointWorst: { value: number; ranges: number } | null = null
    for (let f = 0; f < length; f++) {
      const v = values[f * D + j] ?? Number.NaN
      if (!Number.isFinite(v)) continue
      const ranges = Math.max((lo - v) / r, (v - hi) / r)
      if (ranges > OOD_RANGES && (!jointWorst || ranges > jointWorst.ranges)) jointWorst = { value: v, ranges }
    }
    if (!jointWorst) continue
    outJoints.push(j)
    if (!worst || jointWorst.ranges > worst.ranges) worst = { joint: j, ...jointWorst }
  }
  if (!worst) return null
  const name = names[worst.joint] ?? `joint ${worst.joint}`
  const lo = min[worst.joint] ?? 0
  const hi = max[worst.joint] ?? 0
  const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2))
  let units = ''
  const raw = insideFraction(values, length, min, max, 1)
  for (const [factor, what] of [
    [1 / DEG_PER_RAD, 'degrees where the model was trained on radians (×57.3)'],
    [DEG_PER_RAD, 'radians where the model was trained on degrees (÷57.3)'],
    [1 / 1000, 'a unit 1000× smaller than the training data (millimetres vs metres?)'],
    [1000, 'a unit 1000× larger than the training data (metres vs millimetres?)'],
  ] as const) {
    // A unit mix-up when rescaling makes the data look like the training data, and only then.
    if (raw < 0.5 && insideFraction(values, length, min, max, factor) >= 0.9) {
      units = `; the values look like ${what}`
      break
    }
  }
  return (
    `state out of ${modelName}'s training range: ${outJoints.length} of ${D} joints more than ${OOD_RANGES} ranges outside it ` +
    `(worst ${name} reaches ${fmt(worst.value)}, trained on ${fmt(lo)}..${fmt(hi)})${units}`
  )
}

/** Every finding, errors first. */
export function checkCompatibility(input: CompatibilityInput): CompatIssue[] {
  const { manifest: m, summary, cameras, stateMap, sample } = input
  const issues: CompatIssue[] = []
  const error = (code: string, message: string): void => void issues.push({ level: 'error', code, message })
  const warning = (code: string, message: string): void => void issues.push({ level: 'warning', code, message })
  const note = (code: string, message: string): void => void issues.push({ level: 'info', code, message })
  const D = m.state.dim
  const modelNames = m.state.names

  // ---- state
  const dsDim = input.datasetStateDim
  const usesJoints = stateMap === null || stateMap.some((e) => e.kind === 'joint')
  if (!summary.state && usesJoints) {
    error('STATE_MISSING', `${summary.name} has no state vector (${summary.stateChoice.reason}); ${m.name} needs a ${D}-D state: pick the state feature in the player's plot, or give a state map`)
  } else if (stateMap !== null) {
    if (stateMap.length !== D) {
      error('STATE_MAP', `the state map gives ${stateMap.length} values, ${m.name} expects ${D} (${someNames(modelNames)})`)
    } else if (!isIdentityMap(stateMap, dsDim)) {
      const pads = stateMap.filter((e) => e.kind === 'pad').length
      note('STATE_MAP', `state mapped ${dsDim} → ${D} joints (${formatStateMap(stateMap)})${pads > 0 ? `, ${pads} padded with constants` : ''}`)
    }
  } else if (summary.state && dsDim !== D) {
    const suggestion = suggestStateMap(dsDim, D)
    error(
      'STATE_DIM',
      `${summary.name}'s state ${summary.state.key} has ${dsDim} dimensions, ${m.name} expects ${D} (${someNames(modelNames)})` +
        (suggestion ? `; give a state map, e.g. ${suggestion}` : ''),
    )
  } else if (summary.state && modelNames.length === D) {
    const ds = summary.state.names
    const generated = ds.every((n, i) => n === `state_${i}`)
    if (!generated && ds.join('\n') !== modelNames.join('\n')) {
      const same = new Set(ds).size === ds.length && modelNames.every((n) => ds.includes(n))
      if (same) {
        const byName = formatStateMap(modelNames.map((n) => ({ kind: 'joint', index: ds.indexOf(n) })))
        warning('STATE_NAMES', `the dataset has the model's joints in another order; they go in by position unless you give the state map ${byName}`)
      } else {
        warning('STATE_NAMES', `the dataset's joints (${someNames(ds)}) are named differently from the model's (${someNames(modelNames)}); they go in by position`)
      }
    }
  }

  // ---- cameras
  const slots = cameraSlotNames(m)
  const unmapped = slots.filter((s) => (cameras.slots[s] ?? null) === null)
  if (unmapped.length > 0) {
    error(
      'CAMERA_UNMAPPED',
      `${m.name} needs ${slots.length} camera${slots.length === 1 ? '' : 's'} (${slots.join(', ')}); ${summary.name} has ${summary.cameras.length} ` +
        `(${summary.cameras.map((c) => c.key).join(', ') || 'none'}): no dataset camera is mapped to ${unmapped.join(', ')}`,
    )
  }
  const byPosition = slots.filter((s) => cameras.how[s] === 'position')
  if (byPosition.length > 0) {
    warning(
      'CAMERA_BY_POSITION',
      `guessed by position, not by name: ${byPosition.map((s) => `${s} ← ${cameras.slots[s] ?? '?'}`).join(', ')}; check the camera mapping`,
    )
  }
  const used = new Map<string, string[]>()
  for (const s of slots) {
    const key = cameras.slots[s]
    if (key) used.set(key, [...(used.get(key) ?? []), s])
  }
  for (const [key, into] of used) {
    if (into.length > 1) warning('CAMERA_REUSED', `${key} feeds ${into.length} model cameras (${into.join(', ')})`)
  }

  // ---- image size (one line per frame size, not per camera)
  const { width: mw, height: mh } = m.image
  const bySize = new Map<string, string[]>()
  for (const s of slots) {
    const cam = summary.cameras.find((c) => c.key === cameras.slots[s])
    if (!cam || cam.width === null || cam.height === null) continue
    const size = `${cam.width}×${cam.height}`
    if (!(bySize.get(size) ?? []).includes(cam.key)) bySize.set(size, [...(bySize.get(size) ?? []), cam.key])
  }
  for (const [size, keys] of bySize) {
    const [w, h] = size.split('×').map(Number) as [number, number]
    const which = keys.length === 1 ? `${keys[0]} is` : `${keys.join(', ')} are`
    const source = m.image.source
    if (source) {
      if (Math.abs(w / h / (source.width / source.height) - 1) > 0.02) {
        warning('IMAGE_SIZE', `${which} ${size}, ${m.name} was trained on ${source.width}×${source.height} frames: resized to ${mw}×${mh} with another aspect ratio (the image is stretched differently)`)
      } else if (w !== source.width || h !== source.height) {
        note('IMAGE_SIZE', `${which} ${size} (trained on ${source.width}×${source.height}): resized to ${mw}×${mh} as in training`)
      }
    } else if (w !== mw || h !== mh) {
      note('IMAGE_SIZE', `${which} ${size}: resized to ${mw}×${mh}`)
    }
  }

  // ---- fps
  if (Math.abs(summary.fps / m.fps - 1) > FPS_TOLERANCE) {
    const horizon = m.kind === 'viva-flow' ? `; its horizon of ${m.K} frames is ${(m.K / summary.fps).toFixed(2)} s here instead of ${(m.K / m.fps).toFixed(2)} s` : ''
    warning(
      'FPS',
      `${m.name} was trained at ${m.fps} fps, ${summary.name} is ${summary.fps} fps: every frame is scored, so the model sees motion ${(m.fps / summary.fps).toFixed(2)}× as fast as in training${horizon}`,
    )
  }

  // ---- state range (what one episode holds)
  if (sample && issues.every((i) => i.level !== 'error' || !i.code.startsWith('STATE'))) {
    const ood = stateOutOfRange(sample.values, sample.length, m.state.min, m.state.max, modelNames, m.name)
    if (ood !== null) warning('STATE_RANGE', `${ood} (checked on the first episode; each curve says so too)`)
  }

  const rank = { error: 0, warning: 1, info: 2 } as const
  return issues.sort((a, b) => rank[a.level] - rank[b.level])
}

/** Throws MODEL_INCOMPATIBLE with every error on one line, when there is one. */
export function refuseIncompatible(issues: readonly CompatIssue[], modelName: string, datasetName: string): void {
  const errors = issues.filter((i) => i.level === 'error')
  if (errors.length === 0) return
  throw new VivaError('MODEL_INCOMPATIBLE', `${modelName} cannot score ${datasetName}: ${errors.map((e) => e.message).join('; ')}`)
}
