/**
 * Deep links: one place that says where the user is (dataset, episode, frame, value curves shown) as text, and that
 * checks such a text against a dataset. The same path is written three ways:
 *   browser mode, the URL's hash:  #/dataset/<id>/episode/<n>/frame/<f>?curves=<k>,<k>
 *   desktop, a link the OS hands:  viva://open/dataset/<id>/episode/<n>/frame/<f>?curves=<k>,<k>&root=<folder>
 * The dataset id is the main side's (derived from the dataset's real path), the same in both modes. Each series key
 * (app/curves.ts seriesKey) is percent-encoded, so the commas between them are the only ones left. `root` lets a
 * desktop app that has not opened the dataset yet find it; browser mode serves only what the server opened.
 *
 * Frame index is the unit of time. A link that asks for what the dataset does not have is refused, never clamped
 * (as an event frame typed past the episode's end is): the app goes as deep as the link is valid (the dataset's
 * episode list for a bad episode, the episode's first frame for a bad frame) and says what it refused.
 */

export interface AppLocation {
  datasetId: string
  episode: number | null
  frame: number | null
  /** Series keys of the value curves shown, in the legend's order; null: the link says nothing about curves. */
  curves: string[] | null
}

export type LocationParse = { ok: true; location: AppLocation; root: string | null } | { ok: false; problem: string }

export const VIVA_SCHEME = 'viva'
const VIVA_PREFIX = `${VIVA_SCHEME}://open`

/** Longer links are refused before anything is decoded (a link is pasted by people; nothing real is this long). */
export const MAX_LINK_LENGTH = 16_384
export const MAX_LINK_CURVES = 64
const MAX_ID_LENGTH = 200

const PATH = /^\/dataset\/([^/?#]+)(?:\/episode\/([^/?#]+)(?:\/frame\/([^/?#]+))?)?\/?$/

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

function index(text: string | undefined, what: string): number | null | { problem: string } {
  if (text === undefined) return null
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return { problem: `${what} "${decode(text) ?? text}" is not a whole number ≥ 0` }
  return Number(text)
}

/** The path and query of a link (`/dataset/...?...`), as both the hash and the viva:// link carry them. */
export function parseLocationPath(text: string): LocationParse {
  if (text.length > MAX_LINK_LENGTH) return { ok: false, problem: `the link is ${text.length} characters long (at most ${MAX_LINK_LENGTH})` }
  const q = text.indexOf('?')
  const pathPart = q < 0 ? text : text.slice(0, q)
  const query = q < 0 ? '' : text.slice(q + 1)
  const m = PATH.exec(pathPart)
  if (!m) return { ok: false, problem: `"${pathPart}" is not a place in the app (expected /dataset/<id>/episode/<n>/frame/<f>)` }
  const datasetId = decode(m[1] ?? '')
  if (datasetId === null || datasetId === '' || datasetId.length > MAX_ID_LENGTH) return { ok: false, problem: `"${m[1]}" is not a dataset id` }
  const episode = index(m[2], 'episode')
  if (episode !== null && typeof episode === 'object') return { ok: false, problem: episode.problem }
  const frame = index(m[3], 'frame')
  if (frame !== null && typeof frame === 'object') return { ok: false, problem: frame.problem }

  let curves: string[] | null = null
  let root: string | null = null
  for (const pair of query === '' ? [] : query.split('&')) {
    const eq = pair.indexOf('=')
    const name = eq < 0 ? pair : pair.slice(0, eq)
    const value = eq < 0 ? '' : pair.slice(eq + 1)
    if (name === 'curves') {
      if (curves !== null) return { ok: false, problem: 'curves is given twice' }
      const keys = value === '' ? [] : value.split(',').map(decode)
      if (keys.some((k) => k === null || k === '')) return { ok: false, problem: `curves "${value}" is not a list of percent-encoded series keys` }
      if (keys.length > MAX_LINK_CURVES) return { ok: false, problem: `curves lists ${keys.length} series (at most ${MAX_LINK_CURVES})` }
      curves = keys as string[]
    } else if (name === 'root') {
      const decoded = decode(value)
      if (decoded === null || decoded === '' || decoded.includes('\0')) return { ok: false, problem: `root "${value}" is not a folder path` }
      root = decoded
    }
    // Anything else is ignored: a link made by a later version still opens what this one understands.
  }
  return { ok: true, location: { datasetId, episode, frame: episode === null ? null : frame, curves }, root }
}

function formatPathAndCurves(location: AppLocation): string {
  let text = `/dataset/${encodeURIComponent(location.datasetId)}`
  if (location.episode !== null) {
    text += `/episode/${location.episode}`
    if (location.frame !== null) text += `/frame/${location.frame}`
  }
  if (location.curves !== null) text += `?curves=${location.curves.map(encodeURIComponent).join(',')}`
  return text
}

/** The URL hash of a location (browser mode). */
export function formatLocationHash(location: AppLocation): string {
  return `#${formatPathAndCurves(location)}`
}

/** A URL hash: null when it asks for nothing (empty, `#`, `#/`), else the location or why it is not one. */
export function parseLocationHash(hash: string): LocationParse | null {
  const text = hash.startsWith('#') ? hash.slice(1) : hash
  if (text === '' || text === '/') return null
  return parseLocationPath(text)
}

/** The desktop link of a location; `root` (the dataset's folder) lets an app that has not opened it find it. */
export function formatVivaLink(location: AppLocation, root: string | null): string {
  const base = `${VIVA_PREFIX}${formatPathAndCurves(location)}`
  if (root === null) return base
  return `${base}${location.curves === null ? '?' : '&'}root=${encodeURIComponent(root)}`
}

export function isVivaLink(text: string): boolean {
  return text.slice(0, VIVA_SCHEME.length + 1).toLowerCase() === `${VIVA_SCHEME}:`
}

/** A viva:// link as the OS hands it (the scheme's case may vary; a trailing slash may be added). */
export function parseVivaLink(text: string): LocationParse {
  if (text.length > MAX_LINK_LENGTH) return { ok: false, problem: `the link is ${text.length} characters long (at most ${MAX_LINK_LENGTH})` }
  if (!isVivaLink(text)) return { ok: false, problem: `"${text.slice(0, 80)}" is not a ${VIVA_SCHEME}:// link` }
  const rest = text.slice(VIVA_SCHEME.length + 1)
  if (!rest.toLowerCase().startsWith('//open/')) return { ok: false, problem: `"${text.slice(0, 80)}" does not start with ${VIVA_PREFIX}/dataset/` }
  const parsed = parseLocationPath(rest.slice('//open'.length).replace(/#.*$/, ''))
  return parsed.ok ? parsed : { ok: false, problem: parsed.problem }
}

/** What a dataset must say about itself for a location to be checked against it. */
export interface LocatedDataset {
  id: string
  name: string
  episodes: ReadonlyArray<{ index: number; length: number; present: boolean }>
}

/**
 * Where a location can take the user in `dataset`: the episode and frame to show (null: the episode list) and, when
 * part of the location was refused, why. Never clamps (see the module comment).
 */
export function checkLocation(location: AppLocation, dataset: LocatedDataset): { episode: number | null; frame: number | null; problem: string | null } {
  if (location.episode === null) return { episode: null, frame: null, problem: null }
  const ep = dataset.episodes.find((e) => e.index === location.episode)
  if (!ep) {
    const indices = dataset.episodes.map((e) => e.index)
    const range = indices.length === 0 ? 'it has no episodes' : `its episodes are ${Math.min(...indices)}–${Math.max(...indices)}`
    return { episode: null, frame: null, problem: `${dataset.name} has no episode ${location.episode} (${range})` }
  }
  if (!ep.present) return { episode: null, frame: null, problem: `Episode ${ep.index} of ${dataset.name} has no data file on disk` }
  const frame = location.frame ?? 0
  if (frame >= ep.length) {
    return {
      episode: ep.index,
      frame: 0,
      problem: `Frame ${frame} is past the end of episode ${ep.index} of ${dataset.name} (frames 0–${ep.length - 1}); showing frame 0`,
    }
  }
  return { episode: ep.index, frame, problem: null }
}

/** The message for a link to a dataset this app has not opened (and, on the desktop, could not find). */
export function unknownDatasetProblem(datasetId: string, open: ReadonlyArray<{ name: string }>): string {
  const names = open.map((d) => d.name)
  return `The link names dataset ${datasetId}, which is not open here${names.length > 0 ? ` (open: ${names.join(', ')})` : ''}`
}

/** Prefixes every refusal so the message says what it is about. */
export function linkProblem(problem: string): string {
  return `Cannot follow the link: ${problem}`
}
