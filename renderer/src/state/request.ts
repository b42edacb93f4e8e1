/**
 * "Latest request wins", in one place. Each feature's state owns one `Requests`; a request runs under a key, and
 * starting another under the same key aborts the one in flight (its AbortSignal fires, so the client cancels the call
 * on the main side) and makes its outcome `stale`: whatever it answers later is never applied.
 *
 * Pass the signal to the client for reads only. A write (e.g. models.setCameraMap) is not cancelled when a newer
 * request starts: it still lands on the main side, only its answer is no longer shown.
 */

/** What a request came to: its value, its error, or `stale` (superseded or aborted; nothing to apply). */
export type Outcome<T> = { status: 'ok'; value: T } | { status: 'error'; error: unknown } | { status: 'stale' }

export interface Requests {
  /**
   * Run `request` under `key`, aborting the request in flight under the same key. The outcome is `stale` once a
   * newer request under that key has started, or abort(key)/abortAll() was called, whatever the request answered.
   */
  run<T>(key: string, request: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>>
  /** Whether a request under `key` is in flight (started, not settled, not superseded). */
  pending(key: string): boolean
  /** Abort the request under `key`, if any: its outcome becomes `stale`. */
  abort(key: string): void
  /** Abort every request in flight (under keys starting with `prefix`, when given). */
  abortAll(prefix?: string): void
}

export function createRequests(): Requests {
  const inFlight = new Map<string, AbortController>()

  const abort = (key: string): void => {
    const controller = inFlight.get(key)
    if (!controller) return
    inFlight.delete(key)
    controller.abort()
  }

  return {
    async run<T>(key: string, request: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
      abort(key)
      const controller = new AbortController()
      inFlight.set(key, controller)
      const current = (): boolean => inFlight.get(key) === controller && !controller.signal.aborted
      let outcome: Outcome<T>
      try {
        outcome = { status: 'ok', value: await request(controller.signal) }
      } catch (error) {
        outcome = { status: 'error', error }
      }
      if (!current()) return { status: 'stale' }
      inFlight.delete(key)
      return outcome
    },
    pending: (key) => inFlight.has(key),
    abort,
    abortAll(prefix) {
      for (const key of [...inFlight.keys()]) if (prefix === undefined || key.startsWith(prefix)) abort(key)
    },
  }
}
