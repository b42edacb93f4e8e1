import { execFile, spawn } from 'node:child_process'
import { mkdir, readdir, rename } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { VivaError } from '../../../app/errors'
import type { MediaTools } from '../../video/tools'
import type { FramePaint, VideoCodec, WriterCamera } from './options'
import { type Plan, videoFilePath, videoFrames } from './plan'

// The videos: one ffmpeg per camera fed painted yuv420p frames, then every written file checked with ffprobe.


function codecArgs(codec: VideoCodec, gop: number): string[] {
  // Low quantisers so the frame code and digits survive; fastest presets because fixtures can run to 1,000s of
  // episodes. ultrafast also means no B-frames, so every file starts at pts 0.
  if (codec === 'h264') return ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '14', '-g', String(gop)]
  if (codec === 'mpeg4') return ['-c:v', 'mpeg4', '-q:v', '3', '-g', String(gop)]
  // libaom, not libsvtav1: ffmpeg 5.1's SVT-AV1 wrapper ignores forced keyframes, which the per-episode split needs.
  return ['-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8', '-crf', '20', '-b:v', '0', '-g', String(gop)]
}

interface VideoJob {
  camera: WriterCamera
  cameraIndex: number
  /** Episodes in the order their frames go into the encoder, with the frame count each gets. */
  segments: { episode: number; frames: number }[]
  /** One file, or (v2.x) one file per segment. */
  outputs: string[]
}

/** The painter as quirks.blackCamera / quirks.frozenCamera change it for this camera. */
export function withContentQuirks(plan: Plan, camera: WriterCamera, paint: FramePaint): FramePaint {
  const hits = (q: { camera: string; episode?: number } | undefined, episode: number): boolean =>
    q !== undefined && q.camera === camera.key && (q.episode === undefined || q.episode === episode)
  const { blackCamera, frozenCamera } = plan.quirks
  if (!blackCamera && !frozenCamera) return paint
  const luma = camera.width * camera.height
  return (out, episode, frame) => {
    if (hits(blackCamera, episode)) {
      out.fill(16, 0, luma)
      out.fill(128, luma)
    } else paint(out, episode, hits(frozenCamera, episode) ? 0 : frame)
  }
}

/** Frames allocated per camera; a frame's buffer is reused only once the pipe has taken it. */
const RING = 3

export async function encodeVideo(
  root: string,
  tools: MediaTools,
  plan: Plan,
  job: VideoJob,
  signal: AbortSignal,
  threads: number,
  paint: FramePaint,
): Promise<void> {
  const { width, height, key } = job.camera
  const boundaries: number[] = []
  let total = 0
  for (const s of job.segments) {
    if (total > 0) boundaries.push(total)
    total += s.frames
  }
  // Each episode starts on a keyframe, like LeRobot's per-episode files (and v3.0 files concatenated from them).
  // Times sit a quarter frame early: ffmpeg rounds them to the encoder's 1/fps time base, landing on the boundary.
  const keyframes = boundaries.map((n) => ((n - 0.25) / plan.fps).toFixed(6)).join(',')
  const segmentDir = path.join(root, '.segments', String(job.cameraIndex))
  const split = job.outputs.length > 1
  const output = split
    ? [
        '-f', 'segment', '-segment_format', 'mp4', '-segment_frames', boundaries.join(','),
        '-reset_timestamps', '1', path.join(segmentDir, 'seg-%06d.mp4'),
      ]
    : ['-f', 'mp4', job.outputs[0] ?? '']
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(plan.fps), '-i', 'pipe:0',
    '-an', ...codecArgs(plan.codec, plan.gop), '-threads', String(threads), '-pix_fmt', 'yuv420p',
    ...(keyframes ? ['-force_key_frames', keyframes] : []),
    ...output,
  ]
  if (split) await mkdir(segmentDir, { recursive: true })
  else await mkdir(path.dirname(job.outputs[0] ?? root), { recursive: true })

  const child = spawn(tools.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'], signal })
  tools.children?.track(child)
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  closed.catch(() => undefined) // observed below; avoids an unhandled rejection while frames are still going in
  let pipeBroken = false
  child.stdin.on('error', () => {
    pipeBroken = true // ffmpeg died; its exit status and stderr say why
  })

  // Each slot's promise settles when the pipe has taken that frame: waiting on it before repainting the slot is
  // the backpressure (at most RING frames queued), while still drawing the next frame as ffmpeg reads this one.
  // Awaiting 'drain' instead would stall on every frame, since one frame is far larger than the stream's buffer.
  const frameBytes = (width * height * 3) / 2
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(frameBytes))
  const inFlight: (Promise<void> | undefined)[] = new Array(RING).fill(undefined)
  let n = 0
  feed: for (const seg of job.segments) {
    for (let f = 0; f < seg.frames; f++) {
      const slot = n % RING
      await inFlight[slot]
      if (pipeBroken || signal.aborted || child.exitCode !== null) break feed
      const buf = ring[slot] as Buffer
      paint(buf, seg.episode, f)
      inFlight[slot] = new Promise<void>((resolve) => child.stdin.write(buf, () => resolve()))
      n++
    }
  }
  await Promise.all(inFlight)
  child.stdin.end()
  let code: number | null
  try {
    code = await closed
  } catch (err) {
    if (signal.aborted) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VivaError('TOOL_MISSING', `ffmpeg not found (tried "${tools.ffmpeg}").`)
    }
    throw new VivaError('MEDIA_FAILED', `ffmpeg could not run: ${(err as Error).message}`)
  }
  if (code !== 0 || pipeBroken) {
    throw new VivaError('MEDIA_FAILED', `ffmpeg failed encoding ${key} (exit ${String(code)}): ${stderr.trim()}`)
  }

  if (split) {
    const produced = (await readdir(segmentDir)).filter((f) => f.endsWith('.mp4')).sort()
    if (produced.length !== job.outputs.length) {
      throw new VivaError(
        'MEDIA_FAILED',
        `ffmpeg split ${key} into ${produced.length} files, expected ${job.outputs.length}`,
        segmentDir,
      )
    }
    for (let i = 0; i < produced.length; i++) {
      const dest = job.outputs[i] ?? ''
      await mkdir(path.dirname(dest), { recursive: true })
      await rename(path.join(segmentDir, produced[i] ?? ''), dest)
    }
  }
}

const execFileAsync = promisify(execFile)

/** Video packets in a file as ffprobe counts them: one per frame for the encoders used here. */
async function countPackets(tools: MediaTools, file: string): Promise<number> {
  const { stdout } = await execFileAsync(tools.ffprobe, [
    '-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file,
  ])
  return Number.parseInt(stdout.trim(), 10)
}

export function videoJobs(root: string, plan: Plan): VideoJob[] {
  const written = plan.episodes.filter((e) => e.written)
  return plan.cameras.map((camera, cameraIndex) => {
    const segments = written.map((e) => ({ episode: e.index, frames: videoFrames(plan, e, camera.key) }))
    const outputs =
      plan.format === 'v3.0'
        ? [path.join(root, videoFilePath(plan, camera.key, { file: 0 }))]
        : written.map((e) => path.join(root, videoFilePath(plan, camera.key, { episode: e.index })))
    return { camera, cameraIndex, segments, outputs }
  })
}

/** Don't hand out a bad fixture: probe the first and last file of each camera (v3.0: its one file). */
export async function verifyVideos(tools: MediaTools, jobs: VideoJob[]): Promise<void> {
  const checks: { file: string; expected: number }[] = []
  for (const job of jobs) {
    if (job.outputs.length === 1) {
      checks.push({ file: job.outputs[0] ?? '', expected: job.segments.reduce((s, e) => s + e.frames, 0) })
    } else {
      for (const i of [0, job.outputs.length - 1]) {
        checks.push({ file: job.outputs[i] ?? '', expected: job.segments[i]?.frames ?? 0 })
      }
    }
  }
  await Promise.all(
    checks.map(async ({ file, expected }) => {
      const got = await countPackets(tools, file)
      if (got !== expected) {
        throw new VivaError('MEDIA_FAILED', `video has ${got} frames, expected ${expected}`, file)
      }
    }),
  )
}
