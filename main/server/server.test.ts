import http from 'node:http'
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRpcClient } from '../../app/rpc'
import type { VivaClient } from '../../app/contract'
import { composeServices } from '../compose'
import { startServer, type RunningServer } from './server'
import { rpcPortFromWebSocket } from './wsPort'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-server-'))
const staticDir = path.join(dir, 'static')
const mediaRoot = path.join(dir, 'media')
let server: RunningServer

beforeAll(async () => {
  mkdirSync(staticDir)
  mkdirSync(path.join(mediaRoot, 'videos'), { recursive: true })
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ViVa</title>')
  mkdirSync(path.join(staticDir, 'assets'))
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(path.join(mediaRoot, 'videos', 'clip.mp4'), Buffer.alloc(1000, 1))
  writeFileSync(path.join(dir, 'outside.txt'), 'nope')
  // A link inside the root that points out of it: the path looks confined, the file is not.
  symlinkSync(path.join(dir, 'outside.txt'), path.join(mediaRoot, 'videos', 'escape.mp4'))
  const services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(dir, 'data') })
  services.media.register('root1', mediaRoot)
  server = await startServer({ services, staticDir })
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function get(
  pathname: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const tok = (): string => `token=${encodeURIComponent(server.token)}`

async function connect(query: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; client: VivaClient }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?${query}`, { headers })
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const client = createRpcClient(rpcPortFromWebSocket(ws), () => '')
  return { ws, client }
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only and prints a URL carrying the token in its path', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/s/${server.token}/`)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
    expect(server.token).toMatch(/^[A-Za-z0-9_-]+$/)
  })

  it('serves the app (index and assets) under /s/<token>/ only; a wrong path token is refused', async () => {
    const app = `/s/${server.token}`
    const index = await get(`${app}/`)
    expect(index.status).toBe(200)
    expect(index.body).toContain('<title>ViVa</title>')
    expect(index.headers['content-security-policy']).toContain("default-src 'none'")
    expect(index.headers['referrer-policy']).toBe('no-referrer')
    const asset = await get(`${app}/assets/app.js`)
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toContain('text/javascript')
    expect((await get(`${app}/index.html`)).status).toBe(200)
    expect((await get(`${app}/assets/none.js`)).status).toBe(404)
    // Relative asset URLs need the trailing slash.
    const bare = await get(app)
    expect(bare.status).toBe(302)
    expect(bare.headers.location).toBe(`${app}/`)
    const wrong = `/s/${'A'.repeat(server.token.length)}`
    for (const p of [`${wrong}/`, `${wrong}/assets/app.js`, '/s/x/', '/s//', '/', '/index.html', '/assets/app.js', '/favicon.svg']) {
      expect((await get(p)).status, p).toBe(403)
    }
    // The token is judged before anything else.
    expect((await get(`${wrong}/`, {}, 'POST')).status).toBe(403)
    expect((await get(`${app}/`, {}, 'POST')).status).toBe(405)
  })

  it('sends the URL printed before (/?token=…) to the app path; a wrong token is refused', async () => {
    const old = await get(`/?${tok()}`)
    expect(old.status).toBe(302)
    expect(old.headers.location).toBe(`/s/${server.token}/`)
    expect((await get('/?token=wrong')).status).toBe(403)
    expect((await get(`/index.html?${tok()}`)).status).toBe(302)
    expect((await get(`/assets/app.js?${tok()}`)).status).toBe(404)
  })

  it('sets no cookie on any response, and a request carrying only a cookie is refused', async () => {
    // Cookies are not port-specific: one set here would be sent to every other server on 127.0.0.1.
    const responses = await Promise.all(
      [`/s/${server.token}/`, `/s/${server.token}/assets/app.js`, `/s/${server.token}`, `/?${tok()}`, '/', '/s/x/', `/media/root1/videos/clip.mp4?${tok()}`, `/nope?${tok()}`].map(
        (p) => get(p),
      ),
    )
    for (const r of responses) expect(r.headers['set-cookie']).toBeUndefined()
    const cookie = { Cookie: `viva_token_${server.port}=${server.token}; viva_token=${server.token}; token=${server.token}` }
    for (const p of ['/', '/index.html', '/assets/app.js', '/media/root1/videos/clip.mp4', '/s/x/']) {
      expect((await get(p, cookie)).status, p).toBe(403)
    }
    await expect(connect('', cookie)).rejects.toThrow(/403/)
  })

  it('refuses a foreign Host (DNS rebinding) or Origin even with the token', async () => {
    const app = `/s/${server.token}/`
    for (const p of [app, `/?${tok()}`]) {
      expect((await get(p, { Host: `evil.example:${server.port}` })).status, p).toBe(403)
      expect((await get(p, { Origin: 'http://evil.example' })).status, p).toBe(403)
    }
    expect((await get(app, { Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200)
  })

  it('serves media inside registered roots only, with no directory listing', async () => {
    const r = await get(`/media/root1/videos/clip.mp4?${tok()}`, { Range: 'bytes=0-9' })
    expect(r.status).toBe(206)
    expect(r.headers['content-range']).toBe('bytes 0-9/1000')
    expect((await get('/media/root1/videos/clip.mp4')).status).toBe(403)
    for (const p of [
      '/media/root1/videos',
      '/media/root1/',
      '/media/root1/..%2Foutside.txt',
      '/media/root1/%2e%2e/outside.txt',
      '/media/root1/videos/escape.mp4',
      `/media/root1/${encodeURIComponent(path.join(dir, 'outside.txt'))}`,
      `/media/root1//${path.join(dir, 'outside.txt')}`,
      '/media/nope/videos/clip.mp4',
    ]) {
      expect((await get(`${p}?${tok()}`)).status, p).toBe(403)
    }
    expect((await get(`/media/root1/videos/none.mp4?${tok()}`)).status).toBe(404)
  })

  it('refuses WebSocket upgrades without the token or from a foreign origin', async () => {
    await expect(connect('')).rejects.toThrow(/403/)
    await expect(connect('token=bad')).rejects.toThrow(/403/)
    await expect(connect(tok(), { Origin: 'http://evil.example' })).rejects.toThrow(/403/)
  })

  it('answers contract calls over the WebSocket, validating parameters', async () => {
    const { ws, client } = await connect(tok())
    try {
      expect(await client.call('app.info', {})).toMatchObject({ mode: 'browser', version: 'test' })
      expect(await client.call('dataset.list', {})).toEqual([])
      await expect(client.call('episode.open', { datasetId: 'x', episode: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(client.call('dataset.get', { datasetId: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(client.call('dataset.open', { path: path.join(dir, 'nothing-here') })).rejects.toMatchObject({
        message: expect.stringContaining('nothing-here'),
      })
      // A method outside the contract never reaches a handler.
      await expect(client.call('nope.nope' as 'app.info', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
    } finally {
      ws.close()
    }
  })
})
