import type { EventName, EventPayloads, Method, Params, Result, VivaClient } from '../../../app/contract'
import { VivaError } from '../../../app/errors'

export type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>
export type Fallback = Partial<Record<Method, (p: never) => unknown>>

/** A fake main side for store tests: scripted answers (then the test file's fallbacks), recorded calls, pushable events. */
export function fakeClient(answers: Answers, fallback: Fallback = {}) {
  /** Every call, with the signal it was given (aborted once a newer request superseded it). */
  const calls: { method: Method; params: unknown; signal?: AbortSignal }[] = []
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const client: VivaClient = {
    async call<M extends Method>(method: M, params: Params<M>, signal?: AbortSignal): Promise<Result<M>> {
      calls.push({ method, params, ...(signal ? { signal } : {}) })
      const answer = (answers[method] ?? fallback[method]) as ((p: Params<M>) => Result<M> | Promise<Result<M>>) | undefined
      if (!answer) throw new VivaError('UNKNOWN_METHOD', method)
      return answer(params)
    },
    on<E extends EventName>(event: E, l: (p: EventPayloads[E]) => void) {
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      set.add(l as (p: unknown) => void)
      return () => set.delete(l as (p: unknown) => void)
    },
    mediaUrl: (ref) => `/media/${ref.rootId}/${ref.path}`,
  }
  const emit = <E extends EventName>(e: E, p: EventPayloads[E]): void => listeners.get(e)?.forEach((l) => l(p))
  const count = (m: Method): number => calls.filter((c) => c.method === m).length
  return { client, calls, emit, count }
}
