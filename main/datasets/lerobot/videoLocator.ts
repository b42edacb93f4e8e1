import { posix } from 'node:path'
import type { DirListing } from './dirListing'
import { listFilesRecursive } from './dirListing'
import { templateMatcher } from './pathTemplate'

/**
 * Finds a camera's videos when they are not where info.json's video_path says. Datasets assembled by hand or by
 * third-party converters put them in `video/` rather than `videos/`, name chunks `chunk-0` or `chunk_000`, name the
 * camera folder without `observation.images.`, or call the files `file-000.mp4` where the template says
 * `episode_000000.mp4`. The search is bounded and cheap: it runs only for files the template misses, lists each
 * plausible top folder once (never one lookup per episode), and matches files by what their names say (camera,
 * chunk number, episode or file number), not by position.
 */

/** Top folders searched besides the template's own first folder. */
const SIBLING_TOP_DIRS = /^videos?$/i
/** Files beyond this many under the searched folders are not looked at (a folder of that size is not a dataset's). */
const MAX_LISTED_FILES = 500_000
const VIDEO_FILE = /^(episode|file)[-_]?(\d+)\.(mp4|mkv|webm|mov|avi)$/i
const CHUNK_DIR = /^chunk[-_]?(\d+)$/i
const CAMERA_PREFIX = /^observation\.images?\./

export interface VideoLocation {
  /** Where video_path says the file is (root-relative). */
  expected: string
  /** Where it was found instead; null when nowhere. */
  found: string | null
}

export interface LocateResult {
  /** Per expected path that is missing on disk. */
  locations: Map<string, VideoLocation>
  /** The folders that were listed, root-relative with a trailing slash, for messages. */
  searched: string[]
}

function shortKey(key: string): string {
  return key.replace(CAMERA_PREFIX, '')
}

/** What a file's path says about itself; null when it is not a numbered video. */
interface FileFacts {
  camera: string
  chunk: number | null
  number: number
  path: string
}

function factsOf(relPath: string, cameras: readonly string[]): FileFacts | null {
  const parts = relPath.split('/')
  const name = parts[parts.length - 1] ?? ''
  const m = VIDEO_FILE.exec(name)
  if (!m) return null
  let chunk: number | null = null
  let camera: string | null = null
  for (const part of parts.slice(0, -1)) {
    const c = CHUNK_DIR.exec(part)
    if (c) chunk = Number(c[1])
    // The folder names the camera by its full key or its short name (observation.images.X → X).
    const exact = cameras.find((k) => k === part)
    const short = exact ?? cameras.find((k) => shortKey(k) === shortKey(part))
    if (short !== undefined) camera = short
  }
  return camera === null ? null : { camera, chunk, number: Number(m[2]), path: relPath }
}

/** The chunk and episode (v2.x) or file (v3.0) number an expected path was made from, read back from the template. */
function expectedFacts(template: string, relPath: string, camera: string): { chunk: number | null; number: number } | null {
  let fields: Record<string, number> | null
  try {
    fields = templateMatcher(template, ['episode_chunk', 'chunk_index', 'episode_index', 'file_index'], { video_key: camera })(relPath)
  } catch {
    return null
  }
  if (!fields) return null
  const number = fields.file_index ?? fields.episode_index
  if (number === undefined) return null
  return { chunk: fields.chunk_index ?? fields.episode_chunk ?? null, number }
}

const factKey = (camera: string, chunk: number | null, number: number): string => `${camera}\0${chunk ?? '-'}\0${number}`

/**
 * Look for each missing video among the files under the template's top folder and its plausible siblings
 * (`video/`, `videos/`). `missing` pairs a camera with the path video_path gave it.
 */
export async function locateVideos(
  root: string,
  listing: DirListing,
  videoTemplate: string,
  cameras: readonly string[],
  missing: readonly { camera: string; relPath: string }[],
): Promise<LocateResult> {
  const locations = new Map<string, VideoLocation>()
  if (missing.length === 0) return { locations, searched: [] }
  const templateTop = videoTemplate.split('/')[0] ?? ''
  const topNames = await listing.list('')
  const tops = [...topNames].filter((name) => SIBLING_TOP_DIRS.test(name) || (name === templateTop && !name.includes('{'))).sort()
  const byFacts = new Map<string, string>()
  let listed = 0
  for (const top of tops) {
    if (listed >= MAX_LISTED_FILES) break
    const files = (await listFilesRecursive(root, top)).slice(0, MAX_LISTED_FILES - listed)
    listed += files.length
    for (const file of files) {
      const facts = factsOf(posix.normalize(file), cameras)
      if (!facts) continue
      const key = factKey(facts.camera, facts.chunk, facts.number)
      // The template's own folder first, then siblings in name order: a stable pick when several match.
      if (!byFacts.has(key)) byFacts.set(key, facts.path)
    }
  }
  for (const { camera, relPath } of missing) {
    if (locations.has(relPath)) continue
    const facts = expectedFacts(videoTemplate, relPath, camera)
    // A file whose folders name no chunk matches any chunk number: flat layouts have no chunk folders at all.
    const found =
      facts === null ? null : (byFacts.get(factKey(camera, facts.chunk, facts.number)) ?? byFacts.get(factKey(camera, null, facts.number)) ?? null)
    locations.set(relPath, { expected: relPath, found: found !== null && found !== relPath ? found : null })
  }
  return { locations, searched: tops.map((t) => `${t}/`) }
}
