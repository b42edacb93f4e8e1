/**
 * A second (third, …) ViVa Studio instance for the durability and concurrency tests: a separate Node process with
 * its own SQLite connection to the project file. Every line it prints about an edit is printed only after
 * `apply` returned, i.e. after the commit: the tests treat a printed line as an acknowledgment.
 *
 *   storeWorker.ts stream <file>                 batches of 3 edits, forever (until killed)
 *   storeWorker.ts counter <file> <prefix> <n>   after a line on stdin: n read-modify-write increments of
 *                                                episode 0's note, retried on CONFLICT
 *   storeWorker.ts serve <file>                  JSON commands on stdin, one JSON reply per line
 *   storeWorker.ts chunks <cache> <prefix> <n>   after a line on stdin: n chunks appended to a curve of its own in
 *                                                the value cache (a scoring job); `done n` at the end
 */
import { once } from 'node:events'
import { writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Edit } from '../../../app/annotations'
import { VivaError } from '../../../app/errors'
import { openAnnotationStore } from '../annotationStore'
import { CurveStore } from '../curveStore'
import type { AnnotationStore } from '../annotationStore'
import { makeEvent, TEST_IDENTITY } from './fixtures'

/** Episodes the stream mode cycles through; the test recomputes the expected notes with the same number. */
export const STREAM_EPISODES = 10

// Synchronous write: the edit loop never yields, and an async stdout would hold acks until it did.
function say(line: string): void {
  writeSync(1, `${line}\n`)
}

function stream(store: AnnotationStore): void {
  // Resume after the last committed batch, so the test can kill and restart the writer on the same file.
  const state = store.load()
  let next = 0
  while (state.events.has(`e-${next}`)) next++
  const notes = new Map([...store.episodeLabels()].map(([episode, labels]) => [episode, labels.note]))
  for (let i = next; i < 1_000_000; i++) {
    const at = new Date(Date.parse('2025-01-01T00:00:00Z') + i * 1000).toISOString()
    const episode = i % STREAM_EPISODES
    const edits: Edit[] = [{ op: 'event.add', event: makeEvent(`e-${i}`, { episode, frame: i }) }]
    if (i > 0) {
      edits.push({ op: 'event.update', id: `e-${i - 1}`, episode: (i - 1) % STREAM_EPISODES, before: { note: '' }, after: { note: `upd-${i}` }, at })
    }
    edits.push({ op: 'episode.update', episode, before: { note: notes.get(episode) ?? '' }, after: { note: `note-${i}` }, at })
    store.apply(edits)
    notes.set(episode, `note-${i}`)
    say(`ack ${i}`)
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function counter(store: AnnotationStore, prefix: string, n: number): void {
  let conflicts = 0
  for (let i = 0; i < n; i++) {
    // A breath between edits, as between a person's clicks. Without it a tight loop re-takes the write lock the
    // instant it commits and SQLite's sleeping busy handler lets the other instance starve until this one is done.
    pause(1)
    for (;;) {
      const note = store.episodeLabels().get(0)?.note ?? ''
      const value = note === '' ? 0 : Number(note)
      const edits: Edit[] = [
        { op: 'event.add', event: makeEvent(`${prefix}-${i}`, { episode: 1 + (i % 5), frame: i }) },
        { op: 'episode.update', episode: 0, before: { note }, after: { note: String(value + 1) }, at: new Date().toISOString() },
      ]
      try {
        store.apply(edits)
        say(`ack ${prefix}-${i}`)
        break
      } catch (err) {
        // The other instance incremented in between: our `before` is stale. Re-read and try again, as the UI does.
        if (err instanceof VivaError && err.code === 'CONFLICT') {
          conflicts++
          continue
        }
        throw err
      }
    }
  }
  say(`done ${conflicts}`)
}

type Command = { cmd: 'apply'; edits: Edit[] } | { cmd: 'note'; id: string } | { cmd: 'quit' }

async function serve(store: AnnotationStore): Promise<void> {
  say('ready')
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    const command = JSON.parse(line) as Command
    if (command.cmd === 'quit') break
    try {
      if (command.cmd === 'apply') {
        store.apply(command.edits)
        say(JSON.stringify({ ok: true }))
      } else {
        const event = store.load().events.get(command.id)
        say(JSON.stringify({ ok: true, note: event?.note ?? null }))
      }
    } catch (err) {
      const code = err instanceof VivaError ? err.code : 'INTERNAL'
      say(JSON.stringify({ ok: false, code, message: err instanceof Error ? err.message : String(err) }))
    }
  }
  // An open stdin pipe would keep the process alive after 'quit'.
  lines.close()
  process.stdin.destroy()
}

/** Both instances begin together (a line on stdin), so their transactions really interleave. */
async function startLine(): Promise<void> {
  say('ready')
  await once(createInterface({ input: process.stdin }), 'line')
  process.stdin.destroy()
}

async function chunks(file: string, prefix: string, n: number): Promise<void> {
  const cache = new CurveStore(file)
  try {
    const id = `${prefix}-curve`
    const curve = { id, datasetId: 'd', episode: 0, name: prefix, source: 'model', convention: 'progress', length: n * 4, modelId: 'm', modelName: 'm' } as const
    cache.ensure({ ...curve, params: null, futureDim: 0, futureNames: [], futureOffset: 0, file: null, sourceId: null, fileHash: null })
    await startLine()
    for (let i = 0; i < n; i++) cache.append(id, i * 4, new Float32Array([i, i, i, i]), null)
    say(`done ${n}`)
  } finally {
    cache.close()
  }
}

async function main(): Promise<void> {
  const [mode, file, ...rest] = process.argv.slice(2)
  if (!mode || !file) throw new Error('usage: storeWorker.ts stream|counter|serve|chunks <file> [...]')
  if (mode === 'chunks') return chunks(file, rest[0] ?? 'c', Number(rest[1] ?? '100'))
  const store = openAnnotationStore(file, TEST_IDENTITY)
  try {
    if (mode === 'stream') stream(store)
    else if (mode === 'counter') {
      await startLine()
      counter(store, rest[0] ?? 'c', Number(rest[1] ?? '100'))
    }
    else if (mode === 'serve') await serve(store)
    else throw new Error(`unknown mode ${mode}`)
  } finally {
    store.close()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
