// The thin Electron shell: lifecycle, the window and its state, and the wiring of the pieces beside it (guards.ts:
// security hooks and protocols; windowRpc.ts: the page's RPC port; menuActions.ts: menu and launcher actions).
// All logic lives in the services built by main/compose.ts and in main/shell/ (security rules, window state,
// recent list, menu template, launch arguments, page activity), which run and are tested without Electron.
import { app, BrowserWindow, dialog, screen, session, shell } from 'electron'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { AppCommand } from '../../app/contract'
import { composeServices, openInitialDatasets, type Services } from '../compose'
import { openDemo } from '../demo'
import { defaultDataDir, PACKAGE_ROOT } from '../paths'
import { PageActivity, RendererGate } from '../shell/activity'
import { VIVA_SCHEME } from '../../app/location'
import { vivaLinksIn } from '../shell/deepLink'
import { classifyLaunchPaths, launchPaths } from '../shell/launch'
import { applyBundledMediaTools, bundledMediaTools } from '../shell/mediaTools'
import { RecentDatasets } from '../shell/recent'
import { appOrigin, ExternalLinks } from '../shell/security'
import { restoreBounds, WindowStateStore, type Rect } from '../shell/windowState'
import { APP_SCHEME } from './channels'
import { guardSession, installAppGuards, registerProtocols } from './guards'
import { createShellActions, message } from './menuActions'
import { bindWindowRpc } from './windowRpc'

const APP_NAME = 'ViVa Studio'
const IS_DEV = !app.isPackaged

// The only URLs shell.openExternal may receive: links this file generates (Help menu).
const links = new ExternalLinks()
const HELP_LINKS = [{ label: 'ViVa method (project page)', url: links.register('https://viva-value-model.github.io/') }]

function openExternalLink(url: unknown): void {
  const href = links.check(url)
  if (href !== null) void shell.openExternal(href)
}

installAppGuards(openExternalLink)

// macOS hands files opened from Finder (file associations) to open-file, possibly before `ready`.
const openedFiles: string[] = []
let onOpenFile: ((file: string) => void) | null = null
app.on('open-file', (event, file) => {
  event.preventDefault()
  if (onOpenFile) onOpenFile(file)
  else openedFiles.push(file)
})

// viva:// links (app/location.ts): macOS hands them to open-url (possibly before `ready`), Windows and Linux to a
// launch's arguments, forwarded to the running instance by the single-instance lock (second-instance). The app
// registers as the scheme's handler as Electron's deep-link guide does
// (https://www.electronjs.org/docs/latest/tutorial/launch-app-from-url-in-another-app); packaged builds also
// declare it to the OS (electron-builder.yml `protocols`). Not from test runs (VIVA_DATA_DIR set), which must not
// change which app the user's system opens links with.
const openedLinks: string[] = []
let onOpenLink: ((url: string) => void) | null = null
app.on('open-url', (event, url) => {
  event.preventDefault()
  if (onOpenLink) onOpenLink(url)
  else openedLinks.push(url)
})
if (!process.env.VIVA_DATA_DIR) {
  if (!process.defaultApp) app.setAsDefaultProtocolClient(VIVA_SCHEME)
  else if (process.argv[1] !== undefined) app.setAsDefaultProtocolClient(VIVA_SCHEME, process.execPath, [path.resolve(process.argv[1])])
}

function workAreas(): Rect[] {
  const primary = screen.getPrimaryDisplay()
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea)
}

/**
 * What to show first: datasets named on the command line, else the last episode of the previous session, else the
 * demo. Model manifests / folders on the command line are added to the model list. Returns the episode to restore.
 */
async function openLaunchTargets(
  services: Services,
  dataDir: string,
  windowState: WindowStateStore,
  recent: RecentDatasets,
  problems: string[],
): Promise<{ datasetId: string; episode: number } | null> {
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
  return restoreEpisode
}

function createWindow(windowState: WindowStateStore): BrowserWindow {
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
  return win
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
  const launchLinks = vivaLinksIn(process.argv)
  const restoreEpisode = await openLaunchTargets(services, dataDir, windowState, recent, problems)
  // Scoring jobs a crash, a kill or a quit interrupted continue where they stopped.
  await services.resumeJobs().catch((err: unknown) => problems.push(`Could not resume scoring jobs: ${message(err)}`))

  await app.whenReady()
  guardSession(session.defaultSession)
  registerProtocols(services)
  const win = createWindow(windowState)

  // Commands for the page go out once it says it listens (see RendererGate).
  const gate = new RendererGate<AppCommand>((command) => rpc.emit('app.command', command))
  const rootOf = (id: string): string | null => services.datasets.list().find((d) => d.id === id)?.root ?? null
  const page = new PageActivity(
    {
      rootOf,
      addRecent: (root) => void recent.add(root).then(() => actions.refreshMenu()),
      rememberEpisode: (root, episode) => windowState.update({ lastEpisode: { root, episode } }),
      ready: () => gate.ready(),
    },
    services.initialDatasets[0] ?? null,
  )
  const rpc = bindWindowRpc(win, services, { onNotice: (n) => page.onNotice(n), onPageGone: () => gate.reset() })
  const actions = createShellActions({
    appName: APP_NAME,
    version: pkg.version,
    isDev: IS_DEV,
    dataDir,
    win,
    services,
    recent,
    helpLinks: HELP_LINKS,
    openExternalLink,
    command: (command) => gate.push(command),
    page,
  })
  // A link the app was started with goes where it says, instead of the last session's episode.
  if (restoreEpisode && launchLinks.length + openedLinks.length === 0) gate.push({ command: 'showDataset', datasetId: restoreEpisode.datasetId, episode: restoreEpisode.episode })
  actions.refreshMenu()

  // A second launch (`viva-studio <dataset>`, a double-clicked manifest) focuses this window and opens its paths.
  // A clicked viva:// link arrives the same way on Windows and Linux.
  app.on('second-instance', (_event, argv, workingDirectory) => {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
    void classifyLaunchPaths(launchPaths(argv, process.defaultApp === true), workingDirectory).then(actions.openTargets)
    for (const link of vivaLinksIn(argv)) void actions.openLink(link)
  })
  onOpenLink = (url) => {
    win.show()
    win.focus()
    void actions.openLink(url)
  }
  for (const link of [...launchLinks, ...openedLinks.splice(0)]) void actions.openLink(link)
  onOpenFile = (file) => void classifyLaunchPaths([file], process.cwd()).then(actions.openTargets)
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

  await win.loadURL(`${appOrigin(APP_SCHEME)}/index.html`)
  if (problems.length > 0) actions.showError('Some paths could not be opened', problems.join('\n'))
}

void start()
