// The shell's security wiring: the privileged schemes, the sandbox, the guards on every webContents and on the
// session, and the two protocols (the bundled renderer, the media of opened datasets). The rules are plain
// functions in main/shell/security.ts; this file only attaches them to Electron's hooks.
import { app, protocol, type Session } from 'electron'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { Services } from '../compose'
import { RENDERER_DIST } from '../paths'
import {
  contentSecurityPolicy,
  isAllowedDownload,
  isAllowedMediaMethod,
  isAllowedNavigation,
  isAppUrl,
  isPermissionAllowed,
  isWebviewAllowed,
  parseMediaRequest,
  rendererAssetPath,
  rendererContentType,
  rendererResponseHeaders,
} from '../shell/security'
import { rangeReply } from '../video/mediaFiles'
import { APP_SCHEME, MEDIA_SCHEME } from './channels'

const CSP = contentSecurityPolicy(APP_SCHEME, MEDIA_SCHEME)
const RESPONSE_HEADERS = rendererResponseHeaders(APP_SCHEME, MEDIA_SCHEME)

/** Before `ready`: the schemes, the sandbox, and the guards every webContents gets when it is created. */
export function installAppGuards(openExternalLink: (url: unknown) => void): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
  ])

  // Every renderer runs sandboxed, whatever its webPreferences say.
  app.enableSandbox()

  // Guards on every webContents ever created (the window, devtools in development, anything a later feature adds):
  // no navigation away from the bundled renderer, no new windows (only allowlisted links go to the OS browser),
  // no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      openExternalLink(url)
      return { action: 'deny' }
    })
    contents.on('will-navigate', (event) => {
      if (!isAllowedNavigation(event.url, APP_SCHEME)) event.preventDefault()
    })
    contents.on('will-frame-navigate', (event) => {
      if (!isAllowedNavigation(event.url, APP_SCHEME)) event.preventDefault()
    })
    contents.on('will-redirect', (event) => {
      if (!isAllowedNavigation(event.url, APP_SCHEME)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => {
      if (!isWebviewAllowed()) event.preventDefault()
    })
  })
}

export function guardSession(ses: Session): void {
  // No permission is ever granted: no camera, microphone, notifications, geolocation, clipboard reads, HID…
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(permission)))
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission))
  ses.setDevicePermissionHandler(() => false)
  // Defense in depth: the app scheme already sends the CSP; any response for the renderer's origin gets it too.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppUrl(details.url, APP_SCHEME)) {
      callback({})
      return
    }
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  // Downloads only of blobs the page made (its exports); Electron asks where to save them.
  ses.on('will-download', (event, item) => {
    if (!isAllowedDownload(item.getURL(), APP_SCHEME)) event.preventDefault()
  })
}

export function registerProtocols(services: Services): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET') return new Response('Method not allowed', { status: 405 })
    const rel = rendererAssetPath(request.url, APP_SCHEME)
    if (rel === null) return new Response('Forbidden', { status: 403 })
    const file = path.resolve(RENDERER_DIST, ...rel.split('/'))
    if (!file.startsWith(RENDERER_DIST + path.sep)) return new Response('Forbidden', { status: 403 })
    try {
      const body = await readFile(file)
      return new Response(body, { headers: { 'Content-Type': rendererContentType(rel), ...RESPONSE_HEADERS } })
    } catch {
      return new Response('Not found', { status: 404 })
    }
  })

  // Files of opened dataset roots and the proxy cache only (MediaRoots: realpath inside a registered root), media
  // types only, reads only.
  protocol.handle(MEDIA_SCHEME, async (request) => {
    if (!isAllowedMediaMethod(request.method)) return new Response('Method not allowed', { status: 405 })
    const target = parseMediaRequest(request.url, MEDIA_SCHEME)
    if (target === null) return new Response('Forbidden', { status: 403 })
    try {
      const file = await services.media.resolve(target.rootId, target.relPath)
      const reply = await rangeReply(file, request.headers.get('range'))
      if (request.method === 'HEAD') reply.body?.destroy()
      const body = reply.body && request.method !== 'HEAD' ? (Readable.toWeb(reply.body) as ReadableStream<Uint8Array>) : null
      return new Response(body, { status: reply.status, headers: { ...reply.headers, 'X-Content-Type-Options': 'nosniff' } })
    } catch (err) {
      const notFound = typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NOT_FOUND'
      return new Response(notFound ? 'Not found' : 'Forbidden', { status: notFound ? 404 : 403 })
    }
  })
}
