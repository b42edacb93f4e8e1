import { VivaError } from '../app/errors'

interface Run<T> {
  result: Promise<T>
  controller: AbortController
  /** Callers still waiting on the result. */
  waiting: number
  settled: boolean
}

/**
 * One run per key shared by every caller that asks for it while it is in flight (a probe of a v3.0 file that backs
 * many episodes, a proxy transcode, an episode's checks). The run belongs to no single caller: a caller whose signal
 * aborts stops waiting (CANCELLED) without failing the others, and the run itself is aborted only once every caller
 * has given up. A failed or cancelled run is never kept, so the next caller starts afresh; a finished one is kept
 * when `keep` is set (a cache) and dropped otherwise.
 */
export class SharedRuns<T> {
  private readonly runs = new Map<string, Run<T>>()

  constructor(
    private readonly options: { keep: boolean; cancelled: () => VivaError },
  ) {}

  has(key: string): boolean {
    return this.runs.has(key)
  }

  /** Resolves once every run started so far has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.runs.values()].map((r) => r.result))
  }

  join(key: string, start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(this.options.cancelled())
    let run = this.runs.get(key)
    if (!run) {
      const controller = new AbortController()
      const created: Run<T> = { result: start(controller.signal), controller, waiting: 0, settled: false }
      const drop = (): void => {
        created.settled = true
        if (this.runs.get(key) === created) this.runs.delete(key)
      }
      created.result.then(() => (this.options.keep ? void (created.settled = true) : drop()), drop)
      this.runs.set(key, created)
      run = created
    }
    return this.wait(key, run, signal)
  }

  private wait(key: string, run: Run<T>, signal: AbortSignal | undefined): Promise<T> {
    run.waiting += 1
    return new Promise<T>((resolve, reject) => {
      const leave = (): void => {
        run.waiting -= 1
        signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => {
        leave()
        if (!run.settled && run.waiting === 0) {
          if (this.runs.get(key) === run) this.runs.delete(key)
          run.controller.abort()
        }
        reject(this.options.cancelled())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      run.result.then(
        (value) => {
          leave()
          resolve(value)
        },
        (err: unknown) => {
          leave()
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      )
    })
  }
}
