// The sandboxed preload against a stand-in for Electron's renderer modules: exactly one object reaches the page, a
// byte pipe; the preload asks for its port once, keeps it to itself, and queues what the page sends until it comes.
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { IPC_CONNECT, IPC_PORT } from './channels'

const fx = vi.hoisted(() => ({
  exposed: {} as Record<string, unknown>,
  send: vi.fn(),
  on: vi.fn(),
}))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (fx.exposed[key] = value) },
  ipcRenderer: { send: fx.send, on: fx.on },
}))

interface Bridge {
  send(data: unknown): void
  onMessage(listener: (data: ArrayBuffer) => void): () => void
  onClose(listener: (reason: string) => void): () => void
}
let bridge: Bridge
/** The port the shell handed over (second test); the later tests use it. */
let portInUse: FakePort

/** The DOM MessagePort the page's end arrives as. */
class FakePort {
  readonly posted: unknown[] = []
  readonly listeners = new Map<string, ((e?: { data: unknown }) => void)[]>()
  started = false
  postMessage(data: unknown): void {
    this.posted.push(data)
  }
  addEventListener(type: string, l: (e?: { data: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l])
  }
  start(): void {
    this.started = true
  }
  fire(type: string, e?: { data: unknown }): void {
    for (const l of this.listeners.get(type) ?? []) l(e)
  }
}

beforeAll(async () => {
  await import('./preload')
  bridge = fx.exposed.vivaBridge as Bridge
})

describe('preload', () => {
  it('exposes one object with three functions, and asks the shell for a port once', () => {
    expect(Object.keys(fx.exposed)).toEqual(['vivaBridge'])
    expect(Object.keys(bridge).sort()).toEqual(['onClose', 'onMessage', 'send'])
    expect(fx.send.mock.calls).toEqual([[IPC_CONNECT]])
    expect(fx.on).toHaveBeenCalledWith(IPC_PORT, expect.any(Function))
  })

  it('queues bytes until the port comes, then sends them in order; anything but bytes is dropped', () => {
    const a = new Uint8Array([1]).buffer
    const b = new Uint8Array([2]).buffer
    bridge.send(a)
    bridge.send('not bytes')
    bridge.send({ t: 'call' })
    const port = new FakePort()
    portInUse = port
    const onPort = fx.on.mock.calls[0]?.[1] as (e: { ports: unknown[] }) => void
    onPort({ ports: [port] })
    expect(port.started).toBe(true)
    expect(port.posted).toEqual([a])
    bridge.send(b)
    expect(port.posted).toEqual([a, b])
    // A second port (someone else's message on the channel) does not replace the first.
    const other = new FakePort()
    onPort({ ports: [other] })
    bridge.send(a)
    expect(other.posted).toEqual([])
  })

  it('delivers only bytes to the page (the event object never reaches it), holds what came before it listened, and reports the close', () => {
    const got: unknown[] = []
    const closed: string[] = []
    const early = new Uint8Array([6]).buffer
    portInUse.fire('message', { data: early }) // before the page listens: held for it
    const off = bridge.onMessage((d) => got.push(d))
    expect(got).toEqual([early])
    got.length = 0
    bridge.onClose((r) => closed.push(r))
    const data = new Uint8Array([7]).buffer
    portInUse.fire('message', { data })
    portInUse.fire('message', { data: 'text' })
    expect(got).toEqual([data])
    off()
    portInUse.fire('message', { data })
    expect(got).toEqual([data])
    portInUse.fire('close')
    expect(closed).toEqual(['the main process closed the connection'])
  })
})
