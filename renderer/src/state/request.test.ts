import { describe, expect, it } from 'vitest'
import { createRequests } from './request'

/** A request whose answer the test gives when it likes, recording the signal it was given. */
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('request helper', () => {
  it('gives the latest request its value and makes an older one under the same key stale, aborting its signal', async () => {
    const requests = createRequests()
    const first = deferred<string>()
    const second = deferred<string>()
    const signals: AbortSignal[] = []
    const a = requests.run('k', (signal) => {
      signals.push(signal)
      return first.promise
    })
    expect(requests.pending('k')).toBe(true)
    const b = requests.run('k', (signal) => {
      signals.push(signal)
      return second.promise
    })
    expect(signals[0]?.aborted).toBe(true)
    expect(signals[1]?.aborted).toBe(false)
    second.resolve('new')
    expect(await b).toEqual({ status: 'ok', value: 'new' })
    // The stale answer arrives after the newer one: it is never handed out.
    first.resolve('old')
    expect(await a).toEqual({ status: 'stale' })
    expect(requests.pending('k')).toBe(false)
  })

  it('reports a stale request as stale even when it fails, and a current failure as its error', async () => {
    const requests = createRequests()
    const first = deferred<number>()
    const a = requests.run('k', () => first.promise)
    const b = requests.run('k', () => Promise.reject(new Error('boom')))
    first.reject(new Error('cancelled'))
    expect(await a).toEqual({ status: 'stale' })
    const out = await b
    expect(out.status).toBe('error')
    expect(out.status === 'error' && (out.error as Error).message).toBe('boom')
  })

  it('keeps keys apart, and abort / abortAll(prefix) make the aborted requests stale', async () => {
    const requests = createRequests()
    const x = deferred<number>()
    const y = deferred<number>()
    const z = deferred<number>()
    const signals: Record<string, AbortSignal> = {}
    const track = (key: string, d: { promise: Promise<number> }) =>
      requests.run(key, (signal) => {
        signals[key] = signal
        return d.promise
      })
    const a = track('curve:a', x)
    const b = track('curve:b', y)
    const c = track('list', z)
    requests.abortAll('curve:')
    expect(signals['curve:a']?.aborted).toBe(true)
    expect(signals['curve:b']?.aborted).toBe(true)
    expect(signals['list']?.aborted).toBe(false)
    x.resolve(1)
    y.resolve(2)
    z.resolve(3)
    expect(await a).toEqual({ status: 'stale' })
    expect(await b).toEqual({ status: 'stale' })
    expect(await c).toEqual({ status: 'ok', value: 3 })
    const d = deferred<number>()
    const e = requests.run('list', () => d.promise)
    requests.abort('list')
    d.resolve(4)
    expect(await e).toEqual({ status: 'stale' })
  })
})
