/**
 * Subtask segments as LeRobot language annotations: rows of the `language_persistent` column with style "subtask".
 *
 * Consumer and format: huggingface/lerobot src/lerobot/datasets/language.py (language_persistent_row_arrow_type:
 * struct role string not null, content string, style string, timestamp float32 not null, camera string,
 * tool_calls list<json>; PERSISTENT_STYLES includes "subtask"; rows of styles that are not view-dependent must have
 * camera = null; language_feature_info(): info.json features `language_persistent` / `language_events` as
 * `{"dtype": "language", "shape": [1], "names": null}`) and language_render.py active_at() (the subtask at time t
 * is the row with the latest timestamp ≤ t). Writer: src/lerobot/annotations/steerable_pipeline/writer.py
 * LanguageColumnsWriter: the episode's persistent rows, sorted by (timestamp, style, role), are broadcast to every
 * frame of the episode, and `language_events` gets the rows whose timestamp equals the frame's; the module
 * plan_subtasks_memory.py writes one subtask row per span, `role: "assistant"`, `content` the subtask text,
 * `timestamp` the span start snapped to an exact frame timestamp (reader.snap_to_frame), `tool_calls: null`.
 * Timestamps are compared with the parquet's own (emitted_at allows 0.1 s, the validator exactly), so each row's
 * timestamp here is the episode table's `timestamp` of the segment's first frame, never frame / fps.
 *
 * Settled here: a row per completed stage (segments.ts) at its first frame, plus, when the episode ends before its
 * last stage, a row for the stage it was in (the taxonomy's next milestone) from the frame after the last milestone,
 * since active_at would otherwise keep the completed stage active to the end. An episode with no milestone starts
 * in the first stage. Episodes without a `timestamp` column are refused (the rows must equal those timestamps).
 */
import { milestoneSegments, trailingStage } from './segments'
import type { ExportAnnotations, ExportEpisode } from './table'
import { invalid, placeEpisodes } from './table'

export interface LanguagePersistentRow {
  role: 'assistant'
  content: string
  style: 'subtask'
  /** Exactly the episode table's `timestamp` of the subtask's first frame (a float32 value). */
  timestamp: number
  camera: null
  tool_calls: null
}

export const LANGUAGE_FEATURES = {
  language_persistent: { dtype: 'language', shape: [1], names: null },
  language_events: { dtype: 'language', shape: [1], names: null },
} as const

/** Per episode, its subtask rows in LeRobot's order (timestamp, then style and role: all alike here). */
export function buildSubtaskLanguage(episodes: readonly ExportEpisode[], annotations: ExportAnnotations): Map<number, LanguagePersistentRow[]> {
  const out = new Map<number, LanguagePersistentRow[]>()
  for (const ep of placeEpisodes(episodes)) {
    const timestamps = ep.timestamps
    if (!timestamps) throw invalid(`episode ${ep.index}: its table has no timestamp column; LeRobot subtask rows must carry the frames' own timestamps`)
    const row = (content: string, frame: number): LanguagePersistentRow => {
      const timestamp = Math.fround(timestamps[frame] as number)
      if (!Number.isFinite(timestamp)) throw invalid(`episode ${ep.index}: frame ${frame} has timestamp ${String(timestamps[frame])}`)
      return { role: 'assistant', content, style: 'subtask', timestamp, camera: null, tool_calls: null }
    }
    const segments = milestoneSegments(annotations, ep.index, ep.length, ep.task)
    const rows = segments.map((s) => row(s.label, s.start))
    const trailing = trailingStage(segments, ep.length, annotations.milestones.get(ep.task) ?? [])
    if (trailing) rows.push(row(trailing.label, trailing.start))
    // Two milestones on one frame make two rows at one timestamp; active_at would have to pick, so keep the later.
    const unique = rows.filter((r, i) => rows[i + 1]?.timestamp !== r.timestamp)
    out.set(ep.index, unique)
  }
  return out
}
