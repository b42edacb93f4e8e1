import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_RPC_MESSAGE_BYTES, createRpcClient } from '../../app/rpc'
import { MAX_UPLOAD_BYTES, UPLOAD_CHUNK_BYTES, type VivaClient } from '../../app/contract'
import { uploadFile, type UploadSource } from '../../app/upload'
import { composeServices, type Services } from '../compose'
import { writePatternDataset } from '../synth/patternDataset'
import { startServer, type RunningServer } from './server'
import { rpcPortFromWebSocket } from './wsPort'

// Import files travel in chunks (upload.*), never as one frame: a file of several MB previews and imports, one over
// the limit is refused by name and size before any byte is sent, and the connection (and server) carry on.

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-import-upload-'))
let services: Services
let server: RunningServer
let datasetId = ''

beforeAll(async () => {
  const staticDir = path.join(dir, 'static')
  mkdirSync(staticDir)
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ViVa</title>')
  const root = path.join(dir, 'ds')
  await writePatternDataset({ out: root, lengths: [12, 12], cameras: [{ key: 'observation.images.cam', width: 64, height: 48 }] })
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  datasetId = (await services.datasets.open(root)).id
  server = await startServer({ services, staticDir, log: () => undefined })
})
afterAll(async () => {
  await server.close()
  await services.dispose()
  rmSync(dir, { recursive: true, force: true })
})

async function connect(): Promise<{ ws: WebSocket; client: VivaClient }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${encodeURIComponent(server.token)}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return { ws, client: createRpcClient(rpcPortFromWebSocket(ws), () => '') }
}

function sourceOf(name: string, bytes: Uint8Array): UploadSource & { reads: number } {
  const src = {
    name,
    size: bytes.byteLength,
    reads: 0,
    read: async (offset: number, length: number) => {
      src.reads++
      return bytes.subarray(offset, offset + length)
    },
  }
  return src
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10))
}

describe('import files by chunked upload', () => {
  it('previews and imports a file larger than one message, then frees the upload', async () => {
    const { ws, client } = await connect()
    try {
      const exported = JSON.parse((await client.call('annotations.export', { datasetId, format: 'json', filters: {} })).content) as {
        episodes: unknown[]
      }
      exported.episodes = [{ episode: 1, outcome: 'failure', status: 'done', note: 'from the upload', updatedAt: '2026-01-01T00:00:00.000Z' }]
      // Trailing whitespace is valid JSON: the file is ~6 MB, more than one message may carry.
      const text = JSON.stringify(exported) + ' '.repeat(6 * 1024 * 1024)
      const bytes = new TextEncoder().encode(text)
      expect(bytes.byteLength).toBeGreaterThan(MAX_RPC_MESSAGE_BYTES)
      const src = sourceOf('big.json', bytes)
      const progress: number[] = []
      const uploadId = await uploadFile(client, src, { onProgress: (f) => progress.push(f) })
      expect(src.reads).toBe(Math.ceil(bytes.byteLength / UPLOAD_CHUNK_BYTES))
      expect(progress.at(-1)).toBe(1)

      expect(await client.call('annotations.importPreview', { datasetId, uploadId, mode: 'merge' })).toMatchObject({ episodesChanged: 1 })
      // The preview leaves the upload in place for the import.
      expect(await client.call('annotations.import', { datasetId, uploadId, mode: 'merge' })).toMatchObject({ episodesChanged: 1 })
      expect((await client.call('annotations.load', { datasetId })).episodes.find((e) => e.episode === 1)?.note).toBe('from the upload')
      expect(services.uploads.heldBytes).toBe(0)
      await expect(client.call('annotations.import', { datasetId, uploadId, mode: 'merge' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    } finally {
      ws.close()
    }
  })

  it('refuses a ~90 MB file by name and size before sending a byte; the connection carries on', async () => {
    const { ws, client } = await connect()
    try {
      const src = { ...sourceOf('huge.json', new Uint8Array(0)), size: 90 * 1000 * 1000 }
      await expect(uploadFile(client, src)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/"huge\.json" is 85\.8 MB; files sent to ViVa Studio are limited to 64\.0 MB/),
      })
      expect(src.reads).toBe(0)
      expect(MAX_UPLOAD_BYTES).toBe(64 * 1024 * 1024)
      expect(await client.call('dataset.list', {})).toHaveLength(1)
    } finally {
      ws.close()
    }
  })

  it('never sends a message over the limit: the call fails with a clear message and the connection stays open', async () => {
    const { ws, client } = await connect()
    try {
      const text = ' '.repeat(MAX_RPC_MESSAGE_BYTES)
      await expect(client.call('annotations.importPreview', { datasetId, text, mode: 'merge' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/annotations\.importPreview is too large to send \(4\.0 MB; the limit is 4\.0 MB\)/),
      })
      // Inline text is for small files only; the contract says where larger ones go.
      await expect(client.call('annotations.importPreview', { datasetId, text: ' '.repeat(1024 * 1024 + 1), mode: 'merge' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('send larger files by upload'),
      })
      await expect(client.call('annotations.importPreview', { datasetId, mode: 'merge' })).rejects.toMatchObject({
        message: expect.stringContaining('give either text or uploadId'),
      })
      expect(ws.readyState).toBe(WebSocket.OPEN)
      expect(await client.call('app.info', {})).toMatchObject({ mode: 'browser' })
    } finally {
      ws.close()
    }
  })

  it('frees the uploads of a connection when it closes', async () => {
    const { ws, client } = await connect()
    const { uploadId } = await client.call('upload.begin', { name: 'left.json', size: 3 * UPLOAD_CHUNK_BYTES })
    await client.call('upload.append', { uploadId, offset: 0, data: new Uint8Array(UPLOAD_CHUNK_BYTES) })
    expect(services.uploads.heldBytes).toBe(3 * UPLOAD_CHUNK_BYTES)
    ws.close()
    await until(() => services.uploads.heldBytes === 0)
    // Another connection cannot use it.
    const other = await connect()
    try {
      await expect(other.client.call('upload.append', { uploadId, offset: UPLOAD_CHUNK_BYTES, data: new Uint8Array(1) })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      })
    } finally {
      other.ws.close()
    }
  })
})
