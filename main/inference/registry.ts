import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { CameraMapping, CameraMatch, ModelInfo, ProviderRequest } from '../../app/contract'
import type { CameraInfo } from '../../app/dataset'
import { toWireError, VivaError } from '../../app/errors'
import { writeJsonAtomic } from '../atomicWrite'
import { fsReason } from '../fsErrors'
import { READ_LIMITS, readTextFile } from '../safeRead'
import { cameraSlotNames, loadModelPackage, MANIFEST_FILE, type Manifest, type ModelPackage } from './manifest'
import { modelInfo, openRunner, type ValueRunner } from './runner'

export interface ModelRegistryOptions {
  /** Folders whose subfolders are bundled packages (the app's models/ folder). */
  bundledDirs: string[]
  /** Where the user's model folders and camera mappings are remembered. */
  settingsFile: string
}

interface Settings {
  folders: string[]
  /** datasetId → model slot name → dataset camera key. Keyed by slot name so every model with that slot reuses it. */
  cameraMaps: Record<string, Record<string, string | null>>
  /**
   * datasetId → model state layout (stateLayoutKey) → state map text. Keyed by the layout rather than the package
   * hash, so a retrained model with the same joints keeps the dataset's map.
   */
  stateMaps: Record<string, Record<string, string>>
}

/** What a state map depends on in a model: its state dimension and joint names. */
export function stateLayoutKey(m: Manifest): string {
  return `${m.state.dim}:${m.state.names.join('|')}`
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

interface Entry {
  info: ModelInfo
  pkg: ModelPackage | null
  stamp: string
}

/** A folder that is a package, or whose direct subfolders are packages. */
function packageDirs(dir: string): string[] {
  if (existsSync(path.join(dir, MANIFEST_FILE))) return [dir]
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names.map((n) => path.join(dir, n)).filter((d) => existsSync(path.join(d, MANIFEST_FILE)))
}

/** Changes to any file of the package (subfolders included) invalidate the cached hash check. */
function folderStamp(dir: string): string {
  const parts: string[] = []
  const walk = (d: string, rel: string, depth: number): void => {
    let names: string[]
    try {
      names = readdirSync(d).sort()
    } catch {
      parts.push(`${rel}:unreadable`)
      return
    }
    for (const n of names) {
      if (parts.length > 2000) return
      try {
        const s = statSync(path.join(d, n))
        if (s.isDirectory()) {
          if (depth < 4) walk(path.join(d, n), `${rel}${n}/`, depth + 1)
        } else parts.push(`${rel}${n}:${s.size}:${s.mtimeMs}`)
      } catch {
        parts.push(`${rel}${n}:gone`)
      }
    }
  }
  walk(dir, '', 0)
  return parts.join('|')
}

/**
 * Pick a dataset camera for each model slot: exact key or `.slot` suffix first (matched by name), then remaining
 * cameras in the dataset's order (matched by position, which the UI asks the user to check).
 */
export function guessCameraMatches(slots: string[], cameras: CameraInfo[]): { slots: Record<string, string | null>; how: Record<string, CameraMatch> } {
  const keys = cameras.map((c) => c.key)
  const out: Record<string, string | null> = Object.fromEntries(slots.map((s) => [s, null]))
  const how: Record<string, CameraMatch> = Object.fromEntries(slots.map((s) => [s, 'none']))
  const used = new Set<string>()
  // Exact names win over `.slot` suffixes; a camera feeds at most one slot.
  for (const match of [(k: string, s: string) => k === s, (k: string, s: string) => k.endsWith(`.${s}`)]) {
    for (const slot of slots) {
      if (out[slot] !== null) continue
      const hit = keys.find((k) => !used.has(k) && match(k, slot))
      if (hit) {
        out[slot] = hit
        how[slot] = 'name'
        used.add(hit)
      }
    }
  }
  const rest = keys.filter((k) => !used.has(k))
  for (const slot of slots) {
    if (out[slot] !== null) continue
    out[slot] = rest.shift() ?? null
    if (out[slot] !== null) how[slot] = 'position'
  }
  return { slots: out, how }
}

/** The guessed camera per slot (see guessCameraMatches). */
export function guessCameraMap(slots: string[], cameras: CameraInfo[]): Record<string, string | null> {
  return guessCameraMatches(slots, cameras).slots
}

/**
 * Model packages the app knows (bundled + user folders), their validation state, camera mappings per dataset, and
 * open runtimes (sessions are expensive to create, so they are kept per model and provider).
 */
export class ModelRegistry {
  /** By package folder: identical packages in two folders are two entries with the same id. */
  private readonly entries = new Map<string, Entry>()
  private settings: Settings | null = null
  private readonly runners = new Map<string, Promise<ValueRunner>>()

  constructor(private readonly options: ModelRegistryOptions) {}

  private async loadSettings(): Promise<Settings> {
    if (this.settings) return this.settings
    let parsed: Partial<Settings> = {}
    try {
      parsed = JSON.parse(await readTextFile(this.options.settingsFile, READ_LIMITS.settings)) as Partial<Settings>
    } catch {
      // Missing or unreadable settings start empty; they are rewritten on the next change.
    }
    const stateMaps: Settings['stateMaps'] = {}
    for (const [datasetId, byLayout] of Object.entries(isRecord(parsed.stateMaps) ? parsed.stateMaps : {})) {
      if (!isRecord(byLayout)) continue
      const kept = Object.entries(byLayout).filter((e): e is [string, string] => typeof e[1] === 'string')
      if (kept.length > 0) stateMaps[datasetId] = Object.fromEntries(kept)
    }
    this.settings = {
      folders: Array.isArray(parsed.folders) ? parsed.folders.filter((f) => typeof f === 'string') : [],
      cameraMaps: typeof parsed.cameraMaps === 'object' && parsed.cameraMaps !== null ? parsed.cameraMaps : {},
      stateMaps,
    }
    return this.settings
  }

  private async saveSettings(): Promise<void> {
    const s = await this.loadSettings()
    await writeJsonAtomic(this.options.settingsFile, s, 'model settings')
  }

  private async entryFor(dir: string, source: ModelInfo['source']): Promise<Entry> {
    const stamp = folderStamp(dir)
    const cached = this.entries.get(dir)
    if (cached && cached.stamp === stamp && cached.info.source === source) return cached
    let entry: Entry
    try {
      const pkg = await loadModelPackage(dir)
      entry = { info: modelInfo(pkg, source), pkg, stamp }
    } catch (err) {
      const error = toWireError(err)
      entry = {
        info: { id: `invalid:${dir}`, name: path.basename(dir), kind: null, dir, source, cameras: [], stateDim: 0, stateNames: [], fps: 0, horizon: 0, defaultSteps: 0, imageSize: [0, 0], error },
        pkg: null,
        stamp,
      }
    }
    this.entries.set(dir, entry)
    return entry
  }

  /** A package from a folder given directly (command line), without remembering the folder. */
  async load(dir: string): Promise<ModelPackage> {
    const entry = await this.entryFor(path.resolve(dir), 'user')
    if (!entry.pkg) throw new VivaError(entry.info.error?.code ?? 'MODEL_INVALID', entry.info.error?.message ?? 'invalid model', entry.info.error?.file ?? dir)
    return entry.pkg
  }

  async list(): Promise<ModelInfo[]> {
    const settings = await this.loadSettings()
    const out: ModelInfo[] = []
    for (const root of this.options.bundledDirs) for (const dir of packageDirs(root)) out.push((await this.entryFor(dir, 'bundled')).info)
    for (const folder of settings.folders) for (const dir of packageDirs(folder)) out.push((await this.entryFor(dir, 'user')).info)
    return out
  }

  /** Remember a user folder (a package or a folder of packages); refuses folders without any package. */
  async addFolder(folder: string): Promise<ModelInfo> {
    const dir = path.resolve(folder)
    try {
      statSync(dir)
    } catch (err) {
      // "does not exist" would hide a folder that is there but unreachable (a symlink loop, no permission).
      throw new VivaError('NOT_FOUND', `Cannot open the model folder ${dir}: ${fsReason(err)}`, dir)
    }
    const dirs = packageDirs(dir)
    if (dirs.length === 0) throw new VivaError('NOT_FOUND', `${dir} holds no model package (no ${MANIFEST_FILE} in it or its subfolders)`, dir)
    const settings = await this.loadSettings()
    if (!settings.folders.includes(dir)) {
      settings.folders.push(dir)
      await this.saveSettings()
    }
    const first = await this.entryFor(dirs[0] as string, 'user')
    return first.info
  }

  /** A usable package by id (as listed); invalid or unknown ids are clear errors. */
  async get(modelId: string): Promise<ModelPackage> {
    const find = (): Entry | undefined => [...this.entries.values()].find((e) => e.info.id === modelId)
    if (!find()) await this.list()
    const entry = find()
    if (!entry) throw new VivaError('NOT_FOUND', `No model ${modelId} (list the models again; the folder may have changed)`)
    if (!entry.pkg) throw new VivaError(entry.info.error?.code ?? 'MODEL_INVALID', entry.info.error?.message ?? 'invalid model', entry.info.dir)
    // Files may have changed since listing: re-check when the folder's stamp moved.
    if (folderStamp(entry.info.dir) !== entry.stamp) {
      const fresh = await this.entryFor(entry.info.dir, entry.info.source)
      if (!fresh.pkg) throw new VivaError(fresh.info.error?.code ?? 'MODEL_INVALID', fresh.info.error?.message ?? 'invalid model', fresh.info.dir)
      if (fresh.info.id !== modelId) throw new VivaError('CONFLICT', `The model in ${entry.info.dir} changed on disk; list the models again`)
      return fresh.pkg
    }
    return entry.pkg
  }

  async cameraMap(datasetId: string, pkg: ModelPackage, cameras: CameraInfo[]): Promise<CameraMapping> {
    const settings = await this.loadSettings()
    const slots = cameraSlotNames(pkg.manifest)
    const stored = settings.cameraMaps[datasetId] ?? {}
    const guess = guessCameraMatches(slots, cameras)
    const keys = new Set(cameras.map((c) => c.key))
    const out: Record<string, string | null> = {}
    const how: Record<string, CameraMatch> = {}
    let guessed = false
    for (const slot of slots) {
      const s = stored[slot]
      if (s !== undefined && (s === null || keys.has(s))) {
        out[slot] = s
        how[slot] = s === null ? 'none' : 'saved'
      } else {
        out[slot] = guess.slots[slot] ?? null
        how[slot] = guess.how[slot] ?? 'none'
        guessed = true
      }
    }
    return { datasetId, modelId: pkg.id, slots: out, guessed, how }
  }

  /** The state map saved for this dataset and the model's state layout (as typed), or null. */
  async stateMap(datasetId: string, pkg: ModelPackage): Promise<string | null> {
    const settings = await this.loadSettings()
    return settings.stateMaps[datasetId]?.[stateLayoutKey(pkg.manifest)] ?? null
  }

  /** Remember a state map (already validated by the caller) for this dataset and layout; null forgets it. */
  async setStateMap(datasetId: string, pkg: ModelPackage, text: string | null): Promise<void> {
    const settings = await this.loadSettings()
    const key = stateLayoutKey(pkg.manifest)
    const maps = { ...(settings.stateMaps[datasetId] ?? {}) }
    if (text === null) delete maps[key]
    else maps[key] = text
    settings.stateMaps[datasetId] = maps
    await this.saveSettings()
  }

  async setCameraMap(datasetId: string, pkg: ModelPackage, cameras: CameraInfo[], slots: Record<string, string | null>): Promise<CameraMapping> {
    const names = new Set(pkg.manifest.cameras.map((c) => c.name))
    const keys = new Set(cameras.map((c) => c.key))
    for (const [slot, key] of Object.entries(slots)) {
      if (!names.has(slot)) throw new VivaError('INVALID_ARGUMENT', `${pkg.manifest.name} has no camera slot "${slot}" (slots: ${[...names].join(', ')})`)
      if (key !== null && !keys.has(key)) throw new VivaError('INVALID_ARGUMENT', `The dataset has no camera "${key}" (cameras: ${[...keys].join(', ')})`)
    }
    const settings = await this.loadSettings()
    settings.cameraMaps[datasetId] = { ...(settings.cameraMaps[datasetId] ?? {}), ...slots }
    await this.saveSettings()
    return this.cameraMap(datasetId, pkg, cameras)
  }

  /** A moved dataset (re-attached to its old project) keeps the camera choices made for its old id. */
  async adoptDataset(fromId: string, toId: string): Promise<void> {
    const settings = await this.loadSettings()
    const old = settings.cameraMaps[fromId]
    if (old === undefined || fromId === toId || settings.cameraMaps[toId] !== undefined) return
    settings.cameraMaps[toId] = { ...old }
    await this.saveSettings()
  }

  /** An open runtime for the package, shared by jobs with the same provider request and thread count. */
  runner(pkg: ModelPackage, provider: ProviderRequest, threads?: number): Promise<ValueRunner> {
    const key = `${pkg.id}|${provider}|${threads ?? 'default'}`
    let r = this.runners.get(key)
    if (!r) {
      r = openRunner(pkg, { provider, threads })
      this.runners.set(key, r)
      r.catch(() => this.runners.delete(key))
    }
    return r
  }

  async dispose(): Promise<void> {
    const all = [...this.runners.values()]
    this.runners.clear()
    for (const r of all) await (await r.catch(() => null))?.release()
  }
}
