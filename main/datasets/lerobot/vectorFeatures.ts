import type { DatasetWarning, NumericFeatureInfo, StateChoice, StateInfo } from '../../../app/dataset'

/**
 * Numeric vector features of a LeRobot dataset (state, action, effort, velocities, rewards...) and which of them is
 * the state vector. Real datasets name their state `observation.state` (the LeRobot convention), `state`,
 * `observation.qpos`, `joint_positions`... and their action `action` or `actions`; this module is the one place that
 * reads them from info.json and decides which one is the state.
 */

/** The LeRobot standard state key; it always wins when present (unless the user chose another one). */
export const STANDARD_STATE_KEY = 'observation.state'

/**
 * Frame bookkeeping every LeRobot dataset has; numbers, but not something to plot or feed a model. LeRobot's own list:
 * DEFAULT_FEATURES in huggingface/lerobot src/lerobot/datasets/utils.py (timestamp, frame_index, episode_index,
 * index, task_index).
 */
export const BOOKKEEPING_KEYS: ReadonlySet<string> = new Set(['timestamp', 'frame_index', 'episode_index', 'index', 'task_index'])

/** A state vector beyond this many values is a malformed shape, not a robot (the model manifest caps its own at 4096). */
export const MAX_VECTOR_DIM = 65_536

/** dtypes that hold numbers a plot can draw: float16/32/64, int8..64, uint8..64 (bool and strings are not). */
export function isNumericDtype(dtype: string): boolean {
  return /^(float|int|uint)(8|16|32|64)?$/i.test(dtype.trim()) || dtype.trim().toLowerCase() === 'double'
}

/**
 * The state ranking, used when info.json has no `observation.state` and the user has not chosen a key. A key is
 * split into lower-case words (at `.`, `_`, `-`, `/`, spaces); then:
 *   - excluded: any word is one of EXCLUDED_WORDS (actions, rewards, done flags, indices, timestamps, tasks...);
 *   - tier 3: a word is `state`/`states` (`state`, `observation.states`, `robot_state`);
 *   - tier 2: a word is one of POSITION_WORDS (`observation.qpos`, `joint_positions`, `proprio`);
 *   - anything else is not a state.
 * Within a tier, a key under `observation.` wins, then the one listed first in info.json.
 */
export const EXCLUDED_WORDS: ReadonlySet<string> = new Set([
  'action', 'actions', 'act', 'command', 'commands', 'target', 'targets',
  'reward', 'rewards', 'done', 'dones', 'success', 'terminated', 'truncated', 'is', 'first', 'last', 'terminal',
  'index', 'idx', 'timestamp', 'timestamps', 'time', 'task', 'annotation', 'validity', 'language',
])
export const STATE_WORDS: ReadonlySet<string> = new Set(['state', 'states'])
export const POSITION_WORDS: ReadonlySet<string> = new Set([
  'qpos', 'joint', 'joints', 'position', 'positions', 'pos', 'proprio', 'proprioception', 'proprioceptive',
])

function words(key: string): string[] {
  return key.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '')
}

/** 3, 2, or 0 (not state-like) as the ranking above says, with the reason a person reads. */
export function stateTier(key: string): { tier: number; reason: string } {
  const w = words(key)
  const excluded = w.find((x) => EXCLUDED_WORDS.has(x))
  if (excluded !== undefined) return { tier: 0, reason: `its name contains "${excluded}"` }
  const state = w.find((x) => STATE_WORDS.has(x))
  if (state !== undefined) return { tier: 3, reason: `its name contains "${state}"` }
  const position = w.find((x) => POSITION_WORDS.has(x))
  if (position !== undefined) return { tier: 2, reason: `its name contains "${position}"` }
  return { tier: 0, reason: 'its name says nothing about a state' }
}

/** Whether a feature looks like an action (for labels in the plot's picker). */
export function isActionLike(key: string): boolean {
  return words(key).some((w) => w === 'action' || w === 'actions' || w === 'act')
}

function describe(value: unknown): string {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    return 'a deeply nested value'
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/**
 * Flatten the shapes `names` takes in the wild: a flat list, Unitree's nested `[[...]]`, or a dict of lists
 * such as `{motors: [...]}`. Null when there is nothing usable.
 */
export function flattenNames(names: unknown): string[] | null {
  const out: string[] = []
  // An explicit stack rather than recursion: info.json is untrusted, and JSON.parse accepts nesting far deeper than
  // the call stack. Children are pushed in reverse so names come out in document order.
  const stack: unknown[] = [names]
  while (stack.length > 0 && out.length <= MAX_VECTOR_DIM) {
    const value = stack.pop()
    if (typeof value === 'string') out.push(value)
    else if (typeof value === 'number') out.push(String(value))
    else if (value !== null && typeof value === 'object') {
      const children = Array.isArray(value) ? value : Object.values(value)
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
    }
  }
  return out.length > 0 ? out : null
}

/** Make names exactly `dim` long: extra ones dropped, missing ones filled as `<prefix>_<i>`. */
export function fitNames(names: readonly string[], dim: number, prefix = 'state'): string[] {
  return Array.from({ length: dim }, (_, i) => names[i] ?? `${prefix}_${i}`)
}

/** The prefix of filled-in names: `state` for the standard key, else its last word (`observation.effort` → `effort`). */
export function namePrefix(key: string): string {
  if (key === STANDARD_STATE_KEY) return 'state'
  const w = words(key)
  return w[w.length - 1] ?? 'value'
}

export interface FeatureDescription {
  dtype: string
  shape?: readonly number[] | null | undefined
  names?: unknown
}

/**
 * A numeric vector feature from its info.json description, or null when it is not one (video, image, string, bool,
 * bookkeeping). `problems` lists what was odd about it (as warnings, reported for the state only: see chooseState).
 * dim 0 means info.json gives neither a shape nor names; the table then decides.
 */
export function numericFeature(
  key: string,
  feature: FeatureDescription,
  infoFile: string,
): { info: NumericFeatureInfo; problems: DatasetWarning[] } | null {
  if (!isNumericDtype(feature.dtype) || BOOKKEEPING_KEYS.has(key)) return null
  const problems: DatasetWarning[] = []
  let shapeDim = feature.shape && feature.shape.length > 0 ? feature.shape.reduce((a, b) => a * b, 1) : null
  // The dimension sizes arrays per frame; a negative, fractional or astronomical one would throw far from here.
  const shapeOk = (feature.shape ?? []).every((n) => Number.isInteger(n) && n > 0)
  const shapeRejected = shapeDim !== null && (!shapeOk || shapeDim > MAX_VECTOR_DIM)
  if (shapeRejected) {
    problems.push({
      level: 'warning',
      code: 'STATE_SHAPE_INVALID',
      message: `${key} in ${infoFile} has shape ${describe(feature.shape)}, which is not a list of positive integers of at most ${MAX_VECTOR_DIM} values in all; the shape is ignored`,
      file: infoFile,
    })
    shapeDim = null
  }
  let names = flattenNames(feature.names)
  if (names !== null && names.length > MAX_VECTOR_DIM) names = null
  const dim = shapeDim ?? names?.length ?? 0
  if (shapeDim === null && !shapeRejected) {
    problems.push({
      level: 'info',
      code: 'STATE_SHAPE_MISSING',
      message:
        names === null
          ? `${key} declares neither shape nor names; its dimension comes from the table`
          : `${key} declares no shape; taking dimension ${dim} from its ${names.length} names`,
      file: infoFile,
    })
  }
  // A scalar (shape [1]) usually has names: null; it is named after its key rather than "x_0".
  if (names === null && dim === 1) names = [key]
  const prefix = namePrefix(key)
  if (names !== null && names.length !== dim && dim > 0) {
    problems.push({
      level: 'warning',
      code: 'STATE_NAMES_MISMATCH',
      message: `${key} has ${names.length} names for dimension ${dim}; ${
        names.length > dim ? 'extra names dropped' : `missing ones named ${prefix}_${names.length}..${prefix}_${dim - 1}`
      }`,
      file: infoFile,
    })
  }
  return { info: { key, dtype: feature.dtype, dim, names: fitNames(names ?? [], dim, prefix) }, problems }
}

/** State candidates in ranking order (best first), each with why; features that are not state-like are left out. */
export function rankStateCandidates(features: readonly NumericFeatureInfo[]): { key: string; tier: number; reason: string }[] {
  return features
    .map((f, order) => ({ key: f.key, order, observation: f.key.startsWith('observation.'), ...stateTier(f.key) }))
    .filter((c) => c.tier > 0)
    .sort((a, b) => b.tier - a.tier || Number(b.observation) - Number(a.observation) || a.order - b.order)
    .map(({ key, tier, reason }) => ({ key, tier, reason }))
}

/**
 * Pick the state: the saved choice when it names a numeric feature, else `observation.state`, else the best of the
 * ranking (see stateTier), else none. `saved` is null for "automatic".
 */
export function chooseState(features: readonly NumericFeatureInfo[], saved: string | null): { state: StateInfo | null; choice: StateChoice } {
  const find = (key: string): NumericFeatureInfo | undefined => features.find((f) => f.key === key)
  const asState = (f: NumericFeatureInfo): StateInfo => ({ key: f.key, dim: f.dim, names: f.names })
  const savedFeature = saved === null ? undefined : find(saved)
  if (savedFeature) return { state: asState(savedFeature), choice: { key: savedFeature.key, by: 'saved', reason: `${savedFeature.key} was chosen as the state` } }
  const standard = find(STANDARD_STATE_KEY)
  const lost = saved !== null ? `; the chosen state ${saved} is not in this dataset` : ''
  if (standard) return { state: asState(standard), choice: { key: STANDARD_STATE_KEY, by: 'standard', reason: `${STANDARD_STATE_KEY} is the LeRobot state key${lost}` } }
  const best = rankStateCandidates(features)[0]
  const bestFeature = best ? find(best.key) : undefined
  if (best && bestFeature) {
    return {
      state: asState(bestFeature),
      choice: { key: best.key, by: 'name', reason: `no ${STANDARD_STATE_KEY}; ${best.key} is the most state-like feature (${best.reason})${lost}` },
    }
  }
  const numeric = features.map((f) => f.key)
  return {
    state: null,
    choice: {
      key: null,
      by: 'none',
      reason:
        numeric.length === 0
          ? `no ${STANDARD_STATE_KEY} and no numeric vector feature${lost}`
          : `no ${STANDARD_STATE_KEY} and no feature named like a state (${numeric.slice(0, 6).join(', ')}${numeric.length > 6 ? ', ...' : ''}); pick one as the state${lost}`,
    },
  }
}
