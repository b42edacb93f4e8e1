/** Schema pieces several domains of the contract share (ids, indices, time spans). */
import { z } from 'zod'
import { MAX_SPAN_FRAMES, MAX_SPAN_SECONDS } from '../timeSpan'

export const datasetId = z.string().min(1).max(200)
export const modelId = z.string().min(1).max(200)
export const curveId = z.string().min(1).max(300)
export const episodeIndex = z.number().int().nonnegative()
export const featureKey = z.string().min(1).max(500)
export const filePath = z.string().min(1).max(4096)

/** A window as a duration (scaled by the dataset's fps) or an exact frame count (app/timeSpan.ts). */
export const timeSpan = z.union([
  z.object({ seconds: z.number().gt(0).max(MAX_SPAN_SECONDS) }).strict(),
  z.object({ frames: z.number().int().min(1).max(MAX_SPAN_FRAMES) }).strict(),
])

/** A file the main side is willing to serve: `path` is relative to the registered root `rootId`. */
export interface MediaRef {
  rootId: string
  path: string
}
