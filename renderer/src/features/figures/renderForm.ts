/**
 * The "Render video…" form: what it starts with for the open episode, and the render.video call it makes, with a
 * message naming the field when a value cannot be used (the main side checks again; this says it before a call).
 */
import { RENDER_BOUNDS, type EpisodeView, type Params } from '../../../../app/contract'
import type { CurveInfo } from '../../../../app/curves'
import { VivaError } from '../../../../app/errors'
import { withExtension } from '../annotations/exportTarget'

export type RenderRequest = Omit<Params<'render.video'>, 'token'>

export interface RenderForm {
  /** Camera keys to tile, in the episode's order. */
  cameras: string[]
  /** Curve ids to draw under the tiles. */
  curves: string[]
  events: boolean
  /** As typed: whole frame numbers. */
  from: string
  to: string
  tileHeight: string
  out: string
}

export const DEFAULT_TILE_HEIGHT = 240

/** Cameras whose video can be read (a missing or unreadable file cannot be rendered). */
export function renderableCameras(episode: Pick<EpisodeView, 'cameras'>): string[] {
  return episode.cameras.filter((c) => c.status !== 'missing' && c.status !== 'failed').map((c) => c.key)
}

/**
 * Every camera with a video, the curves the plot shows, events on, the zoomed frames (else the whole episode), the
 * MP4 written beside the dataset folder (never inside it: the main side refuses that).
 */
export function defaultRenderForm(
  episode: Pick<EpisodeView, 'index' | 'length' | 'cameras'>,
  shownCurves: readonly CurveInfo[],
  zoom: readonly [number, number] | null,
  datasetRoot: string,
): RenderForm {
  const [from, to] = zoom ?? [0, episode.length - 1]
  return {
    cameras: renderableCameras(episode),
    curves: shownCurves.map((c) => c.id),
    events: true,
    from: String(from),
    to: String(to),
    tileHeight: String(DEFAULT_TILE_HEIGHT),
    out: `${datasetRoot.replace(/[\\/]+$/, '')}-episode-${episode.index}.mp4`,
  }
}

function wholeNumber(text: string, what: string): number {
  const t = text.trim()
  if (!/^\d+$/.test(t)) throw new VivaError('INVALID_ARGUMENT', `${what} must be a whole number (got "${t}")`)
  return Number(t)
}

/** The render.video call of a form for episode `episode` of `datasetId`; throws a VivaError naming what is wrong. */
export function renderRequest(form: RenderForm, at: { datasetId: string; episode: number; length: number }): RenderRequest {
  if (form.cameras.length === 0) throw new VivaError('INVALID_ARGUMENT', 'Pick at least one camera to render')
  const last = at.length - 1
  const from = wholeNumber(form.from, 'First frame')
  const to = wholeNumber(form.to, 'Last frame')
  if (from > last) throw new VivaError('INVALID_ARGUMENT', `First frame ${from} is past the episode's last frame ${last}`)
  if (to > last) throw new VivaError('INVALID_ARGUMENT', `Last frame ${to} is past the episode's last frame ${last}`)
  if (to < from) throw new VivaError('INVALID_ARGUMENT', `Last frame ${to} is before first frame ${from}`)
  const tileHeight = wholeNumber(form.tileHeight, 'Tile height')
  const { minTileHeight, maxTileHeight } = RENDER_BOUNDS
  if (tileHeight < minTileHeight || tileHeight > maxTileHeight) {
    throw new VivaError('INVALID_ARGUMENT', `Tile height must be from ${minTileHeight} to ${maxTileHeight} pixels (got ${tileHeight})`)
  }
  const out = form.out.trim()
  if (out === '') throw new VivaError('INVALID_ARGUMENT', 'Type the path of the MP4 to write')
  return {
    datasetId: at.datasetId,
    episode: at.episode,
    from,
    to,
    cameras: [...form.cameras],
    curves: [...form.curves],
    events: form.events,
    tileHeight,
    out: withExtension(out, 'mp4'),
  }
}
