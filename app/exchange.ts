/**
 * The canonical export/import format for annotations (`viva-studio/annotations`, version 1) and the CSV view of
 * its events: the public entry. The format is defined by the zod schemas in `exchange/schema.ts` (the shipped JSON
 * Schema `app/schema/viva-annotations.v1.schema.json` is generated from them, and RPC parameters carrying edits are
 * validated with `editSchema`); `exchange/export.ts` builds documents, `exchange/parse.ts` reads and checks them,
 * `exchange/plan.ts` turns them into edits.
 *
 * An export is deterministic (episodes by index, events by episode, frame and id, taxonomies by task and version;
 * fixed key order), so export → import → export reproduces the file byte for byte.
 */
export { EXPORT_SCHEMA_NAME, EXPORT_SCHEMA_VERSION, IMPORT_LIMITS, MAX_IMPORT_BYTES, _schemasMatchModel, annotationEventSchema, editSchema, episodeLabelsSchema, exportDocumentSchema, exportFiltersSchema, exportJsonSchemaText, exportedEventSchema, taxonomySchema } from './exchange/schema'
export type { ExportDataset, ExportDocument, ExportFilters, ExportedEvent } from './exchange/schema'
export { CSV_HEADER, buildExportDocument, eventsCsvRows, selectEpisodes, serializeExport } from './exchange/export'
export { checkAgainstDataset, compareDatasetIdentity, formatPath, parseImportDocument } from './exchange/parse'
export type { DatasetIdentityShape, DatasetShape, IdentityCheck } from './exchange/parse'
export { planImport } from './exchange/plan'
export type { ImportMode, ImportPlan, ImportPlanSummary } from './exchange/plan'
