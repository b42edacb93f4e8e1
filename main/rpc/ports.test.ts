// The serving loop behind both transports' adapters: browser mode's WebSocket and the desktop app's Electron
// MessagePortMain (stood in for by a node:worker_threads MessageChannel wrapped in MessagePortMain's event shape:
// 'message' gives { data, ports }, 'close' when the other end goes). Both must give the same answers, cancel the
// same way, and hold a client that reads nothing to the same bounded backlog.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import WebSocket, { WebSocketServer } from 'ws'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Method, Params } from '../../app/contract'
import { createRpcClient, decodeMessage, encodeMessage, type RpcMessage, type RpcPort } from '../../app/rpc'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'
import { STREAM_BACKLOG_BYTES } from '../events'
import { rpcPortFromWebSocket } from '../server/wsPort'
import { FakeMessagePortMain, pagePort } from '../testing/messagePorts'
import type { CallContext } from './dispatch'
import { rpcPortFromMessagePort } from './messagePort'
import { serveRpc, type RpcServer } from './serveRpc'

interface Transport {
  /** A client connection; `server` is the loop serving it. */
  connect(): Promise<{ port: RpcPort & { close(): void }; server: RpcServer }>
  close(): Promise<void>
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-ports-'))
let services: Services
let datasetId = ''
/** Signals of calls to the slow method, for the cancel tests. */
const slowCalls: AbortSignal[] = []

function wsTransport(): Transport {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  const servers: RpcServer[] = []
  wss.on('connection', (ws) => servers.push(serveRpc(rpcPortFromWebSocket(ws), services)))
  return {
    async connect() {
      await new Promise<void>((resolve) => (wss.address() ? resolve() : wss.once('listening', () => resolve())))
      const address = wss.address()
      if (typeof address !== 'object' || address === null) throw new Error('no address')
      const ws = new WebSocket(`ws://127.0.0.1:${address.port}`)
      ws.binaryType = 'arraybuffer'
      const before = servers.length
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      await vi.waitFor(() => expect(servers.length).toBe(before + 1))
      const port = rpcPortFromWebSocket(ws)
      return { port: { ...port, close: () => ws.close() }, server: servers[before] as RpcServer }
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  }
}

function messagePortTransport(): Transport {
  const open: (RpcPort & { close(): void })[] = []
  return {
    async connect() {
      const { port1, port2 } = new MessageChannel()
      const server = serveRpc(rpcPortFromMessagePort(new FakeMessagePortMain(port1)), services)
      const port = pagePort(port2)
      open.push(port)
      return { port, server }
    },
    async close() {
      for (const p of open) p.close()
    },
  }
}

const transports: [string, () => Transport][] = [
  ['WebSocket', wsTransport],
  ['Electron MessagePort', messagePortTransport],
]

beforeAll(async () => {
  const root = path.join(dir, 'ds')
  await writePatternDataset({ out: root, lengths: [12, 9], cameras: [{ key: 'observation.images.cam', width: 64, height: 48 }] })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  datasetId = (await services.datasets.open(root)).id
  // One method made slow, to have a call in flight: it waits for its signal.
  const handlers = services.handlers as unknown as Record<string, (p: unknown, ctx: CallContext) => Promise<unknown>>
  handlers['score.jobs'] = (_p, ctx) =>
    new Promise((_resolve, reject) => {
      slowCalls.push(ctx.signal)
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))
    })
})
afterAll(async () => {
  await services.dispose()
  rmSync(dir, { recursive: true, force: true })
})

async function answer<M extends Method>(port: RpcPort, method: M, params: Params<M>): Promise<unknown> {
  const client = createRpcClient(port, () => '')
  try {
    return await client.call(method, params)
  } catch (err) {
    return { error: err instanceof Error ? { name: err.name, message: err.message, code: (err as { code?: unknown }).code } : err }
  } finally {
    client.close()
  }
}

describe('the same loop over both transports', () => {
  it('gives the same answers, binary attachments and errors included', async () => {
    const results: unknown[][] = []
    for (const [, make] of transports) {
      const transport = make()
      const { port } = await transport.connect()
      results.push([
        await answer(port, 'app.info', {}),
        await answer(port, 'dataset.list', {}),
        await answer(port, 'episode.open', { datasetId, episode: 1 }),
        await answer(port, 'annotations.load', { datasetId }),
        await answer(port, 'dataset.get', { datasetId: 'missing' }),
        await answer(port, 'episode.open', { datasetId, episode: -1 }),
      ])
      port.close()
      await transport.close()
    }
    const [ws, mp] = results
    expect((ws?.[2] as { cameras: { frameTimes: unknown }[] }).cameras[0]?.frameTimes).toBeInstanceOf(Float64Array)
    expect(ws?.[4]).toMatchObject({ error: { code: 'NOT_FOUND' } })
    expect(ws?.[5]).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } })
    expect(mp).toEqual(ws)
  })

  for (const [name, make] of transports) {
    describe(name, () => {
      it('a typed cancel aborts the call; closing the port aborts the rest', async () => {
        const transport = make()
        const { port, server } = await transport.connect()
        const client = createRpcClient(port, () => '')
        const first = slowCalls.length
        const ac = new AbortController()
        const cancelled = client.call('score.jobs', {}, ac.signal).catch((e: unknown) => e)
        const left = [client.call('score.jobs', {}).catch((e: unknown) => e), client.call('score.jobs', {}).catch((e: unknown) => e)]
        await vi.waitFor(() => expect(slowCalls.length).toBe(first + 3))
        ac.abort()
        expect(await cancelled).toMatchObject({ code: 'CANCELLED' })
        await vi.waitFor(() => expect(slowCalls[first]?.aborted).toBe(true))
        expect(slowCalls.slice(first + 1).map((s) => s.aborted)).toEqual([false, false])
        port.close()
        await vi.waitFor(() => expect(slowCalls.slice(first).every((s) => s.aborted)).toBe(true))
        expect(server.inflight()).toBe(0)
        await Promise.all(left)
        await transport.close()
      })

      it('a client that reads nothing holds the server to a bounded backlog; lossy chunks wait, progress does not', async () => {
        const transport = make()
        const { port, server } = await transport.connect()
        const got: RpcMessage[] = []
        let receivedBytes = 0
        port.onMessage((d) => {
          receivedBytes += d.byteLength
          got.push(decodeMessage(d))
        })
        const chunk = { jobId: 'j', datasetId, episode: 0, curveId: 'c', start: 0, values: new Float32Array(100_000), future: null }
        const chunkBytes = encodeMessage({ t: 'event', name: 'score.chunk', payload: chunk }).byteLength
        for (let i = 0; i < 40; i++) services.events.emit('score.chunk', { ...chunk, start: i })
        const progress = { id: 'j', datasetId, modelId: 'm', modelName: 'm', episodes: [0], steps: 1, seed: 0, state: 'running' as const, episode: 0, episodesDone: 0, framesDone: 1, framesTotal: 2, framesResumed: 0, framesPerSecond: 1, etaSeconds: 1, provider: null, error: null, episodeErrors: [], params: null, warnings: [] }
        services.events.emit('score.progress', progress)
        // 40 chunks were produced (16 MB); the server sent only up to the congestion limit.
        expect(server.backlog()).toBeLessThanOrEqual(STREAM_BACKLOG_BYTES + chunkBytes + 4096)
        expect(await services.events.drained(STREAM_BACKLOG_BYTES / 2, 20)).toBe(false)
        await vi.waitFor(() => expect(got.some((m) => m.t === 'event' && m.name === 'score.progress')).toBe(true))
        const chunksSent = got.filter((m) => m.t === 'event' && m.name === 'score.chunk').length
        expect(chunksSent).toBeLessThanOrEqual(Math.ceil(STREAM_BACKLOG_BYTES / chunkBytes) + 1)
        // The client catches up and says so: the backlog is gone and chunks flow again.
        port.send(encodeMessage({ t: 'ack', bytes: receivedBytes }))
        await vi.waitFor(() => expect(server.backlog()).toBe(0))
        services.events.emit('score.chunk', { ...chunk, start: 99 })
        await vi.waitFor(() => expect(got.some((m) => m.t === 'event' && (m.payload as { start: number }).start === 99)).toBe(true))
        port.close()
        await transport.close()
      })
    })
  }
})
