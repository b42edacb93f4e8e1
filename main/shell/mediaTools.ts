import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { MediaTools } from '../video/tools'

/**
 * The ffmpeg/ffprobe binaries a packaged app ships. electron-builder copies `dist/ffmpeg/<os>-<arch>/` (staged
 * at release time by main/electron/stageFfmpeg.ts) to `<resources>/ffmpeg/`; at start the shell points
 * VIVA_FFMPEG / VIVA_FFPROBE (read by main/video/tools.ts) at them. Without them (a checkout, a build that
 * skipped staging) the tools on PATH are used, as in browser mode.
 */

export const MEDIA_TOOLS_RESOURCE_DIR = 'ffmpeg'

/** electron-builder's `${os}` names. */
export type BuilderOs = 'linux' | 'mac' | 'win'

export function builderOs(platform: NodeJS.Platform): BuilderOs {
  if (platform === 'darwin') return 'mac'
  if (platform === 'win32') return 'win'
  return 'linux'
}

function exe(name: string, platform: NodeJS.Platform | BuilderOs): string {
  return platform === 'win32' || platform === 'win' ? `${name}.exe` : name
}

export function toolFileNames(platform: NodeJS.Platform | BuilderOs): { ffmpeg: string; ffprobe: string } {
  return { ffmpeg: exe('ffmpeg', platform), ffprobe: exe('ffprobe', platform) }
}

/** The bundled binaries under `resourcesPath`, or null when either is missing. */
export function bundledMediaTools(
  resourcesPath: string | undefined,
  platform: NodeJS.Platform,
  exists: (file: string) => boolean = existsSync,
): MediaTools | null {
  if (!resourcesPath) return null
  const names = toolFileNames(platform)
  const dir = path.join(resourcesPath, MEDIA_TOOLS_RESOURCE_DIR)
  const tools = { ffmpeg: path.join(dir, names.ffmpeg), ffprobe: path.join(dir, names.ffprobe) }
  return exists(tools.ffmpeg) && exists(tools.ffprobe) ? tools : null
}

/**
 * Point VIVA_FFMPEG / VIVA_FFPROBE at the bundled tools unless the user set them (their choice wins). Returns
 * the variables it set.
 */
export function applyBundledMediaTools(env: NodeJS.ProcessEnv, tools: MediaTools | null): string[] {
  if (!tools) return []
  const set: string[] = []
  if (!env.VIVA_FFMPEG) {
    env.VIVA_FFMPEG = tools.ffmpeg
    set.push('VIVA_FFMPEG')
  }
  if (!env.VIVA_FFPROBE) {
    env.VIVA_FFPROBE = tools.ffprobe
    set.push('VIVA_FFPROBE')
  }
  return set
}

/** Where a release build stages the binaries for one target (electron-builder.yml's extraResources `from`). */
export function stagingDir(projectRoot: string, os: BuilderOs, arch: string): string {
  return path.join(projectRoot, 'dist', 'ffmpeg', `${os}-${arch}`)
}

/** npm packages carrying static ffmpeg / ffprobe builds for a target (installed with `npm i --no-save`). */
export function installerPackages(os: BuilderOs, arch: string): { ffmpeg: string; ffprobe: string } {
  const platform = os === 'mac' ? 'darwin' : os === 'win' ? 'win32' : 'linux'
  return { ffmpeg: `@ffmpeg-installer/${platform}-${arch}`, ffprobe: `@ffprobe-installer/${platform}-${arch}` }
}

/** Copy the two binaries into `outDir` under the names the app looks for, executable. */
export async function stageMediaTools(sources: MediaTools, outDir: string, os: BuilderOs): Promise<MediaTools> {
  const names = toolFileNames(os)
  await mkdir(outDir, { recursive: true })
  const staged = { ffmpeg: path.join(outDir, names.ffmpeg), ffprobe: path.join(outDir, names.ffprobe) }
  for (const key of ['ffmpeg', 'ffprobe'] as const) {
    if (!existsSync(sources[key])) throw new Error(`${key} binary not found: ${sources[key]}`)
    await copyFile(sources[key], staged[key])
    await chmod(staged[key], 0o755)
  }
  return staged
}
