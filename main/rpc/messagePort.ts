import type { RpcPort } from '../../app/rpc'

/**
 * The shape of Electron's MessagePortMain this adapter uses (https://www.electronjs.org/docs/latest/api/message-port-main:
 * an EventEmitter; 'message' gives `{ data, ports }`, 'close' fires when the remote end disconnects; messages are
 * queued until `start()`). Declared here, not imported, so the RPC layer stays free of Electron and is tested with
 * a stand-in.
 */
export interface MessagePortMainLike {
  postMessage(message: unknown): void
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown
  on(event: 'close', listener: () => void): unknown
  off(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown
  off(event: 'close', listener: () => void): unknown
  start(): void
  close(): void
}

/** Bytes as they cross a MessagePort: the structured clone of an ArrayBuffer, or of a view over one. */
function asArrayBuffer(data: unknown): ArrayBuffer | null {
  if (data instanceof ArrayBuffer) return data
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer
  return null
}

/**
 * An RPC port over an Electron MessagePortMain (the desktop app: the window's page holds the other end). The port
 * cannot tell how much it has queued, so the backlog comes from the client's acks alone (main/rpc/serveRpc.ts).
 * Anything but bytes is ignored, as the WebSocket adapter ignores text frames.
 */
export function rpcPortFromMessagePort(port: MessagePortMainLike): RpcPort & { close(): void } {
  let closed = false
  const closeListeners = new Set<(reason: string) => void>()
  const fireClose = (reason: string): void => {
    if (closed) return
    closed = true
    for (const l of [...closeListeners]) l(reason)
    closeListeners.clear()
  }
  const onRemoteClose = (): void => fireClose('the page went away')
  port.on('close', onRemoteClose)
  let started = false
  const rpcPort: RpcPort & { close(): void } = {
    send: (data) => {
      if (!closed) port.postMessage(data)
    },
    onMessage: (listener) => {
      const l = (event: { data: unknown }): void => {
        const data = asArrayBuffer(event.data)
        if (data && !closed) listener(data)
      }
      port.on('message', l)
      // Queued messages flow once someone listens (start() is what lets them out).
      if (!started) {
        started = true
        port.start()
      }
      return () => void port.off('message', l)
    },
    onClose: (listener) => {
      closeListeners.add(listener)
      return () => void closeListeners.delete(listener)
    },
    /** Close from this side (page reloaded or gone): listeners hear it as the remote end's close. */
    close: () => {
      port.off('close', onRemoteClose)
      port.close()
      fireClose('closed by the shell')
    },
  }
  return rpcPort
}
