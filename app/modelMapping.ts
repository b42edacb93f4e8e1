/**
 * How a dataset feeds a model whose inputs are named or sized differently: which dataset camera goes to each model
 * camera slot (camera map), and which dataset joints, in which order, make the model's state vector (state map).
 * Shared by `viva score --camera-map/--state-map`, the Models panel and the scoring job, so all read the same grammar.
 *
 * State map grammar (items separated by commas, spaces ignored), giving the model's joints in order:
 *
 *     N          dataset joint N (0-based)
 *     A-B        dataset joints A, A+1, ..., B (A ≤ B)
 *     NAME       the dataset joint of that name (from info.json's names; a name that is all digits is an index)
 *     pad:V      a constant for a model joint the dataset lacks: a number, or min / max / mid of that model
 *                joint's training range (the manifest's state.min/max)
 *
 * e.g. `0-5,7,pad:0` (12 → 8 joints), `0-11,pad:mid,pad:mid` (a 12-D arm into a 14-D model),
 * `right_waist,left_waist` (by name, reordered). The result must have exactly the model's state dimension.
 *
 * Camera map grammar: `slot=camera,...`, a model camera slot (manifest cameras[].name) and a dataset camera, by
 * its full key (`observation.images.cam_high`) or by the part after its last dot (`cam_high`). Slots not named keep
 * the saved or guessed camera.
 */
import { VivaError } from './errors'

export type PadValue = number | 'min' | 'max' | 'mid'
export type StateMapEntry = { kind: 'joint'; index: number } | { kind: 'pad'; value: PadValue }

const MAX_ITEMS = 4096

function bad(flag: string, message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', `${flag}: ${message}`)
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)
}

/**
 * Parse a state map against the dataset's joint names (their count is its dimension). Throws INVALID_ARGUMENT naming
 * the item and what is wrong; `flag` prefixes messages (`--state-map`, `State map`).
 */
export function parseStateMap(text: string, datasetNames: readonly string[], flag = '--state-map'): StateMapEntry[] {
  const items = text.split(',').map((s) => s.trim())
  if (items.every((s) => s === '')) throw bad(flag, 'is empty')
  const dim = datasetNames.length
  const out: StateMapEntry[] = []
  const joint = (index: number, item: string): void => {
    if (index >= dim) throw bad(flag, `${quote(item)}: the dataset's state has ${dim} joints (0-${dim - 1})`)
    out.push({ kind: 'joint', index })
  }
  for (const item of items) {
    if (item === '') throw bad(flag, 'has an empty item (two commas in a row?)')
    if (out.length > MAX_ITEMS) throw bad(flag, `gives more than ${MAX_ITEMS} joints`)
    const pad = /^pad:(.*)$/i.exec(item)
    if (pad) {
      const v = (pad[1] ?? '').trim().toLowerCase()
      if (v === 'min' || v === 'max' || v === 'mid') out.push({ kind: 'pad', value: v })
      else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) && Number.isFinite(Number(v))) out.push({ kind: 'pad', value: Number(v) })
      else throw bad(flag, `${quote(item)}: pad takes a number or min, max, mid`)
      continue
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(item)
    if (range) {
      const a = Number(range[1])
      const b = Number(range[2])
      if (b < a) throw bad(flag, `range ${item} runs backwards`)
      if (b - a > MAX_ITEMS) throw bad(flag, `range ${item} is too large`)
      for (let i = a; i <= b; i++) joint(i, item)
      continue
    }
    if (/^\d+$/.test(item)) {
      joint(Number(item), item)
      continue
    }
    const at = datasetNames.indexOf(item)
    if (at < 0) {
      const shown = datasetNames.slice(0, 8).join(', ')
      throw bad(flag, `${quote(item)} is not a joint index, range, pad:V or joint name of the dataset (names: ${shown}${dim > 8 ? ', ...' : ''})`)
    }
    if (datasetNames.indexOf(item, at + 1) >= 0) throw bad(flag, `${quote(item)} names more than one dataset joint; use its index`)
    out.push({ kind: 'joint', index: at })
  }
  return out
}

/** The canonical text of a map: indices (never names), consecutive runs as ranges. Part of a curve's cache key. */
export function formatStateMap(entries: readonly StateMapEntry[]): string {
  const parts: string[] = []
  for (let i = 0; i < entries.length; ) {
    const e = entries[i] as StateMapEntry
    if (e.kind === 'pad') {
      parts.push(`pad:${e.value}`)
      i++
      continue
    }
    let j = i
    while (j + 1 < entries.length) {
      const next = entries[j + 1] as StateMapEntry
      const cur = entries[j] as { kind: 'joint'; index: number }
      if (next.kind !== 'joint' || next.index !== cur.index + 1) break
      j++
    }
    const last = (entries[j] as { kind: 'joint'; index: number }).index
    parts.push(j > i ? `${e.index}-${last}` : String(e.index))
    i = j + 1
  }
  return parts.join(',')
}

/** Whether the map hands the dataset's state over unchanged (then it is not part of a curve's identity). */
export function isIdentityMap(entries: readonly StateMapEntry[], datasetDim: number): boolean {
  return entries.length === datasetDim && entries.every((e, i) => e.kind === 'joint' && e.index === i)
}

/**
 * The model's state for every frame: `values` is length × datasetDim (row-major), the result length × entries.length.
 * Padding takes the model's range per joint where asked (min, max, mid).
 */
export function applyStateMap(
  values: Float32Array,
  length: number,
  datasetDim: number,
  entries: readonly StateMapEntry[],
  modelMin: readonly number[],
  modelMax: readonly number[],
): Float32Array {
  const D = entries.length
  const out = new Float32Array(length * D)
  const constant = entries.map((e, j) => {
    if (e.kind !== 'pad') return 0
    const lo = modelMin[j] ?? 0
    const hi = modelMax[j] ?? 0
    return e.value === 'min' ? lo : e.value === 'max' ? hi : e.value === 'mid' ? (lo + hi) / 2 : e.value
  })
  for (let f = 0; f < length; f++) {
    for (let j = 0; j < D; j++) {
      const e = entries[j] as StateMapEntry
      out[f * D + j] = e.kind === 'joint' ? (values[f * datasetDim + e.index] ?? Number.NaN) : (constant[j] as number)
    }
  }
  return out
}

/** A dataset camera named in a camera map: the full key, or the part after its last dot when that is unique. */
function resolveCamera(name: string, cameraKeys: readonly string[], flag: string): string {
  if (cameraKeys.includes(name)) return name
  const matches = cameraKeys.filter((k) => k.endsWith(`.${name}`) || k.split('.').pop() === name)
  if (matches.length === 1) return matches[0] as string
  if (matches.length > 1) throw bad(flag, `camera ${quote(name)} matches ${matches.join(' and ')}; give the full key`)
  throw bad(flag, `the dataset has no camera ${quote(name)} (cameras: ${cameraKeys.join(', ') || 'none'})`)
}

/** Cameras given per slot (by full key or short name) checked against the model's slots and the dataset's cameras. */
export function resolveCameraChoices(
  choices: Readonly<Record<string, string>>,
  slots: readonly string[],
  cameraKeys: readonly string[],
  flag = '--camera-map',
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [slot, camera] of Object.entries(choices)) {
    if (!slots.includes(slot)) throw bad(flag, `the model has no camera slot ${quote(slot)} (slots: ${slots.join(', ')})`)
    out[slot] = resolveCamera(camera, cameraKeys, flag)
  }
  return out
}

/** Parse `slot=camera,...` against the model's slots and the dataset's cameras. */
export function parseCameraMap(text: string, slots: readonly string[], cameraKeys: readonly string[], flag = '--camera-map'): Record<string, string> {
  const out: Record<string, string> = {}
  const items = text.split(',').map((s) => s.trim())
  if (items.every((s) => s === '')) throw bad(flag, 'is empty')
  for (const item of items) {
    const m = /^([^=]+)=(.+)$/.exec(item)
    if (!m) throw bad(flag, `${quote(item)} is not model_slot=dataset_camera`)
    const slot = (m[1] ?? '').trim()
    const camera = (m[2] ?? '').trim()
    if (!slots.includes(slot)) throw bad(flag, `the model has no camera slot ${quote(slot)} (slots: ${slots.join(', ')})`)
    if (slot in out) throw bad(flag, `slot ${quote(slot)} is given twice`)
    out[slot] = resolveCamera(camera, cameraKeys, flag)
  }
  return out
}
