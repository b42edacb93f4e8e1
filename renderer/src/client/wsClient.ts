import type { MediaRef, VivaClient } from '../../../app/contract'
import type { RpcPort } from '../../../app/rpc'
import { createRpcClient } from '../../../app/rpc'

/**
 * The session token from the page's URL: the server serves the app under `/s/<token>/` (and sends the older
 * `/?token=…` there), so the token is the path's first segment after `/s/`.
 */
export function sessionToken(location: Pick<Location, 'pathname' | 'search'>): string {
  const m = /^\/s\/([^/]+)\//.exec(location.pathname)
  return m?.[1] ? decodeURIComponent(m[1]) : (new URLSearchParams(location.search).get('token') ?? '')
}

/** Browser mode: the contract over a WebSocket to the local server; the token came in the page URL. */
export async function connectWebSocketClient(location: Location): Promise<VivaClient> {
  const token = sessionToken(location)
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc?token=${encodeURIComponent(token)}`
  const ws = new WebSocket(wsUrl)
  ws.binaryType = 'arraybuffer'
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error('Cannot connect to the ViVa Studio server (is it running, and is the token right?)')), {
      once: true,
    })
  })
  const port: RpcPort = {
    send: (data) => ws.send(data),
    onMessage: (listener) => {
      const l = (ev: MessageEvent): void => {
        if (ev.data instanceof ArrayBuffer) listener(ev.data)
      }
      ws.addEventListener('message', l)
      return () => ws.removeEventListener('message', l)
    },
    onClose: (listener) => {
      const l = (ev: CloseEvent): void => listener(ev.reason || `code ${ev.code}`)
      ws.addEventListener('close', l)
      return () => ws.removeEventListener('close', l)
    },
  }
  const mediaUrl = (ref: MediaRef): string =>
    `/media/${encodeURIComponent(ref.rootId)}/${ref.path.split('/').map(encodeURIComponent).join('/')}?token=${encodeURIComponent(token)}`
  return createRpcClient(port, mediaUrl)
}
