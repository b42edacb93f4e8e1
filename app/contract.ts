/**
 * THE contract between the main side and the renderer. Method names, their parameter schemas, result types and
 * pushed events are declared here once; the Electron binding, the WebSocket server and every client derive from
 * this map, so no channel string exists anywhere else. Each domain declares its own part in app/contract/<domain>.ts;
 * this module is the one public entry and joins them.
 */
import type { z } from 'zod'
import type { CurveChunk } from './curves'
import type { EventName, Method } from './names'
import { analysisMethodSchemas, type AnalysisMethodResults } from './contract/analysis'
import { annotationMethodSchemas, type AnnotationMethodResults } from './contract/annotations'
import type { MediaRef } from './contract/common'
import { curveMethodSchemas, type CurveMethodResults } from './contract/curves'
import { datasetMethodSchemas, type DatasetMethodResults, type MediaProgress } from './contract/datasets'
import { modelMethodSchemas, type JobInfo, type ModelMethodResults } from './contract/models'
import { pipelineMethodSchemas, type PipelineMethodResults, type PipelineProgress } from './contract/pipelines'
import { renderMethodSchemas, type RenderMethodResults, type RenderProgress } from './contract/render'
import type { AppCommand, ShellNotice, ShellNoticePayloads } from './contract/shell'

export { EVENT_NAMES, isEventName, isMethod, METHOD_NAMES } from './names'
export type { EventName, Method } from './names'
export { exportFiltersSchema } from './exchange'
export type { ExportFilters } from './exchange'
export * from './contract/analysis'
export * from './contract/annotations'
export type { MediaRef } from './contract/common'
export * from './contract/curves'
export * from './contract/datasets'
export * from './contract/models'
export * from './contract/pipelines'
export * from './contract/render'
export * from './contract/shell'

export const methodSchemas = {
  ...datasetMethodSchemas,
  ...annotationMethodSchemas,
  ...modelMethodSchemas,
  ...curveMethodSchemas,
  ...analysisMethodSchemas,
  ...renderMethodSchemas,
  ...pipelineMethodSchemas,
} as const satisfies Record<Method, z.ZodType>

export interface MethodResults
  extends DatasetMethodResults,
    AnnotationMethodResults,
    ModelMethodResults,
    CurveMethodResults,
    AnalysisMethodResults,
    RenderMethodResults,
    PipelineMethodResults {}

export interface EventPayloads {
  'media.progress': MediaProgress
  /** The project changed (an import, another window): windows other than `origin` reload it. */
  'annotations.changed': { datasetId: string; origin: string | null }
  /** A scoring job changed state or made progress (at most a few times per second). */
  'score.progress': JobInfo
  /**
   * New values of a curve being computed. Lossy under backpressure: a renderer that sees a gap (start beyond what
   * it has) fetches the curve again with curves.get; the values are on disk already.
   */
  'score.chunk': CurveChunk
  /** Curves of a dataset were added, finished or deleted. */
  'curves.changed': { datasetId: string; episode: number | null }
  /** A command from the desktop app's menu or launcher (Electron only; browser mode never sends it). */
  'app.command': AppCommand
  /** Frames of an episode video written so far (render.video). */
  'render.progress': RenderProgress
  /** Files of a dataset copy written so far (pipelines.export). */
  'pipelines.progress': PipelineProgress
}

// Compile-time proof that the name lists, results and payloads describe the same methods and events.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const _resultsMatchMethods: SameKeys<keyof MethodResults, Method> = true
export const _payloadsMatchEvents: SameKeys<keyof EventPayloads, EventName> = true

export type Params<M extends Method> = z.infer<(typeof methodSchemas)[M]>
export type Result<M extends Method> = MethodResults[M]

/** What the renderer sees of the main side, whatever the transport. */
export interface VivaClient {
  call<M extends Method>(method: M, params: Params<M>, signal?: AbortSignal): Promise<Result<M>>
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void
  mediaUrl(ref: MediaRef): string
  /** Tell the desktop shell about the page (no answer). Optional: test doubles leave it out. */
  notify?<N extends ShellNotice>(name: N, payload: ShellNoticePayloads[N]): void
}
