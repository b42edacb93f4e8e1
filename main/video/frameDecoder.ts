import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { VivaError } from '../../app/errors'
import type { MediaTools } from './tools'

/** One camera's video for one episode: the file and where the episode starts on its timeline. */
export interface CameraSource {
  file: string
  /** Seconds on the file's timeline where the episode's frame 0 is (0 unless episodes share a file). */
  from: number
}

export interface DecodeOptions {
  width: number
  height: number
  /** Frames in the episode; a shorter video is padded with its last frame, a longer one is cut. */
  count: number
  /** First frame to deliver (earlier ones are decoded and skipped, which keeps indices exact). */
  start?: number
  /** Frames per delivered batch. */
  batch: number
  /** Let ffmpeg pick a hardware decoder when one is there (it falls back to software by itself). */
  hwaccel?: boolean
  /** ffmpeg scale algorithm; 'area' is what the bundled models were trained with (tensor cache). */
  scaleFlags?: string
  signal?: AbortSignal
}

export interface FrameBatch {
  /** Frame index of the first frame. */
  first: number
  count: number
  /** count × cameras × height × width × 3 bytes (rgb24), cameras in the order given. */
  pixels: Uint8Array
}

/** ffmpeg arguments that decode one camera straight to the model's size and pixel format (scaling in ffmpeg). */
export function decodeArgs(source: CameraSource, o: Pick<DecodeOptions, 'width' | 'height' | 'count' | 'hwaccel' | 'scaleFlags'>): string[] {
  const args = ['-v', 'error', '-nostdin']
  if (o.hwaccel) args.push('-hwaccel', 'auto')
  // One decoding thread per camera process: several cameras decode at once already, and frame threads would only
  // add context switches against the model's threads (measured +5 % end to end on 2 cores).
  args.push('-threads', '1')
  if (source.from > 0) args.push('-ss', source.from.toFixed(6))
  args.push(
    '-i', source.file,
    '-frames:v', String(o.count),
    '-vf', `scale=${o.width}:${o.height}:flags=${o.scaleFlags ?? 'area'}`,
    '-pix_fmt', 'rgb24',
    '-f', 'rawvideo', 'pipe:1',
  )
  return args
}

/** Frames of one camera as they arrive from ffmpeg, with a bounded buffer (stdout is paused when it is full). */
class CameraStream {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>
  private readonly chunks: Buffer[] = []
  private buffered = 0
  private stderr = ''
  private ended = false
  private failure: VivaError | null = null
  private wake: (() => void) | null = null
  /** Frames taken so far (including skipped ones). */
  taken = 0
  /** The last full frame, to pad a video shorter than its episode. */
  private last: Uint8Array | null = null

  constructor(
    tools: MediaTools,
    private readonly source: CameraSource,
    args: string[],
    private readonly frameBytes: number,
    private readonly highWater: number,
    signal?: AbortSignal,
  ) {
    this.child = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], signal })
    tools.children?.track(this.child)
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.buffered >= this.highWater) this.child.stdout.pause()
      this.notify()
    })
    this.child.stderr.setEncoding('utf8').on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-4000)))
    this.child.on('error', (err) => {
      if (err.name === 'AbortError') this.failure = new VivaError('CANCELLED', 'Decoding was cancelled.')
      else this.failure = new VivaError('TOOL_MISSING', `Cannot run ffmpeg (${tools.ffmpeg}): ${err.message}`)
      this.ended = true
      this.notify()
    })
    this.child.on('close', (code, sig) => {
      if (code !== 0 && !this.failure) {
        const why = this.stderr.trim().split('\n').pop() ?? `ffmpeg exited with ${code ?? sig}`
        this.failure = signal?.aborted
          ? new VivaError('CANCELLED', 'Decoding was cancelled.')
          : new VivaError('MEDIA_FAILED', `Cannot decode ${source.file}: ${why}`, source.file)
      }
      this.ended = true
      this.notify()
    })
  }

  private notify(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  /** Wait until `frames` whole frames are buffered or the stream ended; returns how many are available. */
  async available(frames: number): Promise<number> {
    for (;;) {
      const have = Math.floor(this.buffered / this.frameBytes)
      if (have >= frames || this.ended) {
        if (this.failure) throw this.failure
        return have
      }
      if (this.child.stdout.isPaused()) this.child.stdout.resume()
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  /** Copy `frames` frames into `out` at the given stride; pads with the last frame past the end of the video. */
  take(frames: number, out: Uint8Array, offset: number, stride: number): void {
    for (let f = 0; f < frames; f++) {
      const at = offset + f * stride
      if (this.buffered >= this.frameBytes) {
        let need = this.frameBytes
        let pos = at
        while (need > 0) {
          const head = this.chunks[0] as Buffer
          const n = Math.min(need, head.length)
          out.set(head.subarray(0, n), pos)
          pos += n
          need -= n
          if (n === head.length) this.chunks.shift()
          else this.chunks[0] = head.subarray(n)
        }
        this.buffered -= this.frameBytes
        this.last = out.subarray(at, at + this.frameBytes)
        this.last = Uint8Array.from(this.last)
      } else if (this.last) {
        out.set(this.last, at)
      } else {
        throw new VivaError('MEDIA_FAILED', `No frames decoded from ${this.source.file}`, this.source.file)
      }
      this.taken++
    }
    if (this.buffered < this.highWater && this.child.stdout.isPaused() && !this.ended) this.child.stdout.resume()
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

/**
 * Decode every camera of an episode together, in batches of frames (each batch holds all cameras of each frame), at
 * the model's size and pixel format. One ffmpeg per camera runs ahead of the consumer up to a bounded buffer, so
 * decoding overlaps whatever the consumer does with the previous batch.
 */
export async function* decodeEpisode(tools: MediaTools, cameras: CameraSource[], o: DecodeOptions): AsyncGenerator<FrameBatch> {
  const frameBytes = o.width * o.height * 3
  const start = Math.max(0, Math.min(o.start ?? 0, o.count))
  const highWater = Math.max(4 * o.batch, 16) * frameBytes
  const streams = cameras.map((c) => new CameraStream(tools, c, decodeArgs(c, o), frameBytes, highWater, o.signal))
  try {
    const scratch = new Uint8Array(Math.max(1, o.batch) * frameBytes)
    let skipped = 0
    while (skipped < start) {
      const n = Math.min(o.batch, start - skipped)
      for (const s of streams) {
        await s.available(n)
        s.take(n, scratch, 0, frameBytes)
      }
      skipped += n
    }
    for (let first = start; first < o.count; first += o.batch) {
      const n = Math.min(o.batch, o.count - first)
      const pixels = new Uint8Array(n * cameras.length * frameBytes)
      for (const [c, s] of streams.entries()) {
        await s.available(n)
        s.take(n, pixels, c * frameBytes, cameras.length * frameBytes)
      }
      yield { first, count: n, pixels }
    }
  } finally {
    for (const s of streams) s.kill()
  }
}
