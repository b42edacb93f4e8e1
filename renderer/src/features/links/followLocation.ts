import { formatLocationHash, parseLocationHash } from '../../../../app/location'
import type { AppStore } from '../../state/store'
import { currentLocation } from './state'

/** Delay before a paused frame is written to the hash: stepping through frames writes once, when it stops. */
const SETTLE_MS = 250

type Win = Pick<Window, 'location' | 'history' | 'setTimeout' | 'clearTimeout' | 'addEventListener' | 'removeEventListener'>

/**
 * Keep the URL's hash on where the user is (app/location.ts), so that a reload, or the URL copied from the address
 * bar, comes back to it. The hash is replaced, never pushed: moving through frames must not fill the browser's
 * history. While playing, the frame written is the last one the user stopped on (it changes 30 times a second).
 * A hash the user types or pastes into this tab (hashchange) is followed. Returns the function that stops both.
 */
export function followLocation(store: AppStore, win: Win): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastFrame: number | null = null
  let written = win.location.hash
  const write = (): void => {
    timer = null
    const s = store.getState()
    const location = currentLocation(s, s.playing ? lastFrame : s.frame)
    if (!location) return
    lastFrame = location.frame
    const hash = formatLocationHash(location)
    written = hash
    if (win.location.hash !== hash) win.history.replaceState(win.history.state, '', hash)
  }
  const unsubscribe = store.subscribe((s, prev) => {
    const moved = s.currentDatasetId !== prev.currentDatasetId || s.screen !== prev.screen || s.episode !== prev.episode
    const curves = s.curveList !== prev.curveList || s.hiddenSeries !== prev.hiddenSeries || s.wantedSeries !== prev.wantedSeries
    if (!moved && !curves && s.frame === prev.frame && s.playing === prev.playing) return
    if (timer !== null) win.clearTimeout(timer)
    timer = null
    // Another dataset, episode or set of curves is written at once (a reload right after comes back to it);
    // frames once they settle.
    if (moved || curves) write()
    else timer = win.setTimeout(write, SETTLE_MS)
  })
  const onHashChange = (): void => {
    // Our own replaceState fires no hashchange; this is the user's edit of the address bar.
    if (win.location.hash === written) return
    written = win.location.hash
    const parsed = parseLocationHash(win.location.hash)
    if (!parsed) return
    if (parsed.ok) void store.getState().followLink(parsed.location)
    else store.getState().refuseLink(parsed.problem)
  }
  win.addEventListener('hashchange', onHashChange)
  return () => {
    unsubscribe()
    win.removeEventListener('hashchange', onHashChange)
    if (timer !== null) win.clearTimeout(timer)
  }
}
