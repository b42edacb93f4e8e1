import path from 'node:path'
import type { JobInfo } from '../../../app/contract'
import { parseEpisodeList } from '../../../app/episodeList'
import { VivaError } from '../../../app/errors'
import { parseCameraMap } from '../../../app/modelMapping'
import { composeServices } from '../../compose'
import { writeCurvesFile, type CurveRows } from '../../curves/exportCurves'
import { cameraSlotNames } from '../../inference/manifest'
import { modelCurveId } from '../../store/curveStore'
import { boundsHelp, defineCommand } from '../command'
import { scoreSchema, scoringOptions, scoringRequest } from '../analysisOptions'
import { meter } from '../progress'

function bar(job: JobInfo): string {
  const frac = job.framesTotal > 0 ? Math.min(1, job.framesDone / job.framesTotal) : 0
  const eta = job.etaSeconds === null ? '' : ` ETA ${Math.ceil(job.etaSeconds)} s`
  return `${meter(frac)} ${(frac * 100).toFixed(1)}% ${job.framesDone}/${job.framesTotal} frames, episode ${job.episode ?? '-'}, ${job.framesPerSecond.toFixed(1)} frames/s${eta}`
}

/**
 * `viva score`: the app's scoring job from the command line. Results go to the same cache as the app's, so an
 * interrupted run (Ctrl+C, kill) continues where it stopped when run again, and the app shows the curves at once.
 */
export const scoreCommand = defineCommand({
  name: 'score',
  synopsis:
    'score <dataset> --model DIR --out FILE.parquet|.csv|.json [--episodes 0,3-7] [--steps N] [--seed S] [--batch N]\n' +
    '      [--provider auto|cpu|cuda|tensorrt|dml|coreml] [--threads N] [--camera-map slot=camera,...] [--state-map 0-11,pad:mid,...]',
  description:
    'Score episodes with a value model (cached and resumable: run it again after an interruption); progress on\n' +
    'stderr, JSON summary on stdout. A model that cannot score the dataset (state dimension, cameras) is refused\n' +
    'before any frame, with no output file',
  options: {
    model: { type: 'string', value: 'DIR', help: 'The model package folder' },
    out: { type: 'string', value: 'FILE', help: 'A .parquet, .csv or .json curve file' },
    episodes: { type: 'string', value: 'LIST', help: 'Episodes like 0,3-7 (default all)' },
    ...scoringOptions,
    batch: { type: 'string', value: 'N', help: boundsHelp('Frames per model call', scoreSchema.batch) },
    'camera-map': { type: 'string', value: 'MAP', help: 'Model slot → dataset camera, slot=camera,...' },
    'state-map': { type: 'string', value: 'MAP', help: 'Dataset state → model state, like 0-11,pad:mid' },
  },
  async run([root], values, { dataDir }) {
    const usage =
      'usage: viva score <dataset> --model DIR --out FILE.parquet|.csv|.json [--episodes 0,3-7] [--steps N] [--seed S] [--batch N] ' +
      '[--provider auto|cpu|cuda|...] [--threads N] [--camera-map slot=camera,...] [--state-map 0-5,7,pad:0]'
    if (!root || !values.model || !values.out) throw new VivaError('INVALID_ARGUMENT', usage)
    const request = scoringRequest(values)
    const out = path.resolve(values.out)
    if (!['.parquet', '.csv', '.json'].includes(path.extname(out).toLowerCase())) {
      throw new VivaError('INVALID_ARGUMENT', `--out must end in .parquet, .csv or .json, got ${values.out}`)
    }
    // Arguments are checked before anything is opened or hashed; the limits are the contract's (score.start).
    const episodes = values.episodes ? parseEpisodeList(values.episodes) : []
    const services = composeServices({ mode: 'browser', version: 'cli', dataDir, journalJobs: false })
    try {
      const summary = await services.datasets.open(path.resolve(root))
      // Refused before hours of scoring, not after; writeCurvesFile checks again when it writes.
      await services.writeGuard.check(out)
      const pkg = await services.models.load(values.model)
      const slots = cameraSlotNames(pkg.manifest)
      const cameraMap = values['camera-map'] === undefined ? undefined : parseCameraMap(values['camera-map'], slots, summary.cameras.map((c) => c.key))
      const t0 = performance.now()
      const tty = process.stderr.isTTY === true
      let lastLine = 0
      let lastState = ''
      const off = services.events.subscribe((name, payload) => {
        if (name !== 'score.progress') return
        const job = payload as JobInfo
        const now = performance.now()
        // A live bar on a terminal; one line every 5 s in logs.
        if (tty) process.stderr.write(`\r${bar(job)}\u001b[K`)
        else if (now - lastLine > 5000 || job.state !== lastState) {
          process.stderr.write(`${bar(job)} (${job.state})\n`)
          lastLine = now
          lastState = job.state
        }
      })
      // Refused here, before any frame is scored and before any output exists, when the model cannot score the dataset.
      const job = await services.scoring.start({
        datasetId: summary.id,
        modelId: pkg.id,
        episodes,
        ...request,
        ...(cameraMap !== undefined ? { cameras: cameraMap } : {}),
        ...(values['state-map'] !== undefined ? { stateMap: values['state-map'] } : {}),
      })
      for (const w of job.warnings) process.stderr.write(`viva: warning: ${w}\n`)
      const interrupt = (): void => {
        services.scoring.cancel(job.id)
      }
      process.once('SIGINT', interrupt)
      process.once('SIGTERM', interrupt)
      const end = await services.scoring.wait(job.id)
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
      off()
      if (tty) process.stderr.write('\n')
      const seconds = (performance.now() - t0) / 1000
      if (end.provider?.fallbackReason) process.stderr.write(`viva: running on ${end.provider.active}: ${end.provider.fallbackReason}\n`)
      for (const e of end.episodeErrors) process.stderr.write(`viva: episode ${e.episode} not scored: ${e.error.message}\n`)
      if (end.state === 'cancelled') {
        process.stderr.write(`viva: interrupted after ${end.framesDone}/${end.framesTotal} frames; run the same command again to continue\n`)
        return 130
      }
      if (end.state === 'failed') throw new VivaError(end.error?.code ?? 'INTERNAL', end.error?.message ?? 'scoring failed', end.error?.file)

      const m = pkg.manifest
      const params = end.params
      if (!params) throw new VivaError('INTERNAL', 'the scoring job has no parameters')
      const rows: CurveRows[] = []
      const curveWarnings: { episode: number; warnings: string[] }[] = []
      for (const episode of end.episodes) {
        if (end.episodeErrors.some((e) => e.episode === episode)) continue
        const source = services.datasets.get(summary.id)
        const data = await source.loadEpisode(episode)
        const curve = services.curves.get(modelCurveId(pkg.id, summary.id, episode, params))
        if (curve.info.length !== data.length) throw new VivaError('INTERNAL', `curve of episode ${episode} has ${curve.info.length} frames, the episode ${data.length}`)
        rows.push({ episode, values: curve.values, future: curve.future })
        if (curve.info.warnings.length > 0) {
          curveWarnings.push({ episode, warnings: curve.info.warnings })
          for (const w of curve.info.warnings) process.stderr.write(`viva: warning: episode ${episode}: ${w}\n`)
        }
      }
      // Never an empty file that looks like a result.
      if (rows.length === 0) throw new VivaError('INVALID_ARGUMENT', 'no episode was scored; nothing written')
      const written = await writeCurvesFile(out, rows, {
        model: m.name,
        modelId: pkg.id,
        convention: 'progress',
        steps: end.steps,
        seed: end.seed,
        futureNames: m.kind === 'viva-flow' ? m.state.names : [],
        futureOffset: m.kind === 'viva-flow' ? m.K : 0,
      }, services.writeGuard)
      const computed = end.framesDone - end.framesResumed
      const summaryJson = {
        dataset: summary.root,
        out,
        rows: written.rows,
        episodes: rows.length,
        episodeErrors: end.episodeErrors,
        frames: end.framesDone,
        framesComputed: computed,
        framesFromCache: end.framesResumed,
        seconds: Math.round(seconds * 100) / 100,
        framesPerSecond: seconds > 0 ? Math.round((computed / seconds) * 10) / 10 : 0,
        provider: end.provider?.active ?? null,
        providerRequested: request.provider,
        fallbackReason: end.provider?.fallbackReason ?? null,
        threads: end.provider?.threads ?? null,
        model: m.name,
        modelHash: pkg.id,
        kind: m.kind,
        steps: end.steps,
        seed: end.seed,
        cameras: Object.fromEntries(slots.map((slot, i) => [slot, params.cameras[i] ?? null])),
        stateMap: params.stateMap ?? null,
        warnings: end.warnings,
        curveWarnings,
      }
      process.stdout.write(`${JSON.stringify(summaryJson, null, 2)}\n`)
      return end.episodeErrors.length > 0 ? 2 : 0
    } finally {
      await services.dispose()
    }
  },
})
