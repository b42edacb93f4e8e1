import { describe, expect, it } from 'vitest'
import { VivaError } from '../app/errors'
import { SharedRuns } from './sharedRuns'

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const cancelled = (): VivaError => new VivaError('CANCELLED', 'cancelled')

describe('SharedRuns', () => {
  it('starts one run per key for every caller that joins while it is in flight', async () => {
    const runs = new SharedRuns<number>({ keep: false, cancelled })
    const d = deferred<number>()
    let starts = 0
    const start = (): Promise<number> => {
      starts += 1
      return d.promise
    }
    const a = runs.join('k', start)
    const b = runs.join('k', start)
    d.resolve(7)
    expect(await Promise.all([a, b])).toEqual([7, 7])
    expect(starts).toBe(1)
    expect(runs.has('k')).toBe(false)
  })

  it("one caller's abort rejects only that caller; the run goes on for the others and is not aborted", async () => {
    const runs = new SharedRuns<string>({ keep: true, cancelled })
    const d = deferred<string>()
    let own: AbortSignal | undefined
    const first = new AbortController()
    const a = runs.join('k', (signal) => ((own = signal), d.promise), first.signal)
    const b = runs.join('k', () => Promise.reject(new Error('must not start twice')))
    first.abort()
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(own?.aborted).toBe(false)
    d.resolve('probe')
    expect(await b).toBe('probe')
    // kept: a later caller gets the same result without a new start
    expect(await runs.join('k', () => Promise.reject(new Error('kept result expected')))).toBe('probe')
  })

  it('aborts the run once every caller has given up, and the next caller starts afresh', async () => {
    const runs = new SharedRuns<number>({ keep: true, cancelled })
    let own: AbortSignal | undefined
    const one = new AbortController()
    const two = new AbortController()
    const a = runs.join('k', (signal) => ((own = signal), new Promise<number>(() => {})), one.signal)
    const b = runs.join('k', () => Promise.resolve(0), two.signal)
    one.abort()
    expect(own?.aborted).toBe(false)
    two.abort()
    expect(own?.aborted).toBe(true)
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await runs.join('k', () => Promise.resolve(5))).toBe(5)
  })

  it('a caller without a signal keeps the run alive; a failure is not kept', async () => {
    const runs = new SharedRuns<number>({ keep: true, cancelled })
    const d = deferred<number>()
    let own: AbortSignal | undefined
    const ctl = new AbortController()
    const a = runs.join('k', (signal) => ((own = signal), d.promise), ctl.signal)
    const b = runs.join('k', () => Promise.resolve(0))
    ctl.abort()
    expect(own?.aborted).toBe(false)
    d.reject(new Error('boom'))
    await expect(a).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(b).rejects.toThrow('boom')
    expect(await runs.join('k', () => Promise.resolve(3))).toBe(3)
  })

  it('refuses an already aborted signal without starting anything', async () => {
    const runs = new SharedRuns<number>({ keep: false, cancelled })
    let starts = 0
    await expect(runs.join('k', () => ((starts += 1), Promise.resolve(1)), AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(starts).toBe(0)
  })
})
