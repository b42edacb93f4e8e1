import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { detectorSettingsSchema, matchToleranceSchema, PROVIDERS, type ProviderRequest } from '../../app/contract'
import { DEFAULT_DETECTOR_SETTINGS, resolveDetectorSettings, type DetectorSettings } from '../../app/detector'
import { describeEvaluation, detectDataset, type DetectInput, type DetectorEvaluation, type SeriesDetection } from '../../app/detectorCalibration'
import { VivaError } from '../../app/errors'
import { parseSpan, type TimeSpan } from '../../app/timeSpan'
import { composeServices, type Services } from '../compose'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import type { WriteGuard } from '../writeGuard'
import { readAnnotations, readCurves } from './analysis'
import { intIn } from './score'

export interface DetectCliValues {
  values?: string
  model?: string
  annotations?: string
  out?: string
  calibrate?: boolean
  tolerance?: string
  window?: string
  'min-gap'?: string
  smoothing?: string
  rise?: string
  drop?: string
  'milestone-delay'?: string
  'error-delay'?: string
  steps?: string
  seed?: string
  provider?: string
  threads?: string
}

const USAGE =
  'usage: viva detect <dataset> (--values FILE|DIR | --model DIR|NAME [--steps N] [--seed S] [--provider P] [--threads N]) ' +
  '--out FILE.json [--annotations FILE.json [--calibrate]] [--tolerance 0.5s|5f] ' +
  '[--window 0.5s] [--min-gap 1s] [--smoothing SECONDS] [--rise X|off] [--drop X|off] [--milestone-delay SECONDS] [--error-delay SECONDS]'

/** Settings from the command line: the defaults, with each option given replacing its field; checked by the contract's schema. */
function settingsFrom(v: DetectCliValues): { settings: DetectorSettings; given: string[] } {
  const given: string[] = []
  const num = (raw: string, name: string): number => {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n)) throw new VivaError('INVALID_ARGUMENT', `--${name} must be a number, got "${raw}"`)
    return n
  }
  const threshold = (raw: string, name: string): number | null => (raw.toLowerCase() === 'off' ? null : num(raw, name))
  const candidate: Record<string, unknown> = { ...DEFAULT_DETECTOR_SETTINGS }
  const take = (name: keyof DetectCliValues, field: keyof DetectorSettings, read: (raw: string) => unknown): void => {
    const raw = v[name]
    if (typeof raw !== 'string') return
    given.push(`--${name}`)
    candidate[field] = read(raw)
  }
  take('window', 'window', (r) => parseSpan(r, '--window'))
  take('min-gap', 'minGap', (r) => parseSpan(r, '--min-gap'))
  take('smoothing', 'smoothingSeconds', (r) => num(r, 'smoothing'))
  take('rise', 'riseThreshold', (r) => threshold(r, 'rise'))
  take('drop', 'dropThreshold', (r) => threshold(r, 'drop'))
  take('milestone-delay', 'milestoneDelaySeconds', (r) => num(r, 'milestone-delay'))
  take('error-delay', 'errorDelaySeconds', (r) => num(r, 'error-delay'))
  const parsed = detectorSettingsSchema.safeParse(candidate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new VivaError('INVALID_ARGUMENT', `Invalid detector setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)
  }
  return { settings: parsed.data, given }
}

/** A model folder, or the name or id of a listed model (the bundled ones: viva-reference, baseline-reference). */
async function modelPackage(services: Services, ref: string) {
  if (existsSync(ref) && statSync(ref).isDirectory()) return services.models.load(ref)
  const listed = await services.models.list()
  const hit = listed.find((m) => m.id === ref || m.name === ref)
  if (!hit) throw new VivaError('NOT_FOUND', `--model ${ref}: no such folder, and no listed model has that name or id (${listed.map((m) => m.name).join(', ')})`)
  return services.models.get(hit.id)
}

/**
 * The dataset's curves from a model run through the app's own scoring job (cached and resumable like `viva score`;
 * results land in the same value cache the app shows).
 */
async function scoredCurves(root: string, v: DetectCliValues, dataDir: string): Promise<{ input: Omit<DetectInput, 'annotated' | 'events'>; guard: WriteGuard; close: () => Promise<void> }> {
  const provider = (v.provider ?? 'auto') as ProviderRequest
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new VivaError('INVALID_ARGUMENT', `--provider must be one of ${PROVIDERS.join(', ')}, got "${v.provider}"`)
  const steps = intIn(v.steps, 'steps', 1, 100)
  const seed = intIn(v.seed, 'seed', 0, 2 ** 31 - 1)
  const threads = intIn(v.threads, 'threads', 1, 256)
  const services = composeServices({ mode: 'browser', version: 'cli', dataDir, journalJobs: false })
  try {
    const summary = await services.datasets.open(path.resolve(root))
    const pkg = await modelPackage(services, v.model as string)
    const job = await services.scoring.start({
      datasetId: summary.id,
      modelId: pkg.id,
      episodes: [],
      provider,
      ...(steps !== undefined ? { steps } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(threads !== undefined ? { threads } : {}),
    })
    let last = 0
    const off = services.events.subscribe((name, payload) => {
      if (name !== 'score.progress') return
      const j = payload as { framesDone: number; framesTotal: number }
      if (performance.now() - last < 5000) return
      last = performance.now()
      process.stderr.write(`scoring ${pkg.manifest.name}: ${j.framesDone}/${j.framesTotal} frames\n`)
    })
    const end = await services.scoring.wait(job.id)
    off()
    if (end.state !== 'done') throw new VivaError(end.error?.code ?? 'INTERNAL', `scoring with ${pkg.manifest.name} ended ${end.state}: ${end.error?.message ?? ''}`)
    for (const e of end.episodeErrors) process.stderr.write(`viva: episode ${e.episode} not scored: ${e.error.message}\n`)
    const curves = services.curves
      .listDataset(summary.id)
      .filter((c) => c.complete && c.modelId === pkg.id && c.params?.steps === end.steps && c.params.seed === end.seed)
      .map((info) => ({ info, values: services.curves.get(info.id).values }))
    return {
      input: { fps: summary.fps, episodes: summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })), curves },
      guard: services.writeGuard,
      close: () => services.dispose(),
    }
  } catch (err) {
    await services.dispose()
    throw err
  }
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4

function evaluationJson(e: DetectorEvaluation) {
  const score = (s: DetectorEvaluation['score']) => ({
    precision: r4(s.precision),
    recall: r4(s.recall),
    f1: r4(s.f1),
    tp: r4(s.tp),
    fp: r4(s.fp),
    fn: r4(s.fn),
    proposed: s.proposed,
    annotated: s.annotated,
    byKind: Object.fromEntries((['milestone', 'error'] as const).map((k) => [k, { precision: r4(s.byKind[k].precision), recall: r4(s.byKind[k].recall), f1: r4(s.byKind[k].f1), tp: r4(s.byKind[k].tp) }])),
  })
  return {
    crossValidated: e.crossValidated,
    folds: e.folds,
    episodes: e.episodes,
    tolerance: { frames: e.tolerance.frames, seconds: e.tolerance.seconds },
    ...score(e.score),
    chance: {
      how: `each episode's suggestions moved at random, matched the same way; ${e.chance.seeds} seeds × ${e.chance.drawsPerSeed} draws, spread = standard deviation between seeds`,
      shifted: { ...score(e.chance.shifted), precisionSpread: r4(e.chance.shifted.precisionSpread), recallSpread: r4(e.chance.shifted.recallSpread) },
      uniform: { ...score(e.chance.uniform), precisionSpread: r4(e.chance.uniform.precisionSpread), recallSpread: r4(e.chance.uniform.recallSpread) },
      positions: { ...score(e.chance.positions), precisionSpread: r4(e.chance.positions.precisionSpread), recallSpread: r4(e.chance.positions.recallSpread) },
    },
    foldSettings: e.foldSettings,
  }
}

function seriesJson(d: SeriesDetection, fps: number) {
  const { params, window, minGap } = resolveDetectorSettings(d.settings, fps)
  return {
    series: d.series,
    name: d.name,
    episodes: d.episodes,
    settings: d.settings,
    frames: { window: window.frames, minGap: minGap.frames, smoothingFactor: r4(params.smoothing), milestoneDelay: params.milestoneDelay ?? 0, errorDelay: params.errorDelay ?? 0 },
    note: d.note,
    evaluation: d.evaluation ? evaluationJson(d.evaluation) : null,
    suggestions: d.suggestions.map((s) => ({
      episode: s.episode,
      annotated: s.annotated,
      events: s.candidates.map((c) => ({ kind: c.kind, frame: c.frame, seconds: r4(c.frame / fps), strength: r4(c.strength) })),
    })),
  }
}

/**
 * `viva detect`: the value-analysis panel's event suggestions for every episode, per curve series, with precision
 * and recall against an annotation file and the shifted-at-random baseline; `--calibrate` fits the detector per
 * series on the annotated episodes (cross-validated), as the app does. Same code as the app (app/detectorCalibration.ts).
 */
export async function detectCommand(root: string | undefined, v: DetectCliValues, dataDir: string, guardFor: (dataset: string) => WriteGuard): Promise<number> {
  if (!root || !v.out || (v.values === undefined) === (v.model === undefined)) throw new VivaError('INVALID_ARGUMENT', `${USAGE}\n(give exactly one of --values and --model)`)
  if (path.extname(v.out).toLowerCase() !== '.json') throw new VivaError('INVALID_ARGUMENT', `--out must end in .json, got ${v.out}`)
  if (v.calibrate && !v.annotations) throw new VivaError('INVALID_ARGUMENT', '--calibrate fits the detector to annotations: give --annotations FILE.json')
  const { settings, given } = settingsFrom(v)
  if (v.calibrate && given.length > 0) throw new VivaError('INVALID_ARGUMENT', `--calibrate chooses the settings itself; leave out ${given.join(', ')}`)
  let tolerance: TimeSpan | undefined
  if (v.tolerance !== undefined) {
    const parsed = matchToleranceSchema.safeParse(parseSpan(v.tolerance, '--tolerance'))
    if (!parsed.success) throw new VivaError('INVALID_ARGUMENT', `--tolerance: ${parsed.error.issues[0]?.message ?? 'out of range'}`)
    tolerance = parsed.data
  }
  const annotations = v.annotations ? await readAnnotations(path.resolve(v.annotations)) : null

  let base: Omit<DetectInput, 'annotated' | 'events'>
  let guard: WriteGuard
  let close = async (): Promise<void> => undefined
  if (v.values !== undefined) {
    guard = guardFor(root)
    await guard.check(v.out)
    const source = await openLeRobotDataset(path.resolve(root))
    const { curves, warnings } = await readCurves(path.resolve(v.values), source.summary)
    for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
    base = {
      fps: source.summary.fps,
      episodes: source.summary.episodes.filter((e) => e.present).map((e) => ({ index: e.index, length: e.length })),
      curves: curves.map((c) => ({
        info: { source: 'import', modelId: null, params: null, name: c.name, sourceId: c.sourceId, convention: c.convention, episode: c.episode, length: c.values.length },
        values: c.values,
      })),
    }
  } else {
    const scored = await scoredCurves(root, v, dataDir)
    base = scored.input
    guard = scored.guard
    close = scored.close
  }
  try {
    const out = await guard.check(v.out)
    if (base.curves.length === 0) throw new VivaError('NOT_FOUND', 'No curve matches an episode of the dataset')
    const input: DetectInput = { ...base, annotated: annotations?.annotated ?? new Set(), events: annotations?.events ?? [] }
    const detections = detectDataset(input, { calibrate: v.calibrate === true, settings, ...(tolerance ? { tolerance } : {}) })
    const doc = {
      dataset: path.resolve(root),
      fps: input.fps,
      annotations: v.annotations ? path.resolve(v.annotations) : null,
      annotatedEpisodes: [...input.annotated].filter((e) => base.episodes.some((x) => x.index === e)).length,
      calibrate: v.calibrate === true,
      matching: 'one-to-one, same kind, closest first, within ±tolerance frames of an annotated event, per episode; counts summed over episodes',
      series: detections.map((d) => seriesJson(d, input.fps)),
    }
    await guard.writeFile(out, `${JSON.stringify(doc, null, 2)}\n`, 'export')
    for (const d of detections) {
      const n = d.suggestions.reduce((a, s) => a + s.candidates.length, 0)
      process.stdout.write(`${d.name}: ${n} suggestions in ${d.episodes} episodes${d.evaluation ? `; ${describeEvaluation(d.evaluation)}` : ''}${d.note ? ` (${d.note})` : ''}\n`)
    }
    process.stdout.write(`Wrote ${out}\n`)
    return 0
  } finally {
    await close()
  }
}
