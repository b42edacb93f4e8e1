/**
 * The curves of the open episode: which exist (curves.list), the values of the visible ones (curves.get, then the
 * chunks of a running job written in place), which series are hidden, and which curve the value tools analyse.
 * Reads the player (which episode is open) and the datasets.
 */
import type { CurveImportResult } from '../../../../app/contract'
import type { CurveChunk, CurveInfo } from '../../../../app/curves'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'
import type { PlayerSlice } from '../player/state'
import { curveSeriesKey, curveVisible, entryFrom, episodeKey, MAX_BUFFERED_CHUNKS, mergeChunk, type CurveEntry } from './curves'

export interface CurvesSlice {
  /** `datasetId#episode` the curve list belongs to. */
  curvesKey: string | null
  curveList: CurveInfo[]
  curveData: Record<string, CurveEntry>
  /** Which job last sent values for a curve. */
  curveJobs: Record<string, string>
  /** Series (see curveSeriesKey) the user switched off; kept across episodes. */
  hiddenSeries: string[]
  foresightOpen: boolean
  /** Joints shown in the foresight plot; null until the user picks (then the first joint shows). */
  foresightJoints: string[] | null
  /** Curve the detector and the advantages work on; null (or not listed) = the first visible curve. */
  analysisCurveId: string | null
  /**
   * Series a link asked to show for an episode (`episodeKey`): exactly these, once that episode's curve list is
   * known; the others are hidden.
   */
  wantedSeries: { episodeKey: string; series: string[] } | null
  /** Forget the old episode's curves and load the open one's list and visible curves. */
  loadEpisodeCurves(): Promise<void>
  resetCurves(): void
  reloadCurveList(): Promise<void>
  /** Reload the list if the open episode is among `episodes` of `datasetId` (none listed: all of them). */
  reloadIfShowing(datasetId: string, episodes: readonly number[]): void
  fetchCurve(curveId: string): Promise<void>
  setCurveVisible(curveId: string, visible: boolean): void
  /** From score.chunk. */
  applyChunk(chunk: CurveChunk): void
  /** From curves.changed. */
  curvesChanged(datasetId: string, episode: number | null): void
  /** Imports a curve file into the current dataset; resolves with what was imported, or the error to show. */
  importCurves(path: string): Promise<{ ok: true; result: CurveImportResult } | { ok: false; error: WireError }>
  setForesightOpen(open: boolean): void
  setForesightJoints(names: string[]): void
  setAnalysisCurve(id: string | null): void
  /** Show exactly `series` (series keys) of that episode's curves, now if its list is here, else when it comes. */
  showOnlySeries(datasetId: string, episode: number, series: string[]): void
}

export interface CurvesHooks {
  /** Another curve is analysed: what was found on the old one no longer applies. */
  analysisCurveChanged(): void
  /** Series a link asked for that the episode does not have (the others are shown). */
  seriesMissing(series: string[]): void
}

export function createCurvesSlice(
  { client, set, get }: SliceContext<CurvesSlice, PlayerSlice & DatasetsSlice & ErrorsSlice>,
  hooks: CurvesHooks,
): CurvesSlice {
  /** curves.get per curve id under `curve:<id>`: a later request for the same curve supersedes the earlier one. */
  const requests = createRequests()
  const fetching = (curveId: string): boolean => requests.pending(`curve:${curveId}`)
  /** Chunks that arrived while their curve was being fetched or was not listed yet, replayed afterwards. */
  const buffered = new Map<string, CurveChunk[]>()
  /** Unlisted curves that already caused a list reload (no reload storm if the main side never lists one). */
  const unlistedAsked = new Set<string>()
  /** One curves.list at a time; asks while one is in flight make one more round when it ends. */
  let listInFlight: Promise<void> | null = null
  let listAgain = false

  /** Apply the wanted series to the open episode's list, if it is that episode's and its list has been read. */
  const applyWanted = (): void => {
    const wanted = get().wantedSeries
    const at = here()
    if (!wanted || !at || wanted.episodeKey !== at.key || get().curvesKey !== at.key || listInFlight) return
    const listed = [...new Set(get().curveList.map(curveSeriesKey))]
    const keep = new Set(wanted.series)
    set((s) => ({
      wantedSeries: null,
      hiddenSeries: [...s.hiddenSeries.filter((k) => !keep.has(k) && !listed.includes(k)), ...listed.filter((k) => !keep.has(k))],
    }))
    for (const info of get().curveList) {
      if (keep.has(curveSeriesKey(info)) && !get().curveData[info.id] && !fetching(info.id)) void get().fetchCurve(info.id)
    }
    const missing = wanted.series.filter((k) => !listed.includes(k))
    if (missing.length > 0) hooks.seriesMissing(missing)
  }

  const here = (): { datasetId: string; episode: number; key: string } | null => {
    const ep = get().episode
    if (!ep) return null
    return { datasetId: ep.datasetId, episode: ep.index, key: episodeKey(ep.datasetId, ep.index) }
  }

  const buffer = (chunk: CurveChunk): void => {
    const list = buffered.get(chunk.curveId) ?? []
    list.push(chunk)
    if (list.length > MAX_BUFFERED_CHUNKS) list.shift()
    buffered.set(chunk.curveId, list)
  }

  /** One curves.list round trip; applies only if the episode is still the open one. */
  const fetchList = async (): Promise<void> => {
    const at = here()
    if (!at) return
    let list: CurveInfo[]
    try {
      list = await client.call('curves.list', { datasetId: at.datasetId, episode: at.episode })
    } catch (err) {
      if (here()?.key === at.key) get().pushError(err)
      return
    }
    if (here()?.key !== at.key) return
    const ids = new Set(list.map((i) => i.id))
    const refetch: string[] = []
    set((s) => {
      const curveData: Record<string, CurveEntry> = {}
      for (const info of list) {
        const entry = s.curveData[info.id]
        if (entry) {
          curveData[info.id] = entry.info === info ? entry : { ...entry, info }
          // Replaced (recomputed, re-imported) or ahead of what the chunks brought (lost at the end of a run).
          if (info.createdAt !== entry.info.createdAt || info.computed > entry.computed) refetch.push(info.id)
        } else if (curveVisible(s, info)) {
          refetch.push(info.id)
        }
      }
      return { curveList: list, curveData, curvesKey: at.key }
    })
    for (const id of [...buffered.keys()]) {
      const info = list.find((i) => i.id === id)
      // Chunks for curves nobody will fetch are of no use: a hidden curve's values are fetched when shown.
      if (!fetching(id) && (!info || !curveVisible(get(), info)) && !refetch.includes(id)) buffered.delete(id)
    }
    for (const id of ids) unlistedAsked.delete(id)
    for (const id of refetch) void get().fetchCurve(id)
  }

  return {
    curvesKey: null,
    curveList: [],
    curveData: {},
    curveJobs: {},
    hiddenSeries: [],
    foresightOpen: false,
    foresightJoints: null,
    analysisCurveId: null,
    wantedSeries: null,

    async loadEpisodeCurves() {
      get().resetCurves()
      const at = here()
      if (!at) return
      set({ curvesKey: at.key })
      await get().reloadCurveList()
    },

    resetCurves() {
      requests.abortAll()
      buffered.clear()
      unlistedAsked.clear()
      set({ curvesKey: null, curveList: [], curveData: {}, curveJobs: {} })
    },

    reloadCurveList() {
      if (listInFlight) {
        listAgain = true
        return listInFlight
      }
      const run = async (): Promise<void> => {
        try {
          do {
            listAgain = false
            await fetchList()
          } while (listAgain)
        } finally {
          listInFlight = null
        }
        applyWanted()
      }
      listInFlight = run()
      return listInFlight
    },

    reloadIfShowing(datasetId, episodes) {
      const at = here()
      if (at && at.datasetId === datasetId && (episodes.length === 0 || episodes.includes(at.episode))) void get().reloadCurveList()
    },

    async fetchCurve(curveId) {
      const at = here()
      if (!at) return
      const out = await requests.run(`curve:${curveId}`, (signal) => client.call('curves.get', { datasetId: at.datasetId, curveId }, signal))
      if (out.status === 'stale') return
      if (out.status === 'error') {
        buffered.delete(curveId)
        if (here()?.key === at.key) get().pushError(out.error)
        return
      }
      if (here()?.key !== at.key) return
      const data = out.value
      const entry = entryFrom(data)
      const old = get().curveData[curveId]
      if (old) entry.rev = old.rev + 1
      set((s) => ({
        curveData: { ...s.curveData, [curveId]: entry },
        curveList: s.curveList.some((i) => i.id === curveId) ? s.curveList.map((i) => (i.id === curveId ? data.info : i)) : [...s.curveList, data.info],
      }))
      const replay = buffered.get(curveId) ?? []
      buffered.delete(curveId)
      for (const chunk of replay) get().applyChunk(chunk)
    },

    setCurveVisible(curveId, visible) {
      const info = get().curveList.find((i) => i.id === curveId)
      if (!info) return
      const key = curveSeriesKey(info)
      set((s) => ({ hiddenSeries: visible ? s.hiddenSeries.filter((k) => k !== key) : [...s.hiddenSeries.filter((k) => k !== key), key] }))
      if (visible && !get().curveData[curveId] && !fetching(curveId)) void get().fetchCurve(curveId)
    },

    applyChunk(chunk) {
      const id = chunk.curveId
      const at = here()
      if (!at || chunk.datasetId !== at.datasetId || chunk.episode !== at.episode) return
      if (get().curveJobs[id] !== chunk.jobId) set((s) => ({ curveJobs: { ...s.curveJobs, [id]: chunk.jobId } }))
      if (fetching(id)) {
        buffer(chunk)
        return
      }
      const entry = get().curveData[id]
      if (!entry) {
        const info = get().curveList.find((i) => i.id === id)
        if (!info) {
          // A curve this window has not listed yet (a job just started): list again, then fetch and replay.
          buffer(chunk)
          if (!unlistedAsked.has(id)) {
            unlistedAsked.add(id)
            void get().reloadCurveList()
          }
          return
        }
        if (!curveVisible(get(), info)) {
          // Not loaded while hidden: keep its count right for the legend.
          const computed = Math.min(info.length, Math.max(info.computed, chunk.start + chunk.values.length))
          if (computed !== info.computed) {
            set((s) => ({ curveList: s.curveList.map((i) => (i.id === id ? { ...i, computed } : i)) }))
          }
          return
        }
        buffer(chunk)
        void get().fetchCurve(id)
        return
      }
      if (chunk.start > entry.contiguous) {
        // Chunks were dropped under backpressure: the values are on disk, fetch the curve again.
        buffer(chunk)
        void get().fetchCurve(id)
        return
      }
      const next = mergeChunk(entry, chunk)
      if (next) set((s) => ({ curveData: { ...s.curveData, [id]: next } }))
    },

    curvesChanged(datasetId, episode) {
      const at = here()
      if (!at || at.datasetId !== datasetId) return
      if (episode !== null && episode !== at.episode) return
      void get().reloadCurveList()
    },

    async importCurves(path) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Open a dataset first' } }
      try {
        const result = await client.call('curves.import', { datasetId, path })
        await get().reloadCurveList()
        return { ok: true, result }
      } catch (err) {
        return { ok: false, error: toWireError(err) }
      }
    },

    setForesightOpen(open) {
      set({ foresightOpen: open })
    },

    setForesightJoints(names) {
      set({ foresightJoints: names })
    },

    showOnlySeries(datasetId, episode, series) {
      set({ wantedSeries: { episodeKey: episodeKey(datasetId, episode), series } })
      applyWanted()
    },

    setAnalysisCurve(id) {
      if (id === get().analysisCurveId) return
      set({ analysisCurveId: id })
      hooks.analysisCurveChanged()
    },
  }
}
