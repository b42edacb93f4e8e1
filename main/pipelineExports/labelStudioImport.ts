/**
 * Label Studio timelines (parsed by labelStudio.ts), and SARM annotations read back (sarmImport.ts), as edits of a project: each region's end becomes a milestone
 * (annotator "label-studio", the task's current taxonomy version), applied in one transaction by the project store.
 * merge adds the milestones the project does not have yet (same episode, frame and label: kept); replace makes each
 * episode of the file hold exactly the file's milestones (its errors and other episodes untouched). A label the
 * task's taxonomy does not list is imported as written and reported, never added to the taxonomy.
 */
import type { AnnotationEvent, Edit, ProjectState } from '../../app/annotations'
import { applyEdits, latestTaxonomy } from '../../app/annotationEdits'
import type { ImportMode, LabelStudioImportSummary } from '../../app/contract'
import { VivaError } from '../../app/errors'
import type { LabelStudioImport } from './labelStudio'

export const LABEL_STUDIO_ANNOTATOR = 'label-studio'

export interface LabelStudioImportPlan {
  edits: Edit[]
  summary: Omit<LabelStudioImportSummary, 'dryRun' | 'mode'>
}

export function planLabelStudioImport(
  file: string,
  state: ProjectState,
  imported: LabelStudioImport,
  taskOf: (episode: number) => string,
  mode: ImportMode,
  at: string,
  newId: () => string,
  /** Who the milestones are from (SARM annotations read back use "sarm"). */
  annotator: string = LABEL_STUDIO_ANNOTATOR,
): LabelStudioImportPlan {
  const edits: Edit[] = []
  let added = 0
  let removed = 0
  let kept = 0
  const unknown = new Set<string>()
  const key = (e: { frame: number; label: string }): string => `${e.frame}\u0000${e.label}`
  for (const episode of imported.annotatedEpisodes) {
    const task = taskOf(episode)
    const taxonomy = latestTaxonomy(state, task)
    if (!taxonomy) {
      throw new VivaError('IMPORT_INVALID', `${file}: episode ${episode}'s task "${task}" has no taxonomy yet; save one for it (T in the player) so the imported milestones have a taxonomy version, then import again`, file)
    }
    const wanted = imported.milestones.filter((m) => m.episode === episode)
    const have = [...state.events.values()].filter((e) => e.episode === episode && e.kind === 'milestone')
    const haveKeys = new Set(have.map(key))
    const wantedKeys = new Set(wanted.map(key))
    if (mode === 'replace') {
      for (const e of have.sort((a, b) => a.frame - b.frame || a.id.localeCompare(b.id))) {
        if (wantedKeys.has(key(e))) continue
        edits.push({ op: 'event.delete', event: e })
        removed++
      }
    }
    const addedKeys = new Set<string>()
    for (const m of wanted) {
      if (!taxonomy.milestones.includes(m.label)) unknown.add(m.label)
      // A milestone the project has, or one the file lists twice, is added once.
      if (haveKeys.has(key(m)) || addedKeys.has(key(m))) {
        if (haveKeys.has(key(m))) kept++
        continue
      }
      addedKeys.add(key(m))
      const event: AnnotationEvent = {
        id: newId(),
        episode,
        frame: m.frame,
        kind: 'milestone',
        label: m.label,
        note: '',
        annotator,
        taxonomyVersion: taxonomy.version,
        createdAt: at,
        updatedAt: at,
      }
      edits.push({ op: 'event.add', event })
      added++
    }
  }
  // A dry run on a copy: what does not apply is refused before anything is written.
  try {
    applyEdits(state, edits)
  } catch (err) {
    if (err instanceof VivaError) throw new VivaError('IMPORT_INVALID', `${file}: the milestones cannot be applied to this project: ${err.message}`, file)
    throw err
  }
  return {
    edits,
    summary: {
      episodes: imported.annotatedEpisodes.length,
      milestonesAdded: added,
      milestonesRemoved: removed,
      milestonesKept: kept,
      unknownLabels: [...unknown].sort(),
      ignoredResults: imported.ignoredResults,
      unannotatedTasks: imported.unannotatedTasks,
    },
  }
}
