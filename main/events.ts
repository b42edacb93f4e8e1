import type { EventName, EventPayloads } from '../app/contract'

export type EventListener = <E extends EventName>(event: E, payload: EventPayloads[E]) => void

/** Fan-out of contract events from services to every connected renderer. */
export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void
  subscribe(listener: EventListener): () => void
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>()
  return {
    emit(event, payload) {
      for (const l of listeners) l(event, payload)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
