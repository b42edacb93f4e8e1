// The shell's security wiring (guards.ts) against a stand-in for Electron's main-process API: the guards every
// webContents gets, the session's permission/CSP/download handlers, and the two protocols. The rules themselves are
// tested in main/shell/security.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Services } from '../compose'
import { MediaRoots } from '../video/mediaFiles'
import { APP_SCHEME, MEDIA_SCHEME } from './channels'

const fx = vi.hoisted(() => {
  type Listener = (...args: never[]) => unknown
  class Emitter {
    readonly listeners = new Map<string, Listener[]>()
    on(event: string, listener: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      return this
    }
    emit(event: string, ...args: unknown[]): void {
      for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => unknown)(...args)
    }
  }
  const state = {
    root: '',
    rendererDist: '',
    datasetDir: '',
    sandboxEnabled: false,
    privileged: [] as { scheme: string }[],
    protocols: new Map<string, (request: Request) => Promise<Response>>(),
    session: {} as Record<string, unknown>,
    sessionEvents: new Emitter(),
    linksAsked: [] as unknown[],
  }
  const electron = {
    app: Object.assign(new Emitter(), { enableSandbox: () => (state.sandboxEnabled = true) }),
    protocol: {
      registerSchemesAsPrivileged: (list: { scheme: string }[]) => state.privileged.push(...list),
      handle: (scheme: string, h: (request: Request) => Promise<Response>) => state.protocols.set(scheme, h),
    },
  }
  const ses = {
    setPermissionRequestHandler: (h: unknown) => (state.session.request = h),
    setPermissionCheckHandler: (h: unknown) => (state.session.check = h),
    setDevicePermissionHandler: (h: unknown) => (state.session.device = h),
    webRequest: { onHeadersReceived: (h: unknown) => (state.session.headers = h) },
    on: (event: string, h: Listener) => state.sessionEvents.on(event, h),
  }
  class FakeWebContents extends Emitter {
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
    setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
      this.windowOpenHandler = h
    }
  }
  return { state, electron, ses, FakeWebContents }
})

vi.mock('electron', () => fx.electron)

vi.mock('../paths', async (importOriginal) => {
  const original = await importOriginal<typeof import('../paths')>()
  return { ...original, RENDERER_DIST: fx.state.rendererDist }
})

const { state } = fx
const contents = new fx.FakeWebContents()

function navigationEvent(url: string): { url: string; preventDefault: () => void; prevented: boolean } {
  const e = { url, prevented: false, preventDefault: () => (e.prevented = true) }
  return e
}

beforeAll(async () => {
  state.root = mkdtempSync(path.join(os.tmpdir(), 'viva-guards-'))
  state.rendererDist = path.join(state.root, 'renderer')
  state.datasetDir = path.join(state.root, 'dataset')
  mkdirSync(path.join(state.rendererDist, 'assets'), { recursive: true })
  writeFileSync(path.join(state.rendererDist, 'index.html'), '<!doctype html><title>ViVa</title>')
  writeFileSync(path.join(state.rendererDist, 'assets', 'app.js'), 'console.log(1)')
  mkdirSync(path.join(state.datasetDir, 'videos'), { recursive: true })
  mkdirSync(path.join(state.datasetDir, 'meta'), { recursive: true })
  writeFileSync(path.join(state.datasetDir, 'videos', 'cam.mp4'), Buffer.alloc(1000, 7))
  writeFileSync(path.join(state.datasetDir, 'meta', 'info.json'), '{"secret": true}')
  const { guardSession, installAppGuards, registerProtocols } = await import('./guards')
  installAppGuards((url) => state.linksAsked.push(url))
  fx.electron.app.emit('web-contents-created', {}, contents)
  guardSession(fx.ses as unknown as Parameters<typeof guardSession>[0])
  const media = new MediaRoots()
  media.register('ds0', state.datasetDir)
  registerProtocols({ media } as unknown as Services)
})

afterAll(() => rmSync(state.root, { recursive: true, force: true }))

describe('shell guards', () => {
  it('registers both schemes as privileged and sandboxes every renderer', () => {
    expect(state.privileged.map((p) => p.scheme)).toEqual([APP_SCHEME, MEDIA_SCHEME])
    expect(state.sandboxEnabled).toBe(true)
  })

  it('blocks navigation, new windows and webviews; hands window-open URLs to the link check', () => {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', `${MEDIA_SCHEME}://ds0/videos/cam.mp4`]) {
      for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
        const e = navigationEvent(url)
        contents.emit(event, e)
        expect(e.prevented, `${event} ${url}`).toBe(true)
      }
    }
    const inApp = navigationEvent(`${APP_SCHEME}://renderer/index.html`)
    contents.emit('will-navigate', inApp)
    expect(inApp.prevented).toBe(false)
    const webview = navigationEvent('')
    contents.emit('will-attach-webview', webview)
    expect(webview.prevented).toBe(true)

    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(state.linksAsked).toEqual(['https://evil.example/'])
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
    const id = 'ds0'
    const ok = await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/cam.mp4`, { headers: { range: 'bytes=0-9' } }))
    expect(ok.status).toBe(206)
    expect((await ok.arrayBuffer()).byteLength).toBe(10)
    expect(ok.headers.get('content-type')).toBe('video/mp4')
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/meta/info.json`))).status).toBe(403)
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/missing.mp4`))).status).toBe(404)
    expect((await serve(new Request(`${MEDIA_SCHEME}://unknownroot/videos/cam.mp4`))).status).toBe(403)
    expect((await serve(new Request(`${MEDIA_SCHEME}://${id}/videos/cam.mp4`, { method: 'POST', body: 'x' }))).status).toBe(405)
  })
})
