import type { StoreApi } from 'zustand/vanilla'
import type { CameraMapping, CurveImportResult, JobInfo, JobState, ModelInfo, ProviderRequest, VivaClient } from '../../../app/contract'
import type { CurveChunk, CurveData, CurveInfo } from '../../../app/curves'
import { toWireError, type WireError } from '../../../app/errors'
import type { AppState } from './store'

/** A curve of the open episode whose values are loaded, growing in place while a job computes it. */
export interface CurveEntry {
  info: CurveInfo
  /** info.length values in the curve's own convention; NaN where not computed. Mutated in place by chunks. */
  values: Float32Array
  /** info.length × info.futureDim, or null. Mutated in place by chunks. */
  future: Float32Array | null
  /** Frames that have a value. */
  computed: number
  /** Leading frames that have a value: a chunk starting beyond this means chunks were lost. */
  contiguous: number
  /** Bumped on every change of values, so subscribers see a new object. */
  rev: number
}

export type ScoreScope = 'episode' | 'all' | number[]
export type SidePanel = 'annotations' | 'models'

export interface CurvesSlice {
  // ---- models
  models: ModelInfo[]
  modelsLoaded: boolean
  selectedModelId: string | null
  provider: ProviderRequest
  /** Threads per model session; null = the main side's default (all cores). */
  threads: number | null
  /** Flow steps chosen per model id (viva-flow); absent = the model's default. */
  scoreSteps: Record<string, number>
  /** Camera mapping of the selected model for the current dataset. */
  cameraMap: CameraMapping | null
  sidePanel: SidePanel
  loadModels(): Promise<void>
  /** Registers a model folder; resolves with the error to show, or null when added. */
  addModelFolder(path: string): Promise<WireError | null>
  /** Imports a curve file into the current dataset; resolves with what was imported, or the error to show. */
  importCurves(path: string): Promise<{ ok: true; result: CurveImportResult } | { ok: false; error: WireError }>
  selectModel(id: string | null): void
  loadCameraMap(): Promise<void>
  setCameraSlot(slot: string, camera: string | null): Promise<void>
  setProvider(provider: ProviderRequest): void
  setThreads(threads: number | null): void
  setScoreSteps(modelId: string, steps: number): void
  setSidePanel(panel: SidePanel): void

  // ---- jobs
  /** In the order the main side made them. */
  jobs: JobInfo[]
  /** Which job last sent values for a curve. */
  curveJobs: Record<string, string>
  loadJobs(): Promise<void>
  startScore(scope: ScoreScope): Promise<JobInfo | null>
  pauseJob(jobId: string, paused: boolean): Promise<void>
  cancelJob(jobId: string): Promise<void>
  /** From score.progress. */
  applyJob(job: JobInfo): void

  // ---- curves of the open episode
  /** `datasetId#episode` the curve list belongs to. */
  curvesKey: string | null
  curveList: CurveInfo[]
  curveData: Record<string, CurveEntry>
  /** Series (see curveSeriesKey) the user switched off; kept across episodes. */
  hiddenSeries: string[]
  foresightOpen: boolean
  /** Joints shown in the foresight plot; null until the user picks (then the first joint shows). */
  foresightJoints: string[] | null
  /** Forget the old episode's curves and load the open one's list and visible curves. */
  loadEpisodeCurves(): Promise<void>
  resetCurves(): void
  reloadCurveList(): Promise<void>
  fetchCurve(curveId: string): Promise<void>
  setCurveVisible(curveId: string, visible: boolean): void
  /** From score.chunk. */
  applyChunk(chunk: CurveChunk): void
  /** From curves.changed. */
  curvesChanged(datasetId: string, episode: number | null): void
  setForesightOpen(open: boolean): void
  setForesightJoints(names: string[]): void
}

const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'paused']
export function jobActive(job: JobInfo): boolean {
  return ACTIVE_STATES.includes(job.state)
}

/**
 * What a curve is across episodes: the same model run settings, or the same imported name. Hiding a curve hides
 * its series in every episode.
 */
export function curveSeriesKey(info: CurveInfo): string {
  if (info.source === 'model') {
    const p = info.params
    return `model:${info.modelId ?? info.modelName ?? ''}:${p?.steps ?? ''}:${p?.seed ?? ''}:${p?.cameras.join(',') ?? ''}`
  }
  return `import:${info.name}`
}

export function curveVisible(state: Pick<CurvesSlice, 'hiddenSeries'>, info: CurveInfo): boolean {
  return !state.hiddenSeries.includes(curveSeriesKey(info))
}

/** Frames with a value, as far as the renderer knows (loaded values, or the list's count). */
export function curveComputed(state: Pick<CurvesSlice, 'curveData'>, info: CurveInfo): number {
  return state.curveData[info.id]?.computed ?? info.computed
}

export function curveComplete(state: Pick<CurvesSlice, 'curveData'>, info: CurveInfo): boolean {
  return info.complete || curveComputed(state, info) >= info.length
}

export function episodeKey(datasetId: string, episode: number): string {
  return `${datasetId}#${episode}`
}

function countValues(values: Float32Array): number {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++
  return n
}

function prefixFrom(values: Float32Array, from: number): number {
  let i = from
  while (i < values.length && !Number.isNaN(values[i])) i++
  return i
}

/** Own, correctly sized copies: chunks write into them in place. */
function entryFrom(data: CurveData): CurveEntry {
  const { info } = data
  const values = new Float32Array(info.length).fill(NaN)
  values.set(data.values.subarray(0, info.length))
  let future: Float32Array | null = null
  if (info.futureDim > 0) {
    future = new Float32Array(info.length * info.futureDim).fill(NaN)
    if (data.future) future.set(data.future.subarray(0, future.length))
  }
  return { info, values, future, computed: countValues(values), contiguous: prefixFrom(values, 0), rev: 0 }
}

/** Chunks held while a curve is being fetched (or listed); more than this and a fetch afterwards is needed anyway. */
const MAX_BUFFERED_CHUNKS = 512

export function createCurvesSlice(
  client: VivaClient,
  set: StoreApi<AppState>['setState'],
  get: StoreApi<AppState>['getState'],
): CurvesSlice {
  /** Fetch request per curve id in flight; a later request for the same curve supersedes the earlier one. */
  const fetching = new Map<string, number>()
  /** Chunks that arrived while their curve was being fetched or was not listed yet, replayed afterwards. */
  const buffered = new Map<string, CurveChunk[]>()
  /** Unlisted curves that already caused a list reload (no reload storm if the main side never lists one). */
  const unlistedAsked = new Set<string>()
  let fetchSeq = 0
  let listInFlight: Promise<void> | null = null
  let listAgain = false
  let cameraMapRequest = 0

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

  const upsertJob = (job: JobInfo): void => {
    set((s) => {
      const at = s.jobs.findIndex((j) => j.id === job.id)
      if (at < 0) return { jobs: [...s.jobs, job] }
      const jobs = s.jobs.slice()
      jobs[at] = job
      return { jobs }
    })
  }

  const selectedModel = (): ModelInfo | null => {
    const s = get()
    return s.models.find((m) => m.id === s.selectedModelId && m.error === null) ?? null
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
      if (!fetching.has(id) && (!info || !curveVisible(get(), info)) && !refetch.includes(id)) buffered.delete(id)
    }
    for (const id of ids) unlistedAsked.delete(id)
    for (const id of refetch) void get().fetchCurve(id)
  }

  const slice: CurvesSlice = {
    models: [],
    modelsLoaded: false,
    selectedModelId: null,
    provider: 'auto',
    threads: null,
    scoreSteps: {},
    cameraMap: null,
    sidePanel: 'annotations',

    async loadModels() {
      try {
        const models = await client.call('models.list', {})
        set((s) => {
          const keep = models.some((m) => m.id === s.selectedModelId && m.error === null)
          return {
            models,
            modelsLoaded: true,
            selectedModelId: keep ? s.selectedModelId : (models.find((m) => m.error === null)?.id ?? null),
          }
        })
        await get().loadCameraMap()
      } catch (err) {
        set({ modelsLoaded: true })
        get().pushError(err)
      }
    },

    async addModelFolder(path) {
      try {
        const model = await client.call('models.addFolder', { path })
        set((s) => ({
          models: [...s.models.filter((m) => m.dir !== model.dir && (model.error !== null || m.id !== model.id)), model],
          selectedModelId: model.error === null ? model.id : s.selectedModelId,
        }))
        if (model.error === null) await get().loadCameraMap()
        return model.error
      } catch (err) {
        return toWireError(err)
      }
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

    selectModel(id) {
      if (id === get().selectedModelId) return
      set({ selectedModelId: id, cameraMap: null })
      void get().loadCameraMap()
    },

    async loadCameraMap() {
      const request = ++cameraMapRequest
      const datasetId = get().currentDatasetId
      const model = selectedModel()
      if (datasetId === null || !model) {
        set({ cameraMap: null })
        return
      }
      try {
        const map = await client.call('models.cameraMap', { datasetId, modelId: model.id })
        if (request === cameraMapRequest) set({ cameraMap: map })
      } catch (err) {
        if (request === cameraMapRequest) set({ cameraMap: null })
        get().pushError(err)
      }
    },

    async setCameraSlot(slot, camera) {
      const map = get().cameraMap
      if (!map) return
      const request = ++cameraMapRequest
      const slots = { ...map.slots, [slot]: camera }
      set({ cameraMap: { ...map, slots, guessed: false } })
      try {
        const saved = await client.call('models.setCameraMap', { datasetId: map.datasetId, modelId: map.modelId, slots })
        if (request === cameraMapRequest) set({ cameraMap: saved })
      } catch (err) {
        if (request === cameraMapRequest) set({ cameraMap: map })
        get().pushError(err)
      }
    },

    setThreads(threads) {
      set({ threads })
    },

    setProvider(provider) {
      set({ provider })
    },

    setScoreSteps(modelId, steps) {
      if (!Number.isInteger(steps) || steps < 1 || steps > 100) return
      set((s) => ({ scoreSteps: { ...s.scoreSteps, [modelId]: steps } }))
    },

    setSidePanel(panel) {
      set({ sidePanel: panel })
    },

    // ---- jobs
    jobs: [],
    curveJobs: {},

    async loadJobs() {
      try {
        const jobs = await client.call('score.jobs', {})
        set((s) => {
          // Keep jobs only seen through events so far (made before this list was read elsewhere).
          const known = new Set(jobs.map((j) => j.id))
          return { jobs: [...s.jobs.filter((j) => !known.has(j.id)), ...jobs] }
        })
      } catch (err) {
        get().pushError(err)
      }
    },

    async startScore(scope) {
      const s = get()
      const datasetId = s.currentDatasetId
      const model = selectedModel()
      if (datasetId === null || !model) return null
      let episodes: number[]
      if (scope === 'episode') {
        const at = here()
        if (!at || at.datasetId !== datasetId) return null
        episodes = [at.episode]
      } else if (scope === 'all') episodes = []
      else episodes = scope
      try {
        const job = await client.call('score.start', {
          datasetId,
          modelId: model.id,
          episodes,
          provider: s.provider,
          ...(s.threads !== null ? { threads: s.threads } : {}),
          ...(model.kind === 'viva-flow' ? { steps: s.scoreSteps[model.id] ?? model.defaultSteps } : {}),
        })
        upsertJob(job)
        // Results of an earlier run may be reused at once: show what is there.
        const at = here()
        if (at && at.datasetId === datasetId && (episodes.length === 0 || episodes.includes(at.episode))) {
          void get().reloadCurveList()
        }
        return job
      } catch (err) {
        get().pushError(err)
        return null
      }
    },

    async pauseJob(jobId, paused) {
      try {
        upsertJob(await client.call('score.pause', { jobId, paused }))
      } catch (err) {
        get().pushError(err)
      }
    },

    async cancelJob(jobId) {
      try {
        upsertJob(await client.call('score.cancel', { jobId }))
      } catch (err) {
        get().pushError(err)
      }
    },

    applyJob(job) {
      const before = get().jobs.find((j) => j.id === job.id)
      upsertJob(job)
      // A job just ended: its last chunks may have been dropped, and the list says whether curves are complete.
      if (before && jobActive(before) && !jobActive(job)) {
        const at = here()
        if (at && at.datasetId === job.datasetId && (job.episodes.length === 0 || job.episodes.includes(at.episode))) {
          void get().reloadCurveList()
        }
      }
    },

    // ---- curves
    curvesKey: null,
    curveList: [],
    curveData: {},
    hiddenSeries: [],
    foresightOpen: false,
    foresightJoints: null,

    async loadEpisodeCurves() {
      get().resetCurves()
      const at = here()
      if (!at) return
      set({ curvesKey: at.key })
      await get().reloadCurveList()
    },

    resetCurves() {
      fetching.clear()
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
      }
      listInFlight = run()
      return listInFlight
    },

    async fetchCurve(curveId) {
      const at = here()
      if (!at) return
      const request = ++fetchSeq
      fetching.set(curveId, request)
      try {
        const data = await client.call('curves.get', { datasetId: at.datasetId, curveId })
        if (here()?.key !== at.key || fetching.get(curveId) !== request) return
        fetching.delete(curveId)
        const entry = entryFrom(data)
        const old = get().curveData[curveId]
        if (old) entry.rev = old.rev + 1
        set((s) => ({
          curveData: { ...s.curveData, [curveId]: entry },
          curveList: s.curveList.some((i) => i.id === curveId)
            ? s.curveList.map((i) => (i.id === curveId ? data.info : i))
            : [...s.curveList, data.info],
        }))
        const replay = buffered.get(curveId) ?? []
        buffered.delete(curveId)
        for (const chunk of replay) get().applyChunk(chunk)
      } catch (err) {
        if (fetching.get(curveId) === request) {
          fetching.delete(curveId)
          buffered.delete(curveId)
        }
        if (here()?.key === at.key) get().pushError(err)
      }
    },

    setCurveVisible(curveId, visible) {
      const info = get().curveList.find((i) => i.id === curveId)
      if (!info) return
      const key = curveSeriesKey(info)
      set((s) => ({ hiddenSeries: visible ? s.hiddenSeries.filter((k) => k !== key) : [...s.hiddenSeries.filter((k) => k !== key), key] }))
      if (visible && !get().curveData[curveId] && !fetching.has(curveId)) void get().fetchCurve(curveId)
    },

    applyChunk(chunk) {
      const id = chunk.curveId
      const at = here()
      if (!at || chunk.datasetId !== at.datasetId || chunk.episode !== at.episode) return
      if (get().curveJobs[id] !== chunk.jobId) set((s) => ({ curveJobs: { ...s.curveJobs, [id]: chunk.jobId } }))
      if (fetching.has(id)) {
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
      const { values, future } = entry
      const n = Math.min(chunk.values.length, values.length - chunk.start)
      if (n <= 0) return
      let computed = entry.computed
      for (let i = 0; i < n; i++) {
        const at = chunk.start + i
        const v = chunk.values[i] as number
        const had = !Number.isNaN(values[at])
        const has = !Number.isNaN(v)
        if (had !== has) computed += has ? 1 : -1
        values[at] = v
      }
      const dim = entry.info.futureDim
      if (future && chunk.future && dim > 0) {
        future.set(chunk.future.subarray(0, Math.min(n * dim, chunk.future.length)), chunk.start * dim)
      }
      const contiguous = prefixFrom(values, Math.min(entry.contiguous, chunk.start))
      const next: CurveEntry = { ...entry, computed, contiguous, rev: entry.rev + 1 }
      set((s) => ({ curveData: { ...s.curveData, [id]: next } }))
    },

    curvesChanged(datasetId, episode) {
      const at = here()
      if (!at || at.datasetId !== datasetId) return
      if (episode !== null && episode !== at.episode) return
      void get().reloadCurveList()
    },

    setForesightOpen(open) {
      set({ foresightOpen: open })
    },

    setForesightJoints(names) {
      set({ foresightJoints: names })
    },
  }
  return slice
}
