/**
 * The UI's remembered choices (episode-list sort, theme, pane sizes) in the browser's localStorage, one JSON value
 * per key. Reading never throws: storage that is off (private mode, a sandbox) or a value another version wrote
 * gives the default, and writing that fails keeps the choice for this session only.
 */
export function readPreference<T>(key: string, parse: (value: unknown) => T | null, fallback: T): T {
  try {
    const text = globalThis.localStorage?.getItem(key)
    if (text === null || text === undefined) return fallback
    return parse(JSON.parse(text)) ?? fallback
  } catch {
    return fallback
  }
}

export function writePreference(key: string, value: unknown): void {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(value))
  } catch {
    // Storage full or off: the choice still applies until the page is reloaded.
  }
}

/** A plain object, for parsers of stored values. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
