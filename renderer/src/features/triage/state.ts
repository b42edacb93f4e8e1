/**
 * Error triage state: the ranked drops of one curve series over the current dataset (app/triage.ts, computed on
 * the main side by `triage.drops`) and which of them the reviewer is at. A slice of the app store that writes only
 * `triage`; it opens episodes through the player's navigation.
 */
import { toWireError } from '../../../../app/errors'
import { DEFAULT_TRIAGE_OPTIONS, type TriageDrop, type TriageReport } from '../../../../app/triage'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { NavigationSlice } from '../player/navigation'
import type { PlayerSlice } from '../player/state'

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
export function shownTriage(s: Pick<TriageSlice, 'triage'> & Pick<DatasetsSlice, 'currentDatasetId'>): TriageReport | null {
  return s.triage.datasetId === s.currentDatasetId ? s.triage.report : null
}

/** The drop at the cursor, if the report is of the current dataset. */
export function currentDrop(s: Pick<TriageSlice, 'triage'> & Pick<DatasetsSlice, 'currentDatasetId'>): TriageDrop | null {
  return shownTriage(s)?.drops[s.triage.cursor] ?? null
}

export function createTriageSlice({ client, set, get }: SliceContext<TriageSlice, DatasetsSlice & PlayerSlice & NavigationSlice>): TriageSlice {
  const requests = createRequests()
  const patch = (p: Partial<TriageState>): void => set((s) => ({ triage: { ...s.triage, ...p } }))

  return {
    triage: { ...DEFAULT_TRIAGE },

    async loadTriage() {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      const { series, windowSeconds, threshold } = get().triage
      patch({ loading: true })
      const out = await requests.run('drops', (signal) =>
        client.call('triage.drops', { datasetId, window: { seconds: windowSeconds }, threshold, ...(series !== null ? { series } : {}) }, signal),
      )
      if (out.status === 'stale') return
      if (out.status === 'ok') {
        const report = out.value
        const before = get().triage
        // The same ranking again (a refresh): stay at the drop the reviewer is at.
        const at = before.datasetId === datasetId ? before.report?.drops[before.cursor] : undefined
        const cursor = at ? report.drops.findIndex((d) => d.episode === at.episode && d.frame === at.frame) : -1
        patch({ report, datasetId, error: null, cursor, loading: false })
      } else patch({ error: toWireError(out.error).message, loading: false })
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
