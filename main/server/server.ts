import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { VivaError } from '../../app/errors'
import { serveRpc } from '../rpc/dispatch'
import type { Services } from '../compose'
import { rangeReply } from '../video/mediaFiles'
import { rpcPortFromWebSocket } from './wsPort'

export interface ServerOptions {
  services: Services
  /** Built renderer (index.html + assets). */
  staticDir: string
  port?: number
  token?: string
}

export interface RunningServer {
  url: string
  origin: string
  port: number
  token: string
  close(): Promise<void>
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Plotly sets inline styles on its SVG/DOM nodes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

function hasTraversal(rawUrl: string): boolean {
  const rawPath = rawUrl.split('?')[0] ?? ''
  return rawPath.split('/').some((segment) => {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return true
    }
    return decoded === '..' || decoded === '.' || /[\\/\0]/.test(decoded)
  })
}

/**
 * Browser mode: the same services as the Electron shell, behind HTTP + WebSocket on 127.0.0.1 only. Every request
 * must carry the per-run token (query parameter, or the cookie set when the page was opened with it), and Host /
 * Origin must name this server, which stops DNS rebinding and cross-site requests.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const tokenBytes = Buffer.from(token)
  let port = 0
  const cookieName = (): string => `viva_token_${port}`

  const tokenMatches = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false
    const b = Buffer.from(candidate)
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes)
  }

  const authorized = (req: http.IncomingMessage, url: URL): boolean => {
    const host = req.headers.host ?? ''
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) return false
    if (tokenMatches(url.searchParams.get('token'))) return true
    const cookies = req.headers.cookie ?? ''
    for (const part of cookies.split(';')) {
      const [k, ...v] = part.trim().split('=')
      if (k === cookieName() && tokenMatches(v.join('='))) return true
    }
    return false
  }

  const refuse = (res: http.ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end(message)
  }

  const staticRoot = path.resolve(options.staticDir)

  const serveStatic = async (res: http.ServerResponse, pathname: string, setCookie: boolean): Promise<void> => {
    const rel = decodeURIComponent(pathname).replace(/^\/+/, '')
    let file = path.resolve(staticRoot, rel)
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return refuse(res, 403, 'Forbidden')
    if (rel === '') file = path.join(staticRoot, 'index.html')
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) {
      if (rel === '') return refuse(res, 500, `The renderer is not built (${file} missing). Run: npm run build`)
      return refuse(res, 404, 'Not found')
    }
    const headers: Record<string, string> = {
      'Content-Type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': contentSecurityPolicy(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    }
    if (setCookie) headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`
    res.writeHead(200, headers)
    createReadStream(file).pipe(res)
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // Judge the raw path: URL parsing would quietly resolve "%2e%2e" and "..", hiding a traversal attempt.
    if (hasTraversal(req.url ?? '/')) return refuse(res, 403, 'Forbidden path')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (!authorized(req, url)) return refuse(res, 403, 'Forbidden: missing or wrong session token')
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed')
    if (url.pathname.startsWith('/media/')) {
      const [, , rootId = '', ...rest] = url.pathname.split('/')
      let file: string
      try {
        file = await options.services.media.resolve(decodeURIComponent(rootId), rest.map(decodeURIComponent).join('/'))
      } catch (err) {
        const status = err instanceof VivaError && err.code === 'NOT_FOUND' ? 404 : 403
        return refuse(res, status, err instanceof Error ? err.message : 'Forbidden')
      }
      const reply = await rangeReply(file, req.headers.range)
      res.writeHead(reply.status, reply.headers)
      if (req.method === 'HEAD' || !reply.body) return void res.end()
      reply.body.pipe(res)
      res.on('close', () => reply.body?.destroy())
      return
    }
    await serveStatic(res, url.pathname, url.searchParams.has('token'))
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, err instanceof Error ? err.message : 'Internal error')
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 80 * 1024 * 1024 })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/rpc' || !authorized(req, url)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.binaryType = 'arraybuffer'
      const port = rpcPortFromWebSocket(ws)
      serveRpc(options.services.handlers, port, options.services.events)
      ws.on('close', () => sockets.delete(ws))
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    token,
    close: async () => {
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
