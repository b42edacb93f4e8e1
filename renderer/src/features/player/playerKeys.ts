import { useEffect } from 'react'
import type { EpisodeView } from '../../../../app/contract'
import { matchShortcut, type ShortcutIn } from '../../../../app/shortcuts'
import { isTypingTarget } from '../../components/keyboard'
import type { AppStore } from '../../state/store'
import { useAppStore } from '../../state/StoreContext'
import { currentDataset } from '../datasets/state'
import { listedEpisodes } from '../datasets/episodeColumns'
import { candidateKey } from '../detector/candidates'
import { shownCandidates } from '../detector/state'
import { SPEEDS } from './state'

/** false: the key did nothing here (no event selected…), so it is left to the page. */
type Action = (t0: number) => boolean | void

/**
 * What each player key does. A Record over the player's ids in the shortcut registry (app/shortcuts.ts): a key
 * listed in the `?` overlay without an action here, or the reverse, does not compile.
 */
function playerActions(store: AppStore, episode: EpisodeView): Record<ShortcutIn<'player'>, Action> {
  const s = () => store.getState()
  const speedStep = (dir: 1 | -1): void => {
    const i = SPEEDS.findIndex((x) => x >= s().speed)
    s().setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + dir))] ?? s().speed)
  }
  const shownCandidate = (): string | null => {
    const key = s().selectedCandidate
    return key !== null && shownCandidates(s()).some((c) => candidateKey(c) === key) ? key : null
  }
  const otherEpisode = (dir: 1 | -1): boolean => {
    const summary = currentDataset(s())
    if (!summary) return false
    const list = listedEpisodes(s(), summary).filter((x) => x.present)
    const next = list[list.findIndex((x) => x.index === episode.index) + dir]
    if (next) void s().openEpisode(next.index)
    return true
  }
  const mark = (kind: 'milestone' | 'error'): void => {
    if (s().playing) s().togglePlay()
    s().openPicker(kind)
  }
  return {
    'play.toggle': () => s().togglePlay(),
    'frame.prev': (t0) => s().step(-1, t0),
    'frame.next': (t0) => s().step(1, t0),
    'frame.prev10': (t0) => s().step(-10, t0),
    'frame.next10': (t0) => s().step(10, t0),
    'frame.first': (t0) => s().seek(0, t0),
    'frame.last': (t0) => s().seek(episode.length - 1, t0),
    'frame.goto': () => document.querySelector<HTMLInputElement>('input[aria-label="Go to frame"]')?.focus(),
    'speed.down': () => speedStep(-1),
    'speed.up': () => speedStep(1),
    'episode.prev': () => otherEpisode(-1),
    'episode.next': () => otherEpisode(1),
    'player.back': () => {
      if (s().selectedCandidate) s().selectCandidate(null)
      else if (s().selectedEventId) s().selectEvent(null)
      else s().closeEpisode()
    },
    'mark.milestone': () => mark('milestone'),
    'mark.error': () => mark('error'),
    'event.prev': () => s().jumpEvent(-1),
    'event.next': () => s().jumpEvent(1),
    'event.relabel': () => {
      const id = s().selectedEventId
      const ev = id ? s().project?.events.get(id) : undefined
      if (!ev) return false
      s().openPicker(ev.kind, ev.id)
    },
    'event.delete': () => {
      const candidate = shownCandidate()
      if (candidate) s().dismissCandidate(candidate)
      else if (s().selectedEventId) void s().deleteEvent(s().selectedEventId ?? '')
      else return false
    },
    'outcome.success': () => void s().updateEpisode({ outcome: 'success' }),
    'outcome.failure': () => void s().updateEpisode({ outcome: 'failure' }),
    'outcome.unknown': () => void s().updateEpisode({ outcome: 'unknown' }),
    'taxonomy.edit': () => s().setTaxonomyEditorOpen(true),
    'edit.undo': () => void s().undo(),
    'edit.redo': () => void s().redo(),
    'suggestion.prev': () => s().jumpCandidate(-1),
    'suggestion.next': () => s().jumpCandidate(1),
    // A accepts the selected suggested event (label picker, then an undoable add), X dismisses it.
    'suggestion.accept': () => {
      const candidate = shownCandidate()
      if (!candidate) return false
      s().acceptCandidate(candidate)
    },
    'suggestion.dismiss': () => {
      const candidate = shownCandidate()
      if (!candidate) return false
      s().dismissCandidate(candidate)
    },
    // Error triage: the next / previous drop of the dataset's ranking (opens its episode at its frame).
    'drop.next': () => void s().jumpDrop(1),
    'drop.prev': () => void s().jumpDrop(-1),
  }
}

/** The player's keydown handler (window level; keys typed into a field, or while a dialog is open, are not ours). */
export function playerKeyHandler(store: AppStore, episode: EpisodeView): (e: KeyboardEvent) => void {
  const actions = playerActions(store, episode)
  return (e) => {
    if (e.defaultPrevented || isTypingTarget(e.target)) return
    const s = store.getState()
    if (s.picker || s.taxonomyEditorOpen) return
    const id = matchShortcut(e, 'player')
    if (id === null) return
    const t0 = e.timeStamp > 0 ? e.timeStamp : performance.now()
    if (actions[id](t0) === false) return
    e.preventDefault()
  }
}

export function usePlayerKeys(episode: EpisodeView): void {
  const store = useAppStore()
  useEffect(() => {
    const onKey = playerKeyHandler(store, episode)
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [store, episode])
}
