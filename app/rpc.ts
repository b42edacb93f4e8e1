/**
 * Transport-agnostic RPC: call / cancel / result / error / event, plus flow-control acks and the renderer's shell
 * notices, over any port that moves ArrayBuffers (a WebSocket in browser mode, an Electron MessagePort in the
 * desktop app). Typed arrays travel as binary attachments, never as JSON arrays of numbers.
 */
import type { WireError } from './errors'
import { fromWireError, VivaError } from './errors'
import type { EventName, EventPayloads, MediaRef, Method, Params, Result, ShellNotice, ShellNoticePayloads, VivaClient } from './contract'

export type RpcMessage =
  | { t: 'call'; id: number; method: string; params: unknown }
  /** The caller gave up on call `id`: its handler's AbortSignal is aborted and no answer comes. */
  | { t: 'cancel'; id: number }
  | { t: 'result'; id: number; result: unknown }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'event'; name: string; payload: unknown }
  /** The client has handled `bytes` more bytes of what the server sent (flow control, see ACK_EVERY_BYTES). */
  | { t: 'ack'; bytes: number }
  /** Renderer → desktop shell: what the page shows and whether it listens (contract: shellNoticeSchemas). */
  | { t: 'notice'; name: string; payload: unknown }

/**
 * The client acknowledges what it has handled in steps of this many bytes, so the server knows how much it sent is
 * still waiting on the client's side whatever the transport (a MessagePort cannot tell; a WebSocket's
 * bufferedAmount only counts what the socket has not written yet). At most this much is ever unacknowledged
 * without being queued, far below the congestion limit (main/events.ts STREAM_BACKLOG_BYTES).
 */
export const ACK_EVERY_BYTES = 64 * 1024

/**
 * The largest message a peer may send (browser mode's WebSocket `maxPayload`): a frame over it closes that one
 * connection with 1009 "message too big", and the client refuses to send one (the call fails with a clear message
 * instead). Calls are small; the one thing that can be large, an import file, goes up in chunks of
 * UPLOAD_CHUNK_BYTES (`upload.begin` / `upload.append`), so a few MB is plenty and bounds what one frame can make the
 * server buffer.
 */
export const MAX_RPC_MESSAGE_BYTES = 4 * 1024 * 1024

const TYPED = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
} as const
type TypedName = keyof typeof TYPED
type AnyTyped = InstanceType<(typeof TYPED)[TypedName]>

function typedName(value: unknown): TypedName | null {
  if (!ArrayBuffer.isView(value)) return null
  const name = value.constructor.name
  return name in TYPED ? (name as TypedName) : null
}

/**
 * Layout: uint32 header length | header JSON (UTF-8) | padding to 8 | attachments. Each attachment is referenced
 * from the JSON by its byte offset inside the attachment section and starts 8-byte aligned.
 */
const align8 = (n: number): number => (n + 7) & ~7

export function encodeMessage(message: RpcMessage): ArrayBuffer {
  const parts: { at: number; bytes: Uint8Array }[] = []
  let section = 0
  const json = JSON.stringify(message, (_key, value: unknown) => {
    const name = typedName(value)
    if (name !== null) {
      const view = value as AnyTyped
      const at = section
      parts.push({ at, bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength) })
      section = align8(section + view.byteLength)
      return { $bin: at, type: name, length: view.length }
    }
    return value
  })
  const header = new TextEncoder().encode(json)
  const base = align8(4 + header.byteLength)
  const out = new Uint8Array(base + section)
  new DataView(out.buffer).setUint32(0, header.byteLength, true)
  out.set(header, 4)
  for (const p of parts) out.set(p.bytes, base + p.at)
  return out.buffer
}

interface BinRef {
  $bin: number
  type: TypedName
  length: number
}

function isBinRef(value: unknown): value is BinRef {
  return typeof value === 'object' && value !== null && '$bin' in value && 'type' in value && 'length' in value
}

export function decodeMessage(data: ArrayBuffer): RpcMessage {
  if (data.byteLength < 4) throw new Error('Malformed RPC message: too short')
  const headerLength = new DataView(data).getUint32(0, true)
  if (4 + headerLength > data.byteLength) throw new Error('Malformed RPC message: header out of bounds')
  const json = new TextDecoder().decode(new Uint8Array(data, 4, headerLength))
  const base = align8(4 + headerLength)
  const parsed = JSON.parse(json, (_key, value: unknown) => {
    if (isBinRef(value) && typeof value.type === 'string' && value.type in TYPED) {
      const Ctor = TYPED[value.type]
      const start = base + Number(value.$bin)
      const end = start + Number(value.length) * Ctor.BYTES_PER_ELEMENT
      if (!(start >= base && end <= data.byteLength)) throw new Error('Malformed RPC message: attachment out of bounds')
      return new Ctor(data.slice(start, end))
    }
    return value
  }) as unknown
  if (typeof parsed !== 'object' || parsed === null || !('t' in parsed)) throw new Error('Malformed RPC message')
  return parsed as RpcMessage
}

/**
 * A duplex message port: the one thing a transport must provide (main/rpc/ports.ts has the WebSocket and Electron
 * MessagePort adapters). Messages arrive whole and in order.
 */
export interface RpcPort {
  send(data: ArrayBuffer): void
  /** Bytes queued but not yet sent, when the transport can tell (WebSocket); the acks cover the rest. */
  backlog?(): number
  onMessage(listener: (data: ArrayBuffer) => void): () => void
  /** Once, when the peer goes away (or the port is closed). */
  onClose(listener: (reason: string) => void): () => void
}

/** Decoded messages from a port; malformed ones are dropped (a peer cannot crash us with garbage). */
export function onRpcMessage(port: RpcPort, listener: (msg: RpcMessage) => void): () => void {
  return port.onMessage((data) => {
    let msg: RpcMessage
    try {
      msg = decodeMessage(data)
    } catch {
      return
    }
    listener(msg)
  })
}

export function createRpcClient(port: RpcPort, mediaUrl: (ref: MediaRef) => string): VivaClient & { close(): void } {
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  let closedReason: string | null = null

  let unacked = 0
  const handle = (msg: RpcMessage): void => {
    if (msg.t === 'result' || msg.t === 'error') {
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.t === 'result') p.resolve(msg.result)
      else p.reject(fromWireError(msg.error))
    } else if (msg.t === 'event') {
      for (const l of listeners.get(msg.name) ?? []) l(msg.payload)
    }
  }
  const offMessage = port.onMessage((data) => {
    try {
      let msg: RpcMessage | null = null
      try {
        msg = decodeMessage(data)
      } catch {
        // Malformed: dropped (a peer cannot crash us with garbage).
      }
      if (msg) handle(msg)
    } finally {
      // Acked once handled, so the server's count of unacknowledged bytes is what still waits on this side.
      unacked += data.byteLength
      if (unacked >= ACK_EVERY_BYTES && closedReason === null) {
        port.send(encodeMessage({ t: 'ack', bytes: unacked }))
        unacked = 0
      }
    }
  })
  const offClose = port.onClose((reason) => {
    closedReason = reason
    for (const p of pending.values()) p.reject(new VivaError('INTERNAL', `Connection to ViVa Studio closed: ${reason}`))
    pending.clear()
  })

  return {
    call<M extends Method>(method: M, params: Params<M>, signal?: AbortSignal): Promise<Result<M>> {
      if (closedReason !== null) {
        return Promise.reject(new VivaError('INTERNAL', `Connection to ViVa Studio closed: ${closedReason}`))
      }
      const id = nextId++
      return new Promise<Result<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        if (signal) {
          if (signal.aborted) {
            pending.delete(id)
            reject(new VivaError('CANCELLED', 'The operation was cancelled.'))
            return
          }
          signal.addEventListener(
            'abort',
            () => {
              if (!pending.has(id)) return
              pending.delete(id)
              port.send(encodeMessage({ t: 'cancel', id }))
              reject(new VivaError('CANCELLED', 'The operation was cancelled.'))
            },
            { once: true },
          )
        }
        const message = encodeMessage({ t: 'call', id, method, params })
        if (message.byteLength > MAX_RPC_MESSAGE_BYTES) {
          // Sending it would only get the connection closed (and every other call on it failed with it).
          pending.delete(id)
          const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`
          reject(
            new VivaError(
              'INVALID_ARGUMENT',
              `The request ${method} is too large to send (${mb(message.byteLength)}; the limit is ${mb(MAX_RPC_MESSAGE_BYTES)}).`,
            ),
          )
          return
        }
        port.send(message)
      })
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      const l = listener as (payload: unknown) => void
      set.add(l)
      return () => set.delete(l)
    },
    notify<N extends ShellNotice>(name: N, payload: ShellNoticePayloads[N]): void {
      if (closedReason === null) port.send(encodeMessage({ t: 'notice', name, payload }))
    },
    mediaUrl,
    close() {
      offMessage()
      offClose()
    },
  }
}
