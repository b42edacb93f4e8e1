import type { ExportedText } from '../../../../app/contract'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErsVariant } from '../../../../app/metrics'
import type { MetricsReport } from '../../../../app/metricsReport'
import { DEFAULT_ERS_WINDOW_SECONDS, MAX_SPAN_SECONDS } from '../../../../app/timeSpan'
import type { ErrorsSlice } from '../../state/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { PlayerSlice } from '../player/state'

/** Columns the per-episode drill-down sorts by. */
export const EPISODE_SORT_KEYS = ['episode', 'outcome', 'pearson', 'spearman', 'voc', 'MS', 'ES', 'MDR', 'ErrDR', 'worst'] as const
export type EpisodeSortKey = (typeof EPISODE_SORT_KEYS)[number]
export interface EpisodeSort {
  key: EpisodeSortKey
  dir: 'asc' | 'desc'
}

/** The ERS window is a duration; the main side turns it into frames with the dataset's fps and reports them. */
export const DEFAULT_WINDOW_SECONDS = DEFAULT_ERS_WINDOW_SECONDS

/** A window the contract takes: more than 0 s, at most MAX_SPAN_SECONDS. */
export function validWindowSeconds(seconds: number): boolean {
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_SPAN_SECONDS
}

export interface MetricsSlice {
  /** ERS window in seconds (the report says how many frames that is at the dataset's fps). */
  metricsWindowSeconds: number
  metricsVariant: ErsVariant
  /** The last report computed; `metricsDatasetId` says for which dataset. */
  metricsReport: MetricsReport | null
  metricsDatasetId: string | null
  metricsLoading: boolean
  /** Why the last computation failed (the report shown, if any, is older). */
  metricsError: WireError | null
  /** The table row whose per-episode rows are shown. */
  metricsDrill: { task: string; series: string } | null
  metricsSort: EpisodeSort
  /** Set the ERS window in seconds (ignored unless validWindowSeconds) and recompute. */
  setMetricsWindowSeconds(seconds: number): void
  setMetricsVariant(variant: ErsVariant): void
  /** Compute the report of the current dataset with the current window and variant; only the latest answer is kept. */
  computeMetrics(): Promise<void>
  /** The report as CSV or JSON text (the main side formats it); null (and an error shown) on failure. */
  exportMetrics(format: 'csv' | 'json'): Promise<ExportedText | null>
  /** Show the metrics view of the current dataset (closes the player if it is open). */
  openMetrics(): void
  toggleMetricsDrill(task: string, series: string): void
  /** Sort the drill-down by a column; the same column again reverses the order. */
  setMetricsSort(key: EpisodeSortKey): void
}

export function createMetricsSlice({ client, set, get }: SliceContext<MetricsSlice, PlayerSlice & DatasetsSlice & ErrorsSlice>): MetricsSlice {
  const requests = createRequests()

  return {
    metricsWindowSeconds: DEFAULT_WINDOW_SECONDS,
    metricsVariant: 'relative',
    metricsReport: null,
    metricsDatasetId: null,
    metricsLoading: false,
    metricsError: null,
    metricsDrill: null,
    metricsSort: { key: 'episode', dir: 'asc' },

    setMetricsWindowSeconds(seconds) {
      if (!validWindowSeconds(seconds) || seconds === get().metricsWindowSeconds) return
      set({ metricsWindowSeconds: seconds })
      void get().computeMetrics()
    },

    setMetricsVariant(variant) {
      if (variant === get().metricsVariant) return
      set({ metricsVariant: variant })
      void get().computeMetrics()
    },

    async computeMetrics() {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      const { metricsWindowSeconds: seconds, metricsVariant: variant } = get()
      set({ metricsLoading: true })
      const out = await requests.run('compute', (signal) => client.call('metrics.compute', { datasetId, window: { seconds }, variant }, signal))
      if (out.status === 'stale') return
      if (out.status === 'ok') {
        const report = out.value
        set((s) => ({
          metricsReport: report,
          metricsDatasetId: datasetId,
          metricsError: null,
          // A drill-down into a row that no longer exists closes.
          metricsDrill:
            s.metricsDrill && s.metricsDatasetId === datasetId && report.tasks.some((t) => t.task === s.metricsDrill?.task && t.rows.some((r) => r.series === s.metricsDrill?.series))
              ? s.metricsDrill
              : null,
        }))
      } else set({ metricsError: toWireError(out.error) })
      set({ metricsLoading: false })
    },

    async exportMetrics(format) {
      const { currentDatasetId: datasetId, metricsWindowSeconds: seconds, metricsVariant: variant } = get()
      if (datasetId === null) return null
      try {
        return await client.call('metrics.export', { datasetId, window: { seconds }, variant, format })
      } catch (err) {
        get().pushError(err)
        return null
      }
    },

    openMetrics() {
      if (get().screen === 'player') get().closeEpisode()
      get().setScreenView('metrics')
    },

    toggleMetricsDrill(task, series) {
      const d = get().metricsDrill
      set({ metricsDrill: d && d.task === task && d.series === series ? null : { task, series } })
    },

    setMetricsSort(key) {
      const s = get().metricsSort
      // Numbers read best-first (descending) on the first click; the episode number and outcome ascending.
      const first: EpisodeSort['dir'] = key === 'episode' || key === 'outcome' ? 'asc' : 'desc'
      set({ metricsSort: s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: first } })
    },
  }
}
