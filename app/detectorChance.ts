/**
 * Scoring the event detector's suggestions against annotated events, and the chance baselines they are judged
 * against (app/detectorCalibration.ts).
 *
 * Matching. A suggestion is right when it pairs one-to-one with an annotated event of its kind within ±tolerance
 * (matchEvents, closest first); default tolerance 0.5 s (5 frames at the generated datasets' 10 fps, 15 at 30 fps).
 * Precision = matched / proposed, recall = matched / annotated, F1 = 2·matched / (proposed + annotated), all from
 * counts summed over episodes and both kinds.
 *
 * Chance. The same suggestions moved at random within their episode: (a) shifted — every suggestion of an episode
 * moved by one offset drawn uniformly from [0, length), wrapping around (keeps their number and spacing); (b)
 * uniform — each suggestion put at a uniformly drawn frame (keeps their number per kind); (c) positions — each
 * suggestion put at a time drawn from where the detector puts that kind in the other episodes, as a fraction of
 * the episode (keeps their number, and the detector's habits: a long window never suggests near an episode's ends,
 * where annotated events are rare too, which (a) and (b) would count as skill). Matched the same way,
 * CHANCE_DRAWS draws from each of CHANCE_SEEDS seeds; counts averaged over all draws, and the spread of the
 * precision between seeds (sample standard deviation of the per-seed means) reported beside it.
 */
import { matchEvents, type Candidate, type EventKind, type MatchCounts, type TruthEvent, matchCounts } from './detector'
import { mulberry32 } from './random'

export const KINDS: readonly EventKind[] = ['milestone', 'error']

export const CHANCE_SEEDS = 5
export const CHANCE_DRAWS = 40

export interface KindScore extends MatchCounts {
  f1: number
}

/** Matches summed over episodes, with F1 and the numbers proposed and annotated. */
export interface DetectionScore extends KindScore {
  byKind: Record<EventKind, KindScore>
  proposed: Record<EventKind, number>
  annotated: Record<EventKind, number>
}

export interface ChanceScore extends DetectionScore {
  /** Sample standard deviation of the precision between seeds (each seed's mean over its draws). */
  precisionSpread: number
  recallSpread: number
}

export interface DetectorChance {
  /** Each episode's suggestions shifted together by a random offset, wrapping around. */
  shifted: ChanceScore
  /** Each suggestion at a random frame of its episode. */
  uniform: ChanceScore
  /**
   * Each suggestion at a random time drawn from where the same detector puts that kind in the other episodes
   * (relative to the episode's length): right as often as the detector's usual timing is, so a win over it is
   * knowing *when in this episode*, not only avoiding the episode's ends.
   */
  positions: ChanceScore
  seeds: number
  drawsPerSeed: number
}

export function f1Of(tp: number, proposed: number, annotated: number): number {
  return proposed + annotated === 0 ? 1 : (2 * tp) / (proposed + annotated)
}

export function kindScore(tp: number, proposed: number, annotated: number): KindScore {
  return { ...matchCounts(tp, proposed - tp, annotated - tp), f1: f1Of(tp, proposed, annotated) }
}

export interface Tally {
  tp: Record<EventKind, number>
  proposed: Record<EventKind, number>
  annotated: Record<EventKind, number>
}

export const emptyTally = (): Tally => ({ tp: { milestone: 0, error: 0 }, proposed: { milestone: 0, error: 0 }, annotated: { milestone: 0, error: 0 } })

export function addMatch(t: Tally, candidates: readonly Candidate[], truth: readonly TruthEvent[], tolerance: number, weight = 1): void {
  const r = matchEvents(candidates, truth, tolerance)
  for (const k of KINDS) {
    t.tp[k] += weight * r.byKind[k].tp
    t.proposed[k] += weight * (r.byKind[k].tp + r.byKind[k].fp)
    t.annotated[k] += weight * (r.byKind[k].tp + r.byKind[k].fn)
  }
}

export function scoreOf(t: Tally): DetectionScore {
  const tp = t.tp.milestone + t.tp.error
  const proposed = t.proposed.milestone + t.proposed.error
  const annotated = t.annotated.milestone + t.annotated.error
  return {
    ...kindScore(tp, proposed, annotated),
    byKind: { milestone: kindScore(t.tp.milestone, t.proposed.milestone, t.annotated.milestone), error: kindScore(t.tp.error, t.proposed.error, t.annotated.error) },
    proposed: { ...t.proposed },
    annotated: { ...t.annotated },
  }
}

function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1))
}

/** The chance baselines of a set of suggestions (see the header). */
export function chanceOf(
  suggestions: readonly { candidates: readonly Candidate[]; truth: readonly TruthEvent[]; length: number }[],
  tolerance: number,
  seeds = CHANCE_SEEDS,
  draws = CHANCE_DRAWS,
): DetectorChance {
  // Where the detector puts each kind, as a fraction of the episode (for the `positions` baseline).
  const pool: Record<EventKind, { episode: number; at: number }[]> = { milestone: [], error: [] }
  suggestions.forEach((x, episode) => {
    for (const c of x.candidates) pool[c.kind].push({ episode, at: x.length > 1 ? c.frame / (x.length - 1) : 0 })
  })
  const run = (move: (c: readonly Candidate[], length: number, random: () => number, episode: number) => Candidate[]): ChanceScore => {
    const total = emptyTally()
    const perSeed: { p: number; r: number }[] = []
    for (let s = 1; s <= seeds; s++) {
      // Seeded: chance draws are reproducible.
      const random = mulberry32(s)
      const mine = emptyTally()
      for (let d = 0; d < draws; d++) {
        suggestions.forEach((x, i) => addMatch(mine, move(x.candidates, Math.max(1, x.length), random, i), x.truth, tolerance))
      }
      const sc = scoreOf(mine)
      perSeed.push({ p: sc.precision, r: sc.recall })
      for (const k of KINDS) {
        total.tp[k] += mine.tp[k]
        total.proposed[k] += mine.proposed[k]
        total.annotated[k] += mine.annotated[k]
      }
    }
    const n = seeds * draws
    for (const k of KINDS) {
      total.tp[k] /= n
      total.proposed[k] /= n
      total.annotated[k] /= n
    }
    return { ...scoreOf(total), precisionSpread: sampleSd(perSeed.map((x) => x.p)), recallSpread: sampleSd(perSeed.map((x) => x.r)) }
  }
  return {
    shifted: run((cs, length, random) => {
      const offset = Math.floor(random() * length)
      return cs.map((c) => ({ ...c, frame: (c.frame + offset) % length }))
    }),
    uniform: run((cs, length, random) => cs.map((c) => ({ ...c, frame: Math.floor(random() * length) }))),
    positions: run((cs, length, random, episode) =>
      cs.map((c) => {
        const own = pool[c.kind]
        const others = own.filter((x) => x.episode !== episode)
        const from = others.length > 0 ? others : own
        const r = (from[Math.floor(random() * from.length)] as { at: number }).at
        return { ...c, frame: Math.min(length - 1, Math.round(r * (length - 1))) }
      }),
    ),
    seeds,
    drawsPerSeed: draws,
  }
}
