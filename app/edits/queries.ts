/** Read-only queries of a project state the UI needs (timeline order, navigation, labels, task summaries). */
import { DEFAULT_EPISODE_LABELS, EVENT_KINDS, type AnnotationEvent, type EpisodeLabels, type Outcome, type ProjectState, type ReviewStatus, type Taxonomy } from '../annotations'

// Queries

/** Timeline order: frame, then creation time, then id (so equal timestamps still order the same everywhere). */
export function compareEvents(a: AnnotationEvent, b: AnnotationEvent): number {
  if (a.frame !== b.frame) return a.frame - b.frame
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function eventsOfEpisode(state: ProjectState, episode: number): AnnotationEvent[] {
  const out: AnnotationEvent[] = []
  for (const e of state.events.values()) if (e.episode === episode) out.push(e)
  return out.sort(compareEvents)
}

/** The first event strictly after `frame`, or null. */
export function nextEvent(state: ProjectState, episode: number, frame: number): AnnotationEvent | null {
  return eventsOfEpisode(state, episode).find((e) => e.frame > frame) ?? null
}

/** The last event strictly before `frame`, or null. */
export function prevEvent(state: ProjectState, episode: number, frame: number): AnnotationEvent | null {
  const before = eventsOfEpisode(state, episode).filter((e) => e.frame < frame)
  return before[before.length - 1] ?? null
}

export function latestTaxonomy(state: ProjectState, task: string): Taxonomy | null {
  const versions = state.taxonomies.get(task)
  return versions?.[versions.length - 1] ?? null
}

export function taxonomyVersion(state: ProjectState, task: string, version: number): Taxonomy | null {
  return state.taxonomies.get(task)?.find((t) => t.version === version) ?? null
}

/** An episode's labels; `updatedAt` is null when nothing was stored (the defaults apply). */
export interface EpisodeLabelsView extends Omit<EpisodeLabels, 'updatedAt'> {
  updatedAt: string | null
}

export function episodeLabels(state: ProjectState, episode: number): EpisodeLabelsView {
  return state.episodes.get(episode) ?? { ...DEFAULT_EPISODE_LABELS, episode, updatedAt: null }
}

export interface TaskSummary {
  episodes: number
  done: number
  inProgress: number
  needsReview: number
  todo: number
  success: number
  failure: number
  unknown: number
  /** Label → number of events; the latest taxonomy's names first (zeros included, in its order), then others. */
  milestoneCounts: Record<string, number>
  /** The error-type distribution of the paper's Fig. 4. */
  errorCounts: Record<string, number>
}

/** Labels are user text: a label such as "__proto__" must become a key, not reach the prototype. */
function setCount(counts: Record<string, number>, label: string, n: number): void {
  Object.defineProperty(counts, label, { value: n, enumerable: true, writable: true, configurable: true })
}

const STATUS_FIELD: Record<ReviewStatus, 'todo' | 'inProgress' | 'done' | 'needsReview'> = {
  todo: 'todo',
  in_progress: 'inProgress',
  done: 'done',
  needs_review: 'needsReview',
}

const OUTCOME_FIELD: Record<Outcome, 'success' | 'failure' | 'unknown'> = { success: 'success', failure: 'failure', unknown: 'unknown' }

/**
 * Progress and label counts over a task's episodes. Events at frames beyond an episode's length are not counted:
 * they cannot be scored against that episode's frames.
 */
export function taskSummary(state: ProjectState, episodesOfTask: readonly { index: number; length: number }[], task: string): TaskSummary {
  const latest = latestTaxonomy(state, task)
  const summary: TaskSummary = {
    episodes: episodesOfTask.length,
    done: 0,
    inProgress: 0,
    needsReview: 0,
    todo: 0,
    success: 0,
    failure: 0,
    unknown: 0,
    milestoneCounts: Object.fromEntries((latest?.milestones ?? []).map((m) => [m, 0])),
    errorCounts: Object.fromEntries((latest?.errorTypes ?? []).map((m) => [m, 0])),
  }
  const lengths = new Map<number, number>()
  for (const ep of episodesOfTask) {
    lengths.set(ep.index, ep.length)
    const labels = episodeLabels(state, ep.index)
    summary[STATUS_FIELD[labels.status]] += 1
    summary[OUTCOME_FIELD[labels.outcome]] += 1
  }
  const extra = { milestone: new Map<string, number>(), error: new Map<string, number>() }
  for (const e of state.events.values()) {
    const length = lengths.get(e.episode)
    if (length === undefined || e.frame >= length) continue
    const counts = e.kind === 'milestone' ? summary.milestoneCounts : summary.errorCounts
    if (Object.hasOwn(counts, e.label)) setCount(counts, e.label, (counts[e.label] ?? 0) + 1)
    else extra[e.kind].set(e.label, (extra[e.kind].get(e.label) ?? 0) + 1)
  }
  // Labels from older taxonomy versions follow, alphabetically, so the order never depends on event order.
  for (const kind of EVENT_KINDS) {
    const counts = kind === 'milestone' ? summary.milestoneCounts : summary.errorCounts
    for (const [label, n] of [...extra[kind]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) setCount(counts, label, n)
  }
  return summary
}
