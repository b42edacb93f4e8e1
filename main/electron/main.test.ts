// The shell's wiring, run against a stand-in for Electron's main-process API (the real binary cannot run here):
// window options, every guard attached, who gets the RPC port (MessageChannelMain stood in for by a
// node:worker_threads MessageChannel in MessagePortMain's event shape), calls, cancel and reload over it, both
// protocols, the menu, single instance, and the window state written on quit. The rules themselves are tested in
// main/shell/*.test.ts, the serving loop in main/rpc/*.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { MessagePort as NodeMessagePort } from 'node:worker_threads'
import type { AppCommand, VivaClient } from '../../app/contract'
import { createRpcClient } from '../../app/rpc'
import { pagePort } from '../testing/messagePorts'
import type { MenuItemSpec } from '../shell/menu'
import { APP_SCHEME, IPC_CONNECT, IPC_PORT, MEDIA_SCHEME } from './channels'

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
    datasetDir: '',
    sandboxEnabled: false,
    lockRequested: false,
    userData: '',
    privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
    protocols: new Map<string, (request: Request) => Promise<Response>>(),
    ipc: new Map<string, (...args: unknown[]) => unknown>(),
    /** Ports the shell posted to a page: [channel, ports]. */
    posted: [] as { channel: string; ports: unknown[] }[],
    /** Signals of the slow method's calls (score.jobs here), to see cancel and reload abort them. */
    slowCalls: [] as AbortSignal[],
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
    postMessage(channel: string, _message: unknown, ports: unknown[] = []): void {
      state.posted.push({ channel, ports })
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
    ipcMain: { on: (channel: string, h: (...args: unknown[]) => unknown) => state.ipc.set(channel, h) },
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

vi.mock('electron', async () => {
  const { MessageChannel } = await import('node:worker_threads')
  const { FakeMessagePortMain } = await import('../testing/messagePorts')
  class MessageChannelMain {
    readonly port1: InstanceType<typeof FakeMessagePortMain>
    /** The page's end stays a plain Node port: the test's stand-in for the renderer's DOM MessagePort. */
    readonly port2: NodeMessagePort
    constructor() {
      const channel = new MessageChannel()
      this.port1 = new FakeMessagePortMain(channel.port1)
      this.port2 = channel.port2
    }
  }
  return { ...fx.electron, MessageChannelMain }
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
      'score.jobs': (_p: unknown, ctx: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          fx.state.slowCalls.push(ctx.signal)
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))
        }),
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

interface Page {
  client: VivaClient
  port: NodeMessagePort
  commands: AppCommand[]
}

/** A page asks for its RPC port as the preload does; null when the shell gives it none. */
function connect(sender: unknown = win.webContents, senderFrame: unknown = appFrame): Page | null {
  const handler = state.ipc.get(IPC_CONNECT)
  if (!handler) throw new Error('IPC not bound')
  const before = state.posted.length
  handler({ sender, senderFrame })
  const posted = state.posted.slice(before)
  const port = posted[0]?.ports[0] as NodeMessagePort | undefined
  if (!port) return null
  expect(posted[0]?.channel).toBe(IPC_PORT)
  const client = createRpcClient(pagePort(port), () => '')
  const commands: AppCommand[] = []
  client.on('app.command', (c) => commands.push(c))
  openPorts.push(port)
  return { client, port, commands }
}

const openPorts: NodeMessagePort[] = []
let current: Page | null = null
/** The window's page: connected once, and again after a reload. */
function page(): Page {
  current ??= connect()
  if (!current) throw new Error('the page got no port')
  return current
}

const commands = (): AppCommand[] => page().commands

beforeAll(async () => {
  state.root = mkdtempSync(path.join(os.tmpdir(), 'viva-shell-'))
  state.dataDir = path.join(state.root, 'data')
  state.datasetDir = path.join(state.root, 'dataset')
  mkdirSync(state.datasetDir, { recursive: true })
  process.env.VIVA_DATA_DIR = state.dataDir
  process.argv = ['/x/electron', '--inspect=0', '.']
  ;(process as { defaultApp?: boolean }).defaultApp = true
  await import('./main')
  await vi.waitFor(() => expect(state.loaded).not.toBe(''), { timeout: 10_000 })
  win = state.windows[0] as typeof win
})

afterAll(() => {
  for (const p of openPorts) p.close()
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

  it('attaches the guards to its window: no navigation away, only its own links go to the OS browser', () => {
    const e = navigationEvent('https://evil.example/')
    win.webContents.emit('will-navigate', e)
    expect(e.prevented).toBe(true)
    expect(win.webContents.windowOpenHandler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(state.openedExternally).toEqual([])
    expect(win.webContents.windowOpenHandler({ url: 'https://viva-value-model.github.io/' })).toEqual({ action: 'deny' })
    expect(state.openedExternally).toEqual(['https://viva-value-model.github.io/'])
  })

  it("gives the RPC port only to its own window's main frame on the app origin", () => {
    expect(connect({ other: true })).toBeNull()
    expect(connect(undefined, { url: appFrame.url, parent: appFrame })).toBeNull()
    expect(connect(undefined, { url: 'https://evil.example/', parent: null })).toBeNull()
    expect(connect(undefined, null)).toBeNull()
    expect(state.posted).toEqual([])
  })

  it('answers calls on the port, validated by the contract', async () => {
    const { client } = page()
    await expect(client.call('app.info', {})).resolves.toMatchObject({ version: 'test' })
    await expect(client.call('fs.readFile' as 'app.info', { path: '/etc/passwd' } as never)).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
    await expect(client.call('episode.open', { datasetId: 'ds0', episode: 'one' as unknown as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it("a typed cancel aborts the call's signal; a reload closes the page's port and aborts the rest", async () => {
    const before = page()
    const first = state.slowCalls.length
    const ac = new AbortController()
    const cancelled = before.client.call('score.jobs', {}, ac.signal).catch((e: unknown) => e)
    const left = before.client.call('score.jobs', {}).catch((e: unknown) => e)
    await vi.waitFor(() => expect(state.slowCalls.length).toBe(first + 2))
    ac.abort()
    expect(await cancelled).toMatchObject({ code: 'CANCELLED' })
    await vi.waitFor(() => expect(state.slowCalls[first]?.aborted).toBe(true))
    expect(state.slowCalls[first + 1]?.aborted).toBe(false)
    win.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false })
    await vi.waitFor(() => expect(state.slowCalls[first + 1]?.aborted).toBe(true))
    expect(await left).toMatchObject({ message: expect.stringContaining('closed') })
    // The new page asks again and is served.
    current = null
    await expect(page().client.call('app.info', {})).resolves.toMatchObject({ mode: 'electron' })
  })

  it('builds the application menu; Undo reaches the renderer once it listens', async () => {
    const labels = (state.menus.at(-1) ?? []).map((m) => m.label)
    expect(labels).toEqual(expect.arrayContaining(['&File', '&Edit', '&View', '&Help']))
    menuItem('undo').click?.()
    await expect(page().client.call('dataset.list', {})).resolves.toBeDefined()
    expect(commands()).toEqual([])
    page().client.notify?.('shell.ready', {})
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
    page().client.notify?.('shell.showing', { datasetId: 'ds0', episode: 2 })
    await expect(page().client.call('app.info', {})).resolves.toBeDefined() // the notice arrived before this answer
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

  it('viva:// links (second launch on Windows/Linux, open-url on macOS) reach the page as typed commands', async () => {
    const shown = commands().find((c) => c.command === 'showDataset')
    const id = shown?.command === 'showDataset' ? shown.datasetId : ''
    const link = `viva://open/dataset/${id}/episode/0/frame/3?curves=m%3Ax`
    fx.electron.app.emit('second-instance', {}, ['/x/electron', '.', link], state.root, {})
    await vi.waitFor(() => expect(commands().at(-1)).toEqual({ command: 'openLink', location: { datasetId: id, episode: 0, frame: 3, curves: ['m:x'] } }))
    fx.electron.app.emit('open-url', { preventDefault: () => undefined }, 'viva://open/dataset/nope/episode/1')
    await vi.waitFor(() => expect(commands().at(-1)).toEqual({ command: 'badLink', problem: expect.stringContaining('dataset nope, which is not open') }))
    menuItem('shortcuts').click?.()
    await vi.waitFor(() => expect(commands().at(-1)).toEqual({ command: 'showShortcuts' }))
  })

  it('remembers bounds and the last episode on quit, then disposes the services', async () => {
    page().client.notify?.('shell.showing', { datasetId: 'ds0', episode: 1 })
    await expect(page().client.call('app.info', {})).resolves.toBeDefined()
    const quit = navigationEvent('')
    fx.electron.app.emit('will-quit', quit)
    expect(quit.prevented).toBe(true)
    await vi.waitFor(() => expect(state.quit).toBe(1))
    const saved = JSON.parse(readFileSync(path.join(state.dataDir, 'window-state.json'), 'utf8')) as { lastEpisode: { episode: number; root: string } }
    expect(saved.lastEpisode.episode).toBe(1)
  })
})
