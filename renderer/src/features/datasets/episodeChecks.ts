import { MAX_CHECKED_EPISODES } from '../../../../app/contract'
import type { DatasetWarning, EpisodeSummary } from '../../../../app/dataset'
import { toWireError, type WireError } from '../../../../app/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'

/** Episodes asked about per call: small batches, so the list fills in steadily from the top. */
const BATCH = Math.min(8, MAX_CHECKED_EPISODES)

export interface EpisodeChecksSlice {
  /** Per dataset id, per episode index: what dataset.checkEpisodes found (absent: not checked yet). */
  episodeChecks: Record<string, Record<number, DatasetWarning[]>>
  /** Why the background checks of a dataset stopped, if they failed (they are never a toast: nothing was asked). */
  episodeChecksError: Record<string, WireError>
  /**
   * Check these episodes of the dataset, in this order, a batch at a time, skipping those already checked. A new run
   * (for any dataset) or stopEpisodeChecks() ends the current one after its batch in flight.
   */
  checkEpisodes(datasetId: string, episodes: readonly number[]): Promise<void>
  stopEpisodeChecks(): void
}

/**
 * The episode's warnings as the list and the player show them: the summary's (found when the dataset was opened)
 * and the checks' (found by reading, probing and sampling the episode), each once.
 */
export function episodeWarnings(ep: Pick<EpisodeSummary, 'warnings'>, checked: readonly DatasetWarning[] | undefined): DatasetWarning[] {
  const out = [...ep.warnings]
  const seen = new Set(out.map((w) => `${w.code}\0${w.message}`))
  for (const w of checked ?? []) {
    const key = `${w.code}\0${w.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(w)
    }
  }
  return out
}

export function createEpisodeChecksSlice({ client, set, get }: SliceContext<EpisodeChecksSlice>): EpisodeChecksSlice {
  const requests = createRequests()
  /** One run at a time: a new one aborts the batch in flight of the old one, whose later batches never start. */
  const run = async (datasetId: string, todo: readonly number[], signal: AbortSignal): Promise<void> => {
    for (let at = 0; at < todo.length && !signal.aborted; at += BATCH) {
      const batch = todo.slice(at, at + BATCH)
      try {
        const results = await client.call('dataset.checkEpisodes', { datasetId, episodes: batch }, signal)
        if (signal.aborted) return
        set((s) => {
          const forDataset = { ...(s.episodeChecks[datasetId] ?? {}) }
          for (const r of results) forDataset[r.episode] = r.warnings
          return { episodeChecks: { ...s.episodeChecks, [datasetId]: forDataset } }
        })
      } catch (err) {
        const wire = toWireError(err)
        if (wire.code !== 'CANCELLED' && !signal.aborted) {
          set((s) => ({ episodeChecksError: { ...s.episodeChecksError, [datasetId]: wire } }))
        }
        return
      }
    }
  }
  return {
    episodeChecks: {},
    episodeChecksError: {},
    async checkEpisodes(datasetId, episodes) {
      const done = get().episodeChecks[datasetId] ?? {}
      const todo = episodes.filter((e) => done[e] === undefined)
      await requests.run('checks', (signal) => run(datasetId, todo, signal))
    },
    stopEpisodeChecks() {
      requests.abort('checks')
    },
  }
}
