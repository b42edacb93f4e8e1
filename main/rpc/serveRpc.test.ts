// The one serving loop over an in-memory port: cancel, close, the in-flight bound, flow-control acks, shell notices
// and the port's uploads. The transports' adapters are tested in ports.test.ts.
import { describe, expect, it, vi } from 'vitest'
import type { ShellNoticeMessage } from '../../app/contract'
import { createRpcClient, decodeMessage, encodeMessage, type RpcMessage } from '../../app/rpc'
import { loopbackPorts } from '../../app/testing/loopback'
import { createEventBus } from '../events'
import type { CallContext, Handlers } from './dispatch'
import { serveRpc } from './serveRpc'
import { UploadStore } from './uploads'

/** Handlers for the methods a test uses; the rest are never called. */
function handlers(partial: Partial<Record<keyof Handlers, (params: never, ctx: CallContext) => Promise<unknown>>>): Handlers {
  return partial as unknown as Handlers
}

function setup(h: Handlers, options: Parameters<typeof serveRpc>[2] = {}, { reads = true } = {}) {
  const { client: cport, server: sport, close } = loopbackPorts()
  const events = createEventBus()
  const uploads = new UploadStore()
  const server = serveRpc(sport, { handlers: h, events, uploads }, options)
  const raw: RpcMessage[] = []
  cport.onMessage((d) => raw.push(decodeMessage(d)))
  // A client that reads nothing keeps its messages unhandled and never acks them.
  const client = reads ? createRpcClient(cport, () => '') : null
  return { client, cport, server, events, uploads, close, raw }
}

function connected(h: Handlers, options: Parameters<typeof serveRpc>[2] = {}) {
  const s = setup(h, options)
  if (!s.client) throw new Error('unreachable')
  return { ...s, client: s.client }
}

/** A handler that waits for its signal and records that it saw the abort. */
function waitsForAbort(seen: { aborted: number }): (params: never, ctx: CallContext) => Promise<unknown> {
  return (_p, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        seen.aborted++
        reject(new Error('aborted'))
      })
    })
}

describe('serveRpc', () => {
  it('answers calls and validates them against the contract, errors as {code, message}', async () => {
    const { client } = connected(handlers({ 'dataset.list': async () => [] }))
    await expect(client.call('dataset.list', {})).resolves.toEqual([])
    await expect(client.call('dataset.get', { datasetId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('dataset.get') })
    await expect(client.call('nope' as 'dataset.list', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
  })

  it("a typed cancel aborts that call's signal only, and no answer comes for it", async () => {
    const seen = { aborted: 0 }
    const { client, server, raw } = connected(handlers({ 'episode.open': waitsForAbort(seen), 'dataset.list': async () => ['ok'] }))
    const ac = new AbortController()
    const cancelled = client.call('episode.open', { datasetId: 'd', episode: 0 }, ac.signal).catch((e: unknown) => e)
    const other = client.call('episode.open', { datasetId: 'd', episode: 1 }).catch((e: unknown) => e)
    await vi.waitFor(() => expect(server.inflight()).toBe(2))
    ac.abort()
    expect(await cancelled).toMatchObject({ code: 'CANCELLED' })
    await vi.waitFor(() => expect(seen.aborted).toBe(1))
    expect(server.inflight()).toBe(1)
    await expect(client.call('dataset.list', {})).resolves.toEqual(['ok'])
    // Only dataset.list was answered: the cancelled call's handler failed, but nothing went back for it.
    expect(raw.filter((m) => m.t === 'result' || m.t === 'error')).toHaveLength(1)
    void other
  })

  it('closing the port aborts every call in flight and frees its uploads', async () => {
    const seen = { aborted: 0 }
    const { client, server, close, uploads } = connected(handlers({ 'episode.open': waitsForAbort(seen), 'upload.begin': async (_p, ctx) => ctx.uploads?.begin('a.json', 10) }))
    await client.call('upload.begin', { name: 'a.json', size: 10 })
    expect(uploads.heldBytes).toBe(10)
    const calls = [0, 1, 2].map((episode) => client.call('episode.open', { datasetId: 'd', episode }).catch((e: unknown) => e))
    await vi.waitFor(() => expect(server.inflight()).toBe(3))
    close()
    await vi.waitFor(() => expect(seen.aborted).toBe(3))
    expect(server.inflight()).toBe(0)
    expect(uploads.heldBytes).toBe(0)
    for (const c of await Promise.all(calls)) expect(c).toMatchObject({ message: expect.stringContaining('closed') })
  })

  it('refuses calls over the in-flight bound with BUSY, and takes them again once calls end', async () => {
    const seen = { aborted: 0 }
    const { client, server } = connected(handlers({ 'episode.open': waitsForAbort(seen), 'dataset.list': async () => [] }), { maxInflight: 2 })
    const acs = [new AbortController(), new AbortController()]
    const held = acs.map((ac, episode) => client.call('episode.open', { datasetId: 'd', episode }, ac.signal).catch(() => undefined))
    await vi.waitFor(() => expect(server.inflight()).toBe(2))
    await expect(client.call('dataset.list', {})).rejects.toMatchObject({ code: 'BUSY' })
    acs[0]?.abort()
    await expect(client.call('dataset.list', {})).resolves.toEqual([])
    acs[1]?.abort()
    await Promise.all(held)
  })

  it('counts what the client has not acknowledged as backlog; acks bring it down', async () => {
    const { cport, server, events } = setup(handlers({}), {}, { reads: false })
    const big = { jobId: 'j', datasetId: 'd', episode: 0, curveId: 'c', start: 0, values: new Float32Array(100_000), future: null }
    events.emit('score.chunk', big)
    expect(server.backlog()).toBeGreaterThan(400_000)
    expect(await events.drained(1000, 20)).toBe(false)
    cport.send(encodeMessage({ t: 'ack', bytes: server.backlog() }))
    expect(server.backlog()).toBe(0)
    expect(await events.drained(1000, 20)).toBe(true)
    // An ack for more than was sent, or a nonsense one, cannot push the count below zero.
    cport.send(encodeMessage({ t: 'ack', bytes: 10 ** 9 }))
    cport.send(encodeMessage({ t: 'ack', bytes: -5 }))
    expect(server.backlog()).toBe(0)
  })

  it('passes valid shell notices to the shell, drops malformed ones, and drops all without a shell', () => {
    const notices: ShellNoticeMessage[] = []
    const { client, cport } = connected(handlers({}), { onNotice: (n) => notices.push(n) })
    client.notify?.('shell.showing', { datasetId: 'ds0', episode: 3 })
    client.notify?.('shell.ready', {})
    cport.send(encodeMessage({ t: 'notice', name: 'shell.showing', payload: { datasetId: 'ds0', episode: -1 } }))
    cport.send(encodeMessage({ t: 'notice', name: 'shell.openExternal', payload: {} }))
    expect(notices).toEqual([
      { name: 'shell.showing', payload: { datasetId: 'ds0', episode: 3 } },
      { name: 'shell.ready', payload: {} },
    ])
    const browser = connected(handlers({}))
    expect(() => browser.client.notify?.('shell.ready', {})).not.toThrow()
  })
})
