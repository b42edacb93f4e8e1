/**
 * Error triage state: the ranked drops of one curve series over the current dataset (app/triage.ts, computed on
 * the main side by `triage.drops`) and which of them the reviewer is at. A slice of the app store that writes only
 * `triage`; it opens episodes through the player's and the metrics view's actions.
 */
import type { StoreApi } from 'zustand/vanilla'
import type { VivaClient } from '../../../../app/contract'
import { toWireError } from '../../../../app/errors'
import { DEFAULT_TRIAGE_OPTIONS, type TriageDrop, type TriageReport } from '../../../../app/triage'
import type { AppState } from '../../state/store'

export interface TriageState {
  /** Series (seriesKey) to rank; null = the main side's choice (the series with the most episodes). */
  series: string | null
  windowSeconds: number
  threshold: number
  loading: boolean
  /** The last report; `report.series` says which series it ranks. */
  report: TriageReport | null
  /** The dataset the report is of. */
  datasetId: string | null
  error: string | null
  /** Rank (index into report.drops) of the drop last opened; −1 before the first. */
  cursor: number
}

export interface TriageSlice {
  triage: TriageState
  /** Rank the drops of the current dataset with the current options; a newer request cancels an older one. */
  loadTriage(): Promise<void>
  setTriageOptions(patch: Partial<Pick<TriageState, 'series' | 'windowSeconds' | 'threshold'>>): void
  /** Open the drop at `rank` in the player: its episode, at its frame. */
  openDrop(rank: number): Promise<void>
  /** N / Shift+N: the next / previous drop by rank (loads the ranking first when there is none for this dataset). */
  jumpDrop(direction: 1 | -1): Promise<void>
}

export const DEFAULT_TRIAGE: TriageState = {
  series: null,
  windowSeconds: 'seconds' in DEFAULT_TRIAGE_OPTIONS.window ? DEFAULT_TRIAGE_OPTIONS.window.seconds : 0.5,
  threshold: DEFAULT_TRIAGE_OPTIONS.threshold,
  loading: false,
  report: null,
  datasetId: null,
  error: null,
  cursor: -1,
}

/** The report to show for the current dataset, or null. */
export function shownTriage(s: Pick<AppState, 'triage' | 'currentDatasetId'>): TriageReport | null {
  return s.triage.datasetId === s.currentDatasetId ? s.triage.report : null
}

/** The drop at the cursor, if the report is of the current dataset. */
export function currentDrop(s: Pick<AppState, 'triage' | 'currentDatasetId'>): TriageDrop | null {
  return shownTriage(s)?.drops[s.triage.cursor] ?? null
}

export function createTriageSlice(client: VivaClient, set: StoreApi<AppState>['setState'], get: StoreApi<AppState>['getState']): TriageSlice {
  let inFlight: AbortController | null = null
  const patch = (p: Partial<TriageState>): void => set((s) => ({ triage: { ...s.triage, ...p } }))

  return {
    triage: { ...DEFAULT_TRIAGE },

    async loadTriage() {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      inFlight?.abort()
      const mine = new AbortController()
      inFlight = mine
      const { series, windowSeconds, threshold } = get().triage
      patch({ loading: true })
      try {
        const report = await client.call(
          'triage.drops',
          { datasetId, window: { seconds: windowSeconds }, threshold, ...(series !== null ? { series } : {}) },
          mine.signal,
        )
        if (inFlight !== mine) return
        const before = get().triage
        // The same ranking again (a refresh): stay at the drop the reviewer is at.
        const at = before.datasetId === datasetId ? before.report?.drops[before.cursor] : undefined
        const cursor = at ? report.drops.findIndex((d) => d.episode === at.episode && d.frame === at.frame) : -1
        patch({ report, datasetId, error: null, cursor })
      } catch (err) {
        if (inFlight !== mine) return
        patch({ error: toWireError(err).message })
      } finally {
        if (inFlight === mine) {
          inFlight = null
          patch({ loading: false })
        }
      }
    },

    setTriageOptions(p) {
      const t = get().triage
      const next = {
        series: p.series !== undefined ? p.series : t.series,
        windowSeconds: p.windowSeconds !== undefined && Number.isFinite(p.windowSeconds) && p.windowSeconds > 0 ? p.windowSeconds : t.windowSeconds,
        threshold: p.threshold !== undefined && Number.isFinite(p.threshold) && p.threshold > 0 ? p.threshold : t.threshold,
      }
      if (next.series === t.series && next.windowSeconds === t.windowSeconds && next.threshold === t.threshold) return
      patch({ ...next, cursor: -1 })
      void get().loadTriage()
    },

    async openDrop(rank) {
      const s = get()
      const drop = shownTriage(s)?.drops[rank]
      if (!drop) return
      patch({ cursor: rank })
      const ep = s.episode
      // Already showing that episode: just go to the frame.
      if (s.screen === 'player' && ep && ep.datasetId === s.currentDatasetId && ep.index === drop.episode && !s.episodeLoading) {
        s.seek(drop.frame)
        return
      }
      await s.openEpisodeAt(drop.episode, drop.frame, null)
    },

    async jumpDrop(direction) {
      if (shownTriage(get()) === null) await get().loadTriage()
      const s = get()
      const report = shownTriage(s)
      if (!report || report.drops.length === 0) return
      const next = s.triage.cursor + direction
      if (next < 0 || next >= report.drops.length) return
      await s.openDrop(next)
    },
  }
}
