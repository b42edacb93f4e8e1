/**
 * Crash and multi-instance behaviour of the project file, with real separate processes (each its own SQLite
 * connection and locks), not simulated in one.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Edit } from '../../app/annotations'
import { openAnnotationStore } from './annotationStore'
import { CurveStore } from './curveStore'
import { makeEvent, onLines, spawnWorker, TEST_IDENTITY, T0 } from './testing/fixtures'

const STREAM_EPISODES = 10 // as in storeWorker.ts

let dir: string
let file: string
const children: ChildProcessWithoutNullStreams[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'viva-durability-'))
  file = path.join(dir, 'project.viva.sqlite')
})

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

function commitOrder(): string[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare('SELECT id FROM events ORDER BY rowid').pluck().all() as string[]
  } finally {
    db.close()
  }
}

function start(args: string[]): { child: ChildProcessWithoutNullStreams; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawnWorker(args)
  children.push(child)
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }))
  })
  return { child, exited }
}

/** Everything a stream worker committed must be whole: batch i = add e-i, note e-(i-1), note episode i % 10. */
function checkStreamState(lastAck: number): number {
  const store = openAnnotationStore(file, TEST_IDENTITY)
  try {
    expect(store.integrityCheck()).toBe('ok')
    const { events, episodes } = store.load()
    let committed = -1
    while (events.has(`e-${committed + 1}`)) committed++
    // Nothing beyond the last batch, and every acknowledged batch is there.
    expect(events.size).toBe(committed + 1)
    expect(committed).toBeGreaterThanOrEqual(lastAck)
    for (let i = 0; i <= committed; i++) {
      expect(events.get(`e-${i}`)?.note).toBe(i === committed ? '' : `upd-${i + 1}`)
    }
    for (let episode = 0; episode < STREAM_EPISODES; episode++) {
      let last = -1
      for (let i = 0; i <= committed; i++) if (i % STREAM_EPISODES === episode) last = i
      expect(episodes.get(episode)?.note).toBe(last < 0 ? undefined : `note-${last}`)
    }
    return committed
  } finally {
    store.close()
  }
}

describe('project file durability', () => {
  it('keeps every acknowledged batch, whole, across SIGKILLs mid-stream', async () => {
    let lastAck = -1
    for (const killAfter of [200, 237, 311]) {
      const { child, exited } = start(['stream', file])
      let acks = 0
      await new Promise<void>((resolve) => {
        onLines(child.stdout, (line) => {
          const match = /^ack (\d+)$/.exec(line)
          if (!match) return
          // Lines still arriving after the kill were printed before it: acknowledged all the same.
          lastAck = Number(match[1])
          // No waiting for a quiet moment: the writer is mid-way through its next batch when the signal lands.
          if (++acks === killAfter) {
            child.kill('SIGKILL')
            resolve()
          }
        })
        void exited.then(() => resolve())
      })
      const { signal, stderr } = await exited
      expect(signal, stderr).toBe('SIGKILL')
      expect(acks).toBeGreaterThanOrEqual(killAfter)
      const committed = checkStreamState(lastAck)
      // The next writer resumes after what is on disk, even if the kill came between commit and ack.
      lastAck = committed
    }
  })
})

describe('two instances on one project', () => {
  it('serialize concurrent writers; stale read-modify-writes get CONFLICT and retry, none is lost', async () => {
    // No file yet: the two also race to create it and run the migrations (each step under the write lock).
    const n = 300
    const acked = new Set<string>()
    const conflicts: number[] = []
    const workers = ['a', 'b'].map((prefix) => {
      const worker = start(['counter', file, prefix, String(n)])
      const ready = new Promise<void>((resolve) => {
        onLines(worker.child.stdout, (line) => {
          if (line === 'ready') resolve()
          else if (line.startsWith('ack ')) acked.add(line.slice(4))
          else if (line.startsWith('done ')) conflicts.push(Number(line.slice(5)))
        })
      })
      return { ...worker, ready }
    })
    // A worker that dies before 'ready' (its open failed) is reported with its stderr, not waited on until the timeout.
    await Promise.all(
      workers.map((w) =>
        Promise.race([w.ready, w.exited.then(({ code, stderr }) => Promise.reject(new Error(`worker exited (${code}) before ready:\n${stderr}`)))]),
      ),
    )
    for (const { child } of workers) child.stdin.end('go\n')
    for (const { exited } of workers) {
      const { code, stderr } = await exited
      expect(code, stderr).toBe(0)
    }
    expect(acked.size).toBe(2 * n)
    expect(conflicts).toHaveLength(2)

    const store = openAnnotationStore(file, TEST_IDENTITY)
    try {
      expect(store.integrityCheck()).toBe('ok')
      const state = store.load()
      for (const id of acked) expect(state.events.has(id), id).toBe(true)
      expect(state.events.size).toBe(2 * n)
      // Each acknowledged increment counted exactly once: no lost update between the two instances.
      expect(state.episodes.get(0)?.note).toBe(String(2 * n))
      // Commit order (rowid) shows the two really wrote in turns rather than one after the other.
      const order = state.events.size > 0 ? commitOrder() : []
      let switches = 0
      for (let i = 1; i < order.length; i++) if (order[i]?.[0] !== order[i - 1]?.[0]) switches++
      expect(switches, `commit order switched writers ${switches} times; conflicts ${conflicts.join(', ')}`).toBeGreaterThan(2)
    } finally {
      store.close()
    }
  })

  it('rejects a stale edit from the other instance with CONFLICT instead of overwriting', async () => {
    type Reply = { ok: boolean; code?: string; message?: string; note?: string | null }
    const talk = (args: string[]) => {
      const worker = start(args)
      const waiters: ((reply: Reply) => void)[] = []
      let markReady = (): void => {}
      const ready = new Promise<void>((resolve) => (markReady = resolve))
      onLines(worker.child.stdout, (line) => {
        if (line === 'ready') markReady()
        else waiters.shift()?.(JSON.parse(line) as Reply)
      })
      const send = (command: object): Promise<Reply> =>
        new Promise((resolve) => {
          waiters.push(resolve)
          worker.child.stdin.write(`${JSON.stringify(command)}\n`)
        })
      return { ...worker, ready, send }
    }
    openAnnotationStore(file, TEST_IDENTITY).close()
    const a = talk(['serve', file])
    const b = talk(['serve', file])
    await Promise.all([a.ready, b.ready])

    const event = makeEvent('x', { episode: 2, frame: 40 })
    expect(await a.send({ cmd: 'apply', edits: [{ op: 'event.add', event }] satisfies Edit[] })).toEqual({ ok: true })
    // Both instances now show note '' for x. A changes it; B, still showing '', edits from its stale view.
    const update = (note: string): Edit[] => [{ op: 'event.update', id: 'x', episode: 2, before: { note: '' }, after: { note }, at: T0 }]
    expect(await a.send({ cmd: 'apply', edits: update('from a') })).toEqual({ ok: true })
    const stale = await b.send({ cmd: 'apply', edits: update('from b') })
    expect(stale).toMatchObject({ ok: false, code: 'CONFLICT' })
    expect(stale.message).toMatch(/event "x" changed since the edit was made: note is "from a" here, the edit expected ""/)
    const staleDelete = await b.send({ cmd: 'apply', edits: [{ op: 'event.delete', event }] satisfies Edit[] })
    expect(staleDelete).toMatchObject({ ok: false, code: 'CONFLICT' })
    expect(await b.send({ cmd: 'note', id: 'x' })).toEqual({ ok: true, note: 'from a' })

    for (const worker of [a, b]) {
      worker.child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`)
      const { code, stderr } = await worker.exited
      expect(code, stderr).toBe(0)
    }
    const store = openAnnotationStore(file, TEST_IDENTITY)
    try {
      expect(store.integrityCheck()).toBe('ok')
      expect(store.load().events.get('x')?.note).toBe('from a')
    } finally {
      store.close()
    }
  })
})

describe('two processes on one value cache', () => {
  it('append chunks of their own curves at the same time, and neither fails (the app and viva score)', async () => {
    const cache = path.join(dir, 'values.sqlite')
    const n = 1500
    const workers = ['a', 'b'].map((prefix) => {
      const worker = start(['chunks', cache, prefix, String(n)])
      const lines: string[] = []
      const ready = new Promise<void>((resolve) => onLines(worker.child.stdout, (line) => (line === 'ready' ? resolve() : lines.push(line))))
      return { ...worker, ready, lines }
    })
    await Promise.all(
      workers.map((w) =>
        Promise.race([w.ready, w.exited.then(({ code, stderr }) => Promise.reject(new Error(`worker exited (${code}) before ready:\n${stderr}`)))]),
      ),
    )
    for (const { child } of workers) child.stdin.end('go\n')
    for (const w of workers) {
      const { code, stderr } = await w.exited
      expect(code, stderr).toBe(0)
      expect(w.lines).toEqual([`done ${n}`])
    }
    const store = new CurveStore(cache)
    try {
      for (const prefix of ['a', 'b']) {
        const { info, values } = store.get(`${prefix}-curve`)
        expect(info.computed).toBe(4 * n)
        expect(values[4 * n - 1]).toBe(n - 1)
      }
    } finally {
      store.close()
    }
  }, 60_000)
})
