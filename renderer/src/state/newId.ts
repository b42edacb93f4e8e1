/**
 * A random id (event ids, tokens that tell this window's progress events from another's). randomUUID exists only in
 * secure contexts; the browser mode served over plain http on a LAN address is not one, hence the fallback.
 */
export function newId(): string {
  const c = globalThis.crypto as { randomUUID?: () => string } | undefined
  if (c?.randomUUID) return c.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`
}
