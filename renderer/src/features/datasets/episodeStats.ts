/**
 * The episode list's per-series numbers (mean, final value, drop count: triage.episodeStats) of the dataset the
 * list shows. Loaded while the list is up; a change of the dataset's curves (an import, each episode a scoring job
 * finishes) loads them again, at most once per RELOAD_MS, so a job over thousands of episodes costs a reload a
 * second, not one per episode.
 */
import type { EpisodeStatsOptions, EpisodeStatsReport } from '../../../../app/episodeStats'
import { toWireError } from '../../../../app/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'

export const RELOAD_MS = 1000

export interface EpisodeStatsSlice {
  /** The numbers last loaded, of `datasetId`, with the drop options they were computed with. */
  episodeStats: { datasetId: string; options: EpisodeStatsOptions; report: EpisodeStatsReport } | null
  /** Why they could not be loaded (shown under the list; never a toast: nothing was asked for). */
  episodeStatsError: string | null
  /**
   * Keep the numbers of `datasetId` with these drop options (error triage's) up to date until the returned
   * function is called: loads them now, and again after its curves change.
   */
  watchEpisodeStats(datasetId: string, options: EpisodeStatsOptions): () => void
  /** From curves.changed. */
  episodeCurvesChanged(datasetId: string): void
}

export function createEpisodeStatsSlice({ client, set }: SliceContext<EpisodeStatsSlice>): EpisodeStatsSlice {
  const requests = createRequests()
  let watching: { datasetId: string; options: EpisodeStatsOptions } | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastLoad = -Infinity

  const load = async (): Promise<void> => {
    const w = watching
    if (!w) return
    lastLoad = performance.now()
    const out = await requests.run('stats', (signal) => client.call('triage.episodeStats', { datasetId: w.datasetId, ...w.options }, signal))
    if (out.status === 'stale' || watching !== w) return
    if (out.status === 'ok') set({ episodeStats: { ...w, report: out.value }, episodeStatsError: null })
    else {
      const wire = toWireError(out.error)
      if (wire.code !== 'CANCELLED') set({ episodeStatsError: wire.message })
    }
  }
  const stopTimer = (): void => {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  return {
    episodeStats: null,
    episodeStatsError: null,
    watchEpisodeStats(datasetId, options) {
      const w = { datasetId, options }
      watching = w
      stopTimer()
      void load()
      return () => {
        if (watching !== w) return
        watching = null
        stopTimer()
        requests.abort('stats')
      }
    },
    episodeCurvesChanged(datasetId) {
      if (!watching || watching.datasetId !== datasetId || timer !== null) return
      timer = setTimeout(
        () => {
          timer = null
          void load()
        },
        Math.max(0, RELOAD_MS - (performance.now() - lastLoad)),
      )
    },
  }
}
