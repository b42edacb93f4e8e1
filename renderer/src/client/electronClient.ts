import type { EventName, EventPayloads, MediaRef, Method, Params, Result, VivaClient } from '../../../app/contract'
import type { WireError } from '../../../app/errors'
import { fromWireError } from '../../../app/errors'

/** The one object the Electron preload exposes (see main/electron/preload.ts). */
export interface VivaBridge {
  call(method: string, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: WireError }>
  on(event: string, listener: (payload: unknown) => void): () => void
}

export function getBridge(): VivaBridge | null {
  const candidate = (globalThis as { vivaBridge?: VivaBridge }).vivaBridge
  return candidate ?? null
}

export function createElectronClient(bridge: VivaBridge): VivaClient {
  return {
    async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
      const outcome = await bridge.call(method, params)
      if (!outcome.ok) throw fromWireError(outcome.error)
      return outcome.result as Result<M>
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      return bridge.on(event, listener as (payload: unknown) => void)
    },
    mediaUrl(ref: MediaRef): string {
      return `viva-media://${encodeURIComponent(ref.rootId)}/${ref.path.split('/').map(encodeURIComponent).join('/')}`
    },
  }
}
