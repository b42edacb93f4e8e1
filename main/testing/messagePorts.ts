// Stand-ins for the desktop app's MessagePort pair in tests (the Electron binary cannot run here): a Node
// MessageChannel's ends, one in the shape of Electron's MessagePortMain, the other as the page's RPC port.
import { EventEmitter } from 'node:events'
import type { MessagePort } from 'node:worker_threads'
import type { RpcPort } from '../../app/rpc'

/**
 * Electron's MessagePortMain as main/rpc/messagePort.ts sees it (https://www.electronjs.org/docs/latest/api/message-port-main:
 * an EventEmitter whose 'message' gives `{ data, ports }` and whose 'close' fires when the other end goes).
 */
export class FakeMessagePortMain extends EventEmitter {
  constructor(private readonly port: MessagePort) {
    super()
    port.on('message', (data: unknown) => this.emit('message', { data, ports: [] }))
    port.on('close', () => this.emit('close'))
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message)
  }
  start(): void {
    this.port.start()
  }
  close(): void {
    this.port.close()
  }
}

/** The page's end, as the preload's byte pipe hands it to the renderer's client (renderer/src/client). */
export function pagePort(port: MessagePort): RpcPort & { close(): void } {
  return {
    send: (data) => port.postMessage(data),
    onMessage: (listener) => {
      const l = (data: unknown): void => {
        if (data instanceof ArrayBuffer) listener(data)
      }
      port.on('message', l)
      return () => void port.off('message', l)
    },
    onClose: (listener) => {
      const l = (): void => listener('closed')
      port.on('close', l)
      return () => void port.off('close', l)
    },
    close: () => port.close(),
  }
}
