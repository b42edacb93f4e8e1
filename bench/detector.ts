// The event detector against annotations and against chance, measured the way a user would: generated task datasets
// (`viva generate --seed S`, exact ground truth) scored with both bundled models (`viva score`), then `viva detect`
// with the ground truth as annotations:
//   before       — the detector's previous defaults, in frames (window 2, min gap 3, rise 0.06, drop 0.025, no smoothing)
//   defaults     — DEFAULT_DETECTOR_SETTINGS (seconds), as the app uses them on a series with no annotated episodes
//   calibrated   — `viva detect --calibrate`: fitted per series on the annotated episodes, 5-fold cross-validated by
//                  episode (the numbers are the held-out folds'), kinds that do not beat chance switched off
// each beside the same suggestions shifted at random within their episode (the chance), put at random
// frames, and put at the detector's own usual times ("positions"), all matched within ±0.5 s.
// Report seeds 22, 23, 24 are unseen: the bundled models were trained on seed 1 and checked on 2 and 3, and the
// defaults were tuned on 12–14. Mean ± spread (sample standard deviation) over the seeds.
// Curves are cached in .cache/bench-detector/ by seed and model file hash (a retrained model is scored again).
// Also times detectEvents on 18,000 frames and one calibration. Writes bench/results/detector.json.
//   npx tsx bench/detector.ts           the report (about 15 min on 2 cores the first time, 1 min cached)
//   npx tsx bench/detector.ts --tune    how DEFAULT_DETECTOR_SETTINGS were chosen (seeds 12–14); prints, writes nothing
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { toDisplay } from '../app/curves'
import { candidatesOf, DEFAULT_DETECTOR_SETTINGS, detectEvents, matchEvents, prepareCurve, resolveDetectorSettings, sumMatches, type DetectorSettings, type EventKind, type TruthEvent } from '../app/detector'
import { CALIBRATION_GRID, calibrateDetector, type CalibrationEpisode } from '../app/detectorCalibration'
import { parseImportDocument } from '../app/exchange'
import { importCurveFile } from '../main/curves/importCurves'
import { mulberry32 } from '../app/random'
import { PACKAGE_ROOT } from '../main/paths'

const MODELS = ['viva-reference', 'baseline-reference'] as const
const REPORT_SEEDS = [22, 23, 24]
const REPORT_SET = { episodes: 40, failureRate: 0.5 }
const TUNING_SETS = [
  { seed: 12, episodes: 20, failureRate: 0.4 },
  { seed: 13, episodes: 20, failureRate: 0.4 },
  { seed: 14, episodes: 20, failureRate: 1.0 },
]
const SIZE = { fps: 10, width: 128, height: 96 }
const CACHE = path.join(PACKAGE_ROOT, '.cache', 'bench-detector')
const CLI = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
const BEFORE = ['--window', '2f', '--min-gap', '3f', '--smoothing', '0', '--rise', '0.06', '--drop', '0.025']

function viva(args: string[]): string {
  return execFileSync('node', [CLI, ...args], { cwd: PACKAGE_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 })
}

function modelHash(model: string): string {
  const h = createHash('sha256')
  for (const f of ['viva-model.json', 'encoder.onnx', 'denoiser.onnx', 'baseline.onnx']) {
    const file = path.join(PACKAGE_ROOT, 'models', model, f)
    if (existsSync(file)) h.update(readFileSync(file))
  }
  return h.digest('hex').slice(0, 12)
}

/** A generated dataset and each model's curve file, made once and cached. */
function dataset(seed: number, episodes: number, failureRate: number): { root: string; truth: string; curves: Record<string, string> } {
  const root = path.join(CACHE, `ds-${seed}-${episodes}-${failureRate}`)
  if (!existsSync(path.join(root, 'meta', 'viva_ground_truth.json'))) {
    process.stderr.write(`generating seed ${seed}…\n`)
    viva(['generate', '--out', root, '--episodes', String(episodes), '--seed', String(seed), '--failure-rate', String(failureRate), '--fps', String(SIZE.fps), '--width', String(SIZE.width), '--height', String(SIZE.height)])
  }
  const curves: Record<string, string> = {}
  for (const model of MODELS) {
    const file = path.join(CACHE, `${model}-${modelHash(model)}-seed${seed}-${episodes}.parquet`)
    if (!existsSync(file)) {
      process.stderr.write(`scoring seed ${seed} with ${model}…\n`)
      viva(['score', root, '--model', path.join(PACKAGE_ROOT, 'models', model), '--out', file, '--provider', 'cpu', '--data-dir', path.join(CACHE, 'data')])
    }
    curves[model] = file
  }
  return { root, truth: path.join(root, 'meta', 'viva_ground_truth.json'), curves }
}

interface Pr {
  precision: number
  recall: number
  proposed: Record<EventKind, number>
  byKind: Record<EventKind, { precision: number; recall: number }>
}
interface Evaluated extends Pr {
  chance: { shifted: Pr & { precisionSpread: number }; uniform: Pr; positions: Pr }
  foldSettings?: DetectorSettings[]
}
interface DetectSeries {
  name: string
  settings: DetectorSettings
  note: string | null
  evaluation: Evaluated | null
  suggestions: { events: unknown[] }[]
}

/** `viva detect` on one dataset and curve file; its JSON. */
function detect(ds: { root: string; truth: string }, curves: string, extra: string[]): DetectSeries {
  const out = path.join(CACHE, 'detect-out.json')
  viva(['detect', ds.root, '--values', curves, '--annotations', ds.truth, '--out', out, ...extra])
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { series: DetectSeries[] }
  const s = doc.series[0]
  if (!s) throw new Error(`viva detect wrote no series for ${curves}`)
  return s
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length
const sd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)))
const pm = (xs: number[]): { mean: number; spread: number; values: number[] } => ({ mean: r3(mean(xs)), spread: r3(sd(xs)), values: xs.map(r3) })

/** Median milliseconds of detectEvents on a noisy 18,000-frame staircase (10 minutes at 30 fps), after warm-up. */
function speed(): { frames: number; medianMs: number; minMs: number; runs: number } {
  const random = mulberry32(1)
  const values = Float32Array.from({ length: 18_000 }, (_, i) => 0.2 + 0.1 * Math.floor(i / 900) * (i % 3600 < 3000 ? 1 : 0.5) + (random() - 0.5) * 0.04)
  const params = resolveDetectorSettings(DEFAULT_DETECTOR_SETTINGS, 30).params
  for (let i = 0; i < 20; i++) detectEvents(values, params)
  const times: number[] = []
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now()
    detectEvents(values, params)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { frames: values.length, medianMs: r3(times[times.length >> 1] ?? NaN), minMs: r3(times[0] ?? NaN), runs: times.length }
}

/** Annotated episodes of a cached dataset with one model's display curves (for timing and tuning). */
async function episodesOf(ds: { root: string; truth: string }, curves: string): Promise<CalibrationEpisode[]> {
  const truth = parseImportDocument(readFileSync(ds.truth, 'utf8'))
  const r = await importCurveFile(curves, { episodes: truth.dataset.episodes.map((e) => ({ index: e.index, length: e.length })) })
  return r.curves.map((c) => ({
    episode: c.episode,
    values: toDisplay(c.values, c.convention, c.values.length),
    truth: truth.events.filter((e) => e.episode === c.episode).map((e): TruthEvent => ({ kind: e.kind, frame: e.frame })),
  }))
}

async function report(): Promise<void> {
  mkdirSync(CACHE, { recursive: true })
  const rows: Record<string, unknown>[] = []
  const summary: Record<string, unknown> = {}
  for (const model of MODELS) {
    const perSeed: { seed: number; before: Evaluated; defaults: Evaluated; calibrated: Evaluated; settings: DetectorSettings; note: string | null }[] = []
    for (const seed of REPORT_SEEDS) {
      const ds = dataset(seed, REPORT_SET.episodes, REPORT_SET.failureRate)
      const file = ds.curves[model] as string
      const before = detect(ds, file, BEFORE)
      const defaults = detect(ds, file, [])
      const calibrated = detect(ds, file, ['--calibrate'])
      if (!before.evaluation || !defaults.evaluation || !calibrated.evaluation) throw new Error(`no evaluation for ${model} seed ${seed}`)
      perSeed.push({ seed, before: before.evaluation, defaults: defaults.evaluation, calibrated: calibrated.evaluation, settings: calibrated.settings, note: calibrated.note })
      process.stderr.write(
        `${model} seed ${seed}: calibrated P ${calibrated.evaluation.precision.toFixed(3)} R ${calibrated.evaluation.recall.toFixed(3)} vs shifted P ${calibrated.evaluation.chance.shifted.precision.toFixed(3)}\n`,
      )
    }
    const block = (pick: (x: (typeof perSeed)[number]) => Evaluated) => ({
      precision: pm(perSeed.map((x) => pick(x).precision)),
      recall: pm(perSeed.map((x) => pick(x).recall)),
      shiftedPrecision: pm(perSeed.map((x) => pick(x).chance.shifted.precision)),
      shiftedRecall: pm(perSeed.map((x) => pick(x).chance.shifted.recall)),
      uniformPrecision: pm(perSeed.map((x) => pick(x).chance.uniform.precision)),
      positionsPrecision: pm(perSeed.map((x) => pick(x).chance.positions.precision)),
      precisionMinusShifted: pm(perSeed.map((x) => pick(x).precision - pick(x).chance.shifted.precision)),
      beatsShiftedOnSeeds: perSeed.filter((x) => pick(x).precision > pick(x).chance.shifted.precision).length,
      proposed: pm(perSeed.map((x) => pick(x).proposed.milestone + pick(x).proposed.error)),
      byKind: Object.fromEntries(
        (['milestone', 'error'] as const).map((k) => [
          k,
          {
            precision: pm(perSeed.map((x) => pick(x).byKind[k].precision)),
            recall: pm(perSeed.map((x) => pick(x).byKind[k].recall)),
            shiftedPrecision: pm(perSeed.map((x) => pick(x).chance.shifted.byKind[k].precision)),
            proposed: pm(perSeed.map((x) => pick(x).proposed[k])),
          },
        ]),
      ),
    })
    summary[model] = { before: block((x) => x.before), defaults: block((x) => x.defaults), calibrated: block((x) => x.calibrated) }
    rows.push(...perSeed.map((x) => ({ model, ...x })))
  }

  const first = dataset(REPORT_SEEDS[0] as number, REPORT_SET.episodes, REPORT_SET.failureRate)
  const eps = await episodesOf(first, first.curves['viva-reference'] as string)
  const t0 = performance.now()
  calibrateDetector(eps, SIZE.fps)
  const calibrationMs = performance.now() - t0
  const truth = parseImportDocument(readFileSync(first.truth, 'utf8'))

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    datasets: {
      command: `viva generate --episodes ${REPORT_SET.episodes} --seed S --failure-rate ${REPORT_SET.failureRate} --fps ${SIZE.fps} --width ${SIZE.width} --height ${SIZE.height}`,
      seeds: REPORT_SEEDS,
      unseen: 'models trained on seed 1, checked on 2 and 3; defaults tuned on 12-14',
      frames: truth.dataset.episodes.reduce((a, e) => a + e.length, 0),
    },
    scoring: 'viva score --provider cpu (model defaults: viva-flow 1 step, seed 0)',
    tolerance: '±0.5 s (5 frames at 10 fps)',
    before: BEFORE.join(' '),
    defaults: DEFAULT_DETECTOR_SETTINGS,
    grid: CALIBRATION_GRID,
    spread: 'sample standard deviation over the seeds',
    summary,
    perSeed: rows,
    speed: { detectEvents: speed(), calibrationMs: Math.round(calibrationMs), calibrationEpisodes: eps.length, calibrationFrames: eps.reduce((a, e) => a + e.values.length, 0) },
  }
  mkdirSync(path.join(PACKAGE_ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(path.join(PACKAGE_ROOT, 'bench', 'results', 'detector.json'), `${JSON.stringify(result, null, 2)}\n`)

  const f = (x: { mean: number; spread: number }): string => `${x.mean.toFixed(3)} ± ${x.spread.toFixed(3)}`
  const lines = [`seeds ${REPORT_SEEDS.join(', ')}: ${REPORT_SET.episodes} episodes each, failure rate ${REPORT_SET.failureRate}, ±0.5 s; mean ± sd over seeds`]
  lines.push('| model | detector | P | R | shifted P | shifted R | positions P | beats shifted (seeds) | proposed / seed |', '|---|---|---|---|---|---|---|---|---|')
  for (const model of MODELS) {
    for (const which of ['before', 'defaults', 'calibrated'] as const) {
      const b = (summary[model] as Record<string, ReturnType<typeof Object>>)[which] as {
        precision: { mean: number; spread: number }
        recall: { mean: number; spread: number }
        shiftedPrecision: { mean: number; spread: number }
        shiftedRecall: { mean: number; spread: number }
        positionsPrecision: { mean: number; spread: number }
        beatsShiftedOnSeeds: number
        proposed: { mean: number; spread: number }
      }
      lines.push(`| ${model} | ${which} | ${f(b.precision)} | ${f(b.recall)} | ${f(b.shiftedPrecision)} | ${f(b.shiftedRecall)} | ${f(b.positionsPrecision)} | ${b.beatsShiftedOnSeeds}/${REPORT_SEEDS.length} | ${b.proposed.mean.toFixed(1)} |`)
    }
  }
  lines.push(`detectEvents on 18,000 frames: median ${result.speed.detectEvents.medianMs} ms; one calibration (${eps.length} episodes): ${result.speed.calibrationMs} ms`)
  process.stdout.write(`${lines.join('\n')}\n`)
}

/**
 * How the defaults were chosen: among settings with no delay that (a) recover an ideal event-step curve (F1 ≥ 0.9
 * at ±0.2 s, both kinds) and (b) propose nothing on the time-linear training target (1 − G/2), the one whose
 * proposals on both models' curves of seeds 12–14 are between 2/3 and 3/2 of the annotated count for each kind,
 * with the highest F1 there (±0.5 s). Defaults serve series nobody annotated, so they aim at a usable count, not at
 * beating chance on these two models (calibration decides that per series).
 */
async function tune(): Promise<void> {
  const pooled: { episodes: CalibrationEpisode[]; outcome: Map<number, boolean> }[] = []
  for (const set of TUNING_SETS) {
    const ds = dataset(set.seed, set.episodes, set.failureRate)
    const doc = parseImportDocument(readFileSync(ds.truth, 'utf8'))
    const success = new Map(doc.episodes.map((e) => [e.episode, e.outcome === 'success']))
    for (const model of MODELS) pooled.push({ episodes: await episodesOf(ds, ds.curves[model] as string), outcome: success })
  }
  const models = pooled.flatMap((p) => p.episodes)
  const ideal: CalibrationEpisode[] = pooled[0]!.episodes.concat(pooled[2]!.episodes, pooled[4]!.episodes).map((ep) => {
    const v = new Float32Array(ep.values.length).fill(0.1)
    for (const e of ep.truth) for (let f = e.frame; f < v.length; f++) v[f] = (v[f] as number) + (e.kind === 'milestone' ? 0.2 : -0.2)
    return { ...ep, values: v }
  })
  const target = pooled.flatMap((p, i) =>
    i % 2 === 0
      ? p.episodes.map((ep) => {
          const T = ep.values.length
          const top = p.outcome.get(ep.episode) ? 1 : 0.5
          return Float32Array.from({ length: T }, (_, k) => top - (T - 1 - k) / (2 * T))
        })
      : [],
  )
  interface KindAt {
    t: number
    tp: number
    n: number
    a: number
    idealF1: number
    onTarget: boolean
  }
  const within = (n: number, a: number): boolean => 3 * n >= 2 * a && 2 * n <= 3 * a
  let best: { s: DetectorSettings; f1: number; n: number } | null = null
  for (const smoothingSeconds of CALIBRATION_GRID.smoothingSeconds) {
    for (const w of CALIBRATION_GRID.windowSeconds) {
      const base = resolveDetectorSettings({ ...DEFAULT_DETECTOR_SETTINGS, smoothingSeconds, window: { seconds: w } }, SIZE.fps).params
      const prep = (v: ArrayLike<number>) => prepareCurve(v, base.smoothing, base.window)
      const pm = models.map((e) => prep(e.values))
      const pi = ideal.map((e) => prep(e.values))
      const pt = target.map((v) => prep(v))
      for (const g of CALIBRATION_GRID.minGapSeconds) {
        const gap = resolveDetectorSettings({ ...DEFAULT_DETECTOR_SETTINGS, minGap: { seconds: g } }, SIZE.fps).params.minGap
        const perKind: Record<EventKind, KindAt[]> = { milestone: [], error: [] }
        for (const t of CALIBRATION_GRID.thresholds) {
          if (t === null) continue
          const m = sumMatches(pm.map((p, i) => matchEvents(candidatesOf(p, t, t, gap), (models[i] as CalibrationEpisode).truth, 5)))
          const id = sumMatches(pi.map((p, i) => matchEvents(candidatesOf(p, t, t, gap), (ideal[i] as CalibrationEpisode).truth, 2)))
          const tc = pt.flatMap((p) => candidatesOf(p, t, t, gap))
          for (const k of ['milestone', 'error'] as const) {
            const c = m.byKind[k]
            const ic = id.byKind[k]
            perKind[k].push({ t, tp: c.tp, n: c.tp + c.fp, a: c.tp + c.fn, idealF1: ic.tp === 0 ? 0 : (2 * ic.tp) / (2 * ic.tp + ic.fp + ic.fn), onTarget: tc.some((x) => x.kind === k) })
          }
        }
        const ok = (x: KindAt): boolean => within(x.n, x.a) && x.idealF1 >= 0.9 && !x.onTarget
        for (const r of perKind.milestone.filter(ok)) {
          for (const d of perKind.error.filter(ok)) {
            const f1 = (2 * (r.tp + d.tp)) / (r.n + d.n + r.a + d.a)
            if (!best || f1 > best.f1 + 1e-12) {
              best = { s: { smoothingSeconds, window: { seconds: w }, minGap: { seconds: g }, riseThreshold: r.t, dropThreshold: d.t, milestoneDelaySeconds: 0, errorDelaySeconds: 0 }, f1, n: r.n + d.n }
            }
          }
        }
      }
    }
  }
  process.stdout.write(best ? `chosen: ${JSON.stringify(best.s)} (F1 ${best.f1.toFixed(3)}, ${best.n} proposed over ${models.length} model curves)\n` : 'no setting meets the constraints\n')
}

if (process.argv.includes('--tune')) await tune()
else await report()
