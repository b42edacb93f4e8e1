// The thin Electron shell: lifecycle, window, security guards, IPC binding, the media protocol, menu and dialogs.
// All logic lives in the services built by main/compose.ts and in main/shell/ (security rules, window state,
// recent list, menu template, launch arguments), which run and are tested without Electron. Every rule wired
// here is a plain function there; this file only connects them to Electron's hooks.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  screen,
  session,
  shell,
  type MenuItemConstructorOptions,
  type Session,
} from 'electron'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { AppCommand } from '../../app/contract'
import { composeServices, openInitialDatasets, type Services } from '../compose'
import { backupDataDir } from '../store/backup'
import { openDemo } from '../demo'
import { defaultDataDir, PACKAGE_ROOT, RENDERER_DIST } from '../paths'
import { dispatch } from '../rpc/dispatch'
import { callFacts, RendererGate } from '../shell/activity'
import { classifyLaunchPaths, exportFormatForPath, launchPaths, type LaunchTarget } from '../shell/launch'
import { applyBundledMediaTools, bundledMediaTools } from '../shell/mediaTools'
import { buildMenuTemplate, shortcutsText } from '../shell/menu'
import { RecentDatasets } from '../shell/recent'
import {
  appOrigin,
  contentSecurityPolicy,
  ExternalLinks,
  isAllowedDownload,
  isAllowedMediaMethod,
  isAllowedNavigation,
  isAppUrl,
  isPermissionAllowed,
  isTrustedIpcSender,
  isWebviewAllowed,
  parseMediaRequest,
  rendererAssetPath,
  rendererContentType,
  rendererResponseHeaders,
} from '../shell/security'
import { restoreBounds, WindowStateStore, type Rect } from '../shell/windowState'
import { rangeReply } from '../video/mediaFiles'
import { APP_SCHEME, IPC_CALL, IPC_EVENT, MEDIA_SCHEME } from './channels'

const APP_NAME = 'ViVa Studio'
const APP_ORIGIN = appOrigin(APP_SCHEME)
const CSP = contentSecurityPolicy(APP_SCHEME, MEDIA_SCHEME)
const RESPONSE_HEADERS = rendererResponseHeaders(APP_SCHEME, MEDIA_SCHEME)
const IS_DEV = !app.isPackaged

// The only URLs shell.openExternal may receive: links this file generates (Help menu).
const links = new ExternalLinks()
const HELP_LINKS = [{ label: 'ViVa method (project page)', url: links.register('https://viva-value-model.github.io/') }]

function openExternalLink(url: unknown): void {
  const href = links.check(url)
  if (href !== null) void shell.openExternal(href)
}

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

// macOS hands files opened from Finder (file associations) to open-file, possibly before `ready`.
const openedFiles: string[] = []
let onOpenFile: ((file: string) => void) | null = null
app.on('open-file', (event, file) => {
  event.preventDefault()
  if (onOpenFile) onOpenFile(file)
  else openedFiles.push(file)
})

function guardSession(ses: Session): void {
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

function registerProtocols(services: Services): void {
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

function workAreas(): Rect[] {
  const primary = screen.getPrimaryDisplay()
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea)
}

async function start(): Promise<void> {
  // VIVA_DATA_DIR (tests, portable use) also holds Chromium's profile, so the single-instance lock is per data dir.
  if (process.env.VIVA_DATA_DIR) app.setPath('userData', path.join(defaultDataDir(), 'electron'))
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  applyBundledMediaTools(process.env, bundledMediaTools(process.resourcesPath, process.platform))

  const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  // The same folder as the command line's, so `viva export` finds the projects annotated in the window (on Linux,
  // Electron's userData would be ~/.config/ViVa Studio while data belongs in ~/.local/share).
  const dataDir = defaultDataDir()
  const services = composeServices({ mode: 'electron', version: pkg.version, dataDir })
  // A quit disposes the services (will-quit), which kills their ffmpeg; this covers an exit that skips it.
  process.once('exit', () => services.children.killAll())
  const [windowState, recent] = await Promise.all([WindowStateStore.open(dataDir), RecentDatasets.open(dataDir)])
  const problems: string[] = []

  // What to show first: datasets named on the command line, else the last episode of the previous session, else
  // the demo. Model manifests / folders on the command line are added to the model list.
  const targets = await classifyLaunchPaths(launchPaths(process.argv, process.defaultApp === true), process.cwd())
  const datasetRoots = targets.flatMap((t) => (t.kind === 'dataset' ? [t.root] : []))
  for (const t of targets) {
    if (t.kind === 'model') await services.models.addFolder(t.folder).catch((err: unknown) => problems.push(message(err)))
    if (t.kind === 'invalid') problems.push(`${t.path}: ${t.reason}`)
  }
  let restoreEpisode: { datasetId: string; episode: number } | null = null
  const last = windowState.current.lastEpisode
  if (datasetRoots.length > 0) {
    for (const root of datasetRoots) {
      await openInitialDatasets(services, [root]).catch((err: unknown) => problems.push(`${root}: ${message(err)}`))
    }
    for (const id of services.initialDatasets) await recent.add(services.datasets.get(id).summary.root)
  } else if (last && existsSync(last.root)) {
    try {
      await openInitialDatasets(services, [last.root])
      const summary = services.datasets.get(services.initialDatasets[0] ?? '').summary
      if (summary.episodes.some((e) => e.index === last.episode && e.present)) restoreEpisode = { datasetId: summary.id, episode: last.episode }
    } catch {
      // The previous session's dataset cannot be read any more: start on the demo.
    }
  }
  if (services.initialDatasets.length === 0) await openDemo(services, dataDir)
  // Scoring jobs a crash, a kill or a quit interrupted continue where they stopped.
  await services.resumeJobs().catch((err: unknown) => problems.push(`Could not resume scoring jobs: ${message(err)}`))

  await app.whenReady()
  guardSession(session.defaultSession)
  registerProtocols(services)

  const bounds = restoreBounds(windowState.current.bounds, workAreas())
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 800,
    minHeight: 560,
    title: APP_NAME,
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: path.join(PACKAGE_ROOT, 'dist', 'electron', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: IS_DEV,
      spellcheck: false,
    },
  })
  if (windowState.current.maximized) win.maximize()
  const rememberBounds = (): void => {
    if (!win.isDestroyed() && !win.isMinimized() && !win.isFullScreen()) {
      windowState.update({ bounds: win.getNormalBounds(), maximized: win.isMaximized() })
    }
  }
  win.on('resize', rememberBounds)
  win.on('move', rememberBounds)
  win.on('maximize', rememberBounds)
  win.on('unmaximize', rememberBounds)
  win.on('close', () => {
    rememberBounds()
    void windowState.flush()
  })

  // Commands for the renderer go out once its page is listening (see RendererGate).
  const gate = new RendererGate<AppCommand>((command) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, 'app.command', command)
  })
  let currentDatasetId: string | null = services.initialDatasets[0] ?? null
  if (restoreEpisode) gate.push({ command: 'showDataset', datasetId: restoreEpisode.datasetId, episode: restoreEpisode.episode })

  // Calls in flight for the current page: aborted when it goes away (reload, crash, close).
  const inflight = new Set<AbortController>()
  // The page's uploads (import files sent in chunks): freed with the page, like its calls.
  let uploads = services.uploads.session()
  const abortAll = (): void => {
    for (const c of inflight) c.abort()
    inflight.clear()
    uploads.close()
    uploads = services.uploads.session()
  }
  win.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) {
      abortAll()
      gate.reset()
    }
  })
  win.webContents.on('render-process-gone', abortAll)
  // The page cancels its unload only while a note it could not save is still unsaved (renderer/src/components/
  // unloadGuard.ts). Electron would then keep the window open without a word; ask instead
  // (https://www.electronjs.org/docs/latest/api/web-contents#event-will-prevent-unload).
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'warning',
      title: 'Unsaved note',
      message: 'A note could not be saved.',
      detail: 'Its text is still in the app, and saving is being retried. Leave now and it is lost.',
      buttons: ['Stay', 'Leave without saving'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    })
    // preventDefault here overrides the page's beforeunload: the window closes or reloads.
    if (choice === 1) event.preventDefault()
  })
  win.webContents.on('destroyed', abortAll)

  // The one IPC channel: only from the window's own page, main frame, app origin; then dispatch validates the
  // method name and its parameters against the contract's zod schemas.
  ipcMain.handle(IPC_CALL, async (event, method: unknown, params: unknown) => {
    const frame = event.senderFrame
    const trusted = isTrustedIpcSender(
      { isAppWindow: !win.isDestroyed() && event.sender === win.webContents, frameUrl: frame?.url, isMainFrame: frame !== null && frame.parent === null },
      APP_SCHEME,
    )
    if (!trusted) return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an unknown frame' } }
    const controller = new AbortController()
    inflight.add(controller)
    try {
      const outcome = await dispatch(services.handlers, method, params, { signal: controller.signal, uploads })
      if (outcome.ok && typeof method === 'string') {
        const facts = callFacts(method, params, outcome.result)
        if (facts.datasetId !== null) currentDatasetId = facts.datasetId
        if (facts.openedRoot !== null) void recent.add(facts.openedRoot).then(refreshMenu)
        if (facts.episode !== null && facts.datasetId !== null) {
          const root = services.datasets.list().find((d) => d.id === facts.datasetId)?.root
          if (root) windowState.update({ lastEpisode: { root, episode: facts.episode } })
        }
        // After the reply has gone out, so the renderer handles the answer before any queued command.
        setTimeout(() => gate.callAnswered(method), 0)
      }
      return outcome
    } finally {
      inflight.delete(controller)
    }
  })
  services.events.subscribe((name, payload) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, name, payload)
  })

  const showError = (title: string, err: unknown): void => {
    void dialog.showMessageBox(win, { type: 'error', title, message: title, detail: message(err) })
  }

  async function openDataset(root: string, episode: number | null = null): Promise<void> {
    try {
      const summary = await services.datasets.open(root)
      currentDatasetId = summary.id
      await recent.add(summary.root)
      refreshMenu()
      gate.push({ command: 'showDataset', datasetId: summary.id, episode })
    } catch (err) {
      if (!existsSync(root)) {
        await recent.remove(root)
        refreshMenu()
      }
      showError('Could not open the dataset', err)
    }
  }

  async function addModelFolder(folder: string): Promise<void> {
    try {
      const model = await services.models.addFolder(folder)
      gate.push({ command: 'modelsChanged' })
      void dialog.showMessageBox(win, { type: 'info', title: 'Model added', message: `Model ${model.name} added`, detail: folder })
    } catch (err) {
      showError('Could not add the model folder', err)
    }
  }

  async function openTargets(list: LaunchTarget[]): Promise<void> {
    for (const t of list) {
      if (t.kind === 'dataset') await openDataset(t.root)
      else if (t.kind === 'model') await addModelFolder(t.folder)
      else showError('Cannot open', `${t.path}: ${t.reason}`)
    }
  }

  async function exportAnnotations(): Promise<void> {
    const summary = currentDatasetId ? services.datasets.list().find((d) => d.id === currentDatasetId) : undefined
    if (!summary) {
      await dialog.showMessageBox(win, { type: 'info', title: 'Export annotations', message: 'Open a dataset first.' })
      return
    }
    const choice = await dialog.showSaveDialog(win, {
      title: 'Export annotations',
      defaultPath: path.join(app.getPath('documents'), `${summary.name}-annotations.json`),
      filters: [
        { name: 'Canonical JSON (re-importable)', extensions: ['json'] },
        { name: 'CSV, one row per event', extensions: ['csv'] },
      ],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    })
    if (choice.canceled || !choice.filePath) return
    const { format, path: out } = exportFormatForPath(choice.filePath)
    try {
      const { paths } = await services.projects.exportTo(summary.id, format, {}, out)
      void dialog.showMessageBox(win, { type: 'info', title: 'Export annotations', message: 'Annotations exported', detail: paths.join('\n') })
    } catch (err) {
      showError('Export failed', err)
    }
  }

  /** A new dated folder inside the one chosen, so a backup never overwrites an earlier one. */
  async function backupData(): Promise<void> {
    const choice = await dialog.showOpenDialog(win, {
      title: 'Back up annotations and data into…',
      defaultPath: app.getPath('documents'),
      properties: ['openDirectory', 'createDirectory'],
    })
    const parent = choice.filePaths[0]
    if (choice.canceled || !parent) return
    const out = path.join(parent, `viva-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    try {
      const { files } = await backupDataDir({ dataDir, out, version: pkg.version, writeGuard: services.writeGuard })
      void dialog.showMessageBox(win, { type: 'info', title: 'Backup', message: `Backed up ${files.length} files`, detail: out })
    } catch (err) {
      showError('Backup failed', err)
    }
  }

  function refreshMenu(): void {
    const template = buildMenuTemplate(
      { appName: APP_NAME, isDev: IS_DEV, platform: process.platform, recent: recent.list, links: HELP_LINKS },
      {
        openDataset: () => {
          void dialog.showOpenDialog(win, { title: 'Open dataset', properties: ['openDirectory'] }).then((r) => {
            const root = r.filePaths[0]
            if (!r.canceled && root) void openDataset(root)
          })
        },
        openRecent: (root) => void openDataset(root),
        clearRecent: () => void recent.clear().then(refreshMenu),
        openModelFolder: () => {
          void dialog.showOpenDialog(win, { title: 'Open model folder', properties: ['openDirectory'] }).then((r) => {
            const folder = r.filePaths[0]
            if (!r.canceled && folder) void addModelFolder(folder)
          })
        },
        exportAnnotations: () => void exportAnnotations(),
        backupData: () => void backupData(),
        undo: () => gate.push({ command: 'undo' }),
        redo: () => gate.push({ command: 'redo' }),
        about: () => {
          void dialog.showMessageBox(win, {
            type: 'info',
            title: `About ${APP_NAME}`,
            message: `${APP_NAME} ${pkg.version}`,
            detail: [
              'Play, annotate and evaluate value models on robot-learning episodes.',
              '',
              `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
              `Data folder: ${dataDir}`,
            ].join('\n'),
          })
        },
        shortcuts: () => {
          void dialog.showMessageBox(win, { type: 'info', title: 'Keyboard shortcuts', message: 'Keyboard shortcuts', detail: shortcutsText(process.platform) })
        },
        openLink: openExternalLink,
      },
    )
    Menu.setApplicationMenu(Menu.buildFromTemplate(template as MenuItemConstructorOptions[]))
  }
  refreshMenu()

  // A second launch (`viva-studio <dataset>`, a double-clicked manifest) focuses this window and opens its paths.
  app.on('second-instance', (_event, argv, workingDirectory) => {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
    void classifyLaunchPaths(launchPaths(argv, process.defaultApp === true), workingDirectory).then(openTargets)
  })
  onOpenFile = (file) => void classifyLaunchPaths([file], process.cwd()).then(openTargets)
  for (const file of openedFiles.splice(0)) onOpenFile(file)

  app.on('window-all-closed', () => app.quit())
  // Stop scoring jobs cleanly (their stored chunks let them resume next time) and release model sessions.
  let disposed = false
  app.on('will-quit', (event) => {
    if (disposed) return
    event.preventDefault()
    disposed = true
    void Promise.allSettled([windowState.flush(), services.dispose()]).finally(() => app.quit())
  })

  await win.loadURL(`${APP_ORIGIN}/index.html`)
  if (problems.length > 0) showError('Some paths could not be opened', problems.join('\n'))
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

void start()
