// The thin Electron shell: window, security guards, IPC binding and the media protocol. All logic lives in the
// services built by main/compose.ts, which run (and are tested) without Electron.
import { app, BrowserWindow, ipcMain, protocol, session, shell, type WebContents } from 'electron'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { composeServices, openInitialDatasets } from '../compose'
import { openDemo } from '../demo'
import { defaultDataDir, PACKAGE_ROOT, RENDERER_DIST } from '../paths'
import { dispatch } from '../rpc/dispatch'
import { rangeReply } from '../video/mediaFiles'
import { APP_SCHEME, IPC_CALL, IPC_EVENT, MEDIA_SCHEME } from './channels'

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
])

const CSP = [
  "default-src 'none'",
  `script-src ${APP_SCHEME}:`,
  `style-src ${APP_SCHEME}: 'unsafe-inline'`,
  `img-src ${APP_SCHEME}: data: blob:`,
  `media-src ${MEDIA_SCHEME}: blob:`,
  `font-src ${APP_SCHEME}: data:`,
  `worker-src ${APP_SCHEME}: blob:`,
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const APP_ORIGIN = `${APP_SCHEME}://renderer`

function isOwnFrame(sender: WebContents, frameUrl: string | undefined, win: BrowserWindow | null): boolean {
  return win !== null && sender === win.webContents && typeof frameUrl === 'string' && frameUrl.startsWith(`${APP_ORIGIN}/`)
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  const dataDir = process.env.VIVA_DATA_DIR ? defaultDataDir() : app.getPath('userData')
  const services = composeServices({ mode: 'electron', version: pkg.version, dataDir })
  const args = process.argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'))
  if (args.length > 0) await openInitialDatasets(services, args)
  else await openDemo(services, dataDir)

  await app.whenReady()
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))

  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url)
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html'
    const file = path.resolve(RENDERER_DIST, rel)
    if (url.host !== 'renderer' || !file.startsWith(RENDERER_DIST + path.sep)) return new Response('Forbidden', { status: 403 })
    try {
      const body = await readFile(file)
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream'
      return new Response(body, { headers: { 'Content-Type': type, 'Content-Security-Policy': CSP } })
    } catch {
      return new Response('Not found', { status: 404 })
    }
  })

  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url)
    try {
      const file = await services.media.resolve(decodeURIComponent(url.host), decodeURIComponent(url.pathname).replace(/^\/+/, ''))
      const reply = await rangeReply(file, request.headers.get('range'))
      const body = reply.body ? (Readable.toWeb(reply.body) as ReadableStream<Uint8Array>) : null
      return new Response(body, { status: reply.status, headers: reply.headers })
    } catch (err) {
      return new Response(err instanceof Error ? err.message : 'Forbidden', { status: 403 })
    }
  })

  const win = new BrowserWindow({
    width: 1500,
    height: 1000,
    title: 'ViVa Studio',
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: path.join(PACKAGE_ROOT, 'dist', 'electron', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })

  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault()
  })

  ipcMain.handle(IPC_CALL, async (event, method: unknown, params: unknown) => {
    if (!isOwnFrame(event.sender, event.senderFrame?.url, win)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an unknown frame' } }
    }
    const controller = new AbortController()
    return dispatch(services.handlers, method, params, { signal: controller.signal })
  })
  services.events.subscribe((name, payload) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, name, payload)
  })

  app.on('second-instance', (_e, argv) => {
    if (win.isMinimized()) win.restore()
    win.focus()
    const root = argv.slice(app.isPackaged ? 1 : 2).find((a) => !a.startsWith('-'))
    if (root) void services.datasets.open(root)
  })
  app.on('window-all-closed', () => app.quit())
  // Stop scoring jobs cleanly (their stored chunks let them resume next time) and release model sessions.
  let disposed = false
  app.on('will-quit', (event) => {
    if (disposed) return
    event.preventDefault()
    disposed = true
    void services.dispose().finally(() => app.quit())
  })

  await win.loadURL(`${APP_ORIGIN}/index.html`)
}

void start()
