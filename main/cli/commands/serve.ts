import path from 'node:path'
import { VivaError } from '../../../app/errors'
import { openInitialDatasets } from '../../compose'
import { openDemo } from '../../demo'
import { RENDERER_DIST } from '../../paths'
import { startServer, type RunningServer } from '../../server/server'
import { reattachPendingMessage } from '../../store/projectIndex'
import { countOption, defineCommand, type CliContext } from '../command'

export const portOption = { type: 'string', value: 'N', help: 'Port on 127.0.0.1 (default: a free one)' } as const

/** Browser mode: the app served on 127.0.0.1 until a signal; `demo` opens the built-in demo dataset. */
export async function serve(roots: string[] | 'demo', port: string | undefined, ctx: CliContext): Promise<number> {
  const portNumber = countOption(port, 'port')
  const services = await ctx.services()
  // From here on, however the process ends, the ffmpeg it started ends with it: a signal stops the server and kills
  // them (a second one does not wait), and the 'exit' hook covers an uncaught error.
  let server: RunningServer | null = null
  let stopping = false
  const stop = (): void => {
    if (stopping) {
      services.children.killAll()
      process.exit(130)
    }
    stopping = true
    void (server?.close() ?? Promise.resolve())
      .then(() => services.dispose())
      .finally(() => process.exit(0))
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)
  process.once('exit', () => services.children.killAll())

  if (roots === 'demo') await openDemo(services, ctx.dataDir)
  else {
    // A bad folder among several does not keep the others from opening; each one that fails is named with why.
    let failed = 0
    for (const root of roots) {
      // A folder, or a repo id found in the local Hugging Face cache (DatasetService resolves it).
      await openInitialDatasets(services, [root]).catch((err: unknown) => {
        failed++
        const why = err instanceof Error ? err.message : String(err)
        process.stderr.write(`viva: not opened: ${why.includes(path.resolve(root)) ? why : `${root}: ${why}`}\n`)
      })
    }
    if (roots.length > 0 && failed === roots.length) {
      await services.dispose()
      throw new VivaError('NOT_A_DATASET', roots.length === 1 ? 'nothing to serve.' : `none of the ${roots.length} datasets could be opened.`)
    }
  }
  for (const id of services.initialDatasets) {
    const offer = services.projects.reattachOffer(id)
    if (offer) process.stderr.write(`viva: ${services.datasets.get(id).summary.root}: ${reattachPendingMessage(offer)}\n`)
  }
  // After the named datasets, so a resumed job's dataset does not jump ahead of them in the list.
  await services.resumeJobs()
  server = await startServer({ services, staticDir: RENDERER_DIST, ...(portNumber !== undefined ? { port: portNumber } : {}) })
  process.stdout.write(`ViVa Studio is running in browser mode.\nOpen: ${server.url}\n(Ctrl+C to stop)\n`)
  return -1
}

export const serveCommand = defineCommand({
  name: 'serve',
  synopsis: 'serve [dataset ...] [--port N]',
  description:
    'Browser mode: serve the app on 127.0.0.1 (prints a URL with a session token); a dataset is a folder or a\n' +
    'Hugging Face repo id (org/name[@revision]) found in the local cache ($HF_LEROBOT_HOME, $HF_HOME/lerobot, the\n' +
    'hub cache)',
  options: { port: portOption },
  run: (roots, values, ctx) => serve(roots, values.port, ctx),
})
