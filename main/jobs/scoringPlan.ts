import type { CameraMapping, CompatIssue, ModelCheck } from '../../app/contract'
import { toWireError } from '../../app/errors'
import { applyStateMap, parseStateMap, resolveCameraChoices, type StateMapEntry } from '../../app/modelMapping'
import type { EpisodeData, EpisodeSource } from '../datasets/episodeSource'
import { checkCompatibility, suggestStateMap, type StateSample } from '../inference/compatibility'
import { cameraSlotNames, type ModelPackage } from '../inference/manifest'
import type { ModelRegistry } from '../inference/registry'

/**
 * A model paired with a dataset as a scoring job pairs them: camera and state mapping, and the compatibility check.
 * The Models panel checks with it before Start; ScoringQueue.start refuses with it before anything is queued.
 */
export interface PairingDeps {
  source: (datasetId: string) => EpisodeSource
  models: ModelRegistry
}

/** Where `prepareScoring` takes a mapping from when the request does not give one. */
export interface MappingOverrides {
  cameras?: Record<string, string> | undefined
  stateMap?: string | undefined
  /** Flag names for messages (`--camera-map` from the CLI, `Camera map` from the app). */
  cameraFlag?: string
  stateFlag?: string
}


/** A model and a dataset as one job will pair them: the mapping, and what the check found. */
export interface Prepared {
  pkg: ModelPackage
  source: EpisodeSource
  cameras: CameraMapping
  /** Dataset camera per model slot, in slot order (empty string for none). */
  cameraKeys: string[]
  /** The state map in use (null: none), as typed and parsed. */
  stateMapText: string | null
  stateMap: StateMapEntry[] | null
  datasetStateDim: number
  issues: CompatIssue[]
}

/**
 * Pair a model with a dataset as a job would: the camera mapping (saved or guessed, then `overrides.cameras`), the
 * state map (`overrides.stateMap`, else the one saved for the dataset and the model's state layout), and every
 * finding of the compatibility check, made on the state of `sampleEpisode` (default the first present one).
 * An override that does not parse throws INVALID_ARGUMENT; a saved map that no longer parses is an error finding.
 */
export async function prepareScoring(deps: PairingDeps, datasetId: string, modelId: string, overrides: MappingOverrides = {}, sampleEpisode?: number): Promise<Prepared> {
  const source = deps.source(datasetId)
  const pkg = await deps.models.get(modelId)
  const m = pkg.manifest
  const summary = source.summary
  const slots = cameraSlotNames(m)
  const cameras = await deps.models.cameraMap(datasetId, pkg, summary.cameras)
  if (overrides.cameras && Object.keys(overrides.cameras).length > 0) {
    const chosen = resolveCameraChoices(overrides.cameras, slots, summary.cameras.map((c) => c.key), overrides.cameraFlag ?? '--camera-map')
    for (const [slot, key] of Object.entries(chosen)) {
      cameras.slots[slot] = key
      cameras.how[slot] = 'saved'
    }
  }
  const episode = sampleEpisode ?? summary.episodes.find((e) => e.present)?.index
  let sample: EpisodeData | null = null
  if (episode !== undefined) sample = await source.loadEpisode(episode).catch(() => null)
  const names = sample?.state?.names ?? summary.state?.names ?? []
  const datasetStateDim = sample?.state?.dim ?? summary.state?.dim ?? 0

  const given = overrides.stateMap ?? null
  const saved = given === null ? await deps.models.stateMap(datasetId, pkg) : null
  const stateMapText = given ?? saved
  let stateMap: StateMapEntry[] | null = null
  const issues: CompatIssue[] = []
  if (stateMapText !== null) {
    try {
      stateMap = parseStateMap(stateMapText, names, given !== null ? (overrides.stateFlag ?? '--state-map') : 'the saved state map')
    } catch (err) {
      if (given !== null) throw err
      issues.push({ level: 'error', code: 'STATE_MAP', message: toWireError(err).message })
    }
  }
  let mapped: StateSample | null = null
  if (sample?.state) {
    const st = sample.state
    if (stateMap) mapped = { values: applyStateMap(st.values, sample.length, st.dim, stateMap, m.state.min, m.state.max), length: sample.length }
    else if (st.dim === m.state.dim) mapped = { values: st.values, length: sample.length }
  }
  issues.push(...checkCompatibility({ manifest: m, summary, cameras, stateMap: stateMapText !== null && stateMap === null ? [] : stateMap, datasetStateDim, sample: mapped }))
  // A saved map that no longer parses already says so; its "gives 0 values" echo would only confuse.
  const shown = stateMapText !== null && stateMap === null ? issues.filter((i) => !(i.code === 'STATE_MAP' && i.message.startsWith('the state map gives 0'))) : issues
  const cameraKeys = slots.map((s) => cameras.slots[s] ?? '')
  return { pkg, source, cameras, cameraKeys, stateMapText, stateMap, datasetStateDim, issues: shown }
}

/** What the Models panel shows before Start: the check of `prepareScoring`, with the saved state map. */
export async function checkScoring(deps: PairingDeps, datasetId: string, modelId: string): Promise<ModelCheck> {
  const p = await prepareScoring(deps, datasetId, modelId)
  const D = p.pkg.manifest.state.dim
  return {
    datasetId,
    modelId: p.pkg.id,
    issues: p.issues,
    ok: p.issues.every((i) => i.level !== 'error'),
    stateMap: p.stateMapText,
    datasetStateDim: p.datasetStateDim,
    modelStateDim: D,
    suggestedStateMap: p.stateMapText === null ? suggestStateMap(p.datasetStateDim, D) : null,
  }
}

/** Save (after checking that it parses against the dataset's joints) or clear the state map, then check again. */
export async function saveStateMap(deps: PairingDeps, datasetId: string, modelId: string, text: string | null): Promise<ModelCheck> {
  const source = deps.source(datasetId)
  const pkg = await deps.models.get(modelId)
  const trimmed = text?.trim() ?? ''
  if (trimmed !== '') {
    const sample = await sampleState(source)
    parseStateMap(trimmed, sample?.names ?? source.summary.state?.names ?? [], 'State map')
  }
  await deps.models.setStateMap(datasetId, pkg, trimmed === '' ? null : trimmed)
  return checkScoring(deps, datasetId, modelId)
}

async function sampleState(source: EpisodeSource): Promise<EpisodeData['state']> {
  const first = source.summary.episodes.find((e) => e.present)?.index
  if (first === undefined) return null
  return (await source.loadEpisode(first).catch(() => null))?.state ?? null
}
