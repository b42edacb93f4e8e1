import { describe, expect, it } from 'vitest'
import type { Method, Params, Result } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { buildMetricsReport, type MetricsReport, type MetricsReportOptions } from '../../../../app/metricsReport'
import { VivaError } from '../../../../app/errors'
import { createAppStore } from '../../state/store'
import { datasetClient, settle, testEvent, testSummary } from '../../testing/builders'

const LENGTH = 40

const summary = (): DatasetSummary => testSummary({ fps: 10, length: LENGTH, episodes: 3 })
const event = testEvent

const EVENTS = [event('e1', 0, 20, 'milestone', 'grasp'), event('e2', 1, 15, 'error', 'drop'), event('e3', 1, 30, 'milestone', 'grasp')]

/** A real report (app/metricsReport.ts) over a small synthetic dataset: two outcomes, one model series. */
function report(options: MetricsReportOptions, withCurves = true): MetricsReport {
  const ramp = (up: boolean): Float32Array => Float32Array.from({ length: LENGTH }, (_, i) => (up ? i / LENGTH : 0.5 - i / (4 * LENGTH)))
  return buildMetricsReport(
    {
      fps: 10,
      episodes: summary().episodes.map((e) => ({ index: e.index, task: 'fold', length: e.length })),
      outcomes: new Map([
        [0, 'success'],
        [1, 'failure'],
      ]),
      events: EVENTS,
      curves: withCurves
        ? [0, 1].map((ep) => ({
            info: { source: 'model' as const, modelId: 'abc', params: { steps: 1, seed: 0, cameras: ['a'] }, name: 'viva', convention: 'progress' as const, episode: ep, length: LENGTH },
            values: ramp(ep === 0),
          }))
        : [],
    },
    options,
  )
}

function fakeClient(answers: Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>) {
  return datasetClient({ fps: 10, length: LENGTH, episodes: 3 }, answers, {}, { events: EVENTS })
}

const tick = settle

describe('metrics slice', () => {
  it('computes the report of the current dataset with the paper window (1/6 s) and the relative variant by default', async () => {
    const { client, calls } = fakeClient({ 'metrics.compute': (p) => report(p) })
    const store = createAppStore(client)
    await store.getState().computeMetrics() // no dataset yet: nothing asked
    expect(calls.filter((c) => c.method === 'metrics.compute')).toHaveLength(0)
    await store.getState().openDataset('/data/d1')
    await store.getState().computeMetrics()
    expect(calls.filter((c) => c.method === 'metrics.compute').map((c) => c.params)).toEqual([{ datasetId: 'd1', window: { seconds: 1 / 6 }, variant: 'relative' }])
    const s = store.getState()
    expect(s.metricsDatasetId).toBe('d1')
    expect(s.metricsLoading).toBe(false)
    expect(s.metricsReport?.variant).toBe('relative')
    expect(s.metricsReport?.tasks[0]?.rows.map((r) => r.series)).toEqual(['truth', 'm:abc:1:0:a'])
    expect(s.metricsReport?.tasks[0]?.rows[0]?.row.pearson).toBeCloseTo(1, 12)
  })

  it('recomputes when the window or variant changes; invalid windows are ignored', async () => {
    const { client, calls } = fakeClient({ 'metrics.compute': (p) => report(p) })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    for (const bad of [0, -3, 3601, Number.NaN, Number.POSITIVE_INFINITY]) store.getState().setMetricsWindowSeconds(bad)
    store.getState().setMetricsWindowSeconds(1 / 6) // unchanged: no new request
    expect(calls.filter((c) => c.method === 'metrics.compute')).toHaveLength(0)
    store.getState().setMetricsWindowSeconds(0.3)
    await tick()
    store.getState().setMetricsVariant('absolute')
    await tick()
    store.getState().setMetricsVariant('absolute')
    await tick()
    expect(calls.filter((c) => c.method === 'metrics.compute').map((c) => c.params)).toEqual([
      { datasetId: 'd1', window: { seconds: 0.3 }, variant: 'relative' },
      { datasetId: 'd1', window: { seconds: 0.3 }, variant: 'absolute' },
    ])
    // 0.3 s at the dataset's 10 fps: 3 frames, as the report says.
    expect(store.getState().metricsReport).toMatchObject({ window: 3, windowSeconds: 0.3, fps: 10, variant: 'absolute' })
  })

  it('keeps only the latest answer when answers come back out of order', async () => {
    const release: (() => void)[] = []
    const { client, calls } = fakeClient({
      'metrics.compute': async (p) => {
        if (p.variant === 'relative') await new Promise<void>((r) => release.push(r))
        return report(p)
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    const slow = store.getState().computeMetrics()
    store.getState().setMetricsVariant('absolute')
    // The older request is cancelled on the main side too.
    expect(calls.filter((c) => c.method === 'metrics.compute').map((c) => c.signal?.aborted)).toEqual([true, false])
    await tick()
    expect(store.getState().metricsReport?.variant).toBe('absolute')
    expect(store.getState().metricsLoading).toBe(false)
    release.forEach((r) => r())
    await slow
    expect(store.getState().metricsReport?.variant).toBe('absolute')
  })

  it('a failed computation is shown and keeps the previous report', async () => {
    let fail = false
    const { client } = fakeClient({
      'metrics.compute': (p) => {
        if (fail) throw new VivaError('INTERNAL', 'curve store unreadable')
        return report(p)
      },
    })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().computeMetrics()
    fail = true
    await store.getState().computeMetrics()
    expect(store.getState().metricsError).toMatchObject({ code: 'INTERNAL', message: 'curve store unreadable' })
    expect(store.getState().metricsReport).not.toBeNull()
    fail = false
    await store.getState().computeMetrics()
    expect(store.getState().metricsError).toBeNull()
  })

  it('exports with the current window and variant; a failure becomes a visible error', async () => {
    let fail = false
    const { client, calls } = fakeClient({
      'metrics.compute': (p) => report(p),
      'metrics.export': (p) => {
        if (fail) throw new VivaError('INTERNAL', 'no')
        return { filename: `d1-metrics-${p.variant}.${p.format}`, mimeType: p.format === 'csv' ? 'text/csv' : 'application/json', content: 'x' }
      },
    })
    const store = createAppStore(client)
    expect(await store.getState().exportMetrics('csv')).toBeNull() // no dataset
    await store.getState().openDataset('/data/d1')
    store.getState().setMetricsVariant('absolute')
    store.getState().setMetricsWindowSeconds(0.7)
    expect(await store.getState().exportMetrics('csv')).toEqual({ filename: 'd1-metrics-absolute.csv', mimeType: 'text/csv', content: 'x' })
    expect(calls.filter((c) => c.method === 'metrics.export').map((c) => c.params)).toEqual([{ datasetId: 'd1', window: { seconds: 0.7 }, variant: 'absolute', format: 'csv' }])
    fail = true
    expect(await store.getState().exportMetrics('json')).toBeNull()
    expect(store.getState().errors.map((e) => e.message)).toEqual(['no'])
  })

  it('opens from the player: the episode closes and the dataset screen shows the metrics tab', async () => {
    const { client } = fakeClient({})
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().openEpisode(1)
    expect(store.getState().screen).toBe('player')
    store.getState().openMetrics()
    expect(store.getState()).toMatchObject({ screen: 'datasets', episode: null, screenView: 'metrics' })
  })

  it('toggles the drill-down, sorts it, and closes it when its row disappears', async () => {
    let withCurves = true
    const { client } = fakeClient({ 'metrics.compute': (p) => report(p, withCurves) })
    const store = createAppStore(client)
    await store.getState().openDataset('/data/d1')
    await store.getState().computeMetrics()
    const s = store.getState()
    s.toggleMetricsDrill('fold', 'm:abc:1:0:a')
    expect(store.getState().metricsDrill).toEqual({ task: 'fold', series: 'm:abc:1:0:a' })
    s.toggleMetricsDrill('fold', 'truth')
    expect(store.getState().metricsDrill).toEqual({ task: 'fold', series: 'truth' })
    s.toggleMetricsDrill('fold', 'truth')
    expect(store.getState().metricsDrill).toBeNull()

    expect(store.getState().metricsSort).toEqual({ key: 'episode', dir: 'asc' })
    s.setMetricsSort('pearson')
    expect(store.getState().metricsSort).toEqual({ key: 'pearson', dir: 'desc' })
    s.setMetricsSort('pearson')
    expect(store.getState().metricsSort).toEqual({ key: 'pearson', dir: 'asc' })
    s.setMetricsSort('episode')
    expect(store.getState().metricsSort).toEqual({ key: 'episode', dir: 'asc' })

    s.toggleMetricsDrill('fold', 'm:abc:1:0:a')
    await store.getState().computeMetrics() // still there: stays open
    expect(store.getState().metricsDrill).not.toBeNull()
    withCurves = false
    await store.getState().computeMetrics() // the curves are gone
    expect(store.getState().metricsDrill).toBeNull()
  })
})
