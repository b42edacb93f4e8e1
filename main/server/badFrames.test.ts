import { randomBytes } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRpcClient, MAX_RPC_MESSAGE_BYTES } from '../../app/rpc'
import { composeServices } from '../compose'
import { startServer, type RunningServer } from './server'
import { rpcPortFromWebSocket } from './wsPort'

// One bad WebSocket frame used to kill `viva serve`: the socket had no 'error' listener, so ws's error for an
// oversized or malformed frame became an uncaught exception. Each case below sends one and then checks that a fresh
// connection still gets answers.

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-badframes-'))
let server: RunningServer
const logged: string[] = []

beforeAll(async () => {
  const staticDir = path.join(dir, 'static')
  mkdirSync(staticDir)
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ViVa</title>')
  const services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  server = await startServer({ services, staticDir, log: (line) => logged.push(line) })
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

async function open(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${encodeURIComponent(server.token)}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return ws
}

/** A fresh connection's contract call is answered: the server survived whatever came before. */
async function stillAnswers(): Promise<void> {
  const ws = await open()
  try {
    const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
    expect(await client.call('app.info', {})).toMatchObject({ mode: 'browser' })
  } finally {
    ws.close()
  }
}

/** Resolves with the close code once the server has closed the connection. */
function closedBy(ws: WebSocket): Promise<number> {
  // The client may see EPIPE/ECONNRESET while the server drops an oversized frame: that is the point.
  ws.on('error', () => undefined)
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

/** Upgrade a raw TCP socket by hand, so a test can write bytes no WebSocket library would send. */
async function rawUpgrade(): Promise<net.Socket> {
  const socket = net.connect(server.port, '127.0.0.1')
  const key = randomBytes(16).toString('base64')
  socket.write(
    `GET /rpc?token=${encodeURIComponent(server.token)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve, reject) => {
    let head = ''
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
  return socket
}

async function sendRaw(frame: Buffer): Promise<void> {
  const socket = await rawUpgrade()
  socket.on('error', () => undefined)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.write(frame)
  await closed
}

/** A client frame (masked with a zero key, so the payload bytes go as they are). */
function maskedFrame(firstByte: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('short frames only')
  return Buffer.concat([Buffer.from([firstByte, 0x80 | payload.length, 0, 0, 0, 0]), payload])
}

describe('one bad WebSocket frame never takes the server down', () => {
  it('has an explicit message limit of a few MB', () => {
    expect(MAX_RPC_MESSAGE_BYTES).toBeGreaterThanOrEqual(1024 * 1024)
    expect(MAX_RPC_MESSAGE_BYTES).toBeLessThanOrEqual(16 * 1024 * 1024)
  })

  it('closes a connection that sends a frame over the limit (a ~90 MB import as one frame), and keeps serving', async () => {
    const ws = await open()
    const closed = closedBy(ws)
    ws.send(Buffer.alloc(90 * 1024 * 1024, 0x20))
    expect(await closed).toBe(1009)
    await stillAnswers()
  })

  it('refuses a frame one byte over the limit and accepts one at the limit', async () => {
    const over = await open()
    const closed = closedBy(over)
    over.send(Buffer.alloc(MAX_RPC_MESSAGE_BYTES + 1))
    expect(await closed).toBe(1009)
    // At the limit the frame is read (and dropped as a malformed message): the connection stays usable.
    const at = await open()
    try {
      at.send(Buffer.alloc(MAX_RPC_MESSAGE_BYTES))
      const client = createRpcClient(rpcPortFromWebSocket(at), () => '')
      expect(await client.call('app.info', {})).toMatchObject({ mode: 'browser' })
    } finally {
      at.close()
    }
  })

  it('survives malformed frames written on the raw socket after the upgrade', async () => {
    // Reserved opcode 3.
    await sendRaw(maskedFrame(0x83, Buffer.alloc(0)))
    await stillAnswers()
    // RSV1 set without a negotiated extension.
    await sendRaw(maskedFrame(0xc2, Buffer.from('abc')))
    await stillAnswers()
    // An unmasked client frame (RFC 6455 §5.1: the server must close the connection).
    await sendRaw(Buffer.from([0x82, 0x03, 1, 2, 3]))
    await stillAnswers()
    // A fragmented control frame (ping without FIN).
    await sendRaw(maskedFrame(0x09, Buffer.alloc(0)))
    await stillAnswers()
    // A text frame whose payload is not UTF-8.
    await sendRaw(maskedFrame(0x81, Buffer.from([0xff, 0xfe, 0xc3])))
    await stillAnswers()
    // A 64-bit length with the top bit set (RFC 6455 §5.2: "the most significant bit MUST be 0").
    await sendRaw(Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]))
    await stillAnswers()
    expect(logged.some((l) => /WebSocket/.test(l))).toBe(true)
  })

  it('ignores invalid JSON, garbage binary and text frames, and the same connection still answers', async () => {
    const ws = await open()
    try {
      const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
      const header = Buffer.from('{"t":"call","id":1,"method":')
      const frame = Buffer.alloc(4 + header.length)
      frame.writeUInt32LE(header.length, 0)
      header.copy(frame, 4)
      ws.send(frame)
      ws.send(randomBytes(1000))
      ws.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
      ws.send('{"t":"call","id":2,"method":"app.info","params":{}}')
      ws.send(Buffer.from('{"t":"call"}'))
      expect(await client.call('app.info', {})).toMatchObject({ mode: 'browser' })
    } finally {
      ws.close()
    }
    await stillAnswers()
  })
})
