import { isShellNotice, shellNoticeSchemas, type EventName, type EventPayloads, type ShellNoticeMessage } from '../../app/contract'
import type { RpcMessage, RpcPort } from '../../app/rpc'
import { encodeMessage, onRpcMessage } from '../../app/rpc'
import { cutText } from '../../app/text'
import { STREAM_BACKLOG_BYTES, type EventBus } from '../events'
import { dispatch, type Handlers } from './dispatch'
import type { UploadStore } from './uploads'

/** Events a congested client misses rather than making us buffer them (contract: 'score.chunk' is lossy). */
const LOSSY_EVENTS = new Set<string>(['score.chunk'])

/**
 * Calls one port may have running at once. The renderer never comes near it (a few dozen at most: episode checks,
 * camera proxies, curves, one upload chunk at a time); a peer that floods calls gets BUSY answers instead of
 * unbounded work and memory here.
 */
export const MAX_INFLIGHT_CALLS = 256

/** What serving needs of the composed services (main/compose.ts). */
export interface RpcServices {
  handlers: Handlers
  events: EventBus
  uploads: UploadStore
}

export interface ServeRpcOptions {
  maxInflight?: number
  /** The renderer's shell notices, validated; without it (browser mode: no shell) they are dropped. */
  onNotice?: (notice: ShellNoticeMessage) => void
}

export interface RpcServer {
  /** Bytes sent that the client has not acknowledged yet, or the transport still holds, whichever is more. */
  backlog(): number
  /** Calls running now. */
  inflight(): number
  /** An event for this port's client only (the desktop shell's app.command goes to its own window). */
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void
  /** Stop serving: aborts every call in flight and frees the port's uploads (closing the port does the same). */
  stop(): void
}

/**
 * The one RPC serving loop, for every transport (browser mode's WebSocket, the desktop app's MessagePort): validates
 * each call against the contract (dispatch), runs it with an AbortSignal that a typed cancel message or the port's
 * closing aborts, bounds the calls in flight, answers {code, message} errors, pushes events with backpressure, and
 * owns the port's upload session.
 *
 * Backpressure: the client acknowledges what it has handled (app/rpc.ts ACK_EVERY_BYTES), so the backlog is known
 * whatever the transport buffers. Producers that stream (scoring) wait on EventBus.drained for it to fall; lossy
 * events are dropped while it is above STREAM_BACKLOG_BYTES, so a slow or stalled client never makes us buffer
 * them without bound.
 */
export function serveRpc(port: RpcPort, services: RpcServices, options: ServeRpcOptions = {}): RpcServer {
  const maxInflight = options.maxInflight ?? MAX_INFLIGHT_CALLS
  const inflight = new Map<number, AbortController>()
  const uploads = services.uploads.session()
  let sent = 0
  let acked = 0
  let stopped = false
  const backlog = (): number => Math.max(sent - acked, port.backlog?.() ?? 0)
  const send = (msg: RpcMessage): void => {
    if (stopped) return
    const data = encodeMessage(msg)
    sent += data.byteLength
    port.send(data)
  }

  const offBacklog = services.events.addBacklog(backlog)
  const offEvents = services.events.subscribe((name, payload) => {
    if (LOSSY_EVENTS.has(name) && backlog() > STREAM_BACKLOG_BYTES) return
    send({ t: 'event', name, payload })
  })

  const call = (id: number, method: string, params: unknown): void => {
    if (inflight.has(id)) return send({ t: 'error', id, error: { code: 'INVALID_ARGUMENT', message: `Call id ${id} is already in flight.` } })
    if (inflight.size >= maxInflight) {
      return send({ t: 'error', id, error: { code: 'BUSY', message: `Too many calls at once (limit ${maxInflight}); ${cutText(method, 100)} was refused.` } })
    }
    const controller = new AbortController()
    inflight.set(id, controller)
    void dispatch(services.handlers, method, params, { signal: controller.signal, uploads }).then((outcome) => {
      if (inflight.get(id) === controller) inflight.delete(id)
      // Cancelled (or the port closed): the caller has stopped waiting; nothing is sent.
      if (controller.signal.aborted) return
      send(outcome.ok ? { t: 'result', id, result: outcome.result } : { t: 'error', id, error: outcome.error })
    })
  }

  const notice = (name: string, payload: unknown): void => {
    if (!options.onNotice || !isShellNotice(name)) return
    const parsed = shellNoticeSchemas[name].safeParse(payload)
    // A notice has no answer to carry an error; a malformed one is dropped, like a malformed frame.
    if (parsed.success) options.onNotice({ name, payload: parsed.data } as ShellNoticeMessage)
  }

  const offMessage = onRpcMessage(port, (msg) => {
    if (stopped) return
    switch (msg.t) {
      case 'call':
        if (Number.isSafeInteger(msg.id)) call(msg.id, msg.method, msg.params)
        return
      case 'cancel': {
        const controller = inflight.get(msg.id)
        inflight.delete(msg.id)
        controller?.abort()
        return
      }
      case 'ack':
        if (Number.isSafeInteger(msg.bytes) && msg.bytes > 0) acked = Math.min(sent, acked + msg.bytes)
        return
      case 'notice':
        notice(msg.name, msg.payload)
        return
      default:
        // 'result' / 'error' / 'event' only flow the other way.
        return
    }
  })
  const offClose = port.onClose(() => stop())

  function stop(): void {
    if (stopped) return
    stopped = true
    for (const c of inflight.values()) c.abort()
    inflight.clear()
    uploads.close()
    offEvents()
    offBacklog()
    offMessage()
    offClose()
  }
  return { backlog, inflight: () => inflight.size, emit: (name, payload) => send({ t: 'event', name, payload }), stop }
}
