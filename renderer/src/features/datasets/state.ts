/**
 * The open datasets, which one is current, and the dataset screen's filters and tab. The lowest feature: it reads
 * only the errors; what must follow a change of dataset (the project, pending notes) is the store's hooks.
 */
import type { Outcome, ProjectState, ReviewStatus } from '../../../../app/annotations'
import { episodeLabels } from '../../../../app/annotationEdits'
import type { DatasetSummary, EpisodeSummary } from '../../../../app/dataset'
import type { ErrorsSlice } from '../../state/errors'
import { readPreference, writePreference } from '../../state/preferences'
import type { SliceContext } from '../../state/slice'
import { DEFAULT_SORT, parseSort, type EpisodeSort } from './episodeSort'

/** Tabs of the dataset screen. */
export type ScreenView = 'episodes' | 'overview' | 'metrics' | 'triage'

export const EVENT_FILTERS = ['any', 'none', 'events', 'milestones', 'errors'] as const
export type EventFilter = (typeof EVENT_FILTERS)[number]

export interface DatasetsSlice {
  datasets: DatasetSummary[]
  currentDatasetId: string | null
  taskFilter: string | null
  textFilter: string
  outcomeFilter: Outcome | null
  statusFilter: ReviewStatus | null
  eventFilter: EventFilter
  selectedEpisode: number | null
  /** How the episode list is sorted (remembered across sessions, for every dataset). */
  episodeSort: EpisodeSort
  screenView: ScreenView
  opening: boolean
  openDataset(path: string): Promise<void>
  selectDataset(id: string): void
  /** At start: the datasets the main side has open, and which is current (no episode selected yet). */
  setOpenDatasets(datasets: DatasetSummary[], currentId: string | null): void
  /** Read the main side's list of open datasets again (e.g. one was opened by another window). */
  refreshDatasets(): Promise<void>
  /** Put a dataset's new summary in place of its old one (its state key changed, its project was re-attached). */
  replaceDataset(summary: DatasetSummary): void
  setTaskFilter(task: string | null): void
  setTextFilter(text: string): void
  setOutcomeFilter(outcome: Outcome | null): void
  setStatusFilter(status: ReviewStatus | null): void
  setEventFilter(filter: EventFilter): void
  setScreenView(view: ScreenView): void
  setEpisodeSort(sort: EpisodeSort): void
  /** Every filter back to showing all episodes. */
  clearFilters(): void
  selectEpisode(index: number | null): void
  /** Act on the current dataset's re-attach offer (see ReattachOffer), then load the project it now has. */
  resolveReattach(action: 'reattach' | 'fresh'): Promise<void>
}

/** What the store does when the current dataset changes. */
export interface DatasetsHooks {
  /** Before another dataset becomes current (save what was typed for the one being left). */
  leaving(): void
  /** A dataset became current, or its project changed: load its project. */
  shown(datasetId: string): Promise<void>
  /** A dataset was opened: show the dataset screen. */
  opened(): void
}

export type EpisodeFilterState = Pick<DatasetsSlice, 'taskFilter' | 'textFilter' | 'outcomeFilter' | 'statusFilter'> & {
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

/** Episodes that pass the dataset screen's filters, in list order. */
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

export function currentDataset(state: Pick<DatasetsSlice, 'datasets' | 'currentDatasetId'>): DatasetSummary | null {
  return state.datasets.find((d) => d.id === state.currentDatasetId) ?? null
}

/** Where the episode list's sort is remembered (state/preferences.ts). */
export const SORT_PREFERENCE = 'viva.episodeSort'

const NO_FILTERS = { taskFilter: null, textFilter: '', outcomeFilter: null, statusFilter: null, eventFilter: 'any' } as const

export function createDatasetsSlice({ client, set, get }: SliceContext<DatasetsSlice, ErrorsSlice>, hooks: DatasetsHooks): DatasetsSlice {
  return {
    datasets: [],
    currentDatasetId: null,
    ...NO_FILTERS,
    selectedEpisode: null,
    episodeSort: readPreference(SORT_PREFERENCE, parseSort, DEFAULT_SORT),
    screenView: 'episodes',
    opening: false,
    async openDataset(path) {
      hooks.leaving()
      set({ opening: true })
      try {
        const summary = await client.call('dataset.open', { path })
        // The desktop shell's File › Open recent (a typed notice; browser mode ignores it).
        client.notify?.('shell.datasetOpened', { datasetId: summary.id })
        set((s) => ({
          datasets: [...s.datasets.filter((d) => d.id !== summary.id), summary],
          currentDatasetId: summary.id,
          ...NO_FILTERS,
          selectedEpisode: summary.episodes.find((e) => e.present)?.index ?? null,
        }))
        hooks.opened()
        void hooks.shown(summary.id)
      } catch (err) {
        get().pushError(err)
      } finally {
        set({ opening: false })
      }
    },
    selectDataset(id) {
      const summary = get().datasets.find((d) => d.id === id)
      if (!summary) return
      hooks.leaving()
      set({ currentDatasetId: id, ...NO_FILTERS, selectedEpisode: summary.episodes[0]?.index ?? null })
      client.notify?.('shell.showing', { datasetId: id, episode: null })
      void hooks.shown(id)
    },
    setOpenDatasets(datasets, currentId) {
      set({ datasets, currentDatasetId: currentId, selectedEpisode: null })
    },
    async refreshDatasets() {
      const datasets = await client.call('dataset.list', {})
      set({ datasets })
    },
    replaceDataset(summary) {
      set((s) => ({ datasets: s.datasets.map((d) => (d.id === summary.id ? summary : d)) }))
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
    clearFilters() {
      set({ ...NO_FILTERS })
    },
    setEpisodeSort(sort) {
      writePreference(SORT_PREFERENCE, sort)
      set({ episodeSort: sort })
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
        get().replaceDataset(updated)
        await hooks.shown(updated.id)
      } catch (err) {
        get().pushError(err)
      }
    },
  }
}
