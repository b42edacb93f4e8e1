/**
 * Applying, inverting and building annotation edits, the undo history, and the read-only queries the UI needs
 * (app/edits/*). Pure: states are never mutated (a new state shares whatever an edit did not touch), and time only
 * enters as the `at` a caller passes in, so the renderer, the store and tests all compute the same result from the
 * same edits.
 */
export { ISO_TIMESTAMP_PATTERN, isIsoTimestamp, sameTaxonomy, eventDifferences, validateEdit, updatedEpisodeLabels, eventPatchKeys } from './edits/validate'
export { emptyProject, applyEdit, applyEdits, invertEdit } from './edits/apply'
export { addEventEdit, moveEventEdit, relabelEventEdit, noteEventEdit, deleteEventEdit, episodeEdit, saveTaxonomyEdit } from './edits/builders'
export type { NewEvent } from './edits/builders'
export { isSuggestionStep, invertStep, UndoHistory } from './edits/undo'
export type { SuggestionStep, UndoStep } from './edits/undo'
export { compareEvents, eventsOfEpisode, nextEvent, prevEvent, latestTaxonomy, taxonomyVersion, episodeLabels, taskSummary } from './edits/queries'
export type { EpisodeLabelsView, TaskSummary } from './edits/queries'
