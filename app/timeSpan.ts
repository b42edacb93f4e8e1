/**
 * Lengths of time for analysis windows (the ERS window of the metrics; the event detector's window and minimum gap
 * can use the same), given in seconds so that they mean the same on every dataset, or as an exact number of
 * frames. The frame index stays the unit of time inside every computation: a span is resolved to whole frames
 * once, with the dataset's frame rate, and every report says which frames it used.
 *
 * The paper's window. ViVa §4.2 (eq. 3): "V_before and V_after denote the mean predicted value over a window of w
 * frames immediately preceding and following the annotated frame". It states neither w nor the frame rate of its
 * datasets (§4.1.2–4.1.3 give only the episode time limits, 240–300 s, and K = 50 "aligning with the default
 * horizon used for advantage estimation in the RECAP framework"). This project takes the paper's data to run at
 * 30 fps, the assumption already behind K = 50 frames ≈ 1.67 s (app/advantages.ts defaultK, the tensor cache's
 * default K), and its window as the w = 5 frames used since the first metrics (evaluate.py --window 5): 5 frames
 * at 30 fps = 1/6 s. At another frame rate the same 1/6 s is round(fps / 6) frames: 2 at 10 fps, 5 at 30 fps,
 * 8 at 50 fps.
 *
 * Rounding: the nearest whole frame, halves up (2.5 → 3), and at least 1 frame. The product seconds × fps is
 * first rounded to 6 decimals so that binary noise (1.15 s × 50 fps = 57.49999999999999) cannot flip a half.
 */
import { VivaError } from './errors'

export type TimeSpan = { seconds: number } | { frames: number }

/** The frame rate this project takes the paper's datasets to run at (see the header). */
export const PAPER_FPS = 30

/** The ERS window: the paper's data's 5 frames at 30 fps, as a duration (1/6 s). */
export const DEFAULT_ERS_WINDOW_SECONDS = 5 / PAPER_FPS
export const DEFAULT_ERS_WINDOW: TimeSpan = { seconds: DEFAULT_ERS_WINDOW_SECONDS }

/** Largest spans accepted (a window of an hour or of 10,000 frames is a typo). */
export const MAX_SPAN_SECONDS = 3600
export const MAX_SPAN_FRAMES = 10_000

export interface ResolvedSpan {
  /** Whole frames used. */
  frames: number
  /** The time those frames cover at `fps` (frames / fps), which rounding may make differ from the request. */
  seconds: number
  fps: number
  requested: TimeSpan
}

function invalid(message: string): VivaError {
  return new VivaError('INVALID_ARGUMENT', message)
}

function checkFps(fps: number): void {
  if (!Number.isFinite(fps) || fps <= 0) throw invalid(`fps must be a positive number, got ${fps}`)
}

/** Whole frames for a duration at `fps`: nearest, halves up, at least 1 (see the header). */
export function framesForSeconds(seconds: number, fps: number): number {
  checkFps(fps)
  if (!Number.isFinite(seconds) || seconds <= 0) throw invalid(`a duration must be a positive number of seconds, got ${seconds}`)
  const exact = Math.round(seconds * fps * 1e6) / 1e6
  return Math.max(1, Math.floor(exact + 0.5))
}

/** The frames a span covers at `fps`, and the time they cover. */
export function resolveSpan(span: TimeSpan, fps: number): ResolvedSpan {
  checkFps(fps)
  let frames: number
  if ('frames' in span) {
    if (!Number.isInteger(span.frames) || span.frames < 1 || span.frames > MAX_SPAN_FRAMES) {
      throw invalid(`a window in frames must be a whole number from 1 to ${MAX_SPAN_FRAMES}, got ${span.frames}`)
    }
    frames = span.frames
  } else {
    if (!(span.seconds > 0 && span.seconds <= MAX_SPAN_SECONDS)) {
      throw invalid(`a window in seconds must be above 0 and at most ${MAX_SPAN_SECONDS}, got ${span.seconds}`)
    }
    frames = framesForSeconds(span.seconds, fps)
  }
  return { frames, seconds: frames / fps, fps, requested: 'frames' in span ? { frames: span.frames } : { seconds: span.seconds } }
}

/**
 * A span as typed on a command line: seconds with an `s` ("0.5s", scaled by each dataset's fps) or frames with an
 * `f` ("15f", exact). A bare number is refused: it was a frame count before windows had units.
 */
export function parseSpan(text: string, what: string): TimeSpan {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|f)\s*$/i.exec(text)
  if (!m) {
    throw invalid(`${what} needs a unit: seconds like 0.2s (scaled by the dataset's fps) or frames like 5f (exact), got "${text}"`)
  }
  const n = Number(m[1])
  return (m[2] as string).toLowerCase() === 's' ? { seconds: n } : { frames: n }
}

/** Seconds for display: 3 decimals, trailing zeros dropped (1/6 → "0.167"). */
export function formatSeconds(seconds: number): string {
  return String(Number(seconds.toFixed(3)))
}

/** "5 frames = 0.167 s at 30 fps". */
export function describeSpan(r: ResolvedSpan): string {
  return `${r.frames} frame${r.frames === 1 ? '' : 's'} = ${formatSeconds(r.seconds)} s at ${formatSeconds(r.fps)} fps`
}
