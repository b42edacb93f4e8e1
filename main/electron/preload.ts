// Sandboxed preload: exposes exactly one object, a byte pipe to the main process. It asks the shell for a
// MessagePort (https://www.electronjs.org/docs/latest/tutorial/message-ports: the main side sends it with
// webContents.postMessage, it arrives in `event.ports`) and keeps the port here, in the isolated world: the page
// only sends and receives ArrayBuffers through the bridge. Nothing else of ipcRenderer reaches the page; what the
// bytes say is validated on the main side (main/rpc/serveRpc.ts).
import { contextBridge, ipcRenderer } from 'electron'
import { IPC_CONNECT, IPC_PORT } from './channels'

/** The DOM MessagePort the renderer receives, as far as this file uses it (the main tsconfig has no DOM lib). */
interface PagePort {
  postMessage(data: ArrayBuffer): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: () => void): void
  start(): void
}

let port: PagePort | null = null
/** What the page sent before the port arrived, in order. */
const queued: ArrayBuffer[] = []
/** What arrived before the page listened, in order. */
const inbox: ArrayBuffer[] = []
const messageListeners = new Set<(data: ArrayBuffer) => void>()
const closeListeners = new Set<(reason: string) => void>()

ipcRenderer.on(IPC_PORT, (event) => {
  const received = event.ports[0] as unknown as PagePort | undefined
  if (!received || port) return
  port = received
  received.addEventListener('message', (e) => {
    if (!(e.data instanceof ArrayBuffer)) return
    // Held until the page's client listens, so nothing the main side sent goes unseen (or unacknowledged).
    if (messageListeners.size === 0) inbox.push(e.data)
    for (const l of messageListeners) l(e.data)
  })
  // Electron's MessagePort 'close' event: the main side closed the port or went away.
  received.addEventListener('close', () => {
    for (const l of closeListeners) l('the main process closed the connection')
  })
  received.start()
  for (const data of queued.splice(0)) received.postMessage(data)
})
ipcRenderer.send(IPC_CONNECT)

contextBridge.exposeInMainWorld('vivaBridge', {
  send(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return
    if (port) port.postMessage(data)
    else queued.push(data)
  },
  onMessage(listener: (data: ArrayBuffer) => void): () => void {
    messageListeners.add(listener)
    for (const data of inbox.splice(0)) listener(data)
    return () => void messageListeners.delete(listener)
  },
  onClose(listener: (reason: string) => void): () => void {
    closeListeners.add(listener)
    return () => void closeListeners.delete(listener)
  },
})
