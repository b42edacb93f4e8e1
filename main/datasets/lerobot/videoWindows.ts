import type { EpisodeEntry } from './lerobotInfo'

/**
 * Which end a v3.0 dataset's video windows use. LeRobot writes `to_timestamp` as from_timestamp plus the episode
 * video's duration, one frame past its last frame: to = from + length / fps, an exclusive end
 * (huggingface/lerobot, src/lerobot/datasets/video_utils.py, get_video_duration_in_s; see videoWindowError).
 * Some third-party converters write the last frame's own time instead, to = from + (length − 1) / fps. LeRobot's
 * reader never notices, since it decodes frame i at from_timestamp + timestamp[i] and never reads to_timestamp
 * (src/lerobot/datasets/lerobot_dataset.py, _query_videos: `shifted_query_ts = [from_timestamp + ts ...]`); a
 * player that cuts the file at to_timestamp loses each episode's last frame to it.
 *
 * The convention is a property of whoever wrote the dataset, so it is decided once per dataset, by comparing every
 * window's span with its episode's frame count (metadata only, nothing probed); deciding per window would read a
 * video that really is one frame short as "inclusive" and hand it the next episode's first frame.
 */
export type WindowConvention = 'exclusive' | 'inclusive'

export interface WindowConventionReport {
  /** Null when the dataset has no closed windows (v2.x, or v3.0 without to_timestamp). */
  convention: WindowConvention | null
  /** Windows whose span is the episode's length in frames (exclusive end), length − 1 (inclusive), or neither. */
  exclusive: number
  inclusive: number
  other: number
}

/** How many windows of the dataset read each way; more inclusive than exclusive ones make it inclusive. */
export function detectWindowConvention(entries: readonly EpisodeEntry[], fps: number): WindowConventionReport {
  let exclusive = 0
  let inclusive = 0
  let other = 0
  for (const entry of entries) {
    for (const v of entry.videos) {
      if (v.toTimestamp === null || !Number.isFinite(v.toTimestamp) || !Number.isFinite(v.fromTimestamp)) continue
      // Spans in frames; float seconds from pandas or a converter are within a small fraction of a frame.
      const span = (v.toTimestamp - v.fromTimestamp) * fps
      if (Math.abs(span - entry.length) < 0.25) exclusive++
      else if (Math.abs(span - (entry.length - 1)) < 0.25) inclusive++
      else other++
    }
  }
  const convention = inclusive > exclusive ? 'inclusive' : exclusive > 0 || inclusive > 0 ? 'exclusive' : null
  return { convention, exclusive, inclusive, other }
}

/** Read inclusive windows as exclusive ones: each ends one frame later, so its last frame is inside it. */
export function extendInclusiveWindows(entries: readonly EpisodeEntry[], fps: number): void {
  for (const entry of entries) {
    for (const v of entry.videos) if (v.toTimestamp !== null) v.toTimestamp += 1 / fps
  }
}

/** The dataset note for `viva inspect` and the dataset screen; null for LeRobot's own convention. */
export function windowConventionNote(report: WindowConventionReport, listedBy: string): string | null {
  if (report.convention !== 'inclusive') return null
  const total = report.exclusive + report.inclusive + report.other
  return (
    `${listedBy} gives to_timestamp as each episode's last frame time (to = from + (length − 1)/fps) for ${report.inclusive} of ${total} video windows, ` +
    `where LeRobot writes one frame past it (from + length/fps): windows are read as ending one frame later, so every episode keeps its last frame. ` +
    `For tools that cut at to_timestamp, rewrite it as from_timestamp + length/fps`
  )
}
