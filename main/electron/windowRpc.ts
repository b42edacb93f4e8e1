// The window's page talks to the services over one MessagePort, served by the same loop as browser mode's
// WebSocket (main/rpc/serveRpc.ts: validation, cancel, backpressure, uploads). The page asks for its port on
// IPC_CONNECT; the shell checks who asks, then sends one end of a new MessageChannelMain with
// webContents.postMessage (https://www.electronjs.org/docs/latest/tutorial/message-ports). A new page load (reload,
// crash, close) closes the old port, which aborts its calls and frees its uploads.
import { ipcMain, MessageChannelMain, type BrowserWindow } from 'electron'
import type { EventName, EventPayloads, ShellNoticeMessage } from '../../app/contract'
import { rpcPortFromMessagePort } from '../rpc/messagePort'
import { serveRpc, type RpcServer, type RpcServices } from '../rpc/serveRpc'
import { isTrustedIpcSender } from '../shell/security'
import { APP_SCHEME, IPC_CONNECT, IPC_PORT } from './channels'

export interface WindowRpc {
  /** An event for this window's page only (dropped while no page is connected). */
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void
}

export interface WindowRpcOptions {
  onNotice(notice: ShellNoticeMessage): void
  /** The page went away (a new document, a crash, the window closed): its state and readiness are gone. */
  onPageGone(): void
}

export function bindWindowRpc(win: BrowserWindow, services: RpcServices, options: WindowRpcOptions): WindowRpc {
  let current: { close(): void; server: RpcServer } | null = null
  const pageGone = (): void => {
    current?.close()
    current = null
    options.onPageGone()
  }

  // Only the window's own page, main frame, app origin gets a port; anyone else asking is ignored.
  ipcMain.on(IPC_CONNECT, (event) => {
    const frame = event.senderFrame
    const trusted = isTrustedIpcSender(
      { isAppWindow: !win.isDestroyed() && event.sender === win.webContents, frameUrl: frame?.url, isMainFrame: frame !== null && frame.parent === null },
      APP_SCHEME,
    )
    if (!trusted) return
    // One port per page: a second request (the page's preload ran again) replaces the first.
    current?.close()
    const { port1, port2 } = new MessageChannelMain()
    const port = rpcPortFromMessagePort(port1)
    current = { close: port.close, server: serveRpc(port, services, { onNotice: options.onNotice }) }
    event.sender.postMessage(IPC_PORT, null, [port2])
  })

  win.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) pageGone()
  })
  win.webContents.on('render-process-gone', pageGone)
  win.webContents.on('destroyed', pageGone)

  return {
    emit: (event, payload) => current?.server.emit(event, payload),
  }
}
