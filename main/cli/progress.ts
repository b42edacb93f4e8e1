/** `[#####.....]` for a fraction done, shared by the commands that show progress. */
export function meter(fraction: number, width = 28): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`
}

export interface CountProgress {
  update(done: number, total: number): void
  /** Ends the live line on a terminal. */
  finish(): void
}

/**
 * Progress of a count ("probed 12/40 video files") on stderr, never stdout (which may carry --json): a live bar on a
 * terminal; in logs a plain line at most every 5 s and once at the end.
 */
export function countProgress(stream: NodeJS.WriteStream, label: string, noun: string): CountProgress {
  const tty = stream.isTTY === true
  let lastLine = 0
  let shown = false
  return {
    update(done, total) {
      if (total === 0) return
      const text = `${label} ${done}/${total} ${noun}`
      if (tty) {
        stream.write(`\r${meter(done / total)} ${text}\u001b[K`)
        shown = true
        return
      }
      const now = performance.now()
      if (done === total || now - lastLine > 5000) {
        stream.write(`${text}\n`)
        lastLine = now
      }
    },
    finish() {
      if (tty && shown) stream.write('\n')
    },
  }
}
