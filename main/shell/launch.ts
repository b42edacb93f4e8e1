import { stat } from 'node:fs/promises'
import path from 'node:path'
import { isVivaLink } from '../../app/location'
import { MANIFEST_FILE } from '../inference/manifest'

/**
 * What the app was asked to open: paths on its command line (first launch, or a second launch forwarded by the
 * single-instance lock), or a file the OS handed over (file association, macOS open-file).
 */

/**
 * The user's paths in an Electron argv: without the executable, without switches (Chromium's and Playwright's
 * `--…`, macOS's `-psn_…`), without viva:// links, and without the app folder when run as `electron <app>`
 * (defaultApp).
 */
export function launchPaths(argv: readonly string[], defaultApp: boolean): string[] {
  // viva:// links are not paths (main/shell/deepLink.ts takes them).
  const positional = argv.slice(1).filter((a) => a.length > 0 && !a.startsWith('-') && !isVivaLink(a))
  return defaultApp ? positional.slice(1) : positional
}

export type LaunchTarget =
  | { kind: 'dataset'; root: string }
  | { kind: 'model'; folder: string }
  | { kind: 'invalid'; path: string; reason: string }

/**
 * A model manifest (viva-model.json) or a folder holding one opens as a model folder; any other folder as a
 * dataset. Relative paths resolve against `cwd` (a second instance's own working directory).
 */
export async function classifyLaunchPath(p: string, cwd: string): Promise<LaunchTarget> {
  const abs = path.resolve(cwd, p)
  try {
    const info = await stat(abs)
    if (info.isFile()) {
      return path.basename(abs) === MANIFEST_FILE
        ? { kind: 'model', folder: path.dirname(abs) }
        : { kind: 'invalid', path: abs, reason: `not a dataset folder or a ${MANIFEST_FILE} model manifest` }
    }
    if (!info.isDirectory()) return { kind: 'invalid', path: abs, reason: 'not a folder' }
    const manifest = await stat(path.join(abs, MANIFEST_FILE)).catch(() => null)
    return manifest?.isFile() ? { kind: 'model', folder: abs } : { kind: 'dataset', root: abs }
  } catch {
    return { kind: 'invalid', path: abs, reason: 'does not exist' }
  }
}

export async function classifyLaunchPaths(paths: readonly string[], cwd: string): Promise<LaunchTarget[]> {
  return Promise.all(paths.map((p) => classifyLaunchPath(p, cwd)))
}

/** File › Export annotations: the format follows the chosen file's extension (JSON unless it ends in .csv). */
export function exportFormatForPath(file: string): { format: 'json' | 'csv'; path: string } {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.csv') return { format: 'csv', path: file }
  if (ext === '.json') return { format: 'json', path: file }
  return { format: 'json', path: `${file}.json` }
}
