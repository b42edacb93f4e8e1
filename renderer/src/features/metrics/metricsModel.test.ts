import { describe, expect, it } from 'vitest'
import type { MetricRow } from '../../../../app/metrics'
import type { EpisodeMetricRow, SeriesInfo, TaskTable } from '../../../../app/metricsReport'
import { bestValues, episodeRanges, eventsText, fmt, groupSkipped, isBest, orderedRows, sortEpisodeRows, sourceText } from './metricsModel'

function row(patch: Partial<MetricRow> = {}): MetricRow {
  return {
    episodes: 2,
    pearson: 0.5,
    spearman: 0.5,
    voc: 0.5,
    MS: 0.1,
    ES: 0.1,
    MDR: 0.5,
    ErrDR: 0.5,
    nMilestones: 4,
    nErrors: 2,
    skippedMilestones: 0,
    skippedErrors: 0,
    variant: 'relative',
    window: 5,
    ...patch,
  }
}

function ep(episode: number, patch: Partial<MetricRow>, worst: number | null = null): EpisodeMetricRow {
  return {
    series: 's',
    episode,
    task: 't',
    outcome: episode % 2 ? 'failure' : 'success',
    row: row(patch),
    worst: worst === null ? null : { frame: 3, kind: 'error', label: 'x', ers: worst },
  }
}

const NO_SEPARATION = { meanLevel: null, finalValue: null, nSuccess: 0, nFailure: 0 }

describe('metrics view helpers', () => {
  it('formats values to 3 decimals with a true minus sign', () => {
    expect(fmt(1)).toBe('1.000')
    expect(fmt(-0.12345)).toBe('−0.123')
    expect(fmt(null)).toBe('—')
    expect(fmt(Number.NaN)).toBe('NaN')
    expect(fmt(-Infinity)).toBe('−∞')
  })

  it('puts ground truth first, then the series in report order', () => {
    const table: TaskTable = { task: 't', episodes: 2, errorTypes: [], rows: [{ series: 'b', row: row(), separation: NO_SEPARATION }, { series: 'truth', row: row(), separation: NO_SEPARATION }, { series: 'a', row: row(), separation: NO_SEPARATION }] }
    const series = [{ key: 'truth' }, { key: 'a' }, { key: 'b' }] as SeriesInfo[]
    expect(orderedRows(table, series).map((r) => r.series)).toEqual(['truth', 'a', 'b'])
  })

  it('marks the best value per column among the curves, never ground truth, and only with two or more curves', () => {
    const table: TaskTable = {
      task: 't',
      episodes: 2,
      errorTypes: [],
      rows: [
        { series: 'truth', row: row({ pearson: 1, MS: 9 }), separation: NO_SEPARATION },
        { series: 'a', row: row({ pearson: 0.8, MS: -0.2, ES: null }), separation: NO_SEPARATION },
        { series: 'b', row: row({ pearson: 0.6, MS: 0.3, ES: 0.2 }), separation: NO_SEPARATION },
      ],
    }
    const best = bestValues(table)
    expect(best).toMatchObject({ pearson: 0.8, MS: 0.3, ES: null })
    expect(isBest(best, 'pearson', table.rows[1]!.row, 'a')).toBe(true)
    expect(isBest(best, 'pearson', table.rows[0]!.row, 'truth')).toBe(false)
    expect(isBest(best, 'MS', table.rows[2]!.row, 'b')).toBe(true)
    expect(isBest(best, 'ES', table.rows[2]!.row, 'b')).toBe(false)
    // Ties (as shown) are all best.
    expect(isBest(best, 'spearman', table.rows[1]!.row, 'a') && isBest(best, 'spearman', table.rows[2]!.row, 'b')).toBe(true)
    expect(bestValues({ ...table, rows: table.rows.slice(0, 2) }).pearson).toBeNull()
  })

  it('sorts episode rows by a column either way, rows without a value last', () => {
    const rows = [ep(0, { pearson: 0.2 }, -1), ep(1, { pearson: null }, null), ep(2, { pearson: 0.9 }, 0.5), ep(3, { pearson: 0.2 }, -3)]
    expect(sortEpisodeRows(rows, { key: 'pearson', dir: 'desc' }).map((r) => r.episode)).toEqual([2, 0, 3, 1])
    expect(sortEpisodeRows(rows, { key: 'pearson', dir: 'asc' }).map((r) => r.episode)).toEqual([0, 3, 2, 1])
    expect(sortEpisodeRows(rows, { key: 'worst', dir: 'asc' }).map((r) => r.episode)).toEqual([3, 0, 2, 1])
    expect(sortEpisodeRows(rows, { key: 'episode', dir: 'desc' }).map((r) => r.episode)).toEqual([3, 2, 1, 0])
    expect(sortEpisodeRows(rows, { key: 'outcome', dir: 'asc' }).map((r) => r.episode)).toEqual([1, 3, 0, 2])
    expect(rows.map((r) => r.episode)).toEqual([0, 1, 2, 3]) // a copy
  })

  it('groups skip reasons with their episodes as ranges', () => {
    const groups = groupSkipped([
      { episode: 4, reason: 'no outcome' },
      { episode: 1, reason: 'no outcome' },
      { episode: 2, reason: 'no outcome' },
      { episode: 7, reason: 'viva: 3 values for 40 frames' },
      { episode: 3, reason: 'no outcome' },
      { episode: 9, reason: 'no outcome' },
    ])
    expect(groups).toEqual([
      { reason: 'no outcome', episodes: [1, 2, 3, 4, 9] },
      { reason: 'viva: 3 values for 40 frames', episodes: [7] },
    ])
    expect(episodeRanges([1, 2, 3, 4, 9, 11, 12])).toBe('1–4, 9, 11–12')
  })

  it('says where a series comes from and how many events were scored or skipped', () => {
    const m = (steps: number, seed: number) => ({ modelId: 'abc', params: { steps, seed, cameras: ['a'] } })
    expect(sourceText({ key: 'm:abc:4:0:a,b', name: 'viva', source: 'model', convention: 'progress', ...m(4, 0) }, 'm:abc:4:0:a,b')).toBe('model · 4 steps · seed 0')
    expect(sourceText({ key: 'm:abc:1:7:a', name: 'viva', source: 'model', convention: 'progress', ...m(1, 7) }, 'm:abc:1:7:a')).toBe('model · 1 step · seed 7')
    expect(sourceText({ key: 'm:def:0:0:a', name: 'base', source: 'model', convention: 'progress', ...m(0, 0) }, 'm:def:0:0:a')).toBe('model')
    const none = { modelId: null, params: null }
    expect(sourceText({ key: 'i:x', name: 'x', source: 'import', convention: 'progress', ...none }, 'i:x')).toBe('imported')
    expect(sourceText({ key: 'truth', name: 'ground truth', source: 'truth', convention: 'progress', ...none }, 'truth')).toMatch(/reference/)
    expect(eventsText(row())).toBe('4 / 2')
    expect(eventsText(row({ skippedMilestones: 1, skippedErrors: 0 }))).toBe('4 / 2 (skipped 1 / 0)')
  })
})
