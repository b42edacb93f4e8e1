import path from 'node:path'
import { detectorSettingsSchema, matchToleranceSchema } from '../../../app/contract'
import { DEFAULT_DETECTOR_SETTINGS, resolveDetectorSettings, type DetectorSettings } from '../../../app/detector'
import { describeEvaluation, detectDataset, type DetectInput, type DetectorEvaluation, type SeriesDetection } from '../../../app/detectorCalibration'
import { VivaError } from '../../../app/errors'
import { parseSpan, type TimeSpan } from '../../../app/timeSpan'
import { analysisInput } from '../../analysis/compute'
import { readAnnotations, readCurves } from '../../analysis/fileInput'
import { composeServices, readDatasetSummary } from '../../compose'
import type { WriteGuard } from '../../writeGuard'
import { annotationsOption, scoringOptions, scoringRequest, spanHelp, valuesOption } from '../analysisOptions'
import { boundsHelp, defineCommand, type OptionValues } from '../command'
import { scoreWithModel } from '../modelScoring'

const setting = detectorSettingsSchema.shape

const options = {
  values: valuesOption,
  model: { type: 'string', value: 'DIR|NAME', help: 'Score with this model instead (a folder, or a listed model\'s name or id)' },
  ...scoringOptions,
  annotations: annotationsOption,
  out: { type: 'string', value: 'FILE.json', help: 'The suggestions and their evaluation' },
  calibrate: { type: 'boolean', help: 'Fit the settings per series on the annotated episodes (cross-validated)' },
  tolerance: { type: 'string', value: 'SPAN', help: spanHelp('How far a suggestion may be from an event (default 0.5s)') },
  window: { type: 'string', value: 'SPAN', help: spanHelp('The detector window') },
  'min-gap': { type: 'string', value: 'SPAN', help: spanHelp('Least distance between suggestions') },
  smoothing: { type: 'string', value: 'S', help: boundsHelp('Smoothing in seconds', setting.smoothingSeconds) },
  rise: { type: 'string', value: 'X|off', help: boundsHelp('Rise that makes a milestone', setting.riseThreshold) },
  drop: { type: 'string', value: 'X|off', help: boundsHelp('Drop that makes an error', setting.dropThreshold) },
  'milestone-delay': { type: 'string', value: 'S', help: boundsHelp('Seconds a milestone is moved', setting.milestoneDelaySeconds) },
  'error-delay': { type: 'string', value: 'S', help: boundsHelp('Seconds an error is moved', setting.errorDelaySeconds) },
} as const
type DetectCliValues = OptionValues<typeof options>

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

/**
 * The dataset's curves from a model run through the app's own scoring job (cached and resumable like `viva score`;
 * results land in the same value cache the app shows).
 */
async function scoredCurves(root: string, v: DetectCliValues, dataDir: string): Promise<{ input: Omit<DetectInput, 'annotated' | 'events'>; guard: WriteGuard; close: () => Promise<void> }> {
  const request = scoringRequest(v)
  const services = composeServices({ mode: 'browser', version: 'cli', dataDir, journalJobs: false })
  try {
    const summary = await services.datasets.open(path.resolve(root))
    const curves = await scoreWithModel(services, summary.id, v.model as string, request)
    return {
      input: analysisInput(summary, { outcomes: new Map(), events: [], annotated: new Set() }, curves),
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
async function detect(root: string | undefined, v: DetectCliValues, dataDir: string, guardFor: (dataset: string) => WriteGuard): Promise<number> {
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
    const summary = await readDatasetSummary(root)
    const { curves, warnings } = await readCurves(path.resolve(v.values), summary)
    for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
    base = analysisInput(summary, { outcomes: new Map(), events: [], annotated: new Set() }, curves)
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

export const detectCommand = defineCommand({
  name: 'detect',
  synopsis:
    'detect <dataset> (--values FILE|DIR | --model DIR|NAME [--steps N] [--seed S]) --out FILE.json\n' +
    '       [--annotations FILE.json [--calibrate]] [--tolerance 0.5s|5f] [--window 0.5s] [--min-gap 1s] [--smoothing S]\n' +
    '       [--rise X|off] [--drop X|off] [--milestone-delay S] [--error-delay S]',
  description:
    "Suggested milestones and errors per episode and curve series (the value panel's detector), with\n" +
    'precision/recall against the annotations (±0.5 s) beside the same suggestions shifted at random; --calibrate\n' +
    'fits the settings per series on the annotated episodes, cross-validated by episode',
  options,
  run: ([root], v, ctx) => detect(root, v, ctx.dataDir, (dataset) => ctx.guardFor(dataset)),
})
