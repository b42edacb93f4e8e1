import type { RenderVideoResult } from '../../app/contract/render'
import type { renderVideoSchema } from '../../app/contract/render'
import { toDisplay, type CurveInfo } from '../../app/curves'
import { VivaError } from '../../app/errors'
import type { FigureEvent, FigureSeries } from '../../app/figures/valueFigure'
import type { z } from 'zod'
import type { DatasetService } from '../datasets/service'
import type { AnnotationProjects } from '../store/projects'
import type { CurveStore } from '../store/curveStore'
import type { VideoProbe } from '../video/probe'
import type { MediaTools } from '../video/tools'
import type { WriteGuard } from '../writeGuard'
import { renderEpisodeVideo } from './episodeVideo'

export type RenderVideoParams = z.infer<typeof renderVideoSchema>

export interface RenderServiceDeps {
  datasets: Pick<DatasetService, 'get'>
  projects: Pick<AnnotationProjects, 'snapshot'>
  curves: Pick<CurveStore, 'list' | 'get'>
  tools: MediaTools
  probe: (file: string, signal?: AbortSignal) => Promise<VideoProbe>
  guard: WriteGuard
}

/** The curves asked for by id or name (default: every complete curve of the episode), in the progress convention. */
export function pickCurves(infos: readonly CurveInfo[], asked: readonly string[] | undefined, episode: number): CurveInfo[] {
  if (asked === undefined) return infos.filter((c) => c.complete)
  return asked.map((ref) => {
    const hit = infos.find((c) => c.id === ref) ?? infos.find((c) => c.name === ref)
    if (!hit) {
      const known = infos.map((c) => c.name).join(', ') || 'none'
      throw new VivaError('INVALID_ARGUMENT', `Episode ${episode} has no curve "${ref}" (its curves: ${known})`)
    }
    return hit
  })
}

/** render.video for the app and `viva render`: the dataset's episode, its stored curves and annotated events. */
export class RenderService {
  constructor(private readonly deps: RenderServiceDeps) {}

  async video(p: RenderVideoParams, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<RenderVideoResult> {
    const source = this.deps.datasets.get(p.datasetId)
    const infos = pickCurves(this.deps.curves.list(p.datasetId, p.episode), p.curves, p.episode)
    const curves: FigureSeries[] = infos.map((info) => {
      const data = this.deps.curves.get(info.id)
      return { name: info.name, values: toDisplay(data.values, info.convention, info.length) }
    })
    const events: FigureEvent[] =
      p.events === false
        ? []
        : this.deps.projects
            .snapshot(p.datasetId)
            .events.filter((e) => e.episode === p.episode)
            .map((e) => ({ kind: e.kind, frame: e.frame, label: e.label }))
    const result = await renderEpisodeVideo(
      { tools: this.deps.tools, probe: this.deps.probe, guard: this.deps.guard },
      {
        source,
        episode: p.episode,
        ...(p.cameras ? { cameras: p.cameras } : {}),
        ...(p.from !== undefined ? { from: p.from } : {}),
        ...(p.to !== undefined ? { to: p.to } : {}),
        ...(p.tileHeight !== undefined ? { tileHeight: p.tileHeight } : {}),
        curves,
        events,
        out: p.out,
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      },
    )
    return {
      file: result.file,
      frames: result.frames,
      fps: result.fps,
      width: result.layout.width,
      height: result.layout.height,
      cameras: result.cameras,
      curves: infos.map((c) => c.name),
    }
  }
}
