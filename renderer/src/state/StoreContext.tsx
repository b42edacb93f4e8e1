import { createContext, useContext, useMemo, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { AnnotationEvent } from '../../../app/annotations'
import { eventsOfEpisode } from '../../../app/annotationEdits'
import type { VivaClient } from '../../../app/contract'
import type { AppState, AppStore } from './store'

const StoreContext = createContext<{ store: AppStore; client: VivaClient } | null>(null)

export function StoreProvider(props: { store: AppStore; client: VivaClient; children: ReactNode }): ReactNode {
  return <StoreContext.Provider value={{ store: props.store, client: props.client }}>{props.children}</StoreContext.Provider>
}

function useCtx(): { store: AppStore; client: VivaClient } {
  const ctx = useContext(StoreContext)
  if (!ctx) throw new Error('StoreProvider missing')
  return ctx
}

/** Select the least state a component needs. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useCtx().store, selector)
}

export function useAppStore(): AppStore {
  return useCtx().store
}

export function useClient(): VivaClient {
  return useCtx().client
}

/** Events of the open episode, sorted; recomputed only when the project or the episode changes. */
export function useEpisodeEvents(): AnnotationEvent[] {
  const project = useApp((s) => s.project)
  const episode = useApp((s) => s.episode?.index)
  return useMemo(() => (project && episode !== undefined ? eventsOfEpisode(project, episode) : []), [project, episode])
}
