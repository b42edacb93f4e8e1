import path from 'node:path'
import { renderVideoSchema, type RenderProgress } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { countProgress } from '../progress'
import { boundsHelp, defineCommand, intOption } from '../command'

const shape = renderVideoSchema.shape

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/**
 * `viva render`: the app's render.video from the command line (the same handler, so the app and the CLI make the
 * same video): the episode's cameras tiled over the frame range, its stored curves and annotated events underneath.
 */
export const renderCommand = defineCommand({
  name: 'render',
  synopsis: 'render <dataset> --episode N --out FILE.mp4 [--cameras a,b] [--curves NAME,...|none] [--from F --to F] [--tile-height PX] [--no-events]',
  description:
    'Write an MP4 of an episode (or a frame range of it) for talks and papers: the chosen cameras side by side,\n' +
    'the value curves stored for it (scored or imported in the app, or with viva score) and its annotated events\n' +
    'underneath, with a cursor on the frame shown; at the dataset\'s fps, one video frame per episode frame',
  options: {
    episode: { type: 'string', value: 'N', help: 'The episode' },
    out: { type: 'string', value: 'FILE.mp4', help: 'The video to write (never inside the dataset)' },
    cameras: { type: 'string', value: 'LIST', help: 'Cameras in tile order, keys or short names (default all)' },
    curves: { type: 'string', value: 'LIST', help: 'Curves by name or id, or "none" (default every complete curve of the episode)' },
    from: { type: 'string', value: 'F', help: 'First frame (default 0)' },
    to: { type: 'string', value: 'F', help: 'Last frame, inclusive (default the last)' },
    'tile-height': { type: 'string', value: 'PX', help: boundsHelp('Height of each camera tile, default 240', shape.tileHeight) },
    'no-events': { type: 'boolean', help: 'Leave the annotated events out of the plot' },
  },
  async run([root], values, ctx) {
    const usage = `usage: viva ${renderCommand.synopsis}`
    if (!root || values.episode === undefined || !values.out) throw new VivaError('INVALID_ARGUMENT', usage)
    const out = path.resolve(values.out)
    if (path.extname(out).toLowerCase() !== '.mp4') throw new VivaError('INVALID_ARGUMENT', `--out must end in .mp4, got ${values.out}`)
    const episode = intOption(values.episode, 'episode', shape.episode)
    const from = intOption(values.from, 'from', shape.from)
    const to = intOption(values.to, 'to', shape.to)
    const tileHeight = intOption(values['tile-height'], 'tile-height', shape.tileHeight)
    const curves = values.curves?.trim().toLowerCase() === 'none' ? [] : list(values.curves)
    const cameras = list(values.cameras)
    const services = await ctx.services()
    const progress = countProgress(process.stderr, 'rendered', 'frames')
    const off = services.events.subscribe((name, payload) => {
      if (name !== 'render.progress') return
      const p = payload as RenderProgress
      progress.update(p.done, p.total)
    })
    const ctl = new AbortController()
    const stop = (): void => ctl.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const summary = await services.datasets.open(path.resolve(root))
      const params = renderVideoSchema.parse({
        datasetId: summary.id,
        episode,
        out,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(tileHeight !== undefined ? { tileHeight } : {}),
        ...(cameras && cameras.length > 0 ? { cameras } : {}),
        ...(curves !== undefined ? { curves } : {}),
        ...(values['no-events'] ? { events: false } : {}),
      })
      const result = await services.handlers['render.video'](params, { signal: ctl.signal })
      progress.finish()
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return 0
    } finally {
      off()
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await services.dispose()
    }
  },
})
