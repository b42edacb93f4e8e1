import type { RawData, WebSocket } from 'ws'
import type { RpcPort } from '../../app/rpc'

/** An RPC port over a `ws` socket (binary frames only), for the server side and for Node clients in tests. */
export function rpcPortFromWebSocket(ws: WebSocket): RpcPort {
  return {
    send: (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data)
    },
    backlog: () => ws.bufferedAmount,
    onMessage: (listener) => {
      const l = (data: RawData, isBinary: boolean): void => {
        if (!isBinary) return
        if (data instanceof ArrayBuffer) listener(data)
        else if (Buffer.isBuffer(data)) listener(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
      }
      ws.on('message', l)
      return () => ws.off('message', l)
    },
    onClose: (listener) => {
      const l = (): void => listener('socket closed')
      ws.on('close', l)
      return () => ws.off('close', l)
    },
  }
}
