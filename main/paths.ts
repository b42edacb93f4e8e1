import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project (or installed app) folder, found from this file rather than the working directory. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

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
