/**
 * Going to a place in an episode from elsewhere (the metrics view's worst event, a triage drop, the URL): open the
 * episode, then seek once the player has its driver for it (the views exist only after it renders).
 */
import type { EventKind } from '../../../../app/annotations'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { PlayerSlice } from './state'

/** A seek to apply once the player has its driver for this episode. */
export interface PendingSeek {
  datasetId: string
  episode: number
  frame: number
  /** The event at that frame to select, if any. */
  kind: EventKind | null
}

export interface NavigationSlice {
  pendingSeek: PendingSeek | null
  /** Open an episode in the player, seeked to `frame` (e.g. the worst event of a curve) once it is shown. */
  openEpisodeAt(episode: number, frame: number, kind?: EventKind | null): Promise<void>
  /** Called when the player attaches its driver: applies (or drops, for another episode) the pending seek. */
  applyPendingSeek(): void
}

export interface NavigationHooks {
  /** Arrived where a pending seek pointed: select the event of `kind` at that frame, if any. */
  arrived(seek: PendingSeek & { kind: EventKind }): void
}

export function createNavigationSlice({ set, get }: SliceContext<NavigationSlice, PlayerSlice & DatasetsSlice>, hooks: NavigationHooks): NavigationSlice {
  return {
    pendingSeek: null,

    async openEpisodeAt(episode, frame, kind = null) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      set({ pendingSeek: { datasetId, episode, frame, kind } })
      await get().openEpisode(episode)
      const ep = get().episode
      // Opening failed or was superseded: the seek must not land in whatever opens next.
      if (!ep || ep.index !== episode || ep.datasetId !== datasetId) set({ pendingSeek: null })
    },

    applyPendingSeek() {
      const p = get().pendingSeek
      if (!p) return
      const ep = get().episode
      if (!ep || ep.datasetId !== p.datasetId || ep.index !== p.episode) {
        // A driver for an episode other than the target: another episode was opened meanwhile.
        if (ep) set({ pendingSeek: null })
        return
      }
      set({ pendingSeek: null })
      if (p.kind) hooks.arrived({ ...p, kind: p.kind })
      get().seek(p.frame)
    },
  }
}
