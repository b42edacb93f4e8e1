import type { StoreApi } from 'zustand/vanilla'
import type { EventKind } from '../../../../app/annotations'
import type { ExportedText, VivaClient } from '../../../../app/contract'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErsVariant } from '../../../../app/metrics'
import type { MetricsReport } from '../../../../app/metricsReport'
import { DEFAULT_ERS_WINDOW_SECONDS, MAX_SPAN_SECONDS } from '../../../../app/timeSpan'
import type { AppState } from '../../state/store'

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

/** A seek to apply once the player has its driver for this episode (the views exist only after it renders). */
export interface PendingSeek {
  datasetId: string
  episode: number
  frame: number
  /** The event at that frame to select, if any. */
  kind: EventKind | null
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
  pendingSeek: PendingSeek | null
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
  /** Open an episode in the player, seeked to `frame` (e.g. the worst event of a curve) once it is shown. */
  openEpisodeAt(episode: number, frame: number, kind?: EventKind | null): Promise<void>
  /** Called when the player attaches its driver: applies (or drops, for another episode) the pending seek. */
  applyPendingSeek(): void
}

export function createMetricsSlice(
  client: VivaClient,
  set: StoreApi<AppState>['setState'],
  get: StoreApi<AppState>['getState'],
): MetricsSlice {
  let request = 0

  return {
    metricsWindowSeconds: DEFAULT_WINDOW_SECONDS,
    metricsVariant: 'relative',
    metricsReport: null,
    metricsDatasetId: null,
    metricsLoading: false,
    metricsError: null,
    metricsDrill: null,
    metricsSort: { key: 'episode', dir: 'asc' },
    pendingSeek: null,

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
      const mine = ++request
      const { metricsWindowSeconds: seconds, metricsVariant: variant } = get()
      set({ metricsLoading: true })
      try {
        const report = await client.call('metrics.compute', { datasetId, window: { seconds }, variant })
        if (mine !== request) return
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
      } catch (err) {
        if (mine !== request) return
        set({ metricsError: toWireError(err) })
      } finally {
        if (mine === request) set({ metricsLoading: false })
      }
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
      set({ screenView: 'metrics' })
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

    async openEpisodeAt(episode, frame, kind = null) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      set({ pendingSeek: { datasetId, episode, frame, kind } })
      await get().openEpisode(episode)
      const ep = get().episode
      // Opening failed or was superseded: the seek must not land in whatever opens next.
      if (!ep || ep.index !== episode || ep.datasetId !== datasetId) set({ pendingSeek: null })
    },

    applyPendingSeek() {
      const p = get().pendingSeek
      if (!p) return
      const ep = get().episode
      if (!ep || ep.datasetId !== p.datasetId || ep.index !== p.episode) {
        // A driver for an episode other than the target: another episode was opened meanwhile.
        if (ep) set({ pendingSeek: null })
        return
      }
      set({ pendingSeek: null })
      if (p.kind) {
        for (const e of get().project?.events.values() ?? []) {
          if (e.episode === p.episode && e.frame === p.frame && e.kind === p.kind) {
            get().selectEvent(e.id)
            break
          }
        }
      }
      get().seek(p.frame)
    },
  }
}
