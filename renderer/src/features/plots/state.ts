import type { StoreApi } from 'zustand/vanilla'
import type { EpisodeState, VivaClient } from '../../../../app/contract'
import type { DatasetSummary } from '../../../../app/dataset'
import type { AppState } from '../../state/store'

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
}

const episodeKeyOf = (datasetId: string, index: number): string => `${datasetId}#${index}`

/** What the plot shows for a dataset: the user's pick, else the state, else the first numeric feature. */
export function plottedFeatureKeys(s: Pick<AppState, 'plotFeatures'>, summary: DatasetSummary | null): string[] {
  if (!summary) return []
  const known = new Set(summary.features.map((f) => f.key))
  const picked = s.plotFeatures[summary.id]?.filter((k) => known.has(k))
  if (picked) return picked
  const first = summary.state?.key ?? summary.features[0]?.key
  return first === undefined ? [] : [first]
}

/** Values of one feature of the open episode, wherever they came from (the state, episode.open, a later fetch). */
export function episodeFeature(s: Pick<AppState, 'episode' | 'extraFeatures'>, key: string): EpisodeState | null {
  const ep = s.episode
  if (!ep) return null
  if (ep.state?.key === key) return ep.state
  const inView = ep.features.find((f) => f.key === key)
  if (inView) return inView
  return s.extraFeatures.episodeKey === episodeKeyOf(ep.datasetId, ep.index) ? (s.extraFeatures.byKey[key] ?? null) : null
}

export function createPlotFeaturesSlice(
  client: VivaClient,
  set: StoreApi<AppState>['setState'],
  get: StoreApi<AppState>['getState'],
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
        set((s) => ({ datasets: s.datasets.map((d) => (d.id === summary.id ? summary : d)) }))
        const ep = get().episode
        const stateKey = summary.state?.key ?? null
        if (ep && ep.datasetId === datasetId && ep.state?.key !== stateKey) {
          // The open episode's state follows (what scoring now reads); its other features stay.
          const [state] = stateKey === null ? [] : await client.call('episode.features', { datasetId, episode: ep.index, keys: [stateKey] })
          const now = get().episode
          if (now && now.datasetId === ep.datasetId && now.index === ep.index) set({ episode: { ...now, state: state ?? null } })
        }
        // Compatibility with the selected model depends on the state: check again.
        void get().loadCameraMap()
      } catch (err) {
        get().pushError(err)
      }
    },
  }
}
