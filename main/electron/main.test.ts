// The shell's wiring, run against a stand-in for Electron's main-process API (the real binary cannot run here):
// window options, every guard attached, IPC sender checks, both protocols, the menu, single instance, and the
// window state written on quit. The rules themselves are tested in main/shell/*.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { MenuItemSpec } from '../shell/menu'
import { APP_SCHEME, IPC_CALL, IPC_EVENT, MEDIA_SCHEME } from './channels'

const fx = vi.hoisted(() => {
  class Emitter {
    readonly listeners = new Map<string, ((...args: never[]) => unknown)[]>()
    on(event: string, listener: (...args: never[]) => unknown): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      return this
    }
    once(event: string, listener: (...args: never[]) => unknown): this {
      return this.on(event, listener)
    }
    emit(event: string, ...args: unknown[]): void {
      for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => unknown)(...args)
    }
  }
  const state = {
    root: '',
    dataDir: '',
    rendererDist: '',
    datasetDir: '',
    sandboxEnabled: false,
    lockRequested: false,
    userData: '',
    privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
    protocols: new Map<string, (request: Request) => Promise<Response>>(),
    ipc: new Map<string, (...args: unknown[]) => Promise<unknown>>(),
    openedExternally: [] as string[],
    menus: [] as MenuItemSpec[][],
    sent: [] as unknown[][],
    session: {} as Record<string, unknown>,
    sessionEvents: new Emitter(),
    windows: [] as unknown[],
    focused: 0,
    loaded: '',
    quit: 0,
  }
  class FakeWebContents extends Emitter {
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
    setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
      this.windowOpenHandler = h
    }
    send(...args: unknown[]): void {
      state.sent.push(args)
    }
  }
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    enableSandbox: () => (state.sandboxEnabled = true),
    setPath: (_name: string, p: string) => (state.userData = p),
    getPath: (name: string) => path.join(state.root, `electron-${name}`),
    requestSingleInstanceLock: () => (state.lockRequested = true),
    whenReady: async () => undefined,
    quit: () => state.quit++,
  })
  class FakeBrowserWindow extends Emitter {
    readonly webContents = new FakeWebContents()
    constructor(readonly options: Record<string, unknown> & { webPreferences: Record<string, unknown> }) {
      super()
      state.windows.push(this)
      app.emit('web-contents-created', {}, this.webContents)
    }
    isDestroyed = (): boolean => false
    isMinimized = (): boolean => false
    isMaximized = (): boolean => false
    isFullScreen = (): boolean => false
    maximize(): void {}
    restore(): void {}
    show(): void {}
    focus(): void {
      state.focused++
    }
    getNormalBounds(): { x: number; y: number; width: number; height: number } {
      return { x: 40, y: 30, width: 1200, height: 900 }
    }
    async loadURL(url: string): Promise<void> {
      state.loaded = url
    }
  }
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: { handle: (channel: string, h: (...args: unknown[]) => Promise<unknown>) => state.ipc.set(channel, h) },
    protocol: {
      registerSchemesAsPrivileged: (list: typeof state.privileged) => state.privileged.push(...list),
      handle: (scheme: string, h: (request: Request) => Promise<Response>) => state.protocols.set(scheme, h),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: unknown) => (state.session.request = h),
        setPermissionCheckHandler: (h: unknown) => (state.session.check = h),
        setDevicePermissionHandler: (h: unknown) => (state.session.device = h),
        webRequest: { onHeadersReceived: (h: unknown) => (state.session.headers = h) },
        on: (event: string, h: (...args: never[]) => unknown) => state.sessionEvents.on(event, h),
      },
    },
    screen: {
      getPrimaryDisplay: () => ({ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }),
      getAllDisplays: () => [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }],
    },
    Menu: {
      buildFromTemplate: (t: MenuItemSpec[]) => t,
      setApplicationMenu: (m: MenuItemSpec[]) => state.menus.push(m),
    },
    dialog: {
      showMessageBox: vi.fn(async () => ({ response: 0 })),
      showMessageBoxSync: vi.fn(() => 0),
      showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: [state.datasetDir] })),
      showSaveDialog: vi.fn(async () => ({ canceled: false, filePath: path.join(state.root, 'out', 'labels.csv') })),
    },
    shell: { openExternal: async (url: string) => void state.openedExternally.push(url) },
  }
  return { state, electron }
})

vi.mock('electron', () => fx.electron)

vi.mock('../paths', async (importOriginal) => {
  const original = await importOriginal<typeof import('../paths')>()
  return { ...original, RENDERER_DIST: fx.state.rendererDist }
})

const datasets = vi.hoisted(() => ({ opened: new Map<string, { id: string; root: string; name: string; episodes: { index: number; present: boolean }[] }>() }))

vi.mock('../compose', async (importOriginal) => {
  const { composeWriteGuard } = await importOriginal<typeof import('../compose')>()
  const { createEventBus } = await import('../events')
  const { MediaRoots } = await import('../video/mediaFiles')
  const { UploadStore } = await import('../rpc/uploads')
  const media = new MediaRoots()
  const open = vi.fn(async (root: string) => {
    const id = `ds${datasets.opened.size}`
    const existing = [...datasets.opened.values()].find((d) => d.root === path.resolve(root))
    if (existing) return existing
    const summary = { id, root: path.resolve(root), name: path.basename(root), episodes: [0, 1, 2].map((index) => ({ index, present: true })) }
    datasets.opened.set(id, summary)
    media.register(id, root)
    return summary
  })
  const services = {
    events: createEventBus(),
    media,
    datasets: {
      open,
      list: () => [...datasets.opened.values()],
      get: (id: string) => ({ summary: datasets.opened.get(id) }),
    },
    models: { addFolder: vi.fn(async () => ({ name: 'model' })) },
    projects: { exportTo: vi.fn(async (_id: string, _format: string, _filters: unknown, out: string) => ({ paths: [out] })) },
    uploads: new UploadStore(),
    children: { killAll: vi.fn() },
    dispose: vi.fn(async () => undefined),
    resumeJobs: vi.fn(async () => undefined),
    // The real guard over the fake's open datasets; the data folder is the test's, known once it is made.
    get writeGuard() {
      return composeWriteGuard({ dataDir: fx.state.dataDir, datasets: () => [...datasets.opened.values()].map((d) => d.root) })
    },
    initialDatasets: [] as string[],
    handlers: {
      'app.info': async () => ({ version: 'test', mode: 'electron', initialDatasets: [] }),
      'dataset.list': async () => [...datasets.opened.values()],
      'dataset.open': async ({ path: root }: { path: string }) => open(root),
      'episode.open': async ({ datasetId, episode }: { datasetId: string; episode: number }) => ({ datasetId, index: episode }),
    },
  }
  return {
    composeServices: () => services,
    openInitialDatasets: async (s: typeof services, roots: string[]) => {
      for (const root of roots) s.initialDatasets.push((await s.datasets.open(root)).id)
    },
    services,
  }
})

vi.mock('../demo', () => ({
  openDemo: vi.fn(async (s: { datasets: { open(r: string): Promise<{ id: string }> }; initialDatasets: string[] }) => {
    const { id } = await s.datasets.open(path.join(fx.state.dataDir, 'demo'))
    s.initialDatasets.push(id)
    return id
  }),
}))

const { state } = fx
const originalArgv = process.argv
let win: { options: Record<string, unknown> & { webPreferences: Record<string, unknown> }; webContents: { windowOpenHandler: (d: { url: string }) => { action: string }; emit(e: string, ...a: unknown[]): void } }

function navigationEvent(url: string): { url: string; preventDefault: () => void; prevented: boolean } {
  const e = { url, prevented: false, preventDefault: () => (e.prevented = true) }
  return e
}

function menuItem(id: string): MenuItemSpec {
  const find = (items: readonly MenuItemSpec[]): MenuItemSpec | undefined => {
    for (const i of items) {
      if (i.id === id) return i
      const inner = i.submenu ? find(i.submenu) : undefined
      if (inner) return inner
    }
    return undefined
  }
  const item = find(state.menus.at(-1) ?? [])
  if (!item) throw new Error(`no menu item ${id}`)
  return item
}

const appFrame = { url: `${APP_SCHEME}://renderer/index.html`, parent: null }
async function call(method: string, params: unknown, sender: unknown = win.webContents, senderFrame: unknown = appFrame): Promise<unknown> {
  const handler = state.ipc.get(IPC_CALL)
  if (!handler) throw new Error('IPC not bound')
  return handler({ sender, senderFrame }, method, params)
}

const commands = (): unknown[] => state.sent.filter((s) => s[0] === IPC_EVENT && s[1] === 'app.command').map((s) => s[2])

beforeAll(async () => {
  state.root = mkdtempSync(path.join(os.tmpdir(), 'viva-shell-'))
  state.dataDir = path.join(state.root, 'data')
  state.rendererDist = path.join(state.root, 'renderer')
  state.datasetDir = path.join(state.root, 'dataset')
  mkdirSync(path.join(state.rendererDist, 'assets'), { recursive: true })
  writeFileSync(path.join(state.rendererDist, 'index.html'), '<!doctype html><title>ViVa</title>')
  writeFileSync(path.join(state.rendererDist, 'assets', 'app.js'), 'console.log(1)')
  mkdirSync(path.join(state.datasetDir, 'videos'), { recursive: true })
  mkdirSync(path.join(state.datasetDir, 'meta'), { recursive: true })
  writeFileSync(path.join(state.datasetDir, 'videos', 'cam.mp4'), Buffer.alloc(1000, 7))
  writeFileSync(path.join(state.datasetDir, 'meta', 'info.json'), '{"secret": true}')
  process.env.VIVA_DATA_DIR = state.dataDir
  process.argv = ['/x/electron', '--inspect=0', '.']
  ;(process as { defaultApp?: boolean }).defaultApp = true
  await import('./main')
  await vi.waitFor(() => expect(state.loaded).not.toBe(''), { timeout: 10_000 })
  win = state.windows[0] as typeof win
})

afterAll(() => {
  process.argv = originalArgv
  delete process.env.VIVA_DATA_DIR
  delete (process as { defaultApp?: boolean }).defaultApp
  rmSync(state.root, { recursive: true, force: true })
})

describe('desktop shell wiring', () => {
  it('starts sandboxed, single-instance, per data dir, on the bundled renderer', () => {
    expect(state.sandboxEnabled).toBe(true)
    expect(state.lockRequested).toBe(true)
    expect(state.userData).toBe(path.join(state.dataDir, 'electron'))
    expect(state.loaded).toBe(`${APP_SCHEME}://renderer/index.html`)
    expect(state.privileged.map((p) => p.scheme)).toEqual([APP_SCHEME, MEDIA_SCHEME])
  })

  it('resumes the scoring jobs a previous run left unfinished, once, at start', async () => {
    const { services } = (await import('../compose')) as unknown as { services: { resumeJobs: ReturnType<typeof vi.fn> } }
    expect(services.resumeJobs).toHaveBeenCalledTimes(1)
  })

  it('opens one window with the hardened webPreferences and restored bounds', () => {
    expect(state.windows).toHaveLength(1)
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: true, // not packaged: development
    })
    expect(String(win.options.webPreferences.preload)).toMatch(/dist[\\/]electron[\\/]preload\.cjs$/)
    expect(win.options).toMatchObject({ x: 210, y: 20, width: 1500, height: 1000 })
  })

  it('a page that cancels its unload (a note it could not save) gets a Stay / Leave dialog; only Leave lets it go', () => {
    const ask = fx.electron.dialog.showMessageBoxSync
    ask.mockReturnValueOnce(0)
    const stay = navigationEvent('')
    win.webContents.emit('will-prevent-unload', stay)
    expect(stay.prevented).toBe(false)
    expect((ask.mock.calls.at(-1) as unknown as [unknown, { message: string }])[1].message).toMatch(/note could not be saved/)
    ask.mockReturnValueOnce(1)
    const leave = navigationEvent('')
    win.webContents.emit('will-prevent-unload', leave)
    expect(leave.prevented).toBe(true)
  })

  it('blocks navigation, new windows and webviews; opens only its own links externally', () => {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', `${MEDIA_SCHEME}://ds0/videos/cam.mp4`]) {
      for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
        const e = navigationEvent(url)
        win.webContents.emit(event, e)
        expect(e.prevented, `${event} ${url}`).toBe(true)
      }
    }
    const inApp = navigationEvent(`${APP_SCHEME}://renderer/index.html`)
    win.webContents.emit('will-navigate', inApp)
    expect(inApp.prevented).toBe(false)
    const webview = navigationEvent('')
    win.webContents.emit('will-attach-webview', webview)
    expect(webview.prevented).toBe(true)

    expect(win.webContents.windowOpenHandler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(win.webContents.windowOpenHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(state.openedExternally).toEqual([])
    expect(win.webContents.windowOpenHandler({ url: 'https://viva-value-model.github.io/' })).toEqual({ action: 'deny' })
    expect(state.openedExternally).toEqual(['https://viva-value-model.github.io/'])
  })

  it('denies every permission and adds the CSP to renderer responses', () => {
    const answers: boolean[] = []
    ;(state.session.request as (wc: unknown, p: string, cb: (ok: boolean) => void) => void)({}, 'media', (ok) => answers.push(ok))
    ;(state.session.request as (wc: unknown, p: string, cb: (ok: boolean) => void) => void)({}, 'notifications', (ok) => answers.push(ok))
    expect(answers).toEqual([false, false])
    expect((state.session.check as (wc: unknown, p: string) => boolean)(null, 'clipboard-read')).toBe(false)
    expect((state.session.device as () => boolean)()).toBe(false)
    const replies: unknown[] = []
    const onHeaders = state.session.headers as (d: { url: string; responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void
    onHeaders({ url: `${APP_SCHEME}://renderer/index.html`, responseHeaders: {} }, (r) => replies.push(r))
    onHeaders({ url: 'https://example.com/', responseHeaders: {} }, (r) => replies.push(r))
    expect(replies[0]).toEqual({ responseHeaders: { 'Content-Security-Policy': [expect.stringContaining("default-src 'none'")] } })
    expect(replies[1]).toEqual({})
  })

  it('lets only blob downloads of the page through', () => {
    const download = (url: string): boolean => {
      const e = navigationEvent(url)
      state.sessionEvents.emit('will-download', e, { getURL: () => url })
      return !e.prevented
    }
    expect(download(`blob:${APP_SCHEME}://renderer/1234`)).toBe(true)
    expect(download('https://evil.example/payload.exe')).toBe(false)
  })

  it('serves the renderer with its CSP, and nothing outside it', async () => {
    const serve = state.protocols.get(APP_SCHEME) as (r: Request) => Promise<Response>
    const index = await serve(new Request(`${APP_SCHEME}://renderer/index.html`))
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("script-src viva-app:")
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await index.text()).toContain('<title>ViVa</title>')
    expect((await serve(new Request(`${APP_SCHEME}://renderer/assets/app.js`))).headers.get('content-type')).toMatch(/javascript/)
    expect((await serve(new Request(`${APP_SCHEME}://renderer/missing.js`))).status).toBe(404)
    expect((await serve(new Request(`${APP_SCHEME}://other/index.html`))).status).toBe(403)
    expect((await serve(new Request(`${APP_SCHEME}://renderer/index.html`, { method: 'POST', body: 'x' }))).status).toBe(405)
  })

  it('serves media of opened datasets only: media files, reads, Range', async () => {
    const serve = state.protocols.get(MEDIA_SCHEME) as (r: Request) => Promise<Response>
    const { id } = await (await import('../compose') as unknown as { services: { datasets: { open(r: string): Promise<{ id: string }> } } }).services.datasets.open(state.datasetDir)
    const ok = await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/cam.mp4`, { headers: { range: 'bytes=0-9' } }))
    expect(ok.status).toBe(206)
    expect((await ok.arrayBuffer()).byteLength).toBe(10)
    expect(ok.headers.get('content-type')).toBe('video/mp4')
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/meta/info.json`))).status).toBe(403)
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/missing.mp4`))).status).toBe(404)
    expect((await serve(new Request(`${MEDIA_SCHEME}://unknownroot/videos/cam.mp4`))).status).toBe(403)
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/cam.mp4`, { method: 'POST', body: 'x' }))).status).toBe(405)
  })

  it('answers IPC only from its own page, validated by the contract', async () => {
    await expect(call('app.info', {})).resolves.toMatchObject({ ok: true, result: { version: 'test' } })
    await expect(call('app.info', {}, { other: true })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    await expect(call('app.info', {}, undefined, { url: appFrame.url, parent: appFrame })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    await expect(call('app.info', {}, undefined, { url: 'https://evil.example/', parent: null })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    await expect(call('app.info', {}, undefined, null)).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    await expect(call('fs.readFile', { path: '/etc/passwd' })).resolves.toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } })
    await expect(call('episode.open', { datasetId: 'ds0', episode: 'one' })).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('builds the application menu; Undo reaches the renderer once it listens', async () => {
    const labels = (state.menus.at(-1) ?? []).map((m) => m.label)
    expect(labels).toEqual(expect.arrayContaining(['&File', '&Edit', '&View', '&Help']))
    await call('dataset.list', {})
    menuItem('undo').click?.()
    await vi.waitFor(() => expect(commands()).toContainEqual({ command: 'undo' }))
  })

  it('File › Open dataset… opens the chosen folder, remembers it and shows it', async () => {
    menuItem('open-dataset').click?.()
    await vi.waitFor(() => expect(commands()).toContainEqual({ command: 'showDataset', datasetId: expect.any(String), episode: null }))
    await vi.waitFor(() => expect(menuItem('recent-0').label).toBe(state.datasetDir))
    const recent = JSON.parse(readFileSync(path.join(state.dataDir, 'recent-datasets.json'), 'utf8')) as { datasets: string[] }
    expect(recent.datasets[0]).toBe(state.datasetDir)
  })

  it('File › Export annotations… writes the current dataset in the chosen format', async () => {
    const { services } = (await import('../compose')) as unknown as { services: { projects: { exportTo: ReturnType<typeof vi.fn> } } }
    await call('episode.open', { datasetId: 'ds0', episode: 2 })
    menuItem('export-annotations').click?.()
    await vi.waitFor(() => expect(services.projects.exportTo).toHaveBeenCalledWith('ds0', 'csv', {}, path.join(state.root, 'out', 'labels.csv')))
  })

  it('File › Back up… writes a new dated backup folder (with its manifest) into the chosen folder', async () => {
    const chosen = path.join(state.root, 'backups')
    mkdirSync(chosen)
    fx.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [chosen] })
    menuItem('backup-data').click?.()
    await vi.waitFor(() => {
      const made = readdirSync(chosen).filter((f) => f.startsWith('viva-backup-'))
      expect(made).toHaveLength(1)
      const manifest = JSON.parse(readFileSync(path.join(chosen, made[0] ?? '', 'viva-backup.json'), 'utf8')) as { files: { path: string }[] }
      expect(manifest.files.map((f) => f.path)).toContain('recent-datasets.json')
    })
  })

  it('File › Back up… into the open dataset is refused with the reason, and nothing is written there (issue 13)', async () => {
    const before = readdirSync(state.datasetDir).sort()
    const shown = fx.electron.dialog.showMessageBox.mock.calls.length
    fx.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [state.datasetDir] })
    menuItem('backup-data').click?.()
    await vi.waitFor(() => expect(fx.electron.dialog.showMessageBox.mock.calls.length).toBeGreaterThan(shown))
    const detail = (fx.electron.dialog.showMessageBox.mock.calls.at(-1) as unknown as [unknown, { title: string; detail: string }])[1]
    expect(detail.title).toBe('Backup failed')
    expect(detail.detail).toContain(`it is inside the dataset ${state.datasetDir}`)
    expect(readdirSync(state.datasetDir).sort()).toEqual(before)
  })

  it('a second launch focuses the window and opens its dataset', async () => {
    const focused = state.focused
    const before = commands().length
    fx.electron.app.emit('second-instance', {}, ['/x/electron', '--flag', '.', 'dataset'], state.root, {})
    await vi.waitFor(() => expect(commands().length).toBeGreaterThan(before))
    expect(state.focused).toBe(focused + 1)
    expect(commands().at(-1)).toMatchObject({ command: 'showDataset', episode: null })
  })

  it('remembers bounds and the last episode on quit, then disposes the services', async () => {
    await call('episode.open', { datasetId: 'ds0', episode: 1 })
    const quit = navigationEvent('')
    fx.electron.app.emit('will-quit', quit)
    expect(quit.prevented).toBe(true)
    await vi.waitFor(() => expect(state.quit).toBe(1))
    const saved = JSON.parse(readFileSync(path.join(state.dataDir, 'window-state.json'), 'utf8')) as { lastEpisode: { episode: number; root: string } }
    expect(saved.lastEpisode.episode).toBe(1)
  })
})
