import type { EpisodeState } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import { clampNumber } from '../../state/clamp'
import type { ErrorsSlice } from '../../state/errors'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { PlayerSlice } from '../player/state'
import { createPlotCaches, type PlotCaches } from './plotCaches'

/**
 * The player's feature plot: which numeric features (state, action, effort...) it shows, per dataset, and the values
 * of those fetched after the episode opened (a feature the picker added). Values come from the main side as
 * frame-indexed Float32Arrays, never JSON arrays.
 */
export interface PlotFeaturesSlice {
  /** Feature keys shown per dataset id; absent = the default (see plottedFeatureKeys). */
  plotFeatures: Record<string, string[]>
  /** Features fetched for the open episode after it opened, by key; `episodeKey` says which episode they belong to. */
  extraFeatures: { episodeKey: string; byKey: Record<string, EpisodeState> }
  /** Show exactly these features for the current dataset, fetching the values the open episode lacks. */
  setPlotFeatures(keys: string[]): Promise<void>
  /** Use a feature as the dataset's state (null: automatic); saved on the main side per dataset. */
  setStateKey(key: string | null): Promise<void>
  /** Display-only EMA factor a of the value plot, 0..0.95 (see emaSmooth). */
  valueSmoothing: number
  setValueSmoothing(a: number): void
  /** Frame range shown by the plots under the video (zoom/pan, shared between them); null = the whole episode. */
  plotRange: [number, number] | null
  setPlotRange(range: [number, number] | null): void
  /** This store's render caches of the plots (not state: never replaced, never subscribed to). */
  plotCaches: PlotCaches
}

export interface PlotFeaturesHooks {
  /** The dataset's state key changed (what scoring reads): check the selected model again. */
  stateKeyChanged(): void
}

const episodeKeyOf = (datasetId: string, index: number): string => `${datasetId}#${index}`

/** What the plot shows for a dataset: the user's pick, else the state, else the first numeric feature. */
export function plottedFeatureKeys(s: Pick<PlotFeaturesSlice, 'plotFeatures'>, summary: DatasetSummary | null): string[] {
  if (!summary) return []
  const known = new Set(summary.features.map((f) => f.key))
  const picked = s.plotFeatures[summary.id]?.filter((k) => known.has(k))
  if (picked) return picked
  const first = summary.state?.key ?? summary.features[0]?.key
  return first === undefined ? [] : [first]
}

/** Values of one feature of the open episode, wherever they came from (the state, episode.open, a later fetch). */
export function episodeFeature(s: Pick<PlayerSlice, 'episode'> & Pick<PlotFeaturesSlice, 'extraFeatures'>, key: string): EpisodeState | null {
  const ep = s.episode
  if (!ep) return null
  if (ep.state?.key === key) return ep.state
  const inView = ep.features.find((f) => f.key === key)
  if (inView) return inView
  return s.extraFeatures.episodeKey === episodeKeyOf(ep.datasetId, ep.index) ? (s.extraFeatures.byKey[key] ?? null) : null
}

export function createPlotFeaturesSlice(
  { client, set, get }: SliceContext<PlotFeaturesSlice, PlayerSlice & DatasetsSlice & ErrorsSlice>,
  hooks: PlotFeaturesHooks,
): PlotFeaturesSlice {
  /** Fetch what the open episode lacks of `keys`; a result for an episode no longer open is dropped. */
  const fetchMissing = async (keys: readonly string[]): Promise<void> => {
    const ep = get().episode
    if (!ep) return
    const missing = keys.filter((k) => episodeFeature(get(), k) === null)
    if (missing.length === 0) return
    const at = episodeKeyOf(ep.datasetId, ep.index)
    try {
      const fetched = await client.call('episode.features', { datasetId: ep.datasetId, episode: ep.index, keys: missing })
      set((s) => {
        const base = s.extraFeatures.episodeKey === at ? s.extraFeatures.byKey : {}
        const byKey = { ...base }
        for (const f of fetched) byKey[f.key] = f
        const now = s.episode
        return now && episodeKeyOf(now.datasetId, now.index) === at ? { extraFeatures: { episodeKey: at, byKey } } : {}
      })
    } catch (err) {
      get().pushError(err)
    }
  }

  return {
    plotFeatures: {},
    extraFeatures: { episodeKey: '', byKey: {} },

    async setPlotFeatures(keys) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      set((s) => ({ plotFeatures: { ...s.plotFeatures, [datasetId]: [...keys] } }))
      await fetchMissing(keys)
    },

    async setStateKey(key) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      try {
        const summary = await client.call('dataset.setStateKey', { datasetId, key })
        get().replaceDataset(summary)
        const ep = get().episode
        const stateKey = summary.state?.key ?? null
        if (ep && ep.datasetId === datasetId && ep.state?.key !== stateKey) {
          // The open episode's state follows (what scoring now reads); its other features stay.
          const [state] = stateKey === null ? [] : await client.call('episode.features', { datasetId, episode: ep.index, keys: [stateKey] })
          get().replaceEpisodeState(ep.datasetId, ep.index, state ?? null)
        }
        // Compatibility with the selected model depends on the state: check again.
        hooks.stateKeyChanged()
      } catch (err) {
        get().pushError(err)
      }
    },

    plotCaches: createPlotCaches(),

    valueSmoothing: 0,
    setValueSmoothing(a) {
      set({ valueSmoothing: clampNumber(a, 0, 0.95, 0) })
    },

    plotRange: null,
    setPlotRange(range) {
      const length = get().episode?.length ?? 0
      let next: [number, number] | null = null
      if (range && Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0]) {
        // The whole episode is "no zoom", so a reset in one plot resets all of them.
        const whole = range[0] <= 0 && range[1] >= length - 1
        next = whole ? null : [range[0], range[1]]
      }
      const prev = get().plotRange
      if (prev === next || (prev && next && prev[0] === next[0] && prev[1] === next[1])) return
      set({ plotRange: next })
    },
  }
}
