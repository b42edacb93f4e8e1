/**
 * Text that came from a user's file, made safe to parse and to quote back in a message.
 */

/**
 * Drop a leading UTF-8 byte order mark. Windows editors (Notepad, Excel's "CSV UTF-8", PowerShell's Out-File) write
 * one; RFC 8259 §8.1 (https://www.rfc-editor.org/rfc/rfc8259#section-8.1) says parsers "MAY ignore the presence
 * of a byte order mark rather than treating it as an error", and JSON.parse treats it as an error. Every JSON, JSONL and CSV text the app reads passes through here.
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** Characters of a user's value that an error message quotes; longer values are cut and their length given. */
export const QUOTE_LIMIT = 80

/**
 * A user's value for an error message: quoted, at most QUOTE_LIMIT characters of it, with the full length when it was
 * cut (`"aaaa…"… (1,048,576 characters)`), so a 1 MB label never travels back whole in a one-line reason.
 */
export function quoteValue(value: string, limit: number = QUOTE_LIMIT): string {
  if (value.length <= limit) return JSON.stringify(value)
  return `${JSON.stringify(value.slice(0, limit))}… (${value.length.toLocaleString('en-US')} characters)`
}

/** Any text for a message (zod's, a serialised value), cut like quoteValue but without quotes. */
export function cutText(text: string, limit: number = QUOTE_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length.toLocaleString('en-US')} characters)`
}

/** "1,234" — counts in messages, grouped the same way whatever the machine's locale. */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}
