import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { exportFiltersSchema, type ExportFilters } from '../../app/contract'
import { VivaError } from '../../app/errors'
import { composeServices, composeWriteGuard, openInitialDatasets } from '../compose'
import { contentWarning } from '../datasets/episodeChecks'
import { inspectDataset } from '../datasets/inspect'
import { formatInspectReport } from '../datasets/inspectReport'
import type { WriterQuirks } from '../synth/lerobotWriter'
import { HfCacheLocator, resolveDatasetSpec } from '../datasets/sources'
import { writePatternDataset } from '../synth/patternDataset'
import { writeTensorCache } from '../training/tensorCache'
import { generateTaskDataset } from '../synth/taskDataset'
import { openDemo } from '../demo'
import { fsReason } from '../fsErrors'
import { READ_LIMITS, readTextFile } from '../safeRead'
import { defaultDataDir, PACKAGE_ROOT, RENDERER_DIST } from '../paths'
import { startServer, type RunningServer } from '../server/server'
import { backupDataDir } from '../store/backup'
import { ProjectIndex, reattachPendingMessage } from '../store/projectIndex'
import { reattachOfferFor } from '../store/projects'
import { VideoProber } from '../video/probe'
import { resolveMediaTools } from '../video/tools'
import { countProgress } from './progress'
import { scoreCommand } from './score'
import { advantagesCommand, metricsCommand } from './analysis'
import { detectCommand } from './detect'

const USAGE = `viva — ViVa Studio command line

  viva inspect <dataset> [--json] [--skip-content]
                                        Describe a LeRobot dataset and every problem found in it (every
                                        camera of every episode sampled for black or frozen video, unless
                                        --skip-content)
  viva serve [dataset ...] [--port N]   Browser mode: serve the app on 127.0.0.1 (prints a URL with a session token);
                                        a dataset is a folder or a Hugging Face repo id (org/name[@revision]) found
                                        in the local cache ($HF_LEROBOT_HOME, $HF_HOME/lerobot, the hub cache)
  viva demo [--port N]                  Browser mode on the built-in demo dataset (generated on first use)
  viva export <dataset> --format json|csv|lerobot --out PATH [--task T]... [--outcome O]... [--status S]...
               [--episodes A-B] [--project FILE]
                                        Write the annotations (labeled evaluation set); filters combine
  viva import <dataset> <file.json> [--mode merge|replace] [--dry-run] [--force] [--project FILE]
                                        Validate a canonical JSON export and apply it in one transaction; a file
                                        made for other data (fps, episode lengths) is refused unless --force
  viva tensors <dataset> --out DIR [--size 128] [--k K] [--labels FILE.json]
                                        Write the tensor cache the PyTorch ViVa training reads (models/viva)
  viva score <dataset> --model DIR --out FILE.parquet|.csv|.json [--episodes 0,3-7] [--steps N] [--seed S]
               [--batch N] [--provider auto|cpu|cuda|tensorrt|dml|coreml] [--threads N]
               [--camera-map slot=camera,...] [--state-map 0-11,pad:mid,...]
                                        Score episodes with a value model (cached and resumable: run it again
                                        after an interruption); progress on stderr, JSON summary on stdout.
                                        A model that cannot score the dataset (state dimension, cameras) is
                                        refused before any frame, with no output file
  viva metrics <dataset> --annotations FILE.json --values FILE|DIR [--window 0.167s|5f] [--variant relative|absolute] [--json]
                                        The paper's metrics (Pearson, Spearman, VOC, MS, ES, MDR, ErrDR) per task
                                        and value curve series, from an annotation export and curve files; the ERS
                                        window in seconds (scaled by the dataset's fps; default 1/6 s: 5 frames at
                                        30 fps; the paper does not state w) or exact frames; the frames used are printed
  viva advantages <dataset> --values FILE|DIR --annotations FILE.json --out FILE.parquet|.csv [--k K]
      [--positive-fraction 0.3] [--scope task|dataset]
                                        RECAP K-step advantages; the top 30 % of each (series, task) labelled
                                        "advantage positive" (A >= the 70th percentile, as RLinf's RECAP)
  viva detect <dataset> (--values FILE|DIR | --model DIR|NAME [--steps N] [--seed S]) --out FILE.json
      [--annotations FILE.json [--calibrate]] [--tolerance 0.5s|5f] [--window 0.5s] [--min-gap 1s] [--smoothing S]
      [--rise X|off] [--drop X|off] [--milestone-delay S] [--error-delay S]
                                        Suggested milestones and errors per episode and curve series (the value
                                        panel's detector), with precision/recall against the annotations (±0.5 s)
                                        beside the same suggestions shifted at random; --calibrate fits the
                                        settings per series on the annotated episodes, cross-validated by episode
  viva reattach <dataset> [--fresh]      A moved or renamed dataset: take over the annotations found in the project
                                        of its old path (the old file is kept), or start an empty project (--fresh)
  viva backup --out DIR [--skip-values]  Copy annotation projects, the value cache and settings out of the data
                                        folder (consistent while the app runs; restore: copy back, app closed)
  viva fixture --out DIR [--format v2.1|v2.0|v3.0] [--episodes N] [--frames N] [--fps F]
               [--codec h264|av1|mpeg4] [--width W] [--height H] [--gop N] [--state-dim N]
               [--state-key KEY] [--action-key KEY] [--extra velocity,effort] [--state-scale S]
                                        Write a test dataset whose frames show their own index
  viva generate --out DIR --episodes N --seed S [--format v2.1|v3.0] [--failure-rate P] [--fps F]
               [--width W --height H] [--codec h264|av1] [--state-scale S]
                                        Simulate a bimanual task (3 cameras) with exact ground-truth annotations

Options: --data-dir DIR (caches, demo, projects; default ${defaultDataDir()}),
         --projects-dir DIR (annotation projects; default <data-dir>/projects), -h/--help`

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

async function serve(
  roots: string[] | 'demo',
  port: number | undefined,
  dataDir: string,
  projectsDir: string | undefined,
): Promise<void> {
  const services = composeServices({ mode: 'browser', version: await version(), dataDir, ...(projectsDir ? { projectsDir } : {}) })
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

  if (roots === 'demo') await openDemo(services, dataDir)
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
  server = await startServer({ services, staticDir: RENDERER_DIST, ...(port !== undefined ? { port } : {}) })
  process.stdout.write(`ViVa Studio is running in browser mode.\nOpen: ${server.url}\n(Ctrl+C to stop)\n`)
}

/** Command-line filters → the contract's ExportFilters, validated by the same schema as the app's. */
function parseExportFilters(raw: { tasks?: string[]; outcomes?: string[]; statuses?: string[]; episodes?: string }): ExportFilters {
  const candidate: Record<string, unknown> = {}
  if (raw.tasks?.length) candidate.tasks = raw.tasks
  if (raw.outcomes?.length) candidate.outcomes = raw.outcomes
  if (raw.statuses?.length) candidate.statuses = raw.statuses
  if (raw.episodes !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(raw.episodes)
    if (!m) throw new VivaError('INVALID_ARGUMENT', `--episodes must look like 10-20 or 7, got "${raw.episodes}"`)
    candidate.episodeRange = [Number(m[1]), Number(m[2] ?? m[1])]
  }
  const parsed = exportFiltersSchema.safeParse(candidate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new VivaError('INVALID_ARGUMENT', `Invalid filter ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)
  }
  return parsed.data
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new VivaError('INVALID_ARGUMENT', `--${name} must be a non-negative integer, got "${value}"`)
  return n
}

/** `--state-key`, `--action-key`, `--extra`, `--state-scale` of the dataset generators, as writer quirks. */
function vectorQuirks(v: { 'state-key'?: string; 'action-key'?: string; extra?: string; 'state-scale'?: string }): WriterQuirks {
  const quirks: WriterQuirks = {}
  if (v['state-key'] !== undefined || v['action-key'] !== undefined) {
    quirks.vectorKeys = { ...(v['state-key'] !== undefined ? { state: v['state-key'] } : {}), ...(v['action-key'] !== undefined ? { action: v['action-key'] } : {}) }
  }
  if (v.extra !== undefined) {
    const kinds = v.extra.split(',').map((k) => k.trim()).filter((k) => k !== '')
    const bad = kinds.find((k) => k !== 'velocity' && k !== 'effort')
    if (bad !== undefined) throw new VivaError('INVALID_ARGUMENT', `--extra takes velocity and/or effort, got "${bad}"`)
    quirks.extraVectors = kinds as ('velocity' | 'effort')[]
  }
  if (v['state-scale'] !== undefined) {
    const scale = Number(v['state-scale'])
    if (!Number.isFinite(scale) || scale === 0) throw new VivaError('INVALID_ARGUMENT', `--state-scale must be a non-zero number, got "${v['state-scale']}"`)
    quirks.stateScale = scale
  }
  return quirks
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      episodes: { type: 'string' },
      frames: { type: 'string' },
      fps: { type: 'string' },
      codec: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      gop: { type: 'string' },
      'projects-dir': { type: 'string' },
      project: { type: 'string' },
      task: { type: 'string', multiple: true },
      outcome: { type: 'string', multiple: true },
      status: { type: 'string', multiple: true },
      mode: { type: 'string' },
      'dry-run': { type: 'boolean' },
      size: { type: 'string' },
      k: { type: 'string' },
      labels: { type: 'string' },
      seed: { type: 'string' },
      'failure-rate': { type: 'string' },
      model: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      provider: { type: 'string' },
      threads: { type: 'string' },
      annotations: { type: 'string' },
      values: { type: 'string' },
      window: { type: 'string' },
      variant: { type: 'string' },
      percentile: { type: 'string' },
      'positive-fraction': { type: 'string' },
      scope: { type: 'string' },
      'skip-values': { type: 'boolean' },
      calibrate: { type: 'boolean' },
      tolerance: { type: 'string' },
      'min-gap': { type: 'string' },
      smoothing: { type: 'string' },
      rise: { type: 'string' },
      drop: { type: 'string' },
      'milestone-delay': { type: 'string' },
      'error-delay': { type: 'string' },
      fresh: { type: 'boolean' },
      'camera-map': { type: 'string' },
      'state-map': { type: 'string' },
      'state-dim': { type: 'string' },
      'state-key': { type: 'string' },
      'action-key': { type: 'string' },
      extra: { type: 'string' },
      'state-scale': { type: 'string' },
      force: { type: 'boolean' },
      'skip-content': { type: 'boolean' },
    },
  })
  const [command, ...args] = positionals
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return command === undefined && !values.help ? 1 : 0
  }
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir()
  const projectsDir = values['projects-dir'] ? path.resolve(values['projects-dir']) : undefined
  const port = intOption(values.port, 'port')
  /** The write guard of a command that writes without the services; `datasets` are the ones it reads. */
  const guardFor = (...datasets: (string | undefined)[]) =>
    composeWriteGuard({ dataDir, ...(projectsDir ? { projectsDir } : {}), datasets: () => datasets.flatMap((d) => (d ? [path.resolve(d)] : [])) })

  /** Services for one dataset from the command line (export/import), with an optional explicit project file. */
  const openForAnnotations = async (root: string | undefined, usage: string) => {
    if (!root) throw new VivaError('INVALID_ARGUMENT', usage)
    const services = composeServices({ mode: 'browser', version: await version(), dataDir, ...(projectsDir ? { projectsDir } : {}) })
    const summary = await services.datasets.open(root)
    if (values.project) services.projects.setProjectFile(summary.id, values.project)
    return { services, summary }
  }
  switch (command) {
    case 'inspect': {
      const root = args[0]
      if (!root) throw new VivaError('INVALID_ARGUMENT', 'usage: viva inspect <dataset> [--json] [--skip-content]')
      const tools = resolveMediaTools()
      const prober = new VideoProber(tools)
      const progress = countProgress(process.stderr, 'probed', 'video files')
      const sampled = countProgress(process.stderr, 'checked', 'camera episodes for black or frozen video')
      const { root: folder, via } = await resolveDatasetSpec(root, [new HfCacheLocator(process.env)])
      if (via !== null) process.stderr.write(`viva: ${root}: found in ${via}: ${folder}\n`)
      const report = await inspectDataset(
        folder,
        async (file) => {
          const p = await prober.probe(file)
          return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length, pts: p.pts }
        },
        {
          onProbeProgress: (done, total) => {
            progress.update(done, total)
            if (done === total) progress.finish()
          },
          ...(values['skip-content']
            ? {}
            : {
                content: {
                  check: (t) => contentWarning(tools, t.fps, t.episode, t, t.pts),
                  onProgress: (done, total) => sampled.update(done, total),
                },
              }),
        },
      )
      sampled.finish()
      // Where this dataset's annotations are, if they wait in the project of another path (a moved folder).
      const dir = projectsDir ?? path.join(dataDir, 'projects')
      const reattach = reattachOfferFor(new ProjectIndex(dir), dir, report)
      if (values.json) process.stdout.write(`${JSON.stringify({ ...report, reattach }, null, 2)}\n`)
      else process.stdout.write(`${formatInspectReport(report)}\n${reattach ? `  annotations  ${reattachPendingMessage(reattach)}\n` : ''}`)
      return 0
    }
    case 'reattach': {
      const usage = 'usage: viva reattach <dataset> [--fresh]'
      const { services, summary } = await openForAnnotations(args[0], usage)
      try {
        const offer = services.projects.reattachOffer(summary.id)
        if (values.fresh) {
          await services.reattach(summary.id, 'fresh')
          process.stdout.write(`${summary.root} starts with an empty project: ${services.projects.store(summary.id).file}` +
            (offer ? ` (the annotations at ${offer.previousPath} stay in ${offer.projectPath})` : '') + '\n')
          return 0
        }
        if (!offer) throw new VivaError('NOT_FOUND', `No project of another path holds annotations of ${summary.root}: nothing to re-attach.`)
        await services.reattach(summary.id, 'reattach', offer.projectPath)
        process.stdout.write(
          `Re-attached ${offer.annotationCount} events from ${offer.projectPath} (made for ${offer.previousPath}) to ${summary.root}: ` +
            `${services.projects.store(summary.id).file}; the original file is kept as it was.\n`,
        )
      } finally {
        services.projects.close()
      }
      return 0
    }
    case 'serve':
      await serve(args, port, dataDir, projectsDir)
      return -1
    case 'demo':
      await serve('demo', port, dataDir, projectsDir)
      return -1
    case 'backup': {
      if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'usage: viva backup --out DIR [--skip-values] [--data-dir DIR] [--projects-dir DIR]')
      const result = await backupDataDir({
        dataDir,
        ...(projectsDir ? { projectsDir } : {}),
        out: values.out,
        skipValues: values['skip-values'] === true,
        version: await version(),
        writeGuard: guardFor(),
      })
      const total = result.files.reduce((a, f) => a + f.bytes, 0)
      process.stdout.write(`Backed up ${result.files.length} files (${(total / 1e6).toFixed(1)} MB) from ${dataDir} to ${result.out}\n`)
      for (const f of result.files) process.stdout.write(`  ${f.kind.padEnd(8)} ${f.path}\n`)
      return 0
    }
    case 'tensors': {
      const root = args[0]
      if (!root || !values.out) throw new VivaError('INVALID_ARGUMENT', 'usage: viva tensors <dataset> --out DIR [--size 128] [--k K] [--labels FILE]')
      const t0 = performance.now()
      const k = intOption(values.k, 'k')
      const result = await writeTensorCache({
        dataset: path.resolve(root),
        out: values.out,
        size: intOption(values.size, 'size') ?? 128,
        writeGuard: guardFor(root),
        ...(k !== undefined ? { k } : {}),
        ...(values.labels ? { labels: path.resolve(values.labels) } : {}),
        // A progress counter only for a person watching; logs get the summary line alone.
        ...(process.stderr.isTTY ? { onProgress: (done: number, total: number) => process.stderr.write(`\r${done}/${total} episodes`) } : {}),
      })
      if (process.stderr.isTTY) process.stderr.write('\n')
      const skipped = result.skipped.length > 0 ? `; skipped ${result.skipped.length} without a success/failure outcome` : ''
      process.stdout.write(
        `Wrote ${result.episodes} episodes (${result.frames} frames) to ${result.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s${skipped}\n`,
      )
      return 0
    }
    case 'export': {
      const usage = 'usage: viva export <dataset> --format json|csv|lerobot --out PATH [filters]'
      const { services, summary } = await openForAnnotations(args[0], usage)
      const format = values.format ?? 'json'
      if (format !== 'json' && format !== 'csv' && format !== 'lerobot') {
        throw new VivaError('INVALID_ARGUMENT', `--format must be json, csv or lerobot, got "${format}"`)
      }
      if (!values.out) throw new VivaError('INVALID_ARGUMENT', usage)
      const filters = parseExportFilters({
        tasks: values.task,
        outcomes: values.outcome,
        statuses: values.status,
        episodes: values.episodes,
      })
      try {
        const { paths } = await services.projects.exportTo(summary.id, format, filters, values.out)
        process.stdout.write(`Wrote ${paths.join(', ')}\n`)
      } finally {
        services.projects.close()
      }
      return 0
    }
    case 'import': {
      const usage = 'usage: viva import <dataset> <file.json> [--mode merge|replace] [--dry-run] [--force]'
      const { services, summary } = await openForAnnotations(args[0], usage)
      const file = args[1]
      if (!file) throw new VivaError('INVALID_ARGUMENT', usage)
      const mode = values.mode ?? 'merge'
      if (mode !== 'merge' && mode !== 'replace') throw new VivaError('INVALID_ARGUMENT', `--mode must be merge or replace, got "${mode}"`)
      let text: string
      try {
        text = await readTextFile(path.resolve(file), READ_LIMITS.annotations)
      } catch (err) {
        throw new VivaError('NOT_FOUND', `Cannot read ${file}: ${fsReason(err)}`, file)
      }
      try {
        const options = { force: values.force === true }
        const result = values['dry-run']
          ? services.projects.previewImport(summary.id, text, mode, options)
          : services.projects.import(summary.id, text, mode, options)
        // How the file's dataset differs from this one (compareDatasetIdentity), on stderr like other warnings.
        for (const note of result.identityNotes ?? []) process.stderr.write(`viva: warning: ${file}: ${note}\n`)
        process.stdout.write(
          `${values['dry-run'] ? 'Would import' : 'Imported'} ${file} (${mode}): ${result.eventsAdded} events added, ` +
            `${result.eventsUpdated} updated, ${result.eventsRemoved} removed; ${result.episodesChanged} episodes changed; ` +
            `${result.taxonomiesAdded} taxonomy versions added\n`,
        )
      } finally {
        services.projects.close()
      }
      return 0
    }
    case 'metrics':
      return metricsCommand(args[0], values)
    case 'advantages':
      return advantagesCommand(args[0], values, guardFor(args[0]))
    case 'score':
      return scoreCommand(args[0], values, dataDir)
    case 'detect':
      return detectCommand(args[0], values, dataDir, (dataset) => guardFor(dataset))
    case 'fixture': {
      if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'viva fixture needs --out DIR')
      const format = values.format ?? 'v2.1'
      if (format !== 'v2.0' && format !== 'v2.1' && format !== 'v3.0') {
        throw new VivaError('INVALID_ARGUMENT', `--format must be v2.0, v2.1 or v3.0, got "${format}"`)
      }
      const codec = values.codec ?? 'h264'
      if (codec !== 'h264' && codec !== 'av1' && codec !== 'mpeg4') {
        throw new VivaError('INVALID_ARGUMENT', `--codec must be h264, av1 or mpeg4, got "${codec}"`)
      }
      const episodes = intOption(values.episodes, 'episodes') ?? 3
      const frames = intOption(values.frames, 'frames') ?? 90
      const stateDim = intOption(values['state-dim'], 'state-dim')
      const width = intOption(values.width, 'width') ?? 640
      const height = intOption(values.height, 'height') ?? 480
      const result = await writePatternDataset({
        out: await guardFor().check(values.out),
        format,
        codec,
        lengths: Array.from({ length: episodes }, () => frames),
        fps: intOption(values.fps, 'fps') ?? 30,
        ...(values.gop !== undefined ? { gop: intOption(values.gop, 'gop') } : {}),
        ...(stateDim !== undefined ? { stateDim } : {}),
        cameras: ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({
          key: `observation.images.${c}`,
          width,
          height,
        })),
        quirks: vectorQuirks(values),
      })
      process.stdout.write(`Wrote ${result.format} dataset with ${result.episodes.length} episodes to ${result.root}\n`)
      return 0
    }
    case 'generate': {
      if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'viva generate needs --out DIR')
      const format = values.format ?? 'v2.1'
      if (format !== 'v2.1' && format !== 'v3.0') throw new VivaError('INVALID_ARGUMENT', `--format must be v2.1 or v3.0, got "${format}"`)
      const codec = values.codec ?? 'h264'
      if (codec !== 'h264' && codec !== 'av1') throw new VivaError('INVALID_ARGUMENT', `--codec must be h264 or av1, got "${codec}"`)
      const failureRate = values['failure-rate'] === undefined ? undefined : Number(values['failure-rate'])
      const started = Date.now()
      const result = await generateTaskDataset({
        out: await guardFor().check(values.out),
        episodes: intOption(values.episodes, 'episodes') ?? 10,
        seed: intOption(values.seed, 'seed') ?? 0,
        format,
        codec,
        ...(failureRate !== undefined ? { failureRate } : {}),
        ...(values.fps !== undefined ? { fps: intOption(values.fps, 'fps') } : {}),
        ...(values.width !== undefined ? { width: intOption(values.width, 'width') } : {}),
        ...(values.height !== undefined ? { height: intOption(values.height, 'height') } : {}),
        quirks: vectorQuirks({ 'state-scale': values['state-scale'] }),
      })
      const failures = result.episodes.filter((e) => e.outcome === 'failure').length
      const frames = result.episodes.reduce((sum, e) => sum + e.length, 0)
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      process.stdout.write(
        `Wrote ${result.episodes.length} episodes (${failures} failures, ${frames} frames) to ${result.root} in ${seconds} s; ground truth: ${result.groundTruthFile}\n`,
      )
      return 0
    }
    default:
      throw new VivaError('INVALID_ARGUMENT', `Unknown command "${command}". Run viva --help.`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`viva: ${message}\n`)
    process.exitCode = 1
  },
)
