// The sandboxed preload against a stand-in for Electron's renderer modules: exactly one object reaches the page,
// and only contract names pass through it.
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { IPC_CALL, IPC_EVENT } from './channels'

const fx = vi.hoisted(() => ({
  exposed: {} as Record<string, unknown>,
  invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, result: 'answer' })),
  on: vi.fn(),
  off: vi.fn(),
}))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (fx.exposed[key] = value) },
  ipcRenderer: { invoke: fx.invoke, on: fx.on, off: fx.off },
}))

interface Bridge {
  call(method: string, params: unknown): Promise<unknown>
  on(event: string, listener: (payload: unknown) => void): () => void
}
let bridge: Bridge

beforeAll(async () => {
  await import('./preload')
  bridge = fx.exposed.vivaBridge as Bridge
})

describe('preload', () => {
  it('exposes one object with two functions', () => {
    expect(Object.keys(fx.exposed)).toEqual(['vivaBridge'])
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on'])
  })

  it('forwards contract methods on the one channel, refuses the rest', async () => {
    await expect(bridge.call('app.info', {})).resolves.toEqual({ ok: true, result: 'answer' })
    expect(fx.invoke).toHaveBeenCalledWith(IPC_CALL, 'app.info', {})
    fx.invoke.mockClear()
    await expect(bridge.call('shell.openExternal', 'https://x')).resolves.toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } })
    await expect(bridge.call('__proto__', {})).resolves.toMatchObject({ ok: false })
    expect(fx.invoke).not.toHaveBeenCalled()
  })

  it('delivers only the subscribed contract event, and unsubscribes', () => {
    expect(bridge.on('not.an.event', () => undefined)()).toBeUndefined()
    expect(fx.on).not.toHaveBeenCalled()
    const got: unknown[] = []
    const off = bridge.on('app.command', (p) => got.push(p))
    expect(fx.on).toHaveBeenCalledWith(IPC_EVENT, expect.any(Function))
    const wrapped = fx.on.mock.calls[0]?.[1] as (e: unknown, name: string, payload: unknown) => void
    wrapped({ sender: 'ipc' }, 'app.command', { command: 'undo' })
    wrapped({ sender: 'ipc' }, 'score.chunk', { x: 1 })
    expect(got).toEqual([{ command: 'undo' }]) // the IPC event object never reaches the page
    off()
    expect(fx.off).toHaveBeenCalledWith(IPC_EVENT, wrapped)
  })
})
