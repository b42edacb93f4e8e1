import type { MediaRef, VivaClient } from '../../../app/contract'
import type { RpcPort } from '../../../app/rpc'
import { createRpcClient } from '../../../app/rpc'

/**
 * The one object the Electron preload exposes (main/electron/preload.ts): a byte pipe over the window's MessagePort.
 * It is an RPC port, so the desktop app runs the same client (framing, cancel, acks) as browser mode.
 */
export type VivaBridge = Pick<RpcPort, 'send' | 'onMessage' | 'onClose'>

export function getBridge(): VivaBridge | null {
  const candidate = (globalThis as { vivaBridge?: VivaBridge }).vivaBridge
  return candidate ?? null
}

const mediaUrl = (ref: MediaRef): string => `viva-media://${encodeURIComponent(ref.rootId)}/${ref.path.split('/').map(encodeURIComponent).join('/')}`

export function createElectronClient(bridge: VivaBridge): VivaClient {
  return createRpcClient(bridge, mediaUrl)
}
