import type { Edit, EventKind, ProjectState } from '../annotations'
import { addEventEdit, applyEdit, emptyProject, episodeEdit, saveTaxonomyEdit } from '../annotationEdits'
import type { ExportDataset } from '../exchange'
import { buildExportDocument, serializeExport } from '../exchange'

/** Fixtures shared by the export/import tests in app/ and main/ (the CSV encoding is tested in main). */
export const T0 = Date.UTC(2026, 1, 1)
export const at = (step: number): string => new Date(T0 + step * 1000).toISOString()
export const EXPORTED_AT = '2026-03-01T09:30:00.000Z'

export const dataset: ExportDataset = {
  name: 'shirts',
  root: '/data/shirts',
  format: 'v2.1',
  fps: 30,
  episodes: [
    { index: 0, length: 100, tasks: ['fold'] },
    { index: 1, length: 100, tasks: ['fold'] },
    { index: 3, length: 450, tasks: ['fold', 'pack'] },
  ],
}

/** A small project: two taxonomy versions of "fold", one of "pack", events on three episodes, two labelled. */
export function sampleProject(): ProjectState {
  let s = emptyProject()
  const apply = (edit: Edit | null): void => {
    if (edit) s = applyEdit(s, edit)
  }
  apply(saveTaxonomyEdit(s, 'fold', ['Grasp', 'Spread flat', 'Fold'], ['Grasp failure'], 'shirt-folding', at(0)))
  apply(saveTaxonomyEdit(s, 'fold', ['Grasp', 'Spread flat', 'Fold', 'Return'], ['Grasp failure', 'Drop'], null, at(1)))
  apply(saveTaxonomyEdit(s, 'pack', ['Pick', 'Close lid'], ['Box operation'], 'box-packaging', at(2)))
  const add = (id: string, episode: number, frame: number, kind: EventKind, label: string, version: number, note = ''): void =>
    apply(addEventEdit(s, { id, episode, frame, kind, label, note, annotator: 'ana', taxonomyVersion: version }, at(3)))
  add('b-1', 0, 12, 'milestone', 'Grasp', 1)
  add('a-2', 0, 40, 'error', 'Grasp failure', 1, 'slipped, then "recovered"\nsecond line')
  add('c-3', 1, 5, 'milestone', 'Return', 2)
  add('d-4', 3, 449, 'milestone', 'Close lid', 1)
  add('e-5', 3, 449, 'milestone', 'Fold', 2)
  apply(episodeEdit(s, 0, { status: 'done', outcome: 'success' }, at(4)))
  apply(episodeEdit(s, 3, { status: 'needs_review', outcome: 'failure', note: 'box torn' }, at(5)))
  return s
}

export function sampleText(): string {
  return serializeExport(buildExportDocument(sampleProject(), dataset, {}, EXPORTED_AT))
}
