import type { RpcPort } from '../rpc'

/**
 * Two connected in-memory RPC ports for tests: what one sends the other receives, in order (synchronously, or a
 * microtask later with `async`, like a real transport); `close()` closes both ends.
 */
export function loopbackPorts({ async = false } = {}): { client: RpcPort; server: RpcPort; close(): void } {
  const toServer = new Set<(d: ArrayBuffer) => void>()
  const toClient = new Set<(d: ArrayBuffer) => void>()
  const closers = new Set<(reason: string) => void>()
  const deliver = (to: Set<(d: ArrayBuffer) => void>, d: ArrayBuffer): void => {
    if (async) void Promise.resolve().then(() => to.forEach((l) => l(d)))
    else to.forEach((l) => l(d))
  }
  const end = (out: Set<(d: ArrayBuffer) => void>, inbox: Set<(d: ArrayBuffer) => void>): RpcPort => ({
    send: (d) => deliver(out, d),
    onMessage: (l) => {
      inbox.add(l)
      return () => inbox.delete(l)
    },
    onClose: (l) => {
      closers.add(l)
      return () => closers.delete(l)
    },
  })
  return { client: end(toServer, toClient), server: end(toClient, toServer), close: () => [...closers].forEach((l) => l('gone')) }
}
