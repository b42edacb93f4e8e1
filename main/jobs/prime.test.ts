import { describe, expect, it } from 'vitest'
import { prime } from './episodeScoring'

/** A generator that records when its body starts and ends; `fail` makes its first step throw. */
function recorded(log: string[], fail = false): AsyncGenerator<number> {
  return (async function* () {
    log.push('started')
    try {
      if (fail) throw new Error('corrupt video')
      yield 1
      yield 2
    } finally {
      log.push('ended')
    }
  })()
}

describe('prime', () => {
  it('starts the generator at once and hands its items, in order, to the reader that comes later', async () => {
    const log: string[] = []
    const primed = prime(recorded(log))
    expect(log).toEqual(['started'])
    const items: number[] = []
    for await (const x of primed.batches) items.push(x)
    expect(items).toEqual([1, 2])
    expect(log).toEqual(['started', 'ended'])
    await primed.close()
    expect(log).toEqual(['started', 'ended'])
  })

  it("keeps the first step's error for the reader, without an unhandled rejection before it reads", async () => {
    const primed = prime(recorded([], true))
    await new Promise((r) => setTimeout(r, 10))
    await expect(primed.batches.next()).rejects.toThrow('corrupt video')
  })

  it('close() ends a generator nobody read (its finally runs: the decoders are killed)', async () => {
    const log: string[] = []
    const primed = prime(recorded(log))
    await primed.close()
    expect(log).toEqual(['started', 'ended'])
  })

  it("a reader that stops early ends it too; close() afterwards changes nothing", async () => {
    const log: string[] = []
    const primed = prime(recorded(log))
    for await (const x of primed.batches) if (x === 1) break
    expect(log).toEqual(['started', 'ended'])
    await primed.close()
    expect(log).toEqual(['started', 'ended'])
  })
})
