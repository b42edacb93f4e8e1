import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { WebSocketServer, type WebSocket } from 'ws'
import { VivaError } from '../../app/errors'
import { MAX_RPC_MESSAGE_BYTES } from '../../app/rpc'
import { serveRpc } from '../rpc/serveRpc'
import type { Services } from '../compose'
import { rangeReply } from '../video/mediaFiles'
import { rpcPortFromWebSocket } from './wsPort'

export interface ServerOptions {
  services: Services
  /** Built renderer (index.html + assets). */
  staticDir: string
  port?: number
  token?: string
  /** One line per connection the server dropped (a bad frame, a reset); default: stderr. */
  log?: (line: string) => void
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

/** Where the app is served: the token is the first path segment, so relative asset URLs carry it by themselves. */
export const APP_PATH_PREFIX = '/s/'

/**
 * Browser mode: the same services as the Electron shell, behind HTTP + WebSocket on 127.0.0.1 only. Every request
 * must carry the per-run token, and Host / Origin must name this server, which stops DNS rebinding and cross-site
 * requests. The app (index, scripts, styles, icon) is served under `/s/<token>/`: the renderer is built with
 * relative asset URLs (Vite `base: './'`), so each asset request carries the token in its path. Media and the
 * WebSocket take it as `?token=`. No cookie is ever set or read: cookies are not port-specific (RFC 6265 §8.5:
 * "cookies do not provide isolation by port"), so one set here would reach every other server on 127.0.0.1.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  // It becomes a path segment: URL-safe characters only, and long enough not to be guessed.
  if (!/^[A-Za-z0-9_-]{16,200}$/.test(token)) throw new VivaError('INVALID_ARGUMENT', 'The session token must be 16+ URL-safe characters.')
  const tokenBytes = Buffer.from(token)
  let port = 0

  const tokenMatches = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false
    const b = Buffer.from(candidate)
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes)
  }

  /** Host and Origin (when sent) must name this server. */
  const ourOrigin = (req: http.IncomingMessage): boolean => {
    const host = req.headers.host ?? ''
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false
    const origin = req.headers.origin
    return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
  }

  const authorized = (req: http.IncomingMessage, url: URL): boolean => ourOrigin(req) && tokenMatches(url.searchParams.get('token'))

  const refuse = (res: http.ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end(message)
  }

  const redirect = (res: http.ServerResponse, location: string): void => {
    res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
    res.end()
  }

  const staticRoot = path.resolve(options.staticDir)

  /** A file of the built renderer; `rel` is the path below the app prefix ('' for the index). */
  const serveStatic = async (res: http.ServerResponse, rel: string): Promise<void> => {
    let file = path.resolve(staticRoot, rel)
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return refuse(res, 403, 'Forbidden')
    if (rel === '') file = path.join(staticRoot, 'index.html')
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) {
      if (rel === '') return refuse(res, 500, `The renderer is not built (${file} missing). Run: npm run build`)
      return refuse(res, 404, 'Not found')
    }
    res.writeHead(200, {
      'Content-Type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': contentSecurityPolicy(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    })
    // pipeline: a read error (file removed meanwhile) ends this response; a bare pipe would leave it unhandled.
    await pipeline(createReadStream(file), res).catch(() => res.destroy())
  }

  const appPath = `${APP_PATH_PREFIX}${token}/`
  const forbidden = 'Forbidden: missing or wrong session token'

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // Judge the raw path: URL parsing would quietly resolve "%2e%2e" and "..", hiding a traversal attempt.
    if (hasTraversal(req.url ?? '/')) return refuse(res, 403, 'Forbidden path')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const inApp = url.pathname.startsWith(APP_PATH_PREFIX)
    const [candidate = '', ...rest] = inApp ? url.pathname.slice(APP_PATH_PREFIX.length).split('/') : []
    if (inApp ? !(ourOrigin(req) && tokenMatches(decodeURIComponent(candidate))) : !authorized(req, url)) return refuse(res, 403, forbidden)
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed')
    if (inApp) return rest.length === 0 ? redirect(res, appPath) : serveStatic(res, rest.map(decodeURIComponent).join('/'))
    if (url.pathname === '/' || url.pathname === '/index.html') return redirect(res, appPath)
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
      await pipeline(reply.body, res).catch(() => res.destroy())
      return
    }
    return refuse(res, 404, 'Not found')
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, err instanceof Error ? err.message : 'Internal error')
      else res.destroy()
    })
  })

  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
  // maxPayload: ws closes a connection whose frame announces more (1009) before buffering it; the renderer sends
  // import files in chunks well under it (contract: upload.*).
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_RPC_MESSAGE_BYTES })
  // Only emitted for a server that owns its HTTP server; kept so that no 'error' can ever go unheard.
  wss.on('error', (err) => log(`WebSocket server error: ${err.message}`))
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
      // ws reports a malformed or oversized frame (or a reset) here and then closes this connection itself
      // (1002 / 1009); without a listener the 'error' would be thrown and take the whole process down.
      ws.on('error', (err) => log(`WebSocket connection closed: ${err.message}`))
      ws.binaryType = 'arraybuffer'
      serveRpc(rpcPortFromWebSocket(ws), options.services)
      ws.on('close', () => sockets.delete(ws))
    })
  })

  let reject0: (err: Error) => void = () => undefined
  await new Promise<void>((resolve, reject) => {
    reject0 = reject
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  server.off('error', reject0)
  server.on('error', (err) => log(`HTTP server error: ${err.message}`))
  port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}${appPath}`,
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
