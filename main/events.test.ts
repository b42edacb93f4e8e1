import { describe, expect, it } from 'vitest'
import type { RpcPort } from '../app/rpc'
import { decodeMessage } from '../app/rpc'
import { createEventBus, STREAM_BACKLOG_BYTES } from './events'
import type { Handlers } from './rpc/dispatch'
import { serveRpc } from './rpc/serveRpc'
import { UploadStore } from './rpc/uploads'

const chunk = { jobId: 'j', datasetId: 'd', episode: 0, curveId: 'c', start: 0, values: new Float32Array(4), future: null }
const progress = {
  id: 'j', datasetId: 'd', modelId: 'm', modelName: 'm', episodes: [0], steps: 1, seed: 0, state: 'running' as const,
  episode: 0, episodesDone: 0, framesDone: 1, framesTotal: 2, framesResumed: 0, framesPerSecond: 1, etaSeconds: 1,
  provider: null, error: null, episodeErrors: [], params: null, warnings: [],
}

function fakePort(backlog: { bytes: number }): { port: RpcPort; sent: string[] } {
  const sent: string[] = []
  const port: RpcPort = {
    send: (data) => {
      const msg = decodeMessage(data as ArrayBuffer)
      if (msg.t === 'event') sent.push(msg.name)
    },
    backlog: () => backlog.bytes,
    onMessage: () => () => undefined,
    onClose: () => () => undefined,
  }
  return { port, sent }
}

describe('event backpressure', () => {
  it('drained() waits for the transports to empty, and gives up after its timeout', async () => {
    const bus = createEventBus()
    const backlog = { bytes: 10_000_000 }
    bus.addBacklog(() => backlog.bytes)
    setTimeout(() => (backlog.bytes = 0), 50)
    const t0 = performance.now()
    expect(await bus.drained(1000, 2000)).toBe(true)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40)
    backlog.bytes = 10_000_000
    expect(await bus.drained(1000, 60)).toBe(false)
  })

  it('a congested WebSocket misses score chunks but still gets progress', () => {
    const bus = createEventBus()
    const backlog = { bytes: 0 }
    const { port, sent } = fakePort(backlog)
    const { stop } = serveRpc(port, { handlers: {} as Handlers, events: bus, uploads: new UploadStore() })
    bus.emit('score.chunk', chunk)
    backlog.bytes = STREAM_BACKLOG_BYTES + 1
    bus.emit('score.chunk', chunk)
    bus.emit('score.progress', progress)
    expect(sent).toEqual(['score.chunk', 'score.progress'])
    stop()
    // After the connection closes, its queue no longer holds producers back.
    return expect(bus.drained(0, 10)).resolves.toBe(true)
  })
})
