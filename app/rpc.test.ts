import { describe, expect, it } from 'vitest'
import { ACK_EVERY_BYTES, createRpcClient, decodeMessage, encodeMessage, type RpcMessage } from './rpc'
import { VivaError } from './errors'
import { loopbackPorts } from './testing/loopback'

describe('RPC message codec', () => {
  it('round-trips nested typed arrays as binary attachments, aligned and in place', () => {
    const state = Float32Array.from([1.5, -2.25, 3, Number.NaN])
    const times = Float64Array.from([0.016666666666666666, 1e-12])
    const bytes = Uint8Array.from([0, 255, 7])
    const msg: RpcMessage = {
      t: 'result',
      id: 7,
      result: { a: { state, list: [times, { bytes }] }, name: 'ep', n: 3 },
    }
    const buf = encodeMessage(msg)
    // Numbers never travel as JSON text.
    const header = new TextDecoder().decode(new Uint8Array(buf, 4, new DataView(buf).getUint32(0, true)))
    expect(header).not.toContain('2.25')
    const back = decodeMessage(buf) as Extract<RpcMessage, { t: 'result' }>
    const r = back.result as { a: { state: Float32Array; list: [Float64Array, { bytes: Uint8Array }] }; name: string }
    expect(r.a.state).toBeInstanceOf(Float32Array)
    expect(Array.from(r.a.state.slice(0, 3))).toEqual([1.5, -2.25, 3])
    expect(Number.isNaN(r.a.state[3])).toBe(true)
    expect(Array.from(r.a.list[0])).toEqual([0.016666666666666666, 1e-12])
    expect(Array.from(r.a.list[1].bytes)).toEqual([0, 255, 7])
    expect(r.name).toBe('ep')
  })

  it('encodes a subarray view by its own bytes only', () => {
    const big = Float32Array.from({ length: 10 }, (_, i) => i)
    const back = decodeMessage(encodeMessage({ t: 'event', name: 'x', payload: big.subarray(4, 6) }))
    expect(Array.from((back as { payload: Float32Array }).payload)).toEqual([4, 5])
  })

  it('rejects malformed buffers instead of reading out of bounds', () => {
    expect(() => decodeMessage(new ArrayBuffer(2))).toThrow(/too short/)
    const buf = new ArrayBuffer(8)
    new DataView(buf).setUint32(0, 1000, true)
    expect(() => decodeMessage(buf)).toThrow(/out of bounds/)
    const forged = encodeMessage({ t: 'event', name: 'x', payload: Float64Array.from([1, 2]) })
    expect(() => decodeMessage(forged.slice(0, forged.byteLength - 8))).toThrow(/out of bounds/)
  })
})

const loopback = (): ReturnType<typeof loopbackPorts> => loopbackPorts({ async: true })

describe('RPC client', () => {
  it('matches results and errors to calls, delivers events, and sends cancel on abort', async () => {
    const { client: cport, server, close } = loopback()
    const seen: RpcMessage[] = []
    server.onMessage((d) => {
      const m = decodeMessage(d)
      seen.push(m)
      if (m.t === 'call' && m.method === 'dataset.list') server.send(encodeMessage({ t: 'result', id: m.id, result: [] }))
      if (m.t === 'call' && m.method === 'dataset.get') {
        server.send(encodeMessage({ t: 'event', name: 'media.progress', payload: { fraction: 0.5 } }))
        server.send(encodeMessage({ t: 'error', id: m.id, error: { code: 'NOT_FOUND', message: 'nope' } }))
      }
    })
    const client = createRpcClient(cport, () => '')
    const events: unknown[] = []
    client.on('media.progress', (p) => events.push(p))
    await expect(client.call('dataset.list', {})).resolves.toEqual([])
    const err = await client.call('dataset.get', { datasetId: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(VivaError)
    expect((err as VivaError).code).toBe('NOT_FOUND')
    expect(events).toEqual([{ fraction: 0.5 }])

    const ac = new AbortController()
    const pending = client.call('episode.open', { datasetId: 'x', episode: 1 }, ac.signal)
    ac.abort()
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
    await new Promise((r) => setTimeout(r, 0))
    expect(seen.some((m) => m.t === 'cancel')).toBe(true)

    const hanging = client.call('dataset.list', {}).catch((e: unknown) => e)
    close()
    expect(await hanging).toMatchObject({ message: expect.stringContaining('closed') })
  })

  it('acknowledges what it has handled in steps of ACK_EVERY_BYTES, malformed messages included', async () => {
    const { client: cport, server } = loopback()
    const acks: number[] = []
    server.onMessage((d) => {
      const m = decodeMessage(d)
      if (m.t === 'ack') acks.push(m.bytes)
    })
    const client = createRpcClient(cport, () => '')
    const handled: number[] = []
    client.on('media.progress', (p) => handled.push(p.fraction))
    const event = encodeMessage({ t: 'event', name: 'media.progress', payload: { fraction: 1, pad: 'x'.repeat(10_000) } })
    const perAck = Math.ceil(ACK_EVERY_BYTES / event.byteLength)
    for (let i = 0; i < perAck - 1; i++) server.send(event)
    server.send(new ArrayBuffer(3)) // garbage: dropped, but it was received
    await new Promise((r) => setTimeout(r, 0))
    expect(handled).toHaveLength(perAck - 1)
    expect(acks).toEqual([])
    server.send(event)
    await new Promise((r) => setTimeout(r, 0))
    expect(acks).toEqual([(perAck - 1 + 1) * event.byteLength + 3])
  })

  it('sends shell notices as typed messages', async () => {
    const { client: cport, server } = loopback()
    const seen: RpcMessage[] = []
    server.onMessage((d) => seen.push(decodeMessage(d)))
    createRpcClient(cport, () => '').notify?.('shell.showing', { datasetId: 'd', episode: 2 })
    await new Promise((r) => setTimeout(r, 0))
    expect(seen).toEqual([{ t: 'notice', name: 'shell.showing', payload: { datasetId: 'd', episode: 2 } }])
  })
})
