/**
 * Subtask segments: the intervals between an episode's milestones, the unit the SARM progress, the Label Studio
 * timeline and the LeRobot subtask language share (one definition, so the three never disagree).
 *
 * A milestone at frame f marks the moment its stage is achieved, so the frame belongs to the stage it completes:
 * stage k covers frames [f_{k−1} + 1, f_k] (the first from frame 0), labelled with the milestone's label. Frames
 * after the last milestone belong to no completed stage and get no segment. Two milestones on one frame give the
 * second a one-frame segment on that frame (a segment is never empty), so each milestone keeps its own segment
 * and the round trip through Label Studio gives the same milestones back.
 */
import type { ExportAnnotations, ExportEvent } from './table'
import { invalid } from './table'

export interface Segment {
  episode: number
  label: string
  /** First frame (inclusive). */
  start: number
  /** Last frame (inclusive): the milestone's frame. */
  end: number
  /** The milestone frame before this one, or 0 for the first: where SARM's within-stage progress τ starts. */
  anchor: number
  /** Index of the label in the task's milestone list, null when the taxonomy does not list it. */
  stage: number | null
}

/** The milestones of one episode in time order (ties: taxonomy order, then label), frames checked. */
export function episodeMilestones(annotations: ExportAnnotations, episode: number, length: number, task: string): ExportEvent[] {
  const order = annotations.milestones.get(task) ?? []
  const rank = (label: string): number => {
    const i = order.indexOf(label)
    return i < 0 ? order.length : i
  }
  const milestones = annotations.events.filter((e) => e.episode === episode && e.kind === 'milestone')
  for (const m of milestones) {
    if (!Number.isInteger(m.frame) || m.frame < 0 || m.frame >= length) {
      throw invalid(`episode ${episode}: milestone "${m.label}" is at frame ${m.frame}, outside the episode's frames 0..${length - 1}`)
    }
  }
  return [...milestones].sort((a, b) => a.frame - b.frame || rank(a.label) - rank(b.label) || a.label.localeCompare(b.label))
}

export function milestoneSegments(annotations: ExportAnnotations, episode: number, length: number, task: string): Segment[] {
  const order = annotations.milestones.get(task) ?? []
  const out: Segment[] = []
  let previous = -1
  for (const m of episodeMilestones(annotations, episode, length, task)) {
    const start = Math.min(previous + 1, m.frame)
    const stage = order.indexOf(m.label)
    out.push({ episode, label: m.label, start, end: m.frame, anchor: Math.max(previous, 0), stage: stage < 0 ? null : stage })
    previous = m.frame
  }
  return out
}

/**
 * The stage an episode is in after its last milestone: the taxonomy's next milestone after the last one reached
 * (the stage attempted but never completed), or null when the last stage was reached, the label is not in the
 * taxonomy, or no frame is left.
 */
export function trailingStage(segments: readonly Segment[], length: number, stages: readonly string[]): { label: string; start: number } | null {
  const last = segments[segments.length - 1]
  if (!last) return stages.length > 0 ? { label: stages[0] as string, start: 0 } : null
  if (last.stage === null || last.stage + 1 >= stages.length || last.end + 1 >= length) return null
  return { label: stages[last.stage + 1] as string, start: last.end + 1 }
}
