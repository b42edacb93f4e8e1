import { createStore, type StoreApi } from 'zustand/vanilla'
import type { CameraView, EpisodeView, VivaClient } from '../../../app/contract'
import type { Outcome, ProjectState, ReviewStatus } from '../../../app/annotations'
import { episodeLabels } from '../../../app/annotationEdits'
import type { DatasetSummary, EpisodeSummary } from '../../../app/dataset'
import type { WireError } from '../../../app/errors'
import { toWireError } from '../../../app/errors'
import { createAnnotationsSlice, type AnnotationsSlice } from '../features/annotations/state'
import { createCurvesSlice, type CurvesSlice } from '../features/curves/state'
import { createEpisodeChecksSlice, type EpisodeChecksSlice } from '../features/datasets/episodeChecks'
import { createMetricsSlice, type MetricsSlice } from '../features/metrics/state'
import { createPlotFeaturesSlice, plottedFeatureKeys, type PlotFeaturesSlice } from '../features/plots/state'
import { createTriageSlice, type TriageSlice } from '../features/triage/state'

/** What the player needs from whatever drives the video elements (see features/player/playbackController.ts). */
export interface PlayerDriver {
  seek(frame: number, startedAt?: number): void
  play(): void
  pause(): void
  setSpeed(speed: number): void
}

export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const

/** Tabs of the dataset screen. */
export type ScreenView = 'episodes' | 'overview' | 'metrics' | 'triage'

export interface DatasetsSlice {
  datasets: DatasetSummary[]
  currentDatasetId: string | null
  taskFilter: string | null
  textFilter: string
  outcomeFilter: Outcome | null
  statusFilter: ReviewStatus | null
  eventFilter: EventFilter
  selectedEpisode: number | null
  screenView: ScreenView
  opening: boolean
  openDataset(path: string): Promise<void>
  selectDataset(id: string): void
  setTaskFilter(task: string | null): void
  setTextFilter(text: string): void
  setOutcomeFilter(outcome: Outcome | null): void
  setStatusFilter(status: ReviewStatus | null): void
  setEventFilter(filter: EventFilter): void
  setScreenView(view: ScreenView): void
  selectEpisode(index: number | null): void
  /** Act on the current dataset's re-attach offer (see ReattachOffer), then load the project it now has. */
  resolveReattach(action: 'reattach' | 'fresh'): Promise<void>
}

export interface PlayerSlice {
  screen: 'datasets' | 'player'
  episode: EpisodeView | null
  episodeLoading: boolean
  frame: number
  playing: boolean
  speed: number
  hiddenJoints: string[]
  /** Transcoding progress per camera key while a playable copy is made. */
  mediaProgress: Record<string, number>
  lastFrameLatencyMs: number | null
  openEpisode(index: number): Promise<void>
  closeEpisode(): void
  attachDriver(driver: PlayerDriver | null): void
  seek(frame: number, startedAt?: number): void
  step(delta: number, startedAt?: number): void
  togglePlay(): void
  setSpeed(speed: number): void
  setHiddenJoints(names: string[]): void
  prepareCamera(key: string): Promise<void>
  /** Called by the driver: the frame the views show (or are playing). */
  reportFrame(frame: number): void
  reportPlaying(playing: boolean): void
  reportFrameReady(frame: number, latencyMs: number): void
}

export interface ErrorsSlice {
  errors: (WireError & { id: number })[]
  pushError(err: unknown): void
  dismissError(id: number): void
}

export type AppState = DatasetsSlice & PlayerSlice & ErrorsSlice & AnnotationsSlice & CurvesSlice & MetricsSlice & EpisodeChecksSlice & PlotFeaturesSlice & TriageSlice
export type AppStore = StoreApi<AppState>

/** Episodes that pass the dataset screen's filters, in list order. */
export const EVENT_FILTERS = ['any', 'none', 'events', 'milestones', 'errors'] as const
export type EventFilter = (typeof EVENT_FILTERS)[number]

export type EpisodeFilterState = Pick<AppState, 'taskFilter' | 'textFilter' | 'outcomeFilter' | 'statusFilter'> & {
  eventFilter?: EventFilter
  project: ProjectState | null
}

/** Milestone and error counts per episode. */
export function eventCounts(project: ProjectState | null): Map<number, { milestones: number; errors: number }> {
  const m = new Map<number, { milestones: number; errors: number }>()
  for (const e of project?.events.values() ?? []) {
    const c = m.get(e.episode) ?? { milestones: 0, errors: 0 }
    if (e.kind === 'milestone') c.milestones++
    else c.errors++
    m.set(e.episode, c)
  }
  return m
}

export function filteredEpisodes(state: EpisodeFilterState, summary: DatasetSummary): EpisodeSummary[] {
  const text = state.textFilter.trim().toLowerCase()
  const eventFilter = state.eventFilter ?? 'any'
  const counts = eventFilter === 'any' ? null : eventCounts(state.project)
  return summary.episodes.filter((e) => {
    if (counts) {
      const c = counts.get(e.index) ?? { milestones: 0, errors: 0 }
      if (eventFilter === 'none' && c.milestones + c.errors > 0) return false
      if (eventFilter === 'events' && c.milestones + c.errors === 0) return false
      if (eventFilter === 'milestones' && c.milestones === 0) return false
      if (eventFilter === 'errors' && c.errors === 0) return false
    }
    if (state.taskFilter !== null && !e.tasks.includes(state.taskFilter)) return false
    if (state.outcomeFilter !== null || state.statusFilter !== null) {
      const labels = state.project ? episodeLabels(state.project, e.index) : null
      if (state.outcomeFilter !== null && (labels?.outcome ?? 'unknown') !== state.outcomeFilter) return false
      if (state.statusFilter !== null && (labels?.status ?? 'todo') !== state.statusFilter) return false
    }
    if (text === '') return true
    return String(e.index) === text || e.tasks.some((t) => t.toLowerCase().includes(text))
  })
}

export function currentDataset(state: Pick<AppState, 'datasets' | 'currentDatasetId'>): DatasetSummary | null {
  return state.datasets.find((d) => d.id === state.currentDatasetId) ?? null
}

/** One store per app instance, created with the client it talks to (tests inject a fake). */
export function createAppStore(client: VivaClient): AppStore {
  let driver: PlayerDriver | null = null
  let nextErrorId = 1
  let episodeRequest = 0

  const store = createStore<AppState>()((set, get) => ({
    ...createAnnotationsSlice(client, set, get),
    ...createCurvesSlice(client, set, get),
    ...createMetricsSlice(client, set, get),
    ...createPlotFeaturesSlice(client, set, get),
    ...createEpisodeChecksSlice(client, set, get),
    ...createTriageSlice(client, set, get),

    // ---- errors
    errors: [],
    pushError(err) {
      const wire = toWireError(err)
      set((s) => ({ errors: [...s.errors.slice(-4), { ...wire, id: nextErrorId++ }] }))
    },
    dismissError(id) {
      set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }))
    },

    // ---- datasets
    datasets: [],
    currentDatasetId: null,
    taskFilter: null,
    textFilter: '',
    outcomeFilter: null,
    statusFilter: null,
    eventFilter: 'any',
    selectedEpisode: null,
    screenView: 'episodes',
    opening: false,
    async openDataset(path) {
      void get().flushNotes()
      set({ opening: true })
      try {
        const summary = await client.call('dataset.open', { path })
        set((s) => ({
          datasets: [...s.datasets.filter((d) => d.id !== summary.id), summary],
          currentDatasetId: summary.id,
          taskFilter: null,
          textFilter: '',
          outcomeFilter: null,
          statusFilter: null,
          eventFilter: 'any',
          selectedEpisode: summary.episodes.find((e) => e.present)?.index ?? null,
          screen: 'datasets',
        }))
        void get().loadProject(summary.id)
      } catch (err) {
        get().pushError(err)
      } finally {
        set({ opening: false })
      }
    },
    selectDataset(id) {
      const summary = get().datasets.find((d) => d.id === id)
      if (!summary) return
      void get().flushNotes()
      set({
        currentDatasetId: id,
        taskFilter: null,
        textFilter: '',
        outcomeFilter: null,
        statusFilter: null,
        eventFilter: 'any',
        selectedEpisode: summary.episodes[0]?.index ?? null,
      })
      void get().loadProject(id)
    },
    setTaskFilter(task) {
      set({ taskFilter: task })
    },
    setTextFilter(text) {
      set({ textFilter: text })
    },
    setOutcomeFilter(outcome) {
      set({ outcomeFilter: outcome })
    },
    setStatusFilter(status) {
      set({ statusFilter: status })
    },
    setEventFilter(filter) {
      set({ eventFilter: filter })
    },
    setScreenView(view) {
      set({ screenView: view })
    },
    selectEpisode(index) {
      set({ selectedEpisode: index })
    },
    async resolveReattach(action) {
      const summary = currentDataset(get())
      const offer = summary?.reattach
      if (!summary || !offer) return
      try {
        const updated = await client.call('dataset.reattachProject', {
          datasetId: summary.id,
          action,
          ...(action === 'reattach' ? { projectPath: offer.projectPath } : {}),
        })
        set((s) => ({ datasets: s.datasets.map((d) => (d.id === updated.id ? updated : d)) }))
        await get().loadProject(updated.id)
      } catch (err) {
        get().pushError(err)
      }
    },

    // ---- player
    screen: 'datasets',
    episode: null,
    episodeLoading: false,
    frame: 0,
    playing: false,
    speed: 1,
    hiddenJoints: [],
    mediaProgress: {},
    lastFrameLatencyMs: null,
    async openEpisode(index) {
      const datasetId = get().currentDatasetId
      if (datasetId === null) return
      const request = ++episodeRequest
      driver?.pause()
      // Notes typed for the episode being left are saved now, not when the typing pause would have ended.
      void get().flushNotes()
      set({ episodeLoading: true, selectedEpisode: index, screen: 'player' })
      try {
        // The features the plot shows come with the episode (binary, frame-indexed), not in a second round trip.
        const features = plottedFeatureKeys(get(), currentDataset(get()))
        const episode = await client.call('episode.open', { datasetId, episode: index, ...(features.length > 0 ? { features } : {}) })
        if (request !== episodeRequest) return
        set({ episode, frame: 0, playing: false, mediaProgress: {}, lastFrameLatencyMs: null })
        void get().loadEpisodeCurves()
        for (const cam of episode.cameras) {
          if (cam.status === 'needs-proxy') void get().prepareCamera(cam.key)
        }
      } catch (err) {
        if (request === episodeRequest) {
          get().pushError(err)
          set({ screen: get().episode ? 'player' : 'datasets' })
        }
      } finally {
        if (request === episodeRequest) set({ episodeLoading: false })
      }
    },
    closeEpisode() {
      driver?.pause()
      void get().flushNotes()
      episodeRequest++
      set({ screen: 'datasets', episode: null, playing: false, episodeLoading: false })
      get().resetCurves()
    },
    attachDriver(d) {
      driver = d
      d?.setSpeed(get().speed)
      // e.g. the metrics view opened this episode at its worst event: seek once the views can follow.
      if (d) get().applyPendingSeek()
    },
    seek(frame, startedAt) {
      const episode = get().episode
      if (!episode) return
      const target = Math.max(0, Math.min(episode.length - 1, Math.round(frame)))
      if (driver) driver.seek(target, startedAt)
      else set({ frame: target })
    },
    step(delta, startedAt) {
      if (get().playing) driver?.pause()
      get().seek(get().frame + delta, startedAt)
    },
    togglePlay() {
      if (!driver) return
      if (get().playing) driver.pause()
      else driver.play()
    },
    setSpeed(speed) {
      const clamped = Math.max(SPEEDS[0], Math.min(SPEEDS[SPEEDS.length - 1] ?? 4, speed))
      set({ speed: clamped })
      driver?.setSpeed(clamped)
    },
    setHiddenJoints(names) {
      set({ hiddenJoints: names })
    },
    async prepareCamera(key) {
      const episode = get().episode
      if (!episode) return
      set((s) => ({ mediaProgress: { ...s.mediaProgress, [key]: 0 } }))
      const off = client.on('media.progress', (p) => {
        if (p.datasetId === episode.datasetId && p.episode === episode.index && p.camera === key) {
          set((s) => ({ mediaProgress: { ...s.mediaProgress, [key]: p.fraction } }))
        }
      })
      try {
        const view: CameraView = await client.call('media.prepare', {
          datasetId: episode.datasetId,
          episode: episode.index,
          camera: key,
        })
        const current = get().episode
        if (current && current.datasetId === episode.datasetId && current.index === episode.index) {
          set({ episode: { ...current, cameras: current.cameras.map((c) => (c.key === key ? view : c)) } })
        }
      } catch (err) {
        get().pushError(err)
        // The pane says why too (a video window that does not fit its file, an unreadable file), rather than
        // waiting on a transcode that will never come.
        const wire = toWireError(err)
        const current = get().episode
        if (wire.code !== 'CANCELLED' && current && current.datasetId === episode.datasetId && current.index === episode.index) {
          const failed = (c: CameraView): CameraView => ({ ...c, media: null, status: 'failed', statusMessage: wire.message })
          set({ episode: { ...current, cameras: current.cameras.map((c) => (c.key === key ? failed(c) : c)) } })
        }
      } finally {
        off()
        set((s) => {
          const { [key]: _done, ...rest } = s.mediaProgress
          return { mediaProgress: rest }
        })
      }
    },
    reportFrame(frame) {
      if (frame !== get().frame) set({ frame })
    },
    reportPlaying(playing) {
      if (playing !== get().playing) set({ playing })
    },
    reportFrameReady(_frame, latencyMs) {
      set({ lastFrameLatencyMs: latencyMs })
    },
  }))
  client.on('annotations.changed', ({ datasetId, origin }) => {
    const s = store.getState()
    // Another window or an import changed the project: show it. Undo history starts over, since its edits were
    // made against a state that no longer holds.
    if (s.currentDatasetId === datasetId && origin !== s.clientId) void s.loadProject(datasetId)
  })
  client.on('score.progress', (job) => store.getState().applyJob(job))
  client.on('score.chunk', (chunk) => store.getState().applyChunk(chunk))
  client.on('curves.changed', ({ datasetId, episode }) => store.getState().curvesChanged(datasetId, episode))
  // Commands from the desktop shell's menu, second launches and the restored session.
  client.on('app.command', (cmd) => {
    const s = store.getState()
    if (cmd.command === 'undo') void s.undo()
    else if (cmd.command === 'redo') void s.redo()
    else if (cmd.command === 'modelsChanged') void s.loadModels()
    else if (cmd.command === 'showDataset') {
      void (async () => {
        try {
          if (!store.getState().datasets.some((d) => d.id === cmd.datasetId)) {
            store.setState({ datasets: await client.call('dataset.list', {}) })
          }
          store.getState().selectDataset(cmd.datasetId)
          if (cmd.episode !== null) await store.getState().openEpisode(cmd.episode)
        } catch (err) {
          store.getState().pushError(err)
        }
      })()
    }
  })
  return store
}
