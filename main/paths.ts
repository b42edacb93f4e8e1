import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The project (or installed app) folder: the nearest folder above this module holding package.json. Walking up
 * works both from source (main/paths.ts) and from the bundled shell (dist/electron/main.cjs).
 */
function findPackageRoot(start: string): string {
  let dir = start
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return start
    dir = parent
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

export const RENDERER_DIST = path.join(PACKAGE_ROOT, 'dist', 'renderer')

/** Per-user data folder: VIVA_DATA_DIR, else the platform's conventional location. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIVA_DATA_DIR) return path.resolve(env.VIVA_DATA_DIR)
  const home = os.homedir()
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'ViVa Studio')
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'ViVa Studio')
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'viva-studio')
  }
}
