/** Contract, render domain: an MP4 of an episode range with its cameras tiled and the value figure under them. */
import { z } from 'zod'
import { datasetId, episodeIndex, filePath } from './common'

export const RENDER_BOUNDS = { minTileHeight: 64, maxTileHeight: 1080, maxCameras: 16, maxCurves: 24 } as const

export const renderVideoSchema = z
  .object({
    datasetId,
    episode: episodeIndex,
    /** Inclusive frame range; default the whole episode. */
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    /** Camera keys or short names, in tile order; default every camera with a video. */
    cameras: z.array(z.string().min(1).max(200)).min(1).max(RENDER_BOUNDS.maxCameras).optional(),
    /** Curves of the episode by id or name; default every complete curve; [] for none (then no plot unless events). */
    curves: z.array(z.string().min(1).max(500)).max(RENDER_BOUNDS.maxCurves).optional(),
    /** Draw the episode's annotated events (default true). */
    events: z.boolean().optional(),
    tileHeight: z.number().int().min(RENDER_BOUNDS.minTileHeight).max(RENDER_BOUNDS.maxTileHeight).optional(),
    out: filePath,
    /** Echoed in render.progress so a window can tell its render from another's. */
    token: z.string().max(64).optional(),
  })
  .strict()

export interface RenderVideoResult {
  file: string
  frames: number
  fps: number
  width: number
  height: number
  cameras: string[]
  curves: string[]
}

export interface RenderProgress {
  token: string | null
  done: number
  total: number
}

export const renderMethodSchemas = {
  'render.video': renderVideoSchema,
} as const

export interface RenderMethodResults {
  'render.video': RenderVideoResult
}
