import { describe, expect, it } from 'vitest'
import { addLabelCounts, compare, labelDetections, labelTable, replaceBetween, stat, summarize, verdictSentence, withReadout, type Run, type Scores } from './modelCardTables'

function scores(MDR: number, ErrDR: number): Scores {
  return { pearson: 0.8, spearman: 0.8, voc: 0.8, MS: 0.1, ES: -0.1, MDR, ErrDR, aurocMean: 0.9, aurocFinal: 0.9, nMilestones: 10, nErrors: 4 }
}

describe('model card statistics', () => {
  it('gives the sample standard deviation and leaves out missing values', () => {
    const s = stat([1, 2, 3, null])
    expect(s).toMatchObject({ mean: 2, sd: 1, n: 3, min: 1, max: 3 })
    expect(stat([0.5])).toMatchObject({ mean: 0.5, sd: 0 })
    expect(stat([null])).toMatchObject({ mean: null, sd: null, n: 0 })
  })

  it('summarizes over noise seeds per generator seed, then across generator seeds, and pools event counts', () => {
    const runs: Run[] = [
      { model: 'v', genSeed: 1, noiseSeed: 0, scores: scores(0.8, 0.25) },
      { model: 'v', genSeed: 1, noiseSeed: 1, scores: scores(0.6, 0.5) },
      { model: 'v', genSeed: 2, noiseSeed: 0, scores: scores(1.0, 0.75) },
      { model: 'v', genSeed: 2, noiseSeed: 1, scores: scores(1.0, 0.25) },
    ]
    const s = summarize(runs, 'v', [1, 2])
    expect(s.perSeed['1']?.MDR).toMatchObject({ mean: 0.7, n: 2 })
    expect(s.acrossSeeds.MDR).toMatchObject({ mean: 0.85, n: 2 })
    expect(s.acrossSeeds.MDR.sd).toBeCloseTo(Math.SQRT2 * 0.15, 4)
    // noise seed 0: 8 + 10 milestones of 20; noise seed 1: 6 + 10.
    expect(s.pooled.milestones.total).toBe(20)
    expect(s.pooled.milestones.detected).toMatchObject({ mean: 17, n: 2 })
    expect(s.pooled.errors.detected).toMatchObject({ mean: 3.5 }) // 1 + 3 and 2 + 1 of 8
  })

  it('calls a win only when every noise draw beats the reference, and says so honestly otherwise', () => {
    const runs: Run[] = [
      { model: 'v', genSeed: 1, noiseSeed: 0, scores: scores(0.9, 0.5) },
      { model: 'v', genSeed: 1, noiseSeed: 1, scores: scores(0.95, 0.25) },
      { model: 'v', genSeed: 2, noiseSeed: 0, scores: scores(1.0, 0) },
      { model: 'v', genSeed: 2, noiseSeed: 1, scores: scores(0.95, 0) },
      { model: 'b', genSeed: 1, noiseSeed: 0, scores: scores(0.7, 0.75) },
      { model: 'b', genSeed: 2, noiseSeed: 0, scores: scores(0.7, 0.75) },
    ]
    const v = summarize(runs, 'v', [1, 2])
    const b = summarize(runs, 'b', [1, 2])
    const mdr = compare(v, b, 'MDR', [1, 2])
    expect(mdr.perSeed.map((p) => p.verdict)).toEqual(['win', 'win'])
    expect(verdictSentence(mdr, 2)).toBe('MDR: ViVa beats the baseline on 2/2 seeds, on every noise draw.')
    const err = compare(v, b, 'ErrDR', [1, 2])
    expect(err.perSeed.map((p) => p.verdict)).toEqual(['within noise', 'loss'])
    expect(verdictSentence(err, 2)).toMatch(/^ErrDR: no clear winner: ViVa is below it on 1, within noise on 1 of 2 seeds/)
  })

  it('replaces the text between marker comments and names the file when they are missing', () => {
    const text = 'a\n<!-- model-card:evaluation:start -->\nold\n<!-- model-card:evaluation:end -->\nb\n'
    expect(replaceBetween(text, 'evaluation', 'new table\n', 'CARD.md')).toBe('a\n<!-- model-card:evaluation:start -->\nnew table\n<!-- model-card:evaluation:end -->\nb\n')
    expect(() => replaceBetween('no markers', 'detector', 'x', 'CARD.md')).toThrow(/CARD\.md: missing the marker comments <!-- model-card:detector:start -->/)
  })
})

describe('readout variants of a manifest', () => {
  const text = '{\n  "scheduler": {\n    "shift": 5.0,\n    "default_steps": 1,\n    "sigmas": "s"\n  },\n  "training": {\n      "default_steps": 1,\n  }\n}\n'
  it('puts the readout into the scheduler only and takes it out again byte for byte', () => {
    const zero = withReadout(text, { noise: 'zero' })
    expect(zero).toContain('    "default_steps": 1,\n    "readout": {"noise":"zero"},\n    "sigmas"')
    expect(JSON.parse(zero.replace(',\n  }\n}', '\n  }\n}')).scheduler.readout).toEqual({ noise: 'zero' })
    expect(withReadout(zero, null)).toBe(text)
    expect(withReadout(withReadout(zero, { noise: 'sample', samples: 4 }), null)).toBe(text)
  })
})

describe('detection-rate verdicts', () => {
  it('counts a one-event difference as a tie even between deterministic curves', () => {
    const one = (m: string, MDR: number): Run => ({ model: m, genSeed: 1, noiseSeed: 0, scores: { ...scores(MDR, 0.5), nMilestones: 10 } })
    const b = summarize([one('b', 0.7)], 'b', [1])
    expect(compare(summarize([one('v', 0.8)], 'v', [1]), b, 'MDR', [1]).perSeed[0]?.verdict).toBe('within noise')
    expect(compare(summarize([one('v', 0.9)], 'v', [1]), b, 'MDR', [1]).perSeed[0]?.verdict).toBe('win')
    expect(compare(summarize([one('v', 0.5)], 'v', [1]), b, 'MDR', [1]).perSeed[0]?.verdict).toBe('loss')
  })
})

describe('detections by event label', () => {
  // Episode 0 rises steadily, then falls after frame 6; episode 1 is flat.
  const rising = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.5, 0.3, 0.2])
  const flat = new Float32Array(10).fill(0.5)
  const curves = [
    { episode: 0, convention: 'progress', values: rising },
    { episode: 1, convention: 'progress', values: flat },
  ]
  const events = [
    { episode: 0, frame: 3, kind: 'milestone' as const, label: 'Lift object' },
    { episode: 1, frame: 3, kind: 'milestone' as const, label: 'Lift object' },
    { episode: 0, frame: 7, kind: 'error' as const, label: 'Stall' },
    { episode: 0, frame: 2, kind: 'error' as const, label: 'Stall' },
    // At the first frame: an empty window, not counted (as in MDR / ErrDR).
    { episode: 0, frame: 0, kind: 'milestone' as const, label: 'Grasp object' },
    // An episode without a curve is not counted either.
    { episode: 5, frame: 3, kind: 'milestone' as const, label: 'Lift object' },
  ]

  it('counts ERS > 0 per label with the metric code, milestones up and errors down', () => {
    expect(labelDetections(events, curves, 2)).toEqual({
      'milestone · Lift object': { detected: 1, total: 2 },
      'error · Stall': { detected: 1, total: 2 },
    })
  })

  it('refuses curves in another convention instead of flipping the verdict silently', () => {
    expect(() => labelDetections(events, [{ episode: 0, convention: 'cost', values: rising }], 2)).toThrow(/episode 0.*cost convention/)
  })

  it('pools counts and tabulates milestones before errors, one column per model', () => {
    const pooled = {}
    addLabelCounts(pooled, labelDetections(events, curves, 2))
    addLabelCounts(pooled, { 'milestone · Lift object': { detected: 2, total: 2 } })
    const table = labelTable({ a: pooled, b: { 'error · Stall': { detected: 0, total: 3 } } })
    expect(table.split('\n')).toEqual([
      '| Event | a | b |',
      '|---|---|---|',
      '| milestone · Lift object | 0.75 (3 / 4) | — |',
      '| error · Stall | 0.50 (1 / 2) | 0.00 (0 / 3) |',
    ])
  })
})
