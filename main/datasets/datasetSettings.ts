import { writeJsonAtomic } from '../atomicWrite'
import { READ_LIMITS, readTextFile } from '../safeRead'

/** `<data-dir>/dataset-settings.json`: per-dataset choices the user made (today: which numeric feature is the state). */
export const DATASET_SETTINGS_FILE = 'dataset-settings.json'

export interface DatasetChoices {
  /** Numeric feature used as the state; absent = automatic (see chooseState). */
  stateKey?: string
}

interface SettingsFile {
  version: 1
  /** By dataset id (the real path's hash, as annotation projects are). */
  datasets: Record<string, DatasetChoices>
}

function parse(text: string): SettingsFile {
  const empty: SettingsFile = { version: 1, datasets: {} }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return empty
  }
  if (raw === null || typeof raw !== 'object' || !('datasets' in raw)) return empty
  const datasets = (raw as { datasets: unknown }).datasets
  if (datasets === null || typeof datasets !== 'object' || Array.isArray(datasets)) return empty
  const out: Record<string, DatasetChoices> = {}
  for (const [id, value] of Object.entries(datasets as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object') continue
    const stateKey = (value as { stateKey?: unknown }).stateKey
    out[id] = typeof stateKey === 'string' && stateKey !== '' ? { stateKey } : {}
  }
  return { version: 1, datasets: out }
}

/**
 * Per-dataset choices, read once and rewritten whole (atomically) on every change. A missing or unreadable file
 * starts empty: these are conveniences, and a lost choice is made again in a click.
 */
export class DatasetSettings {
  private loaded: Promise<SettingsFile> | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  private load(): Promise<SettingsFile> {
    this.loaded ??= readTextFile(this.file, READ_LIMITS.settings).then(parse, () => ({ version: 1, datasets: {} }) as SettingsFile)
    return this.loaded
  }

  async get(datasetId: string): Promise<DatasetChoices> {
    return { ...((await this.load()).datasets[datasetId] ?? {}) }
  }

  async set(datasetId: string, choices: DatasetChoices): Promise<void> {
    const settings = await this.load()
    settings.datasets[datasetId] = { ...choices }
    // One write at a time, each with the latest state: two quick changes never land out of order.
    this.writing = this.writing.catch(() => undefined).then(() => writeJsonAtomic(this.file, settings, 'dataset settings'))
    await this.writing
  }
}
