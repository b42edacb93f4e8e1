/**
 * The desktop shell's security rules as plain functions: what the window may load and navigate to, which IPC
 * senders are trusted, which URLs may leave the app, which media requests are served, which downloads run.
 * main/electron/main.ts wires them to Electron's hooks; every rule here is unit-tested without Electron.
 *
 * Policy in one line: the window shows only the bundled renderer (`<app-scheme>://renderer/…`), talks to the main
 * side only through the contract's IPC channel from that page's main frame, reads only files of opened dataset roots
 * (and the proxy cache) through the media scheme, gets no permission, and hands to the OS browser only http(s) links
 * the app itself generated.
 */

/** The one host the app scheme serves the renderer from. */
export const RENDERER_HOST = 'renderer'

/** `viva-app://renderer`: the only origin whose pages may run in the window and call IPC. */
export function appOrigin(appScheme: string): string {
  return `${appScheme}://${RENDERER_HOST}`
}

function parseUrl(url: unknown): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return null
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * The strict Content-Security-Policy of every renderer response: nothing by default; scripts, styles, fonts and
 * workers only from the bundled app; media only from the media scheme (and blob: for generated clips); no network
 * (connect-src 'none'), no plugins, no frames, no forms, no <base>. 'unsafe-inline' is for styles only (React's
 * style attributes and Plotly's injected stylesheet); scripts never run inline or from eval.
 */
export function contentSecurityPolicy(appScheme: string, mediaScheme: string): string {
  return [
    "default-src 'none'",
    `script-src ${appScheme}:`,
    `style-src ${appScheme}: 'unsafe-inline'`,
    `img-src ${appScheme}: data: blob:`,
    `media-src ${mediaScheme}: blob:`,
    `font-src ${appScheme}: data:`,
    `worker-src ${appScheme}: blob:`,
    "connect-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "manifest-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Headers every renderer asset is served with, beside its Content-Type. */
export function rendererResponseHeaders(appScheme: string, mediaScheme: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(appScheme, mediaScheme),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  }
}

/** A URL of the bundled renderer: the app scheme, the renderer host, no credentials, no port. */
export function isAppUrl(url: unknown, appScheme: string): boolean {
  const u = parseUrl(url)
  return (
    u !== null &&
    u.protocol === `${appScheme}:` &&
    u.hostname === RENDERER_HOST &&
    u.port === '' &&
    u.username === '' &&
    u.password === ''
  )
}

/**
 * Where the window may navigate (will-navigate, will-redirect, will-frame-navigate): only within the bundled
 * renderer. Everything else (http, file:, data:, javascript:, other schemes, the media scheme as a page) is refused;
 * remote content never loads in the app.
 */
export function isAllowedNavigation(url: unknown, appScheme: string): boolean {
  return isAppUrl(url, appScheme)
}

const RAW_TRAVERSAL = /(^|\/)\.{1,2}(\/|$)|%2e|%2f|%5c|\\/i

/**
 * Dot segments or encoded separators in a URL's raw text after `scheme://`: refused before the URL parser would
 * quietly resolve them (the app never makes such URLs: the renderer encodes each segment of a clean path).
 */
export function hasRawTraversal(url: string): boolean {
  const start = url.indexOf('//')
  const rest = (start >= 0 ? url.slice(start + 2) : url).split(/[?#]/)[0] ?? ''
  return RAW_TRAVERSAL.test(rest)
}

/** Resource paths the app scheme serves: a renderer file relative to dist/renderer, or null when refused. */
export function rendererAssetPath(url: unknown, appScheme: string): string | null {
  if (!isAppUrl(url, appScheme) || hasRawTraversal(url as string)) return null
  const u = new URL(url as string)
  let rel: string
  try {
    rel = decodeURIComponent(u.pathname)
  } catch {
    return null
  }
  rel = rel.replace(/^\/+/, '')
  if (rel === '') return 'index.html'
  if (rel.includes('\0') || rel.includes('\\')) return null
  const parts = rel.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null
  return parts.join('/')
}

const RENDERER_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/** Content-Type of a renderer asset (served with nosniff, so it must be right). */
export function rendererContentType(rel: string): string {
  const dot = rel.lastIndexOf('.')
  return (dot >= 0 ? RENDERER_TYPES[rel.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream'
}

export interface IpcSender {
  /** The sender is the webContents of the app's own window (not another window, webview or devtools). */
  isAppWindow: boolean
  /** URL of the frame that sent the message (event.senderFrame.url); undefined when the frame is gone. */
  frameUrl: string | undefined | null
  /** The frame is the page's top frame (event.senderFrame.parent === null): no iframe may call. */
  isMainFrame: boolean
}

/** DESIGN convention 2: beside schema validation (dispatch), every IPC call must come from our own page's main frame. */
export function isTrustedIpcSender(sender: IpcSender, appScheme: string): boolean {
  return sender.isAppWindow && sender.isMainFrame && isAppUrl(sender.frameUrl, appScheme)
}

/** Schemes a link may have to be handed to the OS browser. */
const EXTERNAL_SCHEMES = new Set(['http:', 'https:'])

/** An http(s) URL without credentials, normalized (URL.href), or null. */
export function normalizeExternalUrl(url: unknown): string | null {
  const u = parseUrl(url)
  if (!u || !EXTERNAL_SCHEMES.has(u.protocol) || u.username !== '' || u.password !== '' || u.hostname === '') return null
  return u.href
}

/**
 * The links the app itself generated (Help menu and the like): the only URLs `shell.openExternal` ever receives.
 * A page asking to open anything else (window.open, target=_blank, a navigation) is refused, whatever its scheme.
 */
export class ExternalLinks {
  private readonly allowed = new Set<string>()

  /** Record a URL the app generated; returns its normalized form. Throws for anything but http(s). */
  register(url: string): string {
    const href = normalizeExternalUrl(url)
    if (href === null) throw new Error(`Refusing to allow a non-http(s) external link: ${url}`)
    this.allowed.add(href)
    return href
  }

  /** The normalized URL to open, or null when it is not one the app generated (or not http(s)). */
  check(url: unknown): string | null {
    const href = normalizeExternalUrl(url)
    return href !== null && this.allowed.has(href) ? href : null
  }

  get size(): number {
    return this.allowed.size
  }
}

/** Permissions the renderer may use. None: the app needs no camera, microphone, notifications, geolocation… */
export function isPermissionAllowed(_permission: string): boolean {
  return false
}

export interface MediaRequest {
  rootId: string
  relPath: string
}

/** File types the media scheme serves: videos (originals and proxies) and still frames; nothing else of a dataset. */
const MEDIA_EXTENSIONS = new Set(['.mp4', '.m4v', '.mkv', '.webm', '.mov', '.png', '.jpg', '.jpeg'])

/** Only reads. */
export function isAllowedMediaMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD'
}

/**
 * Parse a `viva-media://<rootId>/<path>` request: the scheme, a root id, no credentials/port/query, a relative
 * path of plain segments (no `.`/`..`, NUL or backslash) to a media file type. The caller still resolves it through
 * MediaRoots, which confines it to a registered root with realpath (no symlinks out).
 */
export function parseMediaRequest(url: unknown, mediaScheme: string): MediaRequest | null {
  if (typeof url !== 'string' || hasRawTraversal(url)) return null
  const u = parseUrl(url)
  if (!u || u.protocol !== `${mediaScheme}:` || u.username !== '' || u.password !== '' || u.port !== '') return null
  if (u.search !== '' || u.hostname === '') return null
  let rootId: string
  let relPath: string
  try {
    rootId = decodeURIComponent(u.hostname)
    relPath = decodeURIComponent(u.pathname).replace(/^\/+/, '')
  } catch {
    return null
  }
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(rootId)) return null
  if (relPath === '' || relPath.includes('\0') || relPath.includes('\\')) return null
  const parts = relPath.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null
  const dot = relPath.lastIndexOf('.')
  const ext = dot > relPath.lastIndexOf('/') ? relPath.slice(dot).toLowerCase() : ''
  if (!MEDIA_EXTENSIONS.has(ext)) return null
  return { rootId, relPath }
}

/**
 * Downloads the page may start: only blob: URLs it made itself (exports handed to the user as files); Electron
 * then asks where to save. Anything else (a remote URL, data:, file:) is cancelled.
 */
export function isAllowedDownload(url: unknown, appScheme: string): boolean {
  if (typeof url !== 'string' || !url.startsWith('blob:')) return false
  return isAppUrl(url.slice('blob:'.length), appScheme)
}

/** Electron `<webview>` tags are never allowed (will-attach-webview is always prevented). */
export function isWebviewAllowed(): boolean {
  return false
}
