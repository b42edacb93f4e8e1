import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
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
  normalizeExternalUrl,
  parseMediaRequest,
  rendererAssetPath,
  rendererContentType,
  rendererResponseHeaders,
} from './security'

const APP = 'viva-app'
const MEDIA = 'viva-media'

describe('navigation', () => {
  it('stays inside the bundled renderer', () => {
    expect(appOrigin(APP)).toBe('viva-app://renderer')
    expect(isAllowedNavigation('viva-app://renderer/index.html', APP)).toBe(true)
    expect(isAllowedNavigation('viva-app://renderer/index.html#/player', APP)).toBe(true)
    expect(isAllowedNavigation('viva-app://renderer/', APP)).toBe(true)
  })

  it.each([
    'https://example.com/',
    'http://127.0.0.1:8080/',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'javascript:alert(1)',
    'about:blank',
    'viva-media://proxies/a.mp4',
    'viva-app://other/index.html',
    'viva-app://renderer.evil.com/index.html',
    'viva-app://user:pw@renderer/index.html',
    'viva-app://renderer:8080/index.html',
    'blob:viva-app://renderer/123',
    '',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAllowedNavigation(url, APP)).toBe(false)
  })

  it('refuses non-strings', () => {
    expect(isAppUrl(undefined, APP)).toBe(false)
    expect(isAppUrl(null, APP)).toBe(false)
    expect(isAppUrl(42, APP)).toBe(false)
    expect(isAppUrl(`viva-app://renderer/${'a'.repeat(9000)}`, APP)).toBe(false)
  })
})

describe('renderer assets', () => {
  it('maps app URLs to files inside dist/renderer', () => {
    expect(rendererAssetPath('viva-app://renderer/', APP)).toBe('index.html')
    expect(rendererAssetPath('viva-app://renderer/index.html', APP)).toBe('index.html')
    expect(rendererAssetPath('viva-app://renderer/assets/index-abc.js?v=1', APP)).toBe('assets/index-abc.js')
    expect(rendererAssetPath('viva-app://renderer/assets/a%20b.css', APP)).toBe('assets/a b.css')
  })

  it.each([
    'viva-app://renderer/assets/..%2F..%2Fpackage.json',
    'viva-app://renderer/%2e%2e/package.json',
    'viva-app://renderer/assets/%5C..%5Cx',
    'viva-app://renderer/a%00b',
    'viva-app://renderer/%E0%A4%A',
    'viva-app://renderer/assets//x.js',
    'viva-app://elsewhere/index.html',
    'https://renderer/index.html',
  ])('refuses %s', (url) => {
    expect(rendererAssetPath(url, APP)).toBeNull()
  })

  it('serves each asset with its type and the security headers', () => {
    expect(rendererContentType('index.html')).toMatch(/^text\/html/)
    expect(rendererContentType('assets/x.JS')).toMatch(/^text\/javascript/)
    expect(rendererContentType('assets/x.css')).toMatch(/^text\/css/)
    expect(rendererContentType('favicon.svg')).toBe('image/svg+xml')
    expect(rendererContentType('LICENSE')).toBe('application/octet-stream')
    const headers = rendererResponseHeaders(APP, MEDIA)
    expect(headers['Content-Security-Policy']).toBe(contentSecurityPolicy(APP, MEDIA))
    expect(headers['X-Content-Type-Options']).toBe('nosniff')
  })
})

describe('content security policy', () => {
  const csp = contentSecurityPolicy(APP, MEDIA)
  const directives = new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/)
      return [name as string, values]
    }),
  )

  it('denies by default and allows only the app and media schemes', () => {
    expect(directives.get('default-src')).toEqual(["'none'"])
    expect(directives.get('script-src')).toEqual(['viva-app:'])
    expect(directives.get('media-src')).toEqual(['viva-media:', 'blob:'])
    expect(directives.get('connect-src')).toEqual(["'none'"])
    expect(directives.get('object-src')).toEqual(["'none'"])
    expect(directives.get('frame-ancestors')).toEqual(["'none'"])
    expect(directives.get('base-uri')).toEqual(["'none'"])
    expect(directives.get('form-action')).toEqual(["'none'"])
  })

  it('has no remote sources, no inline or eval scripts', () => {
    expect(csp).not.toMatch(/https?:|\*|'unsafe-eval'|'wasm-unsafe-eval'/)
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'")
  })

  it("passes Google's CSP evaluator (the one Electronegativity uses) with no finding above INFO", () => {
    const require = createRequire(import.meta.url)
    const evaluator = require('@doyensec/csp-evaluator') as {
      CspParser: new (s: string) => { csp: unknown }
      CspEvaluator: new (csp: unknown, version: unknown) => { evaluate(): { severity: number; description: string }[] }
      Version: { CSP3: unknown }
      severities: { INFO: number }
    }
    const findings = new evaluator.CspEvaluator(new evaluator.CspParser(csp).csp, evaluator.Version.CSP3).evaluate()
    expect(findings.filter((f) => f.severity < evaluator.severities.INFO)).toEqual([])
  })
})

describe('IPC senders', () => {
  const good = { isAppWindow: true, frameUrl: 'viva-app://renderer/index.html', isMainFrame: true }

  it("trusts only the app window's main frame on the app origin", () => {
    expect(isTrustedIpcSender(good, APP)).toBe(true)
  })

  it.each([
    ['another webContents', { ...good, isAppWindow: false }],
    ['an iframe', { ...good, isMainFrame: false }],
    ['a remote page', { ...good, frameUrl: 'https://evil.example/' }],
    ['a file page', { ...good, frameUrl: 'file:///tmp/x.html' }],
    ['a destroyed frame', { ...good, frameUrl: undefined }],
    ['a lookalike origin', { ...good, frameUrl: 'viva-app://renderer.evil/index.html' }],
    ['a data page', { ...good, frameUrl: 'data:text/html,x' }],
  ])('refuses %s', (_what, sender) => {
    expect(isTrustedIpcSender(sender, APP)).toBe(false)
  })
})

describe('external links', () => {
  it('opens only http(s) links the app registered', () => {
    const links = new ExternalLinks()
    const href = links.register('https://viva-value-model.github.io/')
    expect(href).toBe('https://viva-value-model.github.io/')
    expect(links.check('https://viva-value-model.github.io/')).toBe(href)
    expect(links.check('https://viva-value-model.github.io')).toBe(href) // same URL once normalized
    expect(links.check('https://viva-value-model.github.io/other')).toBeNull()
    expect(links.check('https://evil.example/')).toBeNull()
    expect(links.check(undefined)).toBeNull()
    expect(links.size).toBe(1)
  })

  it('never registers other schemes or credentials', () => {
    const links = new ExternalLinks()
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'https://u:p@host/', 'viva-app://renderer/']) {
      expect(() => links.register(url)).toThrow(/non-http/)
      expect(links.check(url)).toBeNull()
    }
    expect(normalizeExternalUrl('HTTP://Example.COM/a')).toBe('http://example.com/a')
  })
})

describe('permissions, webviews, downloads', () => {
  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen', 'hid', 'unknown'])(
    'denies %s',
    (permission) => {
      expect(isPermissionAllowed(permission)).toBe(false)
    },
  )

  it('never attaches a webview', () => {
    expect(isWebviewAllowed()).toBe(false)
  })

  it('downloads only blobs the page made', () => {
    expect(isAllowedDownload('blob:viva-app://renderer/6f1c-42', APP)).toBe(true)
    expect(isAllowedDownload('https://example.com/a.exe', APP)).toBe(false)
    expect(isAllowedDownload('blob:https://example.com/6f1c', APP)).toBe(false)
    expect(isAllowedDownload('data:text/plain,x', APP)).toBe(false)
    expect(isAllowedDownload('file:///etc/passwd', APP)).toBe(false)
  })
})

describe('media requests', () => {
  it('parses a root id and a relative media path', () => {
    expect(parseMediaRequest('viva-media://3fa2c0d1e9ab/videos/chunk-000/cam_high/episode_000001.mp4', MEDIA)).toEqual({
      rootId: '3fa2c0d1e9ab',
      relPath: 'videos/chunk-000/cam_high/episode_000001.mp4',
    })
    expect(parseMediaRequest('viva-media://proxies/ab%20c.mp4', MEDIA)).toEqual({ rootId: 'proxies', relPath: 'ab c.mp4' })
  })

  it.each([
    ['another scheme', 'file:///data/a.mp4'],
    ['the app scheme', 'viva-app://renderer/a.mp4'],
    ['traversal', 'viva-media://root/videos/../../../etc/passwd.mp4'],
    ['encoded traversal', 'viva-media://root/videos/%2e%2e/%2e%2e/x.mp4'],
    ['encoded slash traversal', 'viva-media://root/videos%2F..%2F..%2Fx.mp4'],
    ['backslashes', 'viva-media://root/videos%5C..%5Cx.mp4'],
    ['NUL', 'viva-media://root/a%00.mp4'],
    ['a non-media file of the dataset', 'viva-media://root/meta/info.json'],
    ['a parquet table', 'viva-media://root/data/chunk-000/episode_000000.parquet'],
    ['no extension', 'viva-media://root/videos/a'],
    ['a query', 'viva-media://root/a.mp4?x=1'],
    ['credentials', 'viva-media://u:p@root/a.mp4'],
    ['a port', 'viva-media://root:81/a.mp4'],
    ['no path', 'viva-media://root/'],
    ['a bad root id', 'viva-media://ro%2Fot/a.mp4'],
  ])('refuses %s', (_what, url) => {
    expect(parseMediaRequest(url, MEDIA)).toBeNull()
  })

  it('serves reads only', () => {
    expect(isAllowedMediaMethod('GET')).toBe(true)
    expect(isAllowedMediaMethod('HEAD')).toBe(true)
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get']) expect(isAllowedMediaMethod(m)).toBe(false)
  })
})
