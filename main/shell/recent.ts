import path from 'node:path'
import { writeJsonAtomic } from '../atomicWrite'
import { READ_LIMITS, readTextFile } from '../safeRead'

/** File › Open recent: the datasets opened last, newest first, at most MAX_RECENT, kept in the data folder. */
export const RECENT_FILE = 'recent-datasets.json'
export const MAX_RECENT = 10

/** `root` moved (or added) to the front; duplicates (same resolved path) removed; at most `max` entries. */
export function addRecent(list: readonly string[], root: string, max = MAX_RECENT): string[] {
  const abs = path.resolve(root)
  return [abs, ...list.filter((p) => path.resolve(p) !== abs)].slice(0, max)
}

export function removeRecent(list: readonly string[], root: string): string[] {
  const abs = path.resolve(root)
  return list.filter((p) => path.resolve(p) !== abs)
}

/** A stored list, cleaned: strings that are absolute paths, no duplicates, at most `max`. */
export function parseRecent(value: unknown, max = MAX_RECENT): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? (value as { datasets?: unknown }).datasets : []
  if (!Array.isArray(items)) return []
  const out: string[] = []
  for (const item of items) {
    if (typeof item !== 'string' || item.length === 0 || item.length > 4096 || !path.isAbsolute(item) || item.includes('\0')) continue
    if (!out.some((p) => path.resolve(p) === path.resolve(item))) out.push(item)
    if (out.length >= max) break
  }
  return out
}

/** The persisted list. Writes are serialized; a missing or malformed file reads as empty. */
export class RecentDatasets {
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    private readonly file: string,
    private items: string[],
  ) {}

  static async open(dataDir: string): Promise<RecentDatasets> {
    const file = path.join(dataDir, RECENT_FILE)
    let items: string[]
    try {
      items = parseRecent(JSON.parse(await readTextFile(file, READ_LIMITS.settings)))
    } catch {
      items = []
    }
    return new RecentDatasets(file, items)
  }

  get list(): readonly string[] {
    return this.items
  }

  async add(root: string): Promise<void> {
    this.items = addRecent(this.items, root)
    await this.save()
  }

  async remove(root: string): Promise<void> {
    this.items = removeRecent(this.items, root)
    await this.save()
  }

  async clear(): Promise<void> {
    this.items = []
    await this.save()
  }

  private async save(): Promise<void> {
    const snapshot = { datasets: [...this.items] }
    this.writing = this.writing.then(() => writeJsonAtomic(this.file, snapshot)).catch(() => undefined)
    await this.writing
  }
}
