import { spawnSync } from 'node:child_process'
import { VivaError } from '../../app/errors'
import type { ChildProcesses } from '../processes'

export interface MediaTools {
  ffmpeg: string
  ffprobe: string
  /** Where the app keeps the children it runs, so that quitting kills them (absent: nobody tracks them). */
  children?: ChildProcesses
}

/**
 * Where ffmpeg/ffprobe come from: VIVA_FFMPEG / VIVA_FFPROBE when set (packaged apps point these at their bundled
 * binaries), else the ones on PATH. Checked once, by the composition root, so a missing tool is one clear error.
 */
export function resolveMediaTools(env: NodeJS.ProcessEnv = process.env): MediaTools {
  const tools: MediaTools = {
    ffmpeg: env.VIVA_FFMPEG ?? 'ffmpeg',
    ffprobe: env.VIVA_FFPROBE ?? 'ffprobe',
  }
  for (const [name, bin] of Object.entries(tools)) {
    const r = spawnSync(bin, ['-version'], { stdio: 'ignore' })
    if (r.error || r.status !== 0) {
      throw new VivaError(
        'TOOL_MISSING',
        `${name} not found (tried "${bin}"). Install it (Debian: apt-get install ffmpeg) or set VIVA_${name.toUpperCase()}.`,
      )
    }
  }
  return tools
}
