import { createContext, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
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
