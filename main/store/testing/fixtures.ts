import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { AnnotationEvent } from '../../../app/annotations'
import type { DatasetIdentity } from '../annotationStore'

/** Shared by the store tests and the worker processes they spawn, which must agree on the dataset. */
export const TEST_IDENTITY: DatasetIdentity = {
  datasetRoot: '/datasets/viva-test',
  datasetName: 'viva-test',
  format: 'lerobot-v3.0',
  fps: 30,
}

export const T0 = '2025-01-01T00:00:00.000Z'

export function makeEvent(id: string, overrides: Partial<AnnotationEvent> = {}): AnnotationEvent {
  return {
    id,
    episode: 0,
    frame: 0,
    kind: 'milestone',
    label: 'grasp',
    note: '',
    annotator: 'tester',
    taxonomyVersion: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

const WORKER = fileURLToPath(new URL('./storeWorker.ts', import.meta.url))
// The loader by absolute URL: the child resolves it regardless of its working directory.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** Start `storeWorker.ts` in its own Node process (a second app instance, as far as SQLite is concerned). */
export function spawnWorker(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TSX_LOADER, WORKER, ...args], { stdio: 'pipe' })
}

/** Lines of a stream as they arrive, for children that report one line per acknowledged edit. */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    pending += chunk
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl))
      pending = pending.slice(nl + 1)
    }
  })
}
