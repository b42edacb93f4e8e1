import type { StoreApi } from 'zustand/vanilla'
import { DEFAULT_ADVANTAGE_OPTIONS, type ThresholdScope } from '../../../../app/advantages'
import type { AdvantageResult, CameraMapping, CurveImportResult, DetectorCalibrationResult, JobInfo, JobState, ModelCheck, ModelInfo, ProviderRequest, VivaClient } from '../../../../app/contract'
import { seriesKey, type CurveChunk, type CurveData, type CurveInfo } from '../../../../app/curves'
import { toWireError, type WireError } from '../../../../app/errors'
import type { AnnotationEvent } from '../../../../app/annotations'
import { eventsOfEpisode, type SuggestionStep } from '../../../../app/annotationEdits'
import { DEFAULT_DETECTOR_SETTINGS, MAX_DELAY_SECONDS, MAX_SMOOTHING_SECONDS, type Candidate, type DetectorSettings } from '../../../../app/detector'
import { MAX_SPAN_FRAMES, MAX_SPAN_SECONDS, type TimeSpan } from '../../../../app/timeSpan'
import type { AppState } from '../../state/store'

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
  /** Whether the selected model can score the current dataset as mapped (models.check), shown before Start. */
  modelCheck: ModelCheck | null
  /** Why the last Start was refused (the main side's message), shown under the buttons until the next try. */
  scoreRefused: WireError | null
  sidePanel: SidePanel
  loadModels(): Promise<void>
  /** Registers a model folder; resolves with the error to show, or null when added. */
  addModelFolder(path: string): Promise<WireError | null>
  /** Imports a curve file into the current dataset; resolves with what was imported, or the error to show. */
  importCurves(path: string): Promise<{ ok: true; result: CurveImportResult } | { ok: false; error: WireError }>
  selectModel(id: string | null): void
  loadCameraMap(): Promise<void>
  setCameraSlot(slot: string, camera: string | null): Promise<void>
  loadModelCheck(): Promise<void>
  /** Save the state map for this dataset and model (null or '' clears it); resolves with the error to show, or null. */
  setStateMap(map: string | null): Promise<WireError | null>
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

  // ---- value analysis (the value plot's tools; see features/plots)
  /** Display-only EMA factor a of the value plot, 0..0.95 (see emaSmooth). */
  valueSmoothing: number
  setValueSmoothing(a: number): void
  /** Frame range shown by the plots under the video (zoom/pan, shared between them); null = the whole episode. */
  plotRange: [number, number] | null
  setPlotRange(range: [number, number] | null): void
  /** Curve the detector and the advantages work on; null (or not listed) = the first visible curve. */
  analysisCurveId: string | null
  setAnalysisCurve(id: string | null): void
  detectorOn: boolean
  /** The detector's settings, in seconds (resolved with the episode's fps when it runs). */
  detectorSettings: DetectorSettings
  /** Where the settings come from: the defaults, the series' calibration, or the sliders. */
  detectorSource: DetectorSource
  /** The calibration of the analysis curve's series (detector.calibrate). */
  detectorCalibration: DetectorCalibrationState
  /** Candidates found on the analysis curve (set by the value plot's detection loop), or null. */
  detected: DetectedCandidates | null
  /** `scope|kind@frame` of candidates the user dismissed; forgotten when the detector's parameters change. */
  dismissedCandidates: string[]
  /** candidateKey of the selected candidate (an event and a candidate are never both selected). */
  selectedCandidate: string | null
  setDetectorOn(on: boolean): void
  /** Change settings by hand (the source becomes 'manual'). */
  setDetectorSettings(patch: Partial<DetectorSettings>): void
  /** Back to the defaults, or to the series' calibrated settings (when there are some). */
  restoreDetectorSettings(source: 'default' | 'calibrated'): void
  /** Calibrate the detector for the analysis curve's series on the annotated episodes (main side, cross-validated). */
  calibrateDetector(): Promise<void>
  setDetected(detected: DetectedCandidates | null): void
  /** Select a candidate (and seek to it), or none. */
  selectCandidate(key: string | null): void
  /** Select the next / previous shown candidate after / before the current frame. */
  jumpCandidate(direction: 1 | -1): void
  /**
   * Hide a candidate (the selected one by default) for this episode and curve until the parameters change; an undo
   * step (undo offers it again).
   */
  dismissCandidate(key?: string): void
  /** Undo or redo of a dismissal; false when it would change nothing (the parameters changed since). */
  applySuggestionStep(step: SuggestionStep): boolean
  /** Open the label picker at a candidate (the selected one by default); picking a label adds the event. */
  acceptCandidate(key?: string): void
  advantages: AdvantagesState
  setAdvantageOptions(patch: Partial<Pick<AdvantagesState, 'on' | 'k' | 'positiveFraction' | 'scope'>>): void
  /** advantages.compute for the analysis curve with the current options (when switched on). */
  computeAdvantages(): Promise<void>
}

export type DetectorSource = 'default' | 'calibrated' | 'manual'

export interface DetectorCalibrationState {
  /** `datasetId|series` the result (or error) answers. */
  key: string | null
  loading: boolean
  result: DetectorCalibrationResult | null
  error: string | null
}

/** What a calibration for this dataset and series answers. */
export function calibrationKey(datasetId: string, info: CurveInfo): string {
  return `${datasetId}|${curveSeriesKey(info)}`
}

/** The calibration to show: the one of the analysis curve's series, else null. */
export function shownCalibration(s: Pick<CurvesSlice, 'detectorCalibration' | 'analysisCurveId' | 'curveList' | 'hiddenSeries'> & { curvesKey: string | null }): DetectorCalibrationState | null {
  const curve = analysisCurve(s)
  if (!curve || s.curvesKey === null) return null
  return s.detectorCalibration.key === calibrationKey(curve.datasetId, curve) ? s.detectorCalibration : null
}

export interface DetectedCandidates {
  /** candidateScope of the episode and curve they were found on. */
  scope: string
  list: Candidate[]
}

export interface AdvantagesState {
  on: boolean
  /** Horizon K in frames; null = the main side's default for the dataset's fps (50 frames at 30 fps). */
  k: number | null
  /** Fraction of the pool's frames labelled advantage-positive (the highest advantages), in (0, 1]. */
  positiveFraction: number
  /** The threshold's pool: the series' frames of this task, or of the whole dataset. */
  scope: ThresholdScope
  loading: boolean
  /** What `result` (or `error`) answers: advantageRequestKey of the request. */
  requestKey: string | null
  result: AdvantageResult | null
  error: string | null
}

export const DEFAULT_ADVANTAGES: AdvantagesState = {
  on: false,
  k: null,
  positiveFraction: DEFAULT_ADVANTAGE_OPTIONS.positiveFraction,
  scope: DEFAULT_ADVANTAGE_OPTIONS.scope,
  loading: false,
  requestKey: null,
  result: null,
  error: null,
}

/** Where candidates belong: one curve of one episode. */
export function candidateScope(curvesKey: string, curveId: string): string {
  return `${curvesKey}|${curveId}`
}

export function candidateKey(c: Pick<Candidate, 'kind' | 'frame'>): string {
  return `${c.kind}@${c.frame}`
}

/**
 * The candidates to offer: those found in `scope` (nothing when `detected` is for another episode or curve), less
 * the dismissed ones and those already annotated (an event of the same kind at the same frame: an accepted
 * candidate is now an event; undoing the accept brings the candidate back).
 */
export function visibleCandidates(
  detected: DetectedCandidates | null,
  scope: string | null,
  dismissed: readonly string[],
  events: readonly Pick<AnnotationEvent, 'kind' | 'frame'>[],
): Candidate[] {
  if (!detected || scope === null || detected.scope !== scope || detected.list.length === 0) return []
  const hidden = new Set<string>()
  const prefix = `${scope}|`
  for (const d of dismissed) if (d.startsWith(prefix)) hidden.add(d.slice(prefix.length))
  for (const e of events) hidden.add(candidateKey(e))
  return detected.list.filter((c) => !hidden.has(candidateKey(c)))
}

/**
 * At most this many suggestions are offered at once, the strongest: a noisy curve over a long episode can yield
 * thousands, which no one reviews one by one, and each is a list row and a plot line (thousands of them cost the
 * renderer hundreds of MB). Raising the thresholds brings the weaker ones back into view.
 */
export const MAX_SHOWN_CANDIDATES = 100

/** The strongest `max` candidates, in frame order; the rest are counted, not shown. */
export function strongestCandidates(list: readonly Candidate[], max = MAX_SHOWN_CANDIDATES): Candidate[] {
  if (list.length <= max) return [...list]
  const keep = new Set([...list].sort((a, b) => Math.abs(b.strength) - Math.abs(a.strength) || a.frame - b.frame).slice(0, max))
  return list.filter((c) => keep.has(c))
}

/** The curve the detector and the advantages use: the chosen one if listed, else the first visible curve. */
export function analysisCurve(s: Pick<CurvesSlice, 'analysisCurveId' | 'curveList' | 'hiddenSeries'>): CurveInfo | null {
  const chosen = s.analysisCurveId === null ? undefined : s.curveList.find((c) => c.id === s.analysisCurveId)
  return chosen ?? s.curveList.find((c) => curveVisible(s, c)) ?? s.curveList[0] ?? null
}

let shownMemo: { inputs: unknown[]; out: Candidate[]; hidden: number } | null = null

/** visibleCandidates for the open episode and analysis curve (memoized on its inputs). */
export function shownCandidates(s: AppState): Candidate[] {
  const curve = s.detectorOn ? analysisCurve(s) : null
  const scope = curve && s.curvesKey !== null ? candidateScope(s.curvesKey, curve.id) : null
  const inputs = [s.detected, scope, s.dismissedCandidates, s.project, s.episode?.index]
  if (shownMemo && shownMemo.inputs.every((v, i) => v === inputs[i])) return shownMemo.out
  const events = s.project && s.episode ? eventsOfEpisode(s.project, s.episode.index) : []
  const visible = visibleCandidates(s.detected, scope, s.dismissedCandidates, events)
  const out = strongestCandidates(visible)
  shownMemo = { inputs, out, hidden: visible.length - out.length }
  return out
}

/** Suggestions found but not offered because weaker ones beyond MAX_SHOWN_CANDIDATES are left out. */
export function hiddenCandidateCount(s: AppState): number {
  shownCandidates(s)
  return shownMemo?.hidden ?? 0
}

/** What an advantages request asks: curve, K, positive fraction and threshold scope. */
export function advantageRequestKey(curveId: string, a: Pick<AdvantagesState, 'k' | 'positiveFraction' | 'scope'>): string {
  return `${curveId}|${a.k ?? 'default'}|${a.positiveFraction}|${a.scope}`
}

/** The advantage result to show: the one computed for the analysis curve with the current options, else null. */
export function shownAdvantages(s: Pick<CurvesSlice, 'advantages' | 'analysisCurveId' | 'curveList' | 'hiddenSeries'>): AdvantageResult | null {
  const a = s.advantages
  const curve = analysisCurve(s)
  if (!a.on || !a.result || !curve || a.result.curveId !== curve.id) return null
  return a.requestKey === advantageRequestKey(curve.id, a) ? a.result : null
}

/** A span the contract accepts: seconds in (0, MAX_SPAN_SECONDS] or whole frames in [1, MAX_SPAN_FRAMES]. */
function clampSpan(span: TimeSpan | undefined, fallback: TimeSpan): TimeSpan {
  if (!span) return fallback
  if ('frames' in span) return { frames: clampNumber(span.frames, 1, MAX_SPAN_FRAMES, 'frames' in fallback ? fallback.frames : 1, true) }
  return Number.isFinite(span.seconds) && span.seconds > 0 ? { seconds: Math.min(MAX_SPAN_SECONDS, span.seconds) } : fallback
}

function clampNumber(x: number | undefined, lo: number, hi: number, fallback: number, integer = false): number {
  if (x === undefined || !Number.isFinite(x)) return fallback
  const v = Math.min(hi, Math.max(lo, x))
  return integer ? Math.round(v) : v
}

const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'paused']
export function jobActive(job: JobInfo): boolean {
  return ACTIVE_STATES.includes(job.state)
}

/**
 * What a curve is across episodes: the same model run settings, or the same imported file's curve (seriesKey).
 * Hiding a curve hides its series in every episode.
 */
export function curveSeriesKey(info: CurveInfo): string {
  return seriesKey(info)
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
  let checkRequest = 0
  let advantagesRequest = 0
  let calibrationRequest = 0

  /** New settings make new candidates: what was dismissed is offered again. */
  const applySettings = (settings: DetectorSettings, source: DetectorSource): void => {
    const s = get()
    if (JSON.stringify(settings) === JSON.stringify(s.detectorSettings)) {
      if (source !== s.detectorSource) set({ detectorSource: source })
      return
    }
    set({ detectorSettings: settings, detectorSource: source, dismissedCandidates: [], selectedCandidate: null })
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
    modelCheck: null,
    scoreRefused: null,
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
      set({ selectedModelId: id, cameraMap: null, modelCheck: null, scoreRefused: null })
      void get().loadCameraMap()
    },

    async loadCameraMap() {
      const request = ++cameraMapRequest
      const datasetId = get().currentDatasetId
      const model = selectedModel()
      if (datasetId === null || !model) {
        set({ cameraMap: null, modelCheck: null })
        return
      }
      try {
        const map = await client.call('models.cameraMap', { datasetId, modelId: model.id })
        if (request === cameraMapRequest) {
          set({ cameraMap: map })
          void get().loadModelCheck()
        }
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
        if (request === cameraMapRequest) {
          set({ cameraMap: saved })
          void get().loadModelCheck()
        }
      } catch (err) {
        if (request === cameraMapRequest) set({ cameraMap: map })
        get().pushError(err)
      }
    },

    async loadModelCheck() {
      const request = ++checkRequest
      const datasetId = get().currentDatasetId
      const model = selectedModel()
      if (datasetId === null || !model) {
        set({ modelCheck: null })
        return
      }
      try {
        const check = await client.call('models.check', { datasetId, modelId: model.id })
        if (request === checkRequest) set({ modelCheck: check })
      } catch (err) {
        if (request === checkRequest) set({ modelCheck: null })
        get().pushError(err)
      }
    },

    async setStateMap(map) {
      const datasetId = get().currentDatasetId
      const model = selectedModel()
      if (datasetId === null || !model) return null
      const request = ++checkRequest
      try {
        const check = await client.call('models.setStateMap', { datasetId, modelId: model.id, map: map === null || map.trim() === '' ? null : map })
        if (request === checkRequest) set({ modelCheck: check, scoreRefused: null })
        return null
      } catch (err) {
        return toWireError(err)
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
        set({ scoreRefused: null })
        upsertJob(job)
        // Results of an earlier run may be reused at once: show what is there.
        const at = here()
        if (at && at.datasetId === datasetId && (episodes.length === 0 || episodes.includes(at.episode))) {
          void get().reloadCurveList()
        }
        return job
      } catch (err) {
        // Refused (e.g. the model does not fit the dataset): the panel says why beside the buttons, not only a toast.
        set({ scoreRefused: toWireError(err) })
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
      advantagesRequest++
      set((s) => ({
        curvesKey: null,
        curveList: [],
        curveData: {},
        curveJobs: {},
        detected: null,
        selectedCandidate: null,
        plotRange: null,
        advantages: { ...s.advantages, loading: false, requestKey: null, result: null, error: null },
      }))
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

    // ---- value analysis
    valueSmoothing: 0,
    plotRange: null,
    analysisCurveId: null,
    detectorOn: true,
    detectorSettings: { ...DEFAULT_DETECTOR_SETTINGS },
    detectorSource: 'default',
    detectorCalibration: { key: null, loading: false, result: null, error: null },
    detected: null,
    dismissedCandidates: [],
    selectedCandidate: null,
    advantages: { ...DEFAULT_ADVANTAGES },

    setValueSmoothing(a) {
      set({ valueSmoothing: clampNumber(a, 0, 0.95, 0) })
    },

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

    setAnalysisCurve(id) {
      if (id === get().analysisCurveId) return
      advantagesRequest++
      set((s) => ({
        analysisCurveId: id,
        selectedCandidate: null,
        advantages: { ...s.advantages, loading: false, requestKey: null, result: null, error: null },
      }))
    },

    setDetectorOn(on) {
      set({ detectorOn: on, selectedCandidate: on ? get().selectedCandidate : null })
    },

    setDetectorSettings(patch) {
      const p = { ...get().detectorSettings, ...patch }
      const threshold = (x: number | null, fallback: number | null): number | null => (x === null ? null : clampNumber(x, 0, 2, fallback ?? 0.05))
      const settings: DetectorSettings = {
        smoothingSeconds: clampNumber(p.smoothingSeconds, 0, MAX_SMOOTHING_SECONDS, DEFAULT_DETECTOR_SETTINGS.smoothingSeconds),
        window: clampSpan(p.window, DEFAULT_DETECTOR_SETTINGS.window),
        riseThreshold: threshold(p.riseThreshold, DEFAULT_DETECTOR_SETTINGS.riseThreshold),
        dropThreshold: threshold(p.dropThreshold, DEFAULT_DETECTOR_SETTINGS.dropThreshold),
        minGap: clampSpan(p.minGap, DEFAULT_DETECTOR_SETTINGS.minGap),
        milestoneDelaySeconds: clampNumber(p.milestoneDelaySeconds, -MAX_DELAY_SECONDS, MAX_DELAY_SECONDS, 0),
        errorDelaySeconds: clampNumber(p.errorDelaySeconds, -MAX_DELAY_SECONDS, MAX_DELAY_SECONDS, 0),
      }
      if (JSON.stringify(settings) === JSON.stringify(get().detectorSettings)) return
      applySettings(settings, 'manual')
    },

    restoreDetectorSettings(source) {
      const cal = shownCalibration(get())?.result
      if (source === 'calibrated' && cal?.evaluation) applySettings(cal.settings, 'calibrated')
      else applySettings({ ...DEFAULT_DETECTOR_SETTINGS }, 'default')
    },

    async calibrateDetector() {
      const s = get()
      const curve = s.detectorOn ? analysisCurve(s) : null
      const at = here()
      if (!curve || !at) return
      const key = calibrationKey(at.datasetId, curve)
      const request = ++calibrationRequest
      set((x) => ({ detectorCalibration: { ...x.detectorCalibration, key, loading: true, ...(x.detectorCalibration.key === key ? {} : { result: null, error: null }) } }))
      try {
        const result = await client.call('detector.calibrate', { datasetId: at.datasetId, curveId: curve.id })
        if (request !== calibrationRequest) return
        set({ detectorCalibration: { key, loading: false, result, error: null } })
        // A hand-made setting stays until the user asks for the calibrated or default one.
        if (get().detectorSource !== 'manual') applySettings(result.evaluation ? result.settings : { ...DEFAULT_DETECTOR_SETTINGS }, result.evaluation ? 'calibrated' : 'default')
      } catch (err) {
        if (request !== calibrationRequest) return
        set({ detectorCalibration: { key, loading: false, result: null, error: toWireError(err).message } })
      }
    },

    setDetected(detected) {
      set({ detected })
    },

    selectCandidate(key) {
      if (key === null) {
        if (get().selectedCandidate !== null) set({ selectedCandidate: null })
        return
      }
      const c = shownCandidates(get()).find((x) => candidateKey(x) === key)
      if (!c) return
      set({ selectedCandidate: key, selectedEventId: null })
      get().seek(c.frame)
    },

    jumpCandidate(direction) {
      const list = shownCandidates(get())
      const frame = get().frame
      const target = direction > 0 ? list.find((c) => c.frame > frame) : [...list].reverse().find((c) => c.frame < frame)
      if (target) get().selectCandidate(candidateKey(target))
    },

    dismissCandidate(key) {
      const s = get()
      const which = key ?? s.selectedCandidate
      const curve = analysisCurve(s)
      if (which == null || !curve || s.curvesKey === null) return
      const list = shownCandidates(s)
      const at = list.findIndex((c) => candidateKey(c) === which)
      if (at < 0) return
      const scoped = `${candidateScope(s.curvesKey, curve.id)}|${which}`
      // Dismissing the selected candidate selects the next one, so a run of suggestions is reviewed key by key.
      const next = s.selectedCandidate === which ? (list[at + 1] ?? list[at - 1] ?? null) : null
      set({
        dismissedCandidates: [...s.dismissedCandidates, scoped],
        selectedCandidate: s.selectedCandidate === which ? (next ? candidateKey(next) : null) : s.selectedCandidate,
      })
      if (next) get().seek(next.frame)
      get().recordSuggestionStep({ op: 'suggestion.dismiss', key: scoped })
    },

    applySuggestionStep(step) {
      const s = get()
      const dismissed = s.dismissedCandidates.includes(step.key)
      const curve = analysisCurve(s)
      const scope = curve && s.curvesKey !== null ? `${candidateScope(s.curvesKey, curve.id)}|` : null
      const here = scope !== null && step.key.startsWith(scope) ? step.key.slice(scope.length) : null
      if (step.op === 'suggestion.dismiss') {
        if (dismissed) return false
        set({
          dismissedCandidates: [...s.dismissedCandidates, step.key],
          selectedCandidate: here !== null && s.selectedCandidate === here ? null : s.selectedCandidate,
        })
        return true
      }
      if (!dismissed) return false
      set({ dismissedCandidates: s.dismissedCandidates.filter((k) => k !== step.key) })
      // Show what came back, as undo does for an edit (a suggestion of another episode or curve just reappears there).
      if (here !== null) get().selectCandidate(here)
      return true
    },

    acceptCandidate(key) {
      const s = get()
      const which = key ?? s.selectedCandidate
      if (which == null || !s.episode) return
      const c = shownCandidates(s).find((x) => candidateKey(x) === which)
      if (!c) return
      if (s.playing) s.togglePlay()
      // The same picker as M / E, at the candidate's frame: the label it picks is added through the normal edit
      // path (undoable), and the new event hides the candidate.
      set({ selectedCandidate: which, selectedEventId: null, picker: { kind: c.kind, frame: c.frame, eventId: null } })
      get().seek(c.frame)
    },

    setAdvantageOptions(patch) {
      const a = get().advantages
      const next: AdvantagesState = {
        ...a,
        on: patch.on ?? a.on,
        k: patch.k === undefined ? a.k : patch.k === null ? null : clampNumber(patch.k, 1, 100_000, 50, true),
        positiveFraction:
          patch.positiveFraction !== undefined && Number.isFinite(patch.positiveFraction) && patch.positiveFraction > 0 && patch.positiveFraction <= 1
            ? patch.positiveFraction
            : a.positiveFraction,
        scope: patch.scope ?? a.scope,
      }
      if (next.on === a.on && next.k === a.k && next.positiveFraction === a.positiveFraction && next.scope === a.scope) return
      if (!next.on) advantagesRequest++
      set({ advantages: next.on ? next : { ...next, loading: false, requestKey: null, result: null, error: null } })
    },

    async computeAdvantages() {
      const s = get()
      const curve = analysisCurve(s)
      const at = here()
      if (!s.advantages.on || !curve || !at) return
      const { k, positiveFraction, scope } = s.advantages
      const requestKey = advantageRequestKey(curve.id, s.advantages)
      const request = ++advantagesRequest
      set((x) => ({ advantages: { ...x.advantages, loading: true } }))
      try {
        const result = await client.call('advantages.compute', {
          datasetId: at.datasetId,
          curveId: curve.id,
          positiveFraction,
          scope,
          ...(k !== null ? { k } : {}),
        })
        if (request !== advantagesRequest) return
        set((x) => ({ advantages: { ...x.advantages, loading: false, requestKey, result, error: null } }))
      } catch (err) {
        if (request !== advantagesRequest) return
        // Shown beside the toggle (an incomplete curve or an unknown outcome is a state, not a failure to report).
        set((x) => ({ advantages: { ...x.advantages, loading: false, requestKey, result: null, error: toWireError(err).message } }))
      }
    },
  }
  return slice
}
