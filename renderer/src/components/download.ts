/**
 * Hand a file to the user: a download in the browser; Electron shows its save dialog for it (main/electron/guards.ts
 * lets the page download only blob: URLs it made itself). Text exports and figures take this one path.
 */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function downloadText(filename: string, mimeType: string, content: string): void {
  downloadBlob(filename, new Blob([content], { type: mimeType }))
}
