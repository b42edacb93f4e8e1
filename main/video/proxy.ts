import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { removeStaleFiles } from '../processes'
import { SharedRuns } from '../sharedRuns'
import type { MediaTools } from './tools'

/** `<target>.<pid>.partial.mp4`: a proxy being written by process `pid` (renamed to `<target>` when complete). */
const PARTIAL = /^[0-9a-f]{24}\.mp4\.(\d+)\.partial\.mp4$/

export interface ProxyRequest {
  file: string
  /** Seconds of media in the file, for progress; null when unknown. */
  duration: number | null
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
}

/**
 * Transcodes videos Chromium cannot decode (MPEG-4 Part 2, HEVC, 4:4:4 H.264, …) into cached H.264 proxies. The
 * proxy keeps the source's frame timing (passthrough, no frame dropping or duplication) so the frame-index → time
 * map of the source still holds after re-probing it. Short GOPs keep single-frame seeks cheap.
 */
export class ProxyCache {
  private readonly runs = new SharedRuns<string>({ keep: false, cancelled: () => new VivaError('CANCELLED', 'Transcoding cancelled.') })
  private readonly listeners = new Map<string, Set<(fraction: number) => void>>()
  private sweeping: Promise<string[]> | null = null

  constructor(
    private readonly tools: MediaTools,
    private readonly dir: string,
  ) {}

  get root(): string {
    return this.dir
  }

  private async targetFor(file: string): Promise<string> {
    const info = await stat(file).catch(() => {
      throw new VivaError('NOT_FOUND', `Video file not found: ${file}`, file)
    })
    const key = createHash('sha256').update(`${file}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 24)
    return path.join(this.dir, `${key}.mp4`)
  }

  /**
   * Remove the partial proxies of runs that were killed (SIGKILL, a crash, power loss): every `*.partial.mp4` whose
   * process is gone. Another live instance's transcode keeps its file. Run once, at start; transcodes wait for it.
   */
  sweepStale(): Promise<string[]> {
    this.sweeping ??= removeStaleFiles(this.dir, PARTIAL, (name) => !this.runs.has(path.join(this.dir, name.replace(/\.\d+\.partial\.mp4$/, ''))))
    return this.sweeping
  }

  /** Resolves once every transcode started so far has ended (each removes its partial file when it fails). */
  async settled(): Promise<void> {
    await this.runs.settled()
  }

  /** The finished proxy for this file, if one was made before. */
  async existing(file: string): Promise<string | null> {
    const target = await this.targetFor(file)
    return (await stat(target).then((s) => s.isFile() && s.size > 0, () => false)) ? target : null
  }

  async ensure(req: ProxyRequest): Promise<string> {
    const target = await this.targetFor(req.file)
    if (await this.existing(req.file)) {
      req.onProgress?.(1)
      return target
    }
    // Every caller waiting on this file sees the progress; the transcode stops only when all of them give up.
    const listeners = this.listeners.get(target) ?? new Set<(fraction: number) => void>()
    this.listeners.set(target, listeners)
    const listener = req.onProgress
    if (listener) listeners.add(listener)
    try {
      return await this.runs.join(
        target,
        (signal) => this.transcode({ ...req, signal, onProgress: (f) => listeners.forEach((l) => l(f)) }, target),
        req.signal,
      )
    } finally {
      if (listener) listeners.delete(listener)
      if (listeners.size === 0 && !this.runs.has(target)) this.listeners.delete(target)
    }
  }

  private async transcode(req: ProxyRequest, target: string): Promise<string> {
    await this.sweeping
    await mkdir(this.dir, { recursive: true })
    // Write beside the target and rename, so a crash or cancel never leaves a truncated proxy that looks valid.
    const partial = `${target}.${process.pid}.partial.mp4`
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-i', req.file,
      '-map', '0:v:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18',
      '-pix_fmt', 'yuv420p', '-g', '10', '-bf', '0',
      '-fps_mode', 'passthrough',
      '-movflags', '+faststart',
      '-progress', 'pipe:1', '-nostats',
      partial,
    ]
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      this.tools.children?.track(child)
      let stderr = ''
      const onAbort = (): void => {
        child.kill('SIGKILL')
      }
      req.signal?.addEventListener('abort', onAbort, { once: true })
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const m = /out_time_us=(\d+)/.exec(chunk)
        if (m && req.duration && req.duration > 0) {
          req.onProgress?.(Math.min(0.99, Number(m[1]) / 1e6 / req.duration))
        }
      })
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000)
      })
      child.on('error', (err) => reject(new VivaError('TOOL_MISSING', `Cannot run ffmpeg: ${err.message}`)))
      child.on('close', (code) => {
        req.signal?.removeEventListener('abort', onAbort)
        if (req.signal?.aborted) reject(new VivaError('CANCELLED', 'Transcoding cancelled.'))
        else if (code === 0) resolve()
        else {
          const line = stderr.trim().split('\n').pop() ?? ''
          reject(new VivaError('MEDIA_FAILED', `Cannot transcode ${req.file}: ${line || `ffmpeg exited with ${code}`}`, req.file))
        }
      })
    }).catch(async (err: unknown) => {
      await rm(partial, { force: true })
      throw err
    })
    await rename(partial, target)
    req.onProgress?.(1)
    return target
  }
}
