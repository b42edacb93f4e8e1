import { isMethod, methodSchemas } from '../../app/contract'
import type { Method, Params, Result } from '../../app/contract'
import type { WireError } from '../../app/errors'
import { toWireError, VivaError } from '../../app/errors'
import type { RpcMessage, RpcPort } from '../../app/rpc'
import { encodeMessage, onRpcMessage } from '../../app/rpc'
import { STREAM_BACKLOG_BYTES, type EventBus } from '../events'
import { cutText } from '../../app/text'
import type { UploadSession, UploadStore } from './uploads'

const LOSSY_EVENTS = new Set<string>(['score.chunk'])

export interface CallContext {
  signal: AbortSignal
  /** The uploads of the connection (or window) the call came from; absent for callers that have none (tests). */
  uploads?: UploadSession
}

/** The caller's upload session, or a clear error for a caller that cannot upload. */
export function uploadsOf(ctx: CallContext): UploadSession {
  if (!ctx.uploads) throw new VivaError('INVALID_ARGUMENT', 'This caller has no upload session; pass the text inline.')
  return ctx.uploads
}

/** One handler per contract method; the mapped type makes a missing or mistyped handler a compile error. */
export type Handlers = { [M in Method]: (params: Params<M>, ctx: CallContext) => Promise<Result<M>> }

export type DispatchOutcome = { ok: true; result: unknown } | { ok: false; error: WireError }

/** Validate and run one call. Every transport goes through here, so validation cannot be forgotten by one of them. */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  params: unknown,
  ctx: CallContext,
): Promise<DispatchOutcome> {
  if (!isMethod(method)) {
    return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method: ${String(method).slice(0, 100)}` } }
  }
  const parsed = methodSchemas[method].safeParse(params ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    // Cut: zod quotes offending keys and values, and those can be megabytes long.
    const where = issue && issue.path.length > 0 ? ` (${cutText(issue.path.join('.'))})` : ''
    return {
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: `Invalid parameters for ${method}${where}: ${cutText(issue?.message ?? 'invalid', 300)}` },
    }
  }
  try {
    const handler = handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data, ctx) }
  } catch (err) {
    return { ok: false, error: toWireError(err) }
  }
}

/**
 * Serve the contract over a message port (a WebSocket in browser mode): calls, cancels and pushed events. The port
 * gets its own upload session, freed when the port closes.
 */
export function serveRpc(handlers: Handlers, port: RpcPort, events: EventBus, uploadStore: UploadStore): () => void {
  const inflight = new Map<number, AbortController>()
  const uploads = uploadStore.session()
  const send = (msg: RpcMessage): void => port.send(encodeMessage(msg))
  const offBacklog = port.backlog ? events.addBacklog(() => port.backlog?.() ?? 0) : () => undefined
  const offEvents = events.subscribe((name, payload) => {
    // Producers wait for the queue to drain (EventBus.drained) but only so long: a renderer that still cannot keep
    // up (slow link, hidden tab) misses chunks rather than growing our buffers without bound; it sees the gap and
    // fetches the stored curve (contract: 'score.chunk' is lossy).
    if (LOSSY_EVENTS.has(name) && (port.backlog?.() ?? 0) > STREAM_BACKLOG_BYTES) return
    send({ t: 'event', name, payload })
  })
  const offMessage = onRpcMessage(port, (msg) => {
    if (msg.t === 'cancel') {
      inflight.get(msg.id)?.abort()
      return
    }
    if (msg.t !== 'call' || !Number.isSafeInteger(msg.id)) return
    const id = msg.id
    const controller = new AbortController()
    inflight.set(id, controller)
    void dispatch(handlers, msg.method, msg.params, { signal: controller.signal, uploads }).then((outcome) => {
      inflight.delete(id)
      if (controller.signal.aborted) return
      send(outcome.ok ? { t: 'result', id, result: outcome.result } : { t: 'error', id, error: outcome.error })
    })
  })
  const offClose = port.onClose(() => stop())
  function stop(): void {
    for (const c of inflight.values()) c.abort()
    inflight.clear()
    uploads.close()
    offEvents()
    offBacklog()
    offMessage()
    offClose()
  }
  return stop
}
