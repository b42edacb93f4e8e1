// The model card's numbers from many scoring runs (bench/modelCard.ts): mean ± spread over noise seeds and over
// generator seeds, the ViVa-vs-baseline verdict per seed, and the Markdown tables written between marker comments
// of models/*/MODEL_CARD.md. Pure, so it is unit-tested (modelCardTables.test.ts).
import { directionOf } from '../app/annotations'
import { ers } from '../app/metrics'
import type { VivaFlowManifest } from '../main/inference/manifest'

export const METRICS = ['pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR', 'aurocMean', 'aurocFinal'] as const
export type MetricName = (typeof METRICS)[number]
export const METRIC_HEADERS: Record<MetricName, string> = {
  pearson: 'Pearson',
  spearman: 'Spearman',
  voc: 'VOC',
  MS: 'MS',
  ES: 'ES',
  MDR: 'MDR',
  ErrDR: 'ErrDR',
  aurocMean: 'AUROC mean',
  aurocFinal: 'AUROC final',
}

export type Scores = Record<MetricName, number | null> & { nMilestones: number; nErrors: number }

/** One scoring run of one model on one generated dataset with one noise seed. */
export interface Run {
  model: string
  genSeed: number
  noiseSeed: number
  scores: Scores
}

export interface Stat {
  mean: number | null
  /** Sample standard deviation; 0 for a single value, null without values. */
  sd: number | null
  n: number
  min: number | null
  max: number | null
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4

export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x))
  if (xs.length === 0) return { mean: null, sd: null, n: 0, min: null, max: null }
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length
  const sd = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1))
  return { mean: r4(mean), sd: r4(sd), n: xs.length, min: r4(Math.min(...xs)), max: r4(Math.max(...xs)) }
}

export interface ModelSummary {
  model: string
  /** Per generator seed: each metric over that seed's noise seeds. */
  perSeed: Record<string, Record<MetricName, Stat> & { noiseSeeds: number[]; nMilestones: number; nErrors: number }>
  /** Each metric over the generator seeds' noise-seed means. */
  acrossSeeds: Record<MetricName, Stat>
  /** Detected events summed over the generator seeds, over noise seeds (a run's pooled count). */
  pooled: { milestones: { total: number; detected: Stat }; errors: { total: number; detected: Stat } }
}

export function summarize(runs: readonly Run[], model: string, genSeeds: readonly number[]): ModelSummary {
  const mine = runs.filter((r) => r.model === model)
  const perSeed: ModelSummary['perSeed'] = {}
  for (const g of genSeeds) {
    const rs = mine.filter((r) => r.genSeed === g)
    if (rs.length === 0) throw new Error(`no run of ${model} on generator seed ${g}`)
    const first = rs[0] as Run
    const entry = Object.fromEntries(METRICS.map((m) => [m, stat(rs.map((r) => r.scores[m]))])) as Record<MetricName, Stat>
    perSeed[String(g)] = { ...entry, noiseSeeds: rs.map((r) => r.noiseSeed), nMilestones: first.scores.nMilestones, nErrors: first.scores.nErrors }
  }
  const acrossSeeds = Object.fromEntries(METRICS.map((m) => [m, stat(genSeeds.map((g) => (perSeed[String(g)] as Record<MetricName, Stat>)[m].mean))])) as Record<MetricName, Stat>
  const noiseSeeds = [...new Set(mine.map((r) => r.noiseSeed))].sort((a, b) => a - b)
  const pooledOf = (rate: 'MDR' | 'ErrDR', count: 'nMilestones' | 'nErrors'): { total: number; detected: Stat } => {
    const total = genSeeds.reduce((a, g) => a + (perSeed[String(g)] as { nMilestones: number; nErrors: number })[count], 0)
    const perNoise = noiseSeeds.map((s) => {
      const rs = mine.filter((r) => r.noiseSeed === s)
      return rs.length === genSeeds.length ? rs.reduce((a, r) => a + Math.round((r.scores[rate] ?? 0) * r.scores[count]), 0) : null
    })
    return { total, detected: stat(perNoise) }
  }
  return { model, perSeed, acrossSeeds, pooled: { milestones: pooledOf('MDR', 'nMilestones'), errors: pooledOf('ErrDR', 'nErrors') } }
}

export type Verdict = 'win' | 'loss' | 'within noise'

export interface Comparison {
  metric: MetricName
  perSeed: { genSeed: number; challenger: Stat; reference: Stat; verdict: Verdict }[]
  wins: number
  losses: number
  /** The challenger's across-seed mean minus the reference's. */
  meanDifference: number | null
}

/**
 * Challenger vs reference per generator seed: a win when every noise draw of the challenger is above every draw of
 * the reference, a loss when every draw is below, otherwise within noise. For the detection rates the gap must also
 * be at least two events: one event (≈ 0.06–0.08 of a dozen or so errors) is a tie, whatever the noise.
 */
export function compare(challenger: ModelSummary, reference: ModelSummary, metric: MetricName, genSeeds: readonly number[]): Comparison {
  const perSeed = genSeeds.map((g) => {
    const seed = challenger.perSeed[String(g)] as ModelSummary['perSeed'][string]
    const c = seed[metric]
    const r = (reference.perSeed[String(g)] as Record<MetricName, Stat>)[metric]
    const events = metric === 'MDR' ? seed.nMilestones : metric === 'ErrDR' ? seed.nErrors : 0
    const margin = events > 0 ? 1.5 / events : 0
    let verdict: Verdict = 'within noise'
    if (c.min !== null && r.max !== null && c.min - r.max > margin) verdict = 'win'
    else if (c.max !== null && r.min !== null && r.min - c.max > margin) verdict = 'loss'
    return { genSeed: g, challenger: c, reference: r, verdict }
  })
  const a = challenger.acrossSeeds[metric].mean
  const b = reference.acrossSeeds[metric].mean
  return {
    metric,
    perSeed,
    wins: perSeed.filter((p) => p.verdict === 'win').length,
    losses: perSeed.filter((p) => p.verdict === 'loss').length,
    meanDifference: a === null || b === null ? null : r4(a - b),
  }
}

const f3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3).replace('-', '−'))
export const pm = (s: Stat): string => (s.mean === null ? 'n/a' : `${f3(s.mean)} ± ${(s.sd ?? 0).toFixed(3)}`)

export interface TableRow {
  name: string
  summary: ModelSummary
}

/** Mean ± sd across generator seeds (of each seed's mean over noise seeds). */
export function acrossSeedsTable(rows: readonly TableRow[]): string {
  const head = `| Method | ${METRICS.map((m) => METRIC_HEADERS[m]).join(' | ')} |`
  const rule = `|---|${METRICS.map(() => '---').join('|')}|`
  return [head, rule, ...rows.map((r) => `| ${r.name} | ${METRICS.map((m) => pm(r.summary.acrossSeeds[m])).join(' | ')} |`)].join('\n')
}

/** One row per generator seed and method: mean ± sd over noise seeds. */
export function perSeedTable(rows: readonly TableRow[], genSeeds: readonly number[]): string {
  const head = `| Seed | Method | ${METRICS.map((m) => METRIC_HEADERS[m]).join(' | ')} | milestones / errors |`
  const rule = `|---|---|${METRICS.map(() => '---').join('|')}|---|`
  const lines = [head, rule]
  for (const g of genSeeds) {
    for (const r of rows) {
      const s = r.summary.perSeed[String(g)]
      if (!s) continue
      lines.push(`| ${g} | ${r.name} | ${METRICS.map((m) => pm(s[m])).join(' | ')} | ${s.nMilestones} / ${s.nErrors} |`)
    }
  }
  return lines.join('\n')
}

/** ViVa vs baseline on the detection rates, per generator seed. */
export function verdictTable(comparisons: readonly Comparison[], genSeeds: readonly number[]): string {
  const head = `| Metric | ${genSeeds.map((g) => `seed ${g}`).join(' | ')} | wins / losses | mean difference |`
  const rule = `|---|${genSeeds.map(() => '---').join('|')}|---|---|`
  const cell = (p: Comparison['perSeed'][number]): string => `${f3(p.challenger.mean)} vs ${f3(p.reference.mean)}: ${p.verdict}`
  return [head, rule, ...comparisons.map((c) => `| ${METRIC_HEADERS[c.metric]} | ${c.perSeed.map(cell).join(' | ')} | ${c.wins} / ${c.losses} of ${genSeeds.length} | ${f3(c.meanDifference)} |`)].join('\n')
}

/** One sentence per detection rate that says what holds, from the comparison alone. */
export function verdictSentence(c: Comparison, n: number): string {
  const name = METRIC_HEADERS[c.metric]
  if (c.wins === n) return `${name}: ViVa beats the baseline on ${n}/${n} seeds, on every noise draw.`
  if (c.losses === n) return `${name}: ViVa is below the baseline on ${n}/${n} seeds, on every noise draw.`
  const within = n - c.wins - c.losses
  const parts = [c.wins > 0 ? `above it on ${c.wins}` : '', c.losses > 0 ? `below it on ${c.losses}` : '', within > 0 ? `within noise on ${within}` : ''].filter(Boolean)
  return `${name}: no clear winner: ViVa is ${parts.join(', ')} of ${n} seeds (mean difference ${f3(c.meanDifference)}).`
}

export function markers(name: string): { start: string; end: string } {
  return { start: `<!-- model-card:${name}:start -->`, end: `<!-- model-card:${name}:end -->` }
}

/** Replaces what lies between the two marker comments of `name`; throws naming the markers when either is missing. */
export function replaceBetween(text: string, name: string, content: string, file: string): string {
  const { start, end } = markers(name)
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a < 0 || b < 0 || b < a) throw new Error(`${file}: missing the marker comments ${start} … ${end}`)
  return `${text.slice(0, a + start.length)}\n${content.trim()}\n${text.slice(b)}`
}

/** A viva-flow manifest's scheduler.readout (main/inference/manifest.ts is where its options are defined). */
export type Readout = NonNullable<VivaFlowManifest['scheduler']['readout']>

const READOUT_LINE = /\n {4}"readout": \{[^}\n]*\},/

/**
 * The manifest text with another scheduler.readout (null: none, the single seeded draw), edited as text so that every
 * other byte stays: removing a readout this added restores the original file, and with it the package id (a content
 * hash) under which the scoring cache holds its curves.
 */
export function withReadout(text: string, readout: Readout | null): string {
  const without = text.replace(READOUT_LINE, '')
  if (!readout) return without
  const at = /\n {4}"default_steps": \d+,/.exec(without)
  if (!at) throw new Error('viva-model.json: no scheduler.default_steps line to put the readout after')
  const end = at.index + at[0].length
  return `${without.slice(0, end)}\n    "readout": ${JSON.stringify(readout)},${without.slice(end)}`
}

/** Events detected (ERS > 0, the rule of MDR / ErrDR) out of those scored, for one event label. */
export interface LabelCount {
  detected: number
  total: number
}

/**
 * MDR / ErrDR split by event label (`milestone · Lift object`, `error · Stall`), so a gap between two models can be
 * traced to the kinds of events behind it. The same ERS as the metric code (app/metrics.ts, relative, the given
 * window); events whose window is empty are not counted, as there. Curves must be in the progress convention.
 */
export function labelDetections(
  events: readonly { episode: number; frame: number; kind: 'milestone' | 'error'; label: string }[],
  curves: readonly { episode: number; convention: string; values: ArrayLike<number> }[],
  window: number,
): Record<string, LabelCount> {
  const byEpisode = new Map<number, ArrayLike<number>>()
  for (const c of curves) {
    if (c.convention !== 'progress') throw new Error(`labelDetections: episode ${c.episode}'s curve is in the ${c.convention} convention, not progress`)
    byEpisode.set(c.episode, c.values)
  }
  const out: Record<string, LabelCount> = {}
  for (const e of events) {
    const values = byEpisode.get(e.episode)
    if (!values) continue
    const score = ers(values, e.frame, directionOf(e.kind), { window, variant: 'relative' })
    if (score === null) continue
    const slot = (out[`${e.kind} · ${e.label}`] ??= { detected: 0, total: 0 })
    slot.total += 1
    if (score > 0) slot.detected += 1
  }
  return out
}

/** Adds `from`'s counts into `into` (pooling over generator and noise seeds). */
export function addLabelCounts(into: Record<string, LabelCount>, from: Record<string, LabelCount>): void {
  for (const [k, c] of Object.entries(from)) {
    const slot = (into[k] ??= { detected: 0, total: 0 })
    slot.detected += c.detected
    slot.total += c.total
  }
}

/** Markdown: one row per label (milestones first), one column per model, "rate (detected / total)". */
export function labelTable(byModel: Record<string, Record<string, LabelCount>>): string {
  const models = Object.keys(byModel)
  const labels = [...new Set(models.flatMap((m) => Object.keys(byModel[m] ?? {})))].sort((a, b) => Number(a.startsWith('error')) - Number(b.startsWith('error')) || a.localeCompare(b))
  const cell = (c: LabelCount | undefined): string => (c && c.total > 0 ? `${(c.detected / c.total).toFixed(2)} (${c.detected} / ${c.total})` : '—')
  return [`| Event | ${models.join(' | ')} |`, `|---|${models.map(() => '---|').join('')}`, ...labels.map((l) => `| ${l} | ${models.map((m) => cell(byModel[m]?.[l])).join(' | ')} |`)].join('\n')
}
