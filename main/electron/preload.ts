// Sandboxed preload: exposes exactly one object. Only contract method and event names pass; nothing else of
// ipcRenderer reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { isEventName, isMethod } from '../../app/names'
import { IPC_CALL, IPC_EVENT } from './channels'

contextBridge.exposeInMainWorld('vivaBridge', {
  call(method: string, params: unknown): Promise<unknown> {
    if (!isMethod(method)) return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method: ${method}` } })
    return ipcRenderer.invoke(IPC_CALL, method, params)
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!isEventName(event)) return () => undefined
    const l = (_e: IpcRendererEvent, name: string, payload: unknown): void => {
      if (name === event) listener(payload)
    }
    ipcRenderer.on(IPC_EVENT, l)
    return () => ipcRenderer.off(IPC_EVENT, l)
  },
})
