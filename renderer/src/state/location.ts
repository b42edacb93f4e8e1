import type { AppStore } from './store'

/**
 * Where the user is (dataset, episode, frame), kept in the URL's hash so that a page reload, in browser mode, comes
 * back to it: `#/dataset/<id>/episode/<n>/frame/<f>`. The dataset id is the main side's (derived from the
 * dataset's real path), so it names the same dataset for as long as the server has it open. The hash is replaced,
 * never pushed: moving through frames must not fill the browser's history.
 */
export interface AppLocation {
  datasetId: string
  episode: number | null
  frame: number | null
}

const PATTERN = /^#\/dataset\/([^/]+)(?:\/episode\/(\d+)(?:\/frame\/(\d+))?)?\/?$/

export function parseLocation(hash: string): AppLocation | null {
  const m = PATTERN.exec(hash)
  if (!m) return null
  let datasetId: string
  try {
    datasetId = decodeURIComponent(m[1] ?? '')
  } catch {
    return null
  }
  const int = (text: string | undefined): number | null => (text === undefined ? null : Number.isSafeInteger(Number(text)) ? Number(text) : null)
  const episode = int(m[2])
  return { datasetId, episode, frame: episode === null ? null : int(m[3]) }
}

export function formatLocation(location: AppLocation): string {
  let hash = `#/dataset/${encodeURIComponent(location.datasetId)}`
  if (location.episode !== null) {
    hash += `/episode/${location.episode}`
    if (location.frame !== null) hash += `/frame/${location.frame}`
  }
  return hash
}

/** The location the store shows now; the frame only while paused (playing, it changes 30 times a second). */
function currentLocation(store: AppStore, lastFrame: number | null): AppLocation | null {
  const s = store.getState()
  if (s.currentDatasetId === null) return null
  const episode = s.screen === 'player' && s.episode && s.episode.datasetId === s.currentDatasetId ? s.episode.index : null
  return { datasetId: s.currentDatasetId, episode, frame: episode === null ? null : s.playing ? lastFrame : s.frame }
}

/** Delay before a paused frame is written to the hash: stepping through frames writes once, when it stops. */
const SETTLE_MS = 250

/** Keep the hash following the store. Returns the function that stops it. */
export function followLocation(store: AppStore, win: Pick<Window, 'location' | 'history' | 'setTimeout' | 'clearTimeout'>): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastFrame: number | null = null
  const write = (): void => {
    timer = null
    const location = currentLocation(store, lastFrame)
    if (!location) return
    lastFrame = location.frame
    const hash = formatLocation(location)
    if (win.location.hash !== hash) win.history.replaceState(win.history.state, '', hash)
  }
  const unsubscribe = store.subscribe((s, prev) => {
    const moved = s.currentDatasetId !== prev.currentDatasetId || s.screen !== prev.screen || s.episode !== prev.episode
    if (!moved && s.frame === prev.frame && s.playing === prev.playing) return
    if (timer !== null) win.clearTimeout(timer)
    timer = null
    // Another dataset or episode is written at once (a reload right after opening one comes back to it); frames
    // once they settle.
    if (moved) write()
    else timer = win.setTimeout(write, SETTLE_MS)
  })
  return () => {
    unsubscribe()
    if (timer !== null) win.clearTimeout(timer)
  }
}

/**
 * Go where the hash says, if that dataset is open: select it, open the episode and seek to the frame once the
 * player shows it. False when the hash names nothing this server has (then the app starts as usual).
 */
export async function restoreLocation(store: AppStore, location: AppLocation | null): Promise<boolean> {
  if (!location) return false
  const s = store.getState()
  const summary = s.datasets.find((d) => d.id === location.datasetId)
  if (!summary) return false
  if (s.currentDatasetId !== summary.id) s.selectDataset(summary.id)
  else void s.loadProject(summary.id)
  const episode = location.episode === null ? null : summary.episodes.find((e) => e.index === location.episode && e.present)
  if (!episode) return true
  store.getState().selectEpisode(episode.index)
  await store.getState().openEpisodeAt(episode.index, Math.min(location.frame ?? 0, Math.max(0, episode.length - 1)))
  return true
}
