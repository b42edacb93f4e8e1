/**
 * Where and why a text is not JSON, for error messages that name the line and column. The engine's own parser is
 * the judge: V8 (Node 20) says "… in JSON at position N" for most errors and "Unexpected end of JSON input" at the
 * end, but only "Unexpected token 'x', "…" is not valid JSON" for an unexpected token; there the position is the
 * end of the longest prefix that still begins a JSON text, found by bisection (an error path only: at most
 * log2(length) parses). Lives in app/ because the annotation import (app/exchange.ts) and the curve import
 * (main/curves) both report JSON errors, and app/ cannot import main/.
 */
export interface JsonSyntaxError {
  /** UTF-16 index where the text stops being JSON; the text's length when it ends too early. */
  position: number
  /** 1-based. */
  line: number
  column: number
  /** The text ends before the JSON does (a truncated file). */
  atEnd: boolean
  /** What was wrong, as the parser says it, without the position: "expected ',' or ']' after array element". */
  problem: string
}

// At the end only: an "Unexpected token" message quotes the text, which may say anything.
const AT_POSITION = / (?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?$/

/** null: `text` parses. Otherwise the engine's message and the position it gives (null: it gives none). */
function stopsAt(text: string): { position: number | null; message: string } | null {
  try {
    JSON.parse(text)
    return null
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const at = AT_POSITION.exec(message)
    if (at) return { position: Number(at[1]), message }
    if (/end of JSON input/i.test(message)) return { position: text.length, message }
    return { position: null, message }
  }
}

/** Whether `text` is JSON or the beginning of one (its only error is at its very end). */
function beginsJson(text: string): boolean {
  const stop = stopsAt(text)
  return stop === null || stop.position === text.length
}

function problemText(message: string): string {
  const bare = message.replace(AT_POSITION, '').replace(/, "[\s\S]*" is not valid JSON$/, '')
  return bare.charAt(0).toLowerCase() + bare.slice(1)
}

/** 1-based line and column of `position` (lines end at LF; a column counts UTF-16 units, as editors mostly do). */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < position; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: position - lineStart + 1 }
}

/** null when `text` is JSON; otherwise where and why it is not. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  const stop = stopsAt(text)
  if (stop === null) return null
  let position = stop.position
  if (position === null) {
    // Invariant: text.slice(0, lo) begins a JSON text, text.slice(0, hi) does not.
    let lo = 0
    let hi = text.length
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (beginsJson(text.slice(0, mid))) lo = mid
      else hi = mid
    }
    position = lo
  }
  return { position, ...lineAndColumn(text, position), atEnd: position >= text.length, problem: problemText(stop.message) }
}
