import type { PlayerDriver } from './state'

export interface PlaybackCallbacks {
  onFrame(frame: number): void
  onPlayingChange(playing: boolean): void
  /** Every attached view presents `frame`; latency is from the request (e.g. the key press) to that moment. */
  onFrameReady(frame: number, latencyMs: number): void
}

interface View {
  key: string
  video: HTMLVideoElement
  frameTimes: Float64Array
  /** Frame most recently requested from this video. */
  requested: number
  /** A frame waiting for the current seek to finish (seeks are coalesced, not queued). */
  pending: number | null
  seeking: boolean
  /** Frame this video is known to show (after its seek completed and a frame was presented). */
  presented: number
  /** Frame the video shows while playing, from requestVideoFrameCallback. */
  playFrame: number
  /** Episode frame of the last video frame presented, from requestVideoFrameCallback's media time. */
  shown: number
  rvfc: number | null
  fallbackTimer: ReturnType<typeof setTimeout> | null
  cleanup: () => void
}

/** Frame index shown at media time t: frameTimes[i] is the midpoint after frame i, so count those at or before t. */
export function frameAtTime(frameTimes: Float64Array, t: number): number {
  let lo = 0
  let hi = frameTimes.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((frameTimes[mid] ?? 0) <= t) lo = mid + 1
    else hi = mid
  }
  return Math.min(lo, Math.max(0, frameTimes.length - 1))
}

/** The episode frame a view shows once it has seeked to `frame` (frames past a short video's end hold its last). */
export function expectedShown(frameTimes: Float64Array, frame: number): number {
  const t = frameTimes[Math.min(frame, frameTimes.length - 1)] ?? 0
  return frameAtTime(frameTimes, t - 1e-4)
}

/**
 * Keeps every camera of an episode locked to one frame index. Paused: each video is seeked to the exact frame
 * (coalescing rapid requests, so holding an arrow key never builds a queue). Playing: the first view leads; each
 * follower is nudged by playback rate when it is a frame off and re-seeked when it falls further behind; pausing
 * re-seeks all views to the leader's frame so a paused player is always exact.
 */
export class PlaybackController implements PlayerDriver {
  private readonly views = new Map<string, View>()
  private frame = 0
  private playing = false
  private speed = 1
  private seekStart: { frame: number; t0: number } | null = null
  private syncHandle: number | null = null
  private disposed = false

  constructor(
    private readonly length: number,
    private readonly callbacks: PlaybackCallbacks,
  ) {}

  get currentFrame(): number {
    return this.frame
  }

  attach(key: string, video: HTMLVideoElement, frameTimes: Float64Array): () => void {
    this.detach(key)
    const view: View = {
      key,
      video,
      frameTimes,
      requested: -1,
      pending: null,
      seeking: false,
      presented: -1,
      playFrame: 0,
      shown: -1,
      rvfc: null,
      fallbackTimer: null,
      cleanup: () => undefined,
    }
    const onSeeked = (): void => this.onSeeked(view)
    const onLoaded = (): void => {
      if (!this.playing) this.seekView(view, this.frame, true)
    }
    // A file can end (v2.x) or stall before the leader reports the episode's last frame, e.g. frames dropped at 4×.
    const onEnded = (): void => {
      if (!this.playing) return
      this.frame = this.length - 1
      this.pause()
    }
    video.addEventListener('seeked', onSeeked)
    video.addEventListener('loadedmetadata', onLoaded)
    video.addEventListener('ended', onEnded)
    view.cleanup = () => {
      video.removeEventListener('seeked', onSeeked)
      video.removeEventListener('loadedmetadata', onLoaded)
      video.removeEventListener('ended', onEnded)
      this.cancelFallback(view)
      if (view.rvfc !== null) video.cancelVideoFrameCallback(view.rvfc)
    }
    video.playbackRate = this.speed
    this.views.set(key, view)
    this.watchFrames(view)
    if (video.readyState >= HTMLMediaElement.HAVE_METADATA) this.seekView(view, this.frame, true)
    return () => this.detach(key)
  }

  detach(key: string): void {
    const view = this.views.get(key)
    if (!view) return
    view.cleanup()
    this.views.delete(key)
    this.checkReady()
  }

  seek(frame: number, startedAt: number = performance.now()): void {
    if (this.disposed) return
    if (this.playing) this.stopPlayback()
    const target = this.clamp(frame)
    this.frame = target
    this.seekStart = { frame: target, t0: startedAt }
    this.callbacks.onFrame(target)
    for (const view of this.views.values()) this.seekView(view, target, false)
    this.checkReady()
  }

  play(): void {
    if (this.disposed || this.playing || this.views.size === 0) return
    if (this.frame >= this.length - 1) this.seek(0)
    this.playing = true
    this.seekStart = null
    this.callbacks.onPlayingChange(true)
    for (const view of this.views.values()) {
      view.pending = null
      this.cancelFallback(view)
      view.playFrame = this.frame
      view.video.playbackRate = this.speed
      void view.video.play().catch(() => {
        // Autoplay refusal or a decode error: stop cleanly rather than leave views apart.
        if (this.playing) this.pause()
      })
    }
    this.syncHandle = requestAnimationFrame(this.syncTick)
  }

  pause(): void {
    if (!this.playing) return
    this.stopPlayback()
    this.seek(this.frame)
  }

  setSpeed(speed: number): void {
    this.speed = speed
    for (const view of this.views.values()) view.video.playbackRate = speed
  }

  dispose(): void {
    this.stopPlayback()
    for (const key of [...this.views.keys()]) this.detach(key)
    this.disposed = true
  }

  private clamp(frame: number): number {
    return Math.max(0, Math.min(this.length - 1, Math.round(frame)))
  }

  private stopPlayback(): void {
    if (!this.playing) return
    this.playing = false
    if (this.syncHandle !== null) cancelAnimationFrame(this.syncHandle)
    this.syncHandle = null
    for (const view of this.views.values()) {
      view.video.pause()
      view.video.playbackRate = this.speed
    }
    this.callbacks.onPlayingChange(false)
  }

  private seekView(view: View, frame: number, force: boolean): void {
    if (view.video.readyState < HTMLMediaElement.HAVE_METADATA) {
      view.requested = frame
      return
    }
    if (view.seeking) {
      view.pending = frame
      return
    }
    if (!force && view.requested === frame && view.presented === frame) return
    view.requested = frame
    view.pending = null
    this.cancelFallback(view)
    view.seeking = true
    view.presented = -1
    view.video.dataset.presentedFrame = ''
    view.video.currentTime = view.frameTimes[Math.min(frame, view.frameTimes.length - 1)] ?? 0
  }

  private onSeeked(view: View): void {
    view.seeking = false
    if (this.playing) return
    if (view.pending !== null && view.pending !== view.requested) {
      const next = view.pending
      view.pending = null
      this.seekView(view, next, true)
      return
    }
    view.pending = null
    if (this.tryPresent(view)) return
    // The seeked frame usually reaches the screen just after this event (the frame callback then completes the
    // seek); a seek that lands on the frame already shown presents nothing new, hence the timer.
    this.cancelFallback(view)
    view.fallbackTimer = setTimeout(() => {
      view.fallbackTimer = null
      if (!view.seeking && view.presented !== view.requested) this.markPresented(view)
    }, 200)
  }

  /** Every presented video frame, paused or playing: the one source of truth for what a view shows. */
  private watchFrames(view: View): void {
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      view.shown = frameAtTime(view.frameTimes, meta.mediaTime)
      view.rvfc = view.video.requestVideoFrameCallback(onFrame)
      if (this.playing) {
        view.playFrame = view.shown
        if (view === this.leader()) this.onLeaderFrame(view.playFrame)
      } else {
        this.tryPresent(view)
      }
    }
    view.rvfc = view.video.requestVideoFrameCallback(onFrame)
  }

  private tryPresent(view: View): boolean {
    if (view.seeking || view.pending !== null || view.requested < 0) return false
    if (view.shown !== expectedShown(view.frameTimes, view.requested)) return false
    this.markPresented(view)
    return true
  }

  private markPresented(view: View): void {
    this.cancelFallback(view)
    view.presented = view.requested
    view.video.dataset.presentedFrame = String(view.requested)
    this.checkReady()
  }

  private cancelFallback(view: View): void {
    if (view.fallbackTimer !== null) clearTimeout(view.fallbackTimer)
    view.fallbackTimer = null
  }

  private checkReady(): void {
    if (this.playing || !this.seekStart) return
    for (const view of this.views.values()) {
      if (view.seeking || view.presented !== this.frame) return
    }
    if (this.views.size === 0) return
    const { frame, t0 } = this.seekStart
    if (frame !== this.frame) return
    this.seekStart = null
    this.callbacks.onFrameReady(frame, performance.now() - t0)
  }

  private leader(): View | undefined {
    return this.views.values().next().value
  }

  private onLeaderFrame(frame: number): void {
    const leaderFrame = this.clamp(frame)
    this.frame = leaderFrame
    this.callbacks.onFrame(leaderFrame)
    if (leaderFrame >= this.length - 1) this.pause()
  }

  /** Continuous position of a view in episode frames, from the media clock (finer than presented frames). */
  private position(view: View): number {
    const first = view.frameTimes[0] ?? 0
    const second = view.frameTimes[1] ?? first
    const frameDuration = second > first ? second - first : 1 / 30
    return (view.video.currentTime - first) / frameDuration + 0.5
  }

  /**
   * Runs every display frame while playing: followers are steered toward the leader's clock by playback rate in
   * proportion to their offset (a fraction of a frame is corrected within a few frames, without the stalls a seek
   * causes); only a view that fell far behind (stalled decoder, buffering) is re-seeked.
   */
  private syncTick = (): void => {
    this.syncHandle = null
    if (!this.playing) return
    const leader = this.leader()
    if (leader) {
      const lead = this.position(leader)
      for (const view of this.views.values()) {
        if (view === leader || view.video.seeking) continue
        const offset = this.position(view) - lead
        if (Math.abs(offset) > 4) {
          const target = this.clamp(Math.round(lead + 2 * this.speed))
          view.video.currentTime = view.frameTimes[target] ?? 0
          view.video.playbackRate = this.speed
        } else {
          view.video.playbackRate = this.speed * Math.max(0.6, Math.min(1.4, 1 - 0.35 * offset))
        }
      }
    }
    this.syncHandle = requestAnimationFrame(this.syncTick)
  }
}
