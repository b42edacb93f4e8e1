import type { AnnotationEvent, Edit, EpisodeLabels, EpisodePatch, EventPatch, ProjectState, Taxonomy } from '../annotations'
import { DEFAULT_EPISODE_LABELS } from '../annotations'
import { applyEdits, eventDifferences, isIsoTimestamp, sameTaxonomy } from '../annotationEdits'
import { VivaError } from '../errors'
import { count, quoteValue } from '../text'
import { byText } from './export'
import { type ExportDocument, type ExportedEvent, IMPORT_LIMITS } from './schema'

// Turning an imported document into edits on a project (merge or replace), checked by a dry run.


export type ImportMode = 'merge' | 'replace'

export interface ImportPlanSummary {
  eventsAdded: number
  eventsUpdated: number
  eventsRemoved: number
  episodesChanged: number
  taxonomiesAdded: number
  taxonomiesRemoved: number
}

export interface ImportPlan {
  edits: Edit[]
  summary: ImportPlanSummary
}

function fromExported(e: ExportedEvent): AnnotationEvent {
  return {
    id: e.id,
    episode: e.episode,
    frame: e.frame,
    kind: e.kind,
    label: e.label,
    note: e.note,
    annotator: e.annotator,
    taxonomyVersion: e.taxonomyVersion,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  }
}

const PATCHABLE = ['frame', 'kind', 'label', 'note', 'taxonomyVersion'] as const
const EPISODE_FIELDS = ['outcome', 'status', 'note'] as const

/**
 * The edits that bring `state` to the file's content, in an order `applyEdits` accepts, so a store can apply them
 * in one transaction.
 * - merge: events by id (new ones added, changed ones take the file's version, others kept); episode labels in the
 *   file win; taxonomy versions missing from the project are added. A version present on both sides with other
 *   milestones or error types is a conflict (IMPORT_INVALID), since events of both sides point at it.
 * - replace: afterwards the project holds exactly what the file holds; everything else is removed.
 * `at` stamps the labels reset by replace; everything else keeps the file's own timestamps.
 */
export function planImport(state: ProjectState, doc: ExportDocument, mode: ImportMode, at: string): ImportPlan {
  if (!isIsoTimestamp(at)) throw new VivaError('INVALID_ARGUMENT', `at must be an ISO 8601 timestamp, got ${JSON.stringify(at)}`)
  const edits: Edit[] = []
  const summary: ImportPlanSummary = { eventsAdded: 0, eventsUpdated: 0, eventsRemoved: 0, episodesChanged: 0, taxonomiesAdded: 0, taxonomiesRemoved: 0 }

  // Taxonomies: versions can only be appended or removed from the top, so each task is handled as a stack.
  const fileVersions = new Map<string, Taxonomy[]>()
  for (const t of doc.taxonomies) fileVersions.set(t.task, [...(fileVersions.get(t.task) ?? []), t])
  const tasks = new Set(fileVersions.keys())
  if (mode === 'replace') for (const task of state.taxonomies.keys()) tasks.add(task)
  for (const task of [...tasks].sort(byText)) {
    const have = state.taxonomies.get(task) ?? []
    const want = [...(fileVersions.get(task) ?? [])].sort((a, b) => a.version - b.version)
    let keep: number
    if (mode === 'merge') {
      keep = have.length
      for (let v = 0; v < Math.min(have.length, want.length); v++) {
        const h = have[v]
        const w = want[v]
        if (h && w && (!sameNames(h.milestones, w.milestones) || !sameNames(h.errorTypes, w.errorTypes))) {
          throw new VivaError(
            'IMPORT_INVALID',
            `taxonomy ${quoteValue(task)} version ${w.version} in the file has other milestones or error types than the project's version ${h.version}; import with "replace" to take the file's, or rename one of them`,
          )
        }
      }
    } else {
      keep = 0
      while (keep < have.length && keep < want.length && sameTaxonomy(have[keep] as Taxonomy, want[keep] as Taxonomy)) keep++
      for (let v = have.length - 1; v >= keep; v--) {
        edits.push({ op: 'taxonomy.delete', taxonomy: have[v] as Taxonomy, previous: have[v - 1] ?? null })
        summary.taxonomiesRemoved++
      }
    }
    let latest = have[keep - 1] ?? null
    for (let v = keep; v < want.length; v++) {
      const after = want[v] as Taxonomy
      edits.push({ op: 'taxonomy.save', before: latest, after })
      latest = after
      summary.taxonomiesAdded++
    }
  }

  // Events.
  const fileEvents = new Map(doc.events.map((e) => [e.id, fromExported(e)]))
  if (mode === 'replace') {
    for (const current of [...state.events.values()].sort((a, b) => byText(a.id, b.id))) {
      if (fileEvents.has(current.id)) continue
      edits.push({ op: 'event.delete', event: current })
      summary.eventsRemoved++
    }
  }
  for (const target of [...fileEvents.values()].sort((a, b) => byText(a.id, b.id))) {
    const current = state.events.get(target.id)
    if (!current) {
      edits.push({ op: 'event.add', event: target })
      summary.eventsAdded++
      continue
    }
    const diffs = eventDifferences(current, target)
    if (diffs.length === 0) continue
    summary.eventsUpdated++
    if (diffs.some((k) => k === 'episode' || k === 'annotator' || k === 'createdAt')) {
      // Not patchable (an update names the event by id and episode and keeps its origin): replace it whole.
      edits.push({ op: 'event.delete', event: current }, { op: 'event.add', event: target })
      continue
    }
    const before: EventPatch = {}
    const after: EventPatch = {}
    for (const key of PATCHABLE) {
      if (current[key] === target[key]) continue
      Object.assign(before, { [key]: current[key] })
      Object.assign(after, { [key]: target[key] })
    }
    edits.push({ op: 'event.update', id: target.id, episode: target.episode, before, after, at: target.updatedAt, beforeAt: current.updatedAt })
  }

  // Episode labels.
  const fileLabels = new Map(doc.episodes.map((l) => [l.episode, l]))
  const labelTargets: { episode: number; target: Omit<EpisodeLabels, 'episode'> }[] = [...fileLabels.values()].map((l) => ({ episode: l.episode, target: l }))
  if (mode === 'replace') {
    for (const episode of state.episodes.keys()) {
      if (!fileLabels.has(episode)) labelTargets.push({ episode, target: { ...DEFAULT_EPISODE_LABELS, updatedAt: at } })
    }
  }
  for (const { episode, target } of labelTargets.sort((a, b) => a.episode - b.episode)) {
    const stored = state.episodes.get(episode)
    const current = stored ?? { ...DEFAULT_EPISODE_LABELS, updatedAt: null }
    const isDefault = EPISODE_FIELDS.every((k) => target[k] === DEFAULT_EPISODE_LABELS[k])
    // Default labels are not stored, so "no entry" and "defaults" are the same state whatever the timestamps.
    if (!stored && isDefault) continue
    const changed = EPISODE_FIELDS.filter((k) => current[k] !== target[k])
    if (changed.length === 0 && current.updatedAt === target.updatedAt) continue
    const before: EpisodePatch = {}
    const after: EpisodePatch = {}
    for (const key of changed) {
      Object.assign(before, { [key]: current[key] })
      Object.assign(after, { [key]: target[key] })
    }
    const edit: Edit = stored
      ? { op: 'episode.update', episode, before, after, at: target.updatedAt, beforeAt: stored.updatedAt }
      : { op: 'episode.update', episode, before, after, at: target.updatedAt }
    edits.push(edit)
    summary.episodesChanged++
  }

  // A dry run on a copy: a plan that does not apply is a bad file, reported before anything is written.
  let result: ProjectState
  try {
    result = applyEdits(state, edits)
  } catch (err) {
    if (err instanceof VivaError) throw new VivaError('IMPORT_INVALID', `the file cannot be applied to this project: ${err.message}`)
    throw err
  }
  // A merge adds to what the project has: the per-episode limit holds for the result, on the episodes the file touches.
  const touched = new Set(doc.events.map((e) => e.episode))
  const perEpisode = new Map<number, number>()
  for (const e of result.events.values()) if (touched.has(e.episode)) perEpisode.set(e.episode, (perEpisode.get(e.episode) ?? 0) + 1)
  for (const [episode, n] of [...perEpisode].sort((a, b) => a[0] - b[0])) {
    if (n > IMPORT_LIMITS.eventsPerEpisode) {
      throw new VivaError(
        'IMPORT_INVALID',
        `events: after this ${mode}, episode ${episode} would have ${count(n)} events; at most ${count(IMPORT_LIMITS.eventsPerEpisode)} per episode are imported (more cannot be reviewed on one timeline)`,
      )
    }
  }
  return { edits, summary }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
