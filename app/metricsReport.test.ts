import { describe, expect, it } from 'vitest'
import { aggregateMetrics, groundTruthProgress } from './metrics'
import { buildMetricsReport, metricsReportRows, metricsReportText, seriesKey, TRUTH_SERIES, type MetricsInput } from './metricsReport'

const params = { steps: 1, seed: 0, cameras: ['a', 'b', 'c'] }
const model = (episode: number, values: number[]) => ({
  info: { source: 'model' as const, modelId: 'abc', params, name: 'viva · 1 step', convention: 'progress' as const, episode, length: values.length },
  values: Float32Array.from(values),
})

function input(): MetricsInput {
  return {
    fps: 10,
    episodes: [
      { index: 0, task: 'fold', length: 6 },
      { index: 1, task: 'fold', length: 6 },
      { index: 2, task: 'pack', length: 4 },
      { index: 3, task: 'pack', length: 4 },
    ],
    outcomes: new Map([[0, 'success'], [1, 'failure'], [2, 'success'], [3, 'unknown']]),
    events: [
      { episode: 0, frame: 2, kind: 'milestone', label: 'grasp' },
      { episode: 1, frame: 3, kind: 'error', label: 'drop' },
      { episode: 1, frame: 1, kind: 'error', label: 'slip' },
      { episode: 2, frame: 1, kind: 'error', label: 'drop' },
      { episode: 3, frame: 1, kind: 'error', label: 'drop' },
    ],
    curves: [
      model(0, [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]),
      model(1, [0.1, 0.3, 0.4, 0.2, 0.2, 0.1]),
      model(2, [0.2, 0.4, 0.6, 0.8]),
      model(3, [0.2, 0.4, 0.6, 0.8]),
      // An imported remaining-progress curve: drawn (and scored) as 1 − r.
      { info: { source: 'import', modelId: null, params: null, name: 'ref · prediction', convention: 'remaining', episode: 0, length: 6 }, values: Float32Array.of(0.9, 0.8, 0.7, 0.4, 0.3, 0.1) },
    ],
  }
}

describe('metrics report', () => {
  const options = { window: { frames: 2 }, variant: 'relative' as const }

  it('has one table per task with a row per series, the ground truth first', () => {
    const r = buildMetricsReport(input(), options)
    expect(r.tasks.map((t) => t.task)).toEqual(['fold', 'pack'])
    const fold = r.tasks[0]!
    expect(fold.episodes).toBe(2)
    expect(fold.rows.map((x) => x.series)).toEqual([TRUTH_SERIES, seriesKey(model(0, []).info), 'i:ref · prediction'])
    expect(fold.rows[0]!.row.pearson).toBe(1)
    // The model row is exactly the pooled aggregate of its two episodes.
    const expected = aggregateMetrics(
      [
        { episode: 0, task: 'fold', outcome: 'success', values: [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], milestones: [2], errors: [] },
        { episode: 1, task: 'fold', outcome: 'failure', values: [0.1, 0.3, 0.4, 0.2, 0.2, 0.1], milestones: [], errors: [3, 1] },
      ],
      { window: 2, variant: 'relative' },
    )
    const got = fold.rows[1]!.row
    for (const k of ['pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR'] as const) expect(got[k]).toBeCloseTo(expected[k] as number, 6)
    // The remaining curve equals episode 0's model curve once flipped: same correlations.
    expect(fold.rows[2]!.row.pearson).toBeCloseTo(r.episodes.find((e) => e.series === fold.rows[1]!.series && e.episode === 0)!.row.pearson!, 6)
  })

  it('leaves out episodes without an outcome and says why; counts error types per task', () => {
    const r = buildMetricsReport(input(), options)
    expect(r.skipped).toEqual([{ episode: 3, reason: expect.stringMatching(/no success\/failure outcome/) }])
    expect(r.tasks[1]!.episodes).toBe(1)
    expect(r.tasks[0]!.errorTypes).toEqual([{ label: 'drop', count: 1 }, { label: 'slip', count: 1 }])
    expect(r.tasks[1]!.errorTypes).toEqual([{ label: 'drop', count: 1 }])
  })

  it('drills down per episode to the worst event, and the ground truth matches its own definition', () => {
    const r = buildMetricsReport(input(), options)
    const ep1 = r.episodes.find((e) => e.series !== TRUTH_SERIES && e.episode === 1)!
    // Errors at 1 and 3 on [0.1,0.3,0.4,0.2,0.2,0.1]: frame 1 rises afterwards (bad), frame 3 falls (good).
    expect(ep1.worst).toMatchObject({ frame: 1, kind: 'error', label: 'slip' })
    expect(ep1.worst!.ers).toBeLessThan(0)
    const truth = r.episodes.find((e) => e.series === TRUTH_SERIES && e.episode === 1)!
    expect(truth.row.pearson).toBe(1)
    expect(Array.from(groundTruthProgress(6, 'failure')).every((v) => v <= 0.5)).toBe(true)
  })

  it('keeps series names unique: runs that differ in seed say so', () => {
    const i = input()
    const other = model(0, [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    other.info = { ...other.info, params: { ...params, seed: 9 } }
    i.curves.push(other)
    const names = buildMetricsReport(i, options).series.map((s) => s.name)
    expect(names).toContain('viva · 1 step · seed 0')
    expect(names).toContain('viva · 1 step · seed 9')
    expect(new Set(names).size).toBe(names.length)
  })

  it('labels the variant and window (frames used, seconds, fps) in every export', () => {
    const r = buildMetricsReport(input(), { window: { seconds: 0.3 }, variant: 'absolute' })
    expect(r).toMatchObject({ window: 3, windowSeconds: 0.3, fps: 10, windowRequested: { seconds: 0.3 } })
    const csv = metricsReportRows(r).map((row) => row.join(','))
    expect(csv[0]).toBe(
      'task,series,episodes,pearson,spearman,voc,MS,ES,MDR,ErrDR,auroc_mean,auroc_final,n_success,n_failure,n_milestones,n_errors,skipped_milestones,skipped_errors,variant,window_frames,window_seconds,fps',
    )
    expect(csv).toHaveLength(1 + 3 + 2)
    expect(csv[1]).toMatch(/^fold,ground truth,2,1,1,1,.*,1,1,1,1,.*,absolute,3,0.3,10$/)
    expect(metricsReportText(r)).toMatch(/ERS variant: absolute \(window 3 frames = 0.3 s at 10 fps/)
  })

  it('reports success/failure separation (AUROC of mean level and final value) beside the paper metrics', () => {
    // Two successes rising through the success band; a failure whose curve rises the same way, a little lower: its
    // Pearson with its own ground truth is high, yet its level says "success". A second failure sits low.
    const rise = (from: number, to: number): number[] => Array.from({ length: 10 }, (_, i) => from + ((to - from) * i) / 9)
    const base: MetricsInput = {
      fps: 10,
      episodes: [0, 1, 2, 3].map((index) => ({ index, task: 't', length: 10 })),
      outcomes: new Map([[0, 'success'], [1, 'success'], [2, 'failure'], [3, 'failure']]),
      events: [],
      curves: [model(0, rise(0.55, 1)), model(1, rise(0.5, 0.95)), model(2, rise(0.52, 0.97)), model(3, rise(0.05, 0.5))],
    }
    const r = buildMetricsReport(base, options)
    const [truth, curve] = r.tasks[0]!.rows
    expect(truth!.separation).toEqual({ meanLevel: 1, finalValue: 1, nSuccess: 2, nFailure: 2 })
    // The failure in the success band: Pearson 1 (a straight rise), but it beats one of the two successes.
    expect(r.episodes.find((e) => e.series === curve!.series && e.episode === 2)!.row.pearson).toBeCloseTo(1, 6)
    expect(curve!.separation).toEqual({ meanLevel: 0.75, finalValue: 0.75, nSuccess: 2, nFailure: 2 })
    expect(metricsReportText(r)).toMatch(/AUROC mean\s+AUROC final/)
    expect(metricsReportText(r)).toContain('ties counting one half')
    // One outcome only: no separation to measure.
    const onlySuccess = buildMetricsReport({ ...base, outcomes: new Map([[0, 'success'], [1, 'success']]) }, options)
    expect(onlySuccess.tasks[0]!.rows[1]!.separation).toEqual({ meanLevel: null, finalValue: null, nSuccess: 2, nFailure: 0 })
  })

  it('takes the paper window, 1/6 s, by default: 2 frames at 10 fps, 5 at 30 fps', () => {
    expect(buildMetricsReport(input(), { variant: 'relative' })).toMatchObject({ window: 2, windowSeconds: 0.2, fps: 10 })
    const at30 = buildMetricsReport({ ...input(), fps: 30 }, { variant: 'relative' })
    expect(at30.window).toBe(5)
    expect(at30.tasks[0]!.rows[1]!.row).toEqual(buildMetricsReport({ ...input(), fps: 30 }, { window: { frames: 5 }, variant: 'relative' }).tasks[0]!.rows[1]!.row)
  })

  it('lists a curve with NaN as left out, with the frame, and scores the rest', () => {
    const bad = input()
    bad.curves[0]!.values[2] = Number.NaN
    const r = buildMetricsReport(bad, options)
    expect(r.skipped).toContainEqual({ episode: 0, reason: 'viva · 1 step, episode 0: value at frame 2 is NaN' })
    expect(r.tasks[0]!.rows.find((x) => x.series.startsWith('m:'))!.row.episodes).toBe(1)
  })
})
