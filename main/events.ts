import type { EventName, EventPayloads } from '../app/contract'

/** A transport queue above this many bytes counts as congested: producers wait, then lossy events are dropped. */
export const STREAM_BACKLOG_BYTES = 4 * 1024 * 1024

export type EventListener = <E extends EventName>(event: E, payload: EventPayloads[E]) => void

/** Fan-out of contract events from services to every connected renderer. */
export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void
  subscribe(listener: EventListener): () => void
  /** A transport reports how many bytes it still has queued (e.g. a WebSocket's bufferedAmount). */
  addBacklog(backlog: () => number): () => void
  /**
   * Backpressure for streams: resolves once every transport's queue is at most `limitBytes`, or after `timeoutMs`
   * (false then), so a producer slows to the renderer's pace without a stalled renderer stopping it.
   */
  drained(limitBytes: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>()
  const backlogs = new Set<() => number>()
  const worst = (): number => {
    let max = 0
    for (const b of backlogs) max = Math.max(max, b())
    return max
  }
  return {
    emit(event, payload) {
      for (const l of listeners) l(event, payload)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    addBacklog(backlog) {
      backlogs.add(backlog)
      return () => backlogs.delete(backlog)
    },
    async drained(limitBytes, timeoutMs, signal) {
      const until = performance.now() + timeoutMs
      while (worst() > limitBytes) {
        if (performance.now() >= until || signal?.aborted) return false
        await new Promise((r) => setTimeout(r, 10))
      }
      return true
    },
  }
}
