// Where the Electron binary is, or null when the package is installed without it (ELECTRON_SKIP_BINARY_DOWNLOAD,
// or no network to fetch it). Shared by `npm start` and the Electron e2e project.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

export function electronBinary() {
  try {
    const bin = createRequire(import.meta.url)('electron')
    return typeof bin === 'string' && existsSync(bin) ? bin : null
  } catch {
    return null
  }
}
