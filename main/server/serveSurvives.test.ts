import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { afterAll, describe, expect, it } from 'vitest'
import { startServeProcess, type ServeProcess } from '../testing/serveProcess'

// The real `viva serve` process, as a user runs it: an oversized frame and a malformed one must close only their own
// connection; the process keeps answering.

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-serve-survives-'))
let serve: ServeProcess | null = null

afterAll(async () => {
  await serve?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('viva serve after bad WebSocket frames', () => {
  it('keeps running and answering after an oversized frame and a malformed one', async () => {
    serve = await startServeProcess([], path.join(dir, 'data'))
    const { url, child } = serve
    // Every wait below ends early, with the server's last words, if the process dies.
    const died = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`viva serve died (${code ?? signal}): ${serve?.stderr() ?? ''}`))),
    )
    const orDied = <T>(p: Promise<T>): Promise<T> => Promise.race([p, died])
    const wsUrl = `ws://${url.host}/rpc?token=${encodeURIComponent(serve.token)}`

    const big = new WebSocket(wsUrl)
    big.on('error', () => undefined)
    await orDied(new Promise((resolve) => big.once('open', resolve)))
    const bigClosed = new Promise((resolve) => big.once('close', resolve))
    big.send(Buffer.alloc(90 * 1024 * 1024, 0x20))
    await orDied(bigClosed)

    const raw = net.connect(Number(url.port), '127.0.0.1')
    raw.on('error', () => undefined)
    raw.write(
      `GET /rpc?token=${encodeURIComponent(serve.token)} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    await orDied(new Promise<void>((resolve) => raw.once('data', () => resolve())))
    const rawClosed = new Promise((resolve) => raw.once('close', resolve))
    raw.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]))
    await orDied(rawClosed)

    expect(serve.child.exitCode, serve.stderr()).toBeNull()
    expect(serve.child.signalCode).toBeNull()
    // The client connected at start is still served, and so is a new one.
    expect(await orDied(serve.client.call('app.info', {}))).toMatchObject({ mode: 'browser' })
    const again = await orDied(serve.connect())
    try {
      expect(await again.call('dataset.list', {})).toEqual([])
    } finally {
      again.close()
    }
  })
})
