// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Method } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { buildMetricsReport, type MetricsReport, type MetricsReportOptions } from '../../../../app/metricsReport'
import { StoreProvider } from '../../state/StoreContext'
import { createAppStore } from '../../state/store'
import { MetricsView } from './MetricsView'
import { datasetClient, testEvent, testSummary } from '../../testing/builders'

const LENGTH = 40
const MODEL_A = 'm:aaa:1:0:cam'
const MODEL_B = 'm:bbb:4:0:cam'

function summary(): DatasetSummary {
  return testSummary({ fps: 10, length: LENGTH, episodes: 3, taskOf: (i) => (i === 2 ? 'pack' : 'fold') })
}

const ev = testEvent
const EVENTS = [ev('e1', 0, 20, 'milestone', 'grasp'), ev('e2', 1, 15, 'error', 'drop'), ev('e3', 1, 25, 'error', 'drop'), ev('e4', 1, 30, 'error', 'miss')]

function report(options: MetricsReportOptions, curves = true): MetricsReport {
  const curve = (modelId: string, steps: number, episode: number, noise: number) => ({
    info: { source: 'model' as const, modelId, params: { steps, seed: 0, cameras: ['cam'] }, name: modelId === 'aaa' ? 'model A' : 'model B', convention: 'progress' as const, episode, length: LENGTH },
    values: Float32Array.from({ length: LENGTH }, (_, i) => (episode === 0 ? 0.5 + i / (2 * LENGTH) : i / (2 * LENGTH)) + noise * Math.sin(i)),
  })
  return buildMetricsReport(
    {
      fps: 10,
      episodes: summary().episodes.map((e) => ({ index: e.index, task: e.tasks[0] ?? '', length: e.length })),
      outcomes: new Map([
        [0, 'success'],
        [1, 'failure'],
      ]),
      events: EVENTS,
      curves: curves ? [0, 1].flatMap((e) => [curve('aaa', 1, e, 0.01), curve('bbb', 4, e, 0.2)]) : [],
    },
    options,
  )
}

function setup(withCurves = true) {
  const fake = datasetClient(
    { fps: 10, length: LENGTH, episodes: 3, taskOf: (i) => (i === 2 ? 'pack' : 'fold') },
    {
      'metrics.compute': (p) => report(p, withCurves),
      'metrics.export': (p) => ({ filename: `d1-metrics.${p.format}`, mimeType: 'text/csv', content: 'task,series\n' }),
    },
    {},
    { events: EVENTS },
  )
  return { ...fake, store: createAppStore(fake.client) }
}

async function mount(withCurves = true) {
  const ctx = setup(withCurves)
  await ctx.store.getState().openDataset('/data/d1')
  ctx.store.getState().setScreenView('metrics')
  await act(async () => {
    render(
      <StoreProvider store={ctx.store} client={ctx.client}>
        <MetricsView />
      </StoreProvider>,
    )
  })
  return ctx
}

const computes = (calls: { method: Method; params: unknown }[]): unknown[] => calls.filter((c) => c.method === 'metrics.compute').map((c) => c.params)

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('MetricsView', () => {
  it('computes on open and shows one table per task: ground truth first and distinct, best values marked', async () => {
    const { calls } = await mount()
    expect(computes(calls)).toEqual([{ datasetId: 'd1', window: { seconds: 1 / 6 }, variant: 'relative' }])
    expect(screen.getByTestId('metrics-view').getAttribute('data-variant')).toBe('relative')
    expect(screen.getByTestId('metrics-variant-label').textContent).toMatch(/Showing relative ERS, window w = 2 frames = 0.2 s at 10 fps/)
    expect(screen.getByTestId('metrics-variant-label').textContent).toMatch(/relative divides by V_before and misbehaves when V_before is near 0 or negative; absolute is V_after − V_before/)
    const table = screen.getByTestId('metrics-table-0')
    const rows = within(table).getAllByRole('row').slice(1)
    expect(rows.map((r) => r.getAttribute('data-series'))).toEqual(['truth', MODEL_A, MODEL_B])
    const truth = within(table).getByTestId('metrics-row-truth')
    expect(truth.className).toMatch(/truth/)
    expect(truth.querySelector('[data-column="pearson"]')?.textContent).toBe('1.000')
    expect(truth.querySelector('.best')).toBeNull()
    // The smoother curve correlates better.
    expect(within(table).getByTestId(`metrics-row-${MODEL_A}`).querySelector('[data-column="pearson"]')?.className).toMatch(/best/)
    expect(within(table).getByTestId(`metrics-row-${MODEL_B}`).querySelector('[data-column="pearson"]')?.className).not.toMatch(/best/)
    expect(within(table).getByTestId(`metrics-row-${MODEL_B}`).textContent).toMatch(/model · 4 steps · seed 0/)
    // Success/failure separation beside the paper's columns: one success above one failure for every curve here.
    for (const key of ['truth', MODEL_A, MODEL_B]) {
      const row = within(table).getByTestId(`metrics-row-${key}`)
      expect(row.querySelector('[data-column="meanLevel"]')?.textContent).toBe('1.000')
      expect(row.querySelector('[data-column="finalValue"]')?.getAttribute('title')).toMatch(/^1 success \/ 1 failure episodes/)
    }
    expect(screen.getByTestId('metrics-separation-note').textContent).toMatch(/ties counting one half/)
    // Error types of the task, most frequent first.
    const types = screen.getAllByTestId('error-types')[0] as HTMLElement
    expect([...types.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['drop2', 'miss1'])
    // The task without outcomes has no table (its episode is listed as left out).
    expect(screen.queryByTestId('metrics-table-1')).toBeNull()
    expect(screen.getByTestId('metrics-skipped').textContent).toMatch(/no success\/failure outcome.*episode 2/)
    expect(screen.queryByTestId('metrics-empty')).toBeNull()
  })

  it('switches variant and window, saying which variant the table shows', async () => {
    const { calls } = await mount()
    await act(async () => {
      fireEvent.change(screen.getByTestId('metrics-variant'), { target: { value: 'absolute' } })
    })
    expect(screen.getByTestId('metrics-view').getAttribute('data-variant')).toBe('absolute')
    expect(screen.getByTestId('metrics-variant-label').textContent).toMatch(/Showing absolute ERS/)
    await act(async () => {
      fireEvent.change(screen.getByTestId('metrics-window'), { target: { value: '0' } })
    })
    expect(screen.getByRole('alert').textContent).toMatch(/positive number of seconds/)
    await act(async () => {
      fireEvent.change(screen.getByTestId('metrics-window'), { target: { value: '0.3' } })
    })
    expect(computes(calls)).toEqual([
      { datasetId: 'd1', window: { seconds: 1 / 6 }, variant: 'relative' },
      { datasetId: 'd1', window: { seconds: 1 / 6 }, variant: 'absolute' },
      { datasetId: 'd1', window: { seconds: 0.3 }, variant: 'absolute' },
    ])
    // The frames used at the dataset's 10 fps.
    expect(screen.getByTestId('metrics-view').getAttribute('data-window')).toBe('3')
    expect(screen.getByTestId('metrics-window-frames').textContent).toBe('3 frames = 0.3 s at 10 fps')
    await act(async () => {
      fireEvent.click(screen.getByTestId('metrics-recompute'))
    })
    expect(computes(calls)).toHaveLength(4)
  })

  it('drills into a row, sorts its episodes, and opens the player at the worst event', async () => {
    const { store } = await mount()
    await act(async () => {
      fireEvent.click(screen.getByTestId(`metrics-row-${MODEL_B}`))
    })
    expect(screen.getByTestId(`metrics-row-${MODEL_B}`).getAttribute('aria-expanded')).toBe('true')
    const episodeRows = (): string[] => screen.getAllByTestId(/^metrics-episode-row-/).map((r) => r.getAttribute('data-episode') ?? '')
    expect(episodeRows()).toEqual(['0', '1'])
    await act(async () => {
      fireEvent.click(screen.getByTestId('metrics-sort-episode'))
    })
    expect(episodeRows()).toEqual(['1', '0'])
    const failure = screen.getByTestId('metrics-episode-row-1')
    expect(failure.textContent).toMatch(/▼ (drop|miss) · frame \d+ · ERS/)
    const worst = Number(failure.getAttribute('data-worst-frame'))
    const expected = store.getState().metricsReport?.episodes.find((e) => e.series === MODEL_B && e.episode === 1)?.worst
    expect(worst).toBe(expected?.frame)
    await act(async () => {
      fireEvent.click(failure)
    })
    expect(store.getState().screen).toBe('player')
    expect(store.getState().episode?.index).toBe(1)
    expect(store.getState().pendingSeek).toMatchObject({ episode: 1, frame: worst, kind: 'error' })
    // Clicking the row again closes the drill-down.
    await act(async () => {
      fireEvent.click(screen.getByTestId(`metrics-row-${MODEL_B}`))
    })
    expect(screen.queryAllByTestId(/^metrics-episode-row-/)).toHaveLength(0)
  })

  it('downloads exports', async () => {
    const { calls } = await mount()
    const created: Blob[] = []
    const clicks: string[] = []
    URL.createObjectURL = (b: Blob | MediaSource): string => {
      created.push(b as Blob)
      return 'blob:x'
    }
    URL.revokeObjectURL = () => undefined
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download)
    })
    await act(async () => {
      fireEvent.click(screen.getByTestId('metrics-export-csv'))
    })
    await act(async () => {
      fireEvent.click(screen.getByTestId('metrics-export-json'))
    })
    expect(calls.filter((c) => c.method === 'metrics.export').map((c) => (c.params as { format: string }).format)).toEqual(['csv', 'json'])
    expect(clicks).toEqual(['d1-metrics.csv', 'd1-metrics.json'])
    expect(await created[0]?.text()).toBe('task,series\n')
    expect(screen.getByTestId('metrics-export-status').textContent).toBe('Downloaded d1-metrics.json')
    click.mockRestore()
  })

  it('explains what is missing when nothing is scored, and recomputes after curves change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { calls, emit } = await mount(false)
    const empty = screen.getByTestId('metrics-empty')
    expect(empty.textContent).toMatch(/No value curves to compare yet/)
    expect(empty.textContent).toMatch(/Score the episodes with a model/)
    expect(screen.getByTestId('metrics-skipped').hasAttribute('open')).toBe(true)
    // The ground-truth row is still there as the reference.
    expect(within(screen.getByTestId('metrics-table-0')).getAllByRole('row')).toHaveLength(2)
    emit('curves.changed', { datasetId: 'other', episode: 0 })
    emit('curves.changed', { datasetId: 'd1', episode: 0 })
    emit('curves.changed', { datasetId: 'd1', episode: 1 })
    expect(computes(calls)).toHaveLength(1)
    await act(async () => {
      vi.advanceTimersByTime(1000)
    })
    expect(computes(calls)).toHaveLength(2)
  })
})
