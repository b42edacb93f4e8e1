import { spawn } from 'node:child_process'
import { VivaError } from '../../app/errors'
import type { MediaTools } from './tools'

/**
 * Did a camera record anything? A disconnected or covered camera writes black frames; a stalled driver repeats
 * one frame. Both make a dataset look complete while a model sees nothing, and neither shows in metadata, so a few
 * frames are decoded and looked at: CONTENT_SAMPLES frames spread over the episode, decoded in one ffmpeg run (one
 * input per frame, each seeked to its time, so nothing else is decoded), scaled to SAMPLE_WIDTH x SAMPLE_HEIGHT
 * grey. Measured on the 2-core build machine: ~0.1 s of CPU, 0.13–0.25 s wall per camera and episode for 640x480
 * AV1 (unitree) or H.264 (gr00t, generated), where decoding a whole 400-frame episode takes seconds.
 */

export const CONTENT_SAMPLES = 8
export const SAMPLE_WIDTH = 64
export const SAMPLE_HEIGHT = 48

/**
 * Black: every sample's mean luma at most BLACK_MEAN and its spatial spread at most BLACK_STD (0–255). ffmpeg's grey
 * output is full range, so the video-range black of LeRobot's yuv420p encodes (Y 16) reads 0, plus a unit or two of
 * encoding noise. A dark but real scene (a night shot, a gripper against the lens) keeps texture: its spread stays
 * well above 4 even where its mean is low, so both must hold, on every sample. Measured: real and generated
 * cameras have a spread of 18 or more on every sample (gr00t's letterboxed frames included), a black one 0.
 */
export const BLACK_MEAN = 24
export const BLACK_STD = 4

/**
 * Frozen: every pair of consecutive samples differs by at most FROZEN_DIFF per pixel on average (0–255), i.e. every
 * sample is the same picture. Measured at 64x48: a repeated frame, re-encoded, differs by at most 0.07; a real
 * camera never comes close, sensor noise alone keeps any two of its frames apart (on unitree-g1-bottle-pick the
 * smallest difference between consecutive samples of an episode is 3.7, the largest per episode 22 or more);
 * gr00t's simulated camera and the generated task's wrist cameras, noise-free, differ by 0.8 or more somewhere in
 * every episode. A rendered camera whose view really never changes is indistinguishable from a frozen one, which
 * is why the warning says both.
 */
export const FROZEN_DIFF = 0.25

/** Frame indices of the samples for an episode of `frames` frames: spread evenly, the first and last included. */
export function sampleIndices(frames: number, count = CONTENT_SAMPLES): number[] {
  if (frames <= 0) return []
  const n = Math.min(count, frames)
  if (n === 1) return [0]
  return [...new Set(Array.from({ length: n }, (_, k) => Math.round((k * (frames - 1)) / (n - 1))))]
}

/**
 * Decode the frames shown at these times (seconds on the file's own timeline) as SAMPLE_WIDTH x SAMPLE_HEIGHT grey
 * (one byte a pixel), in the order given. One ffmpeg process: an input per time, seeked before decoding (`-ss`
 * before `-i` decodes from the keyframe before the time and drops frames until it), its first frame taken (trim),
 * all concatenated into one raw stream.
 */
export async function sampleGrayFrames(tools: MediaTools, file: string, times: readonly number[], signal?: AbortSignal): Promise<Uint8Array[]> {
  if (times.length === 0) return []
  const inputs = times.flatMap((t) => ['-threads', '1', '-ss', Math.max(0, t).toFixed(6), '-i', file])
  const chains = times.map((_, i) => `[${i}:v]trim=end_frame=1,scale=${SAMPLE_WIDTH}:${SAMPLE_HEIGHT}:flags=area,format=gray,setpts=N/TB[v${i}]`)
  const graph = `${chains.join(';')};${times.map((_, i) => `[v${i}]`).join('')}concat=n=${times.length}:v=1:a=0[out]`
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error',
    ...inputs,
    '-filter_complex', graph, '-filter_threads', '1',
    '-map', '[out]', '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1',
  ]
  const frameBytes = SAMPLE_WIDTH * SAMPLE_HEIGHT
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    tools.children?.track(child)
    const chunks: Buffer[] = []
    let stderr = ''
    const onAbort = (): void => {
      child.kill('SIGKILL')
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-2000)
    })
    child.on('error', (err) => reject(new VivaError('TOOL_MISSING', `Cannot run ffmpeg: ${err.message}`)))
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort)
      if (signal?.aborted) reject(new VivaError('CANCELLED', 'Frame sampling cancelled.'))
      else if (code === 0) resolve(Buffer.concat(chunks))
      else reject(new VivaError('MEDIA_FAILED', `Cannot decode frames of ${file}: ${stderr.trim().split('\n').pop() || `ffmpeg exited with ${code}`}`, file))
    })
  })
  const frames: Uint8Array[] = []
  for (let at = 0; at + frameBytes <= bytes.length; at += frameBytes) frames.push(new Uint8Array(bytes.subarray(at, at + frameBytes)))
  return frames
}

export interface ContentStats {
  /** Mean luma of each sample, 0–255. */
  means: number[]
  /** Spatial standard deviation of each sample's luma. */
  stds: number[]
  /** Mean absolute difference per pixel between each sample and the next. */
  diffs: number[]
}

export function contentStats(frames: readonly Uint8Array[]): ContentStats {
  const means: number[] = []
  const stds: number[] = []
  const diffs: number[] = []
  frames.forEach((f, k) => {
    let sum = 0
    let sq = 0
    for (const v of f) {
      sum += v
      sq += v * v
    }
    const n = Math.max(1, f.length)
    const mean = sum / n
    means.push(mean)
    stds.push(Math.sqrt(Math.max(0, sq / n - mean * mean)))
    const prev = frames[k - 1]
    if (prev) {
      let d = 0
      for (let i = 0; i < f.length; i++) d += Math.abs((f[i] ?? 0) - (prev[i] ?? 0))
      diffs.push(d / n)
    }
  })
  return { means, stds, diffs }
}

export type ContentVerdict = 'black' | 'frozen'

/** 'black', 'frozen' or null (it recorded something). Needs at least two samples to call a camera frozen. */
export function judgeContent(stats: ContentStats): ContentVerdict | null {
  if (stats.means.length === 0) return null
  if (stats.means.every((m, i) => m <= BLACK_MEAN && (stats.stds[i] ?? 0) <= BLACK_STD)) return 'black'
  if (stats.diffs.length > 0 && stats.diffs.every((d) => d <= FROZEN_DIFF)) return 'frozen'
  return null
}
