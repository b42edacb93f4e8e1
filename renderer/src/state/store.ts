/**
 * The app store: one zustand store per app instance, composed of each feature's state (features/<name>/state.ts).
 *
 * How features talk: a feature reads the state of the features below it and may call their actions (each feature's
 * own code writes its own fields; SliceContext.set takes nothing else). Features are layered, lowest first:
 *   errors, theme → datasets (+ episode checks, episode stats) → player (+ its layout) → navigation → plots,
 *   annotations, models, metrics, triage → curves → jobs, detector, advantages → links (deep links); figures (video
 *   rendering) reads only the errors; shortcuts (the help overlay) reads nothing.
 * A reaction that goes upward (the player opened an episode, so the curves load) is a hook the lower feature
 * declares and this module wires, in one place below; so is the reaction to the main side's events. Nothing else
 * writes across features, and no feature module imports this one.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { VivaClient } from '../../../app/contract'
import { createAdvantagesSlice, type AdvantagesSlice } from '../features/advantages/state'
import { createAnnotationsSlice, type AnnotationsSlice } from '../features/annotations/state'
import { createCurvesSlice, type CurvesSlice } from '../features/curves/state'
import { createEpisodeChecksSlice, type EpisodeChecksSlice } from '../features/datasets/episodeChecks'
import { createEpisodeStatsSlice, type EpisodeStatsSlice } from '../features/datasets/episodeStats'
import { createDatasetsSlice, currentDataset, type DatasetsSlice } from '../features/datasets/state'
import { createDetectorSlice, type DetectorSlice } from '../features/detector/state'
import { createRenderSlice, type RenderSlice } from '../features/figures/state'
import { createJobsSlice, type JobsSlice } from '../features/jobs/state'
import { createLinksSlice, type LinksSlice } from '../features/links/state'
import { createMetricsSlice, type MetricsSlice } from '../features/metrics/state'
import { createModelsSlice, type ModelsSlice } from '../features/models/state'
import { createLayoutSlice, type LayoutSlice } from '../features/player/layout'
import { createNavigationSlice, type NavigationSlice } from '../features/player/navigation'
import { createPlayerSlice, type PlayerSlice } from '../features/player/state'
import { createPlotFeaturesSlice, plottedFeatureKeys, type PlotFeaturesSlice } from '../features/plots/state'
import { createShortcutsSlice, type ShortcutsSlice } from '../features/shortcuts/state'
import { createTriageSlice, type TriageSlice } from '../features/triage/state'
import { createErrorsSlice, type ErrorsSlice } from './errors'
import { createThemeSlice, type ThemeSlice } from './theme'
import type { SliceContext } from './slice'

export type AppState = ErrorsSlice &
  ThemeSlice &
  DatasetsSlice &
  EpisodeChecksSlice &
  EpisodeStatsSlice &
  PlayerSlice &
  LayoutSlice &
  NavigationSlice &
  PlotFeaturesSlice &
  AnnotationsSlice &
  ModelsSlice &
  MetricsSlice &
  TriageSlice &
  CurvesSlice &
  JobsSlice &
  DetectorSlice &
  AdvantagesSlice &
  RenderSlice &
  LinksSlice &
  ShortcutsSlice
export type AppStore = StoreApi<AppState>

/** One store per app instance, created with the client it talks to (tests inject a fake). */
export function createAppStore(client: VivaClient): AppStore {
  const store = createStore<AppState>()((set, get) => {
    /**
     * The context of one feature: its setter is zustand's, typed to take only that feature's fields. The check
     * argument does not compile unless the app state holds all the feature owns and reads.
     */
    const ctx = <Own, Reads>(..._check: AppState extends Own & Reads ? [] : [never]): SliceContext<Own, Reads> => ({
      client,
      set: set as SliceContext<Own, Reads>['set'],
      get: get as unknown as () => Own & Reads,
    })

    /** What the views showed of the episode that is no longer open. */
    const forgetEpisodeViews = (): void => {
      const s = get()
      s.resetDetection()
      s.resetAdvantages()
      s.setPlotRange(null)
    }

    return {
      ...createErrorsSlice(ctx()),
      ...createThemeSlice(ctx()),
      ...createDatasetsSlice(ctx(), {
        leaving: () => void get().flushNotes(),
        shown: (datasetId) => {
          get().clearErrors()
          return get().loadProject(datasetId)
        },
        opened: () => get().showDatasetScreen(),
      }),
      ...createEpisodeChecksSlice(ctx()),
      ...createEpisodeStatsSlice(ctx()),
      ...createPlayerSlice(ctx(), {
        leaving: () => void get().flushNotes(),
        featuresToLoad: () => plottedFeatureKeys(get(), currentDataset(get())),
        opened: () => {
          get().clearErrors()
          forgetEpisodeViews()
          void get().loadEpisodeCurves()
        },
        closed: () => {
          get().clearErrors()
          get().resetCurves()
          forgetEpisodeViews()
        },
        driverAttached: () => get().applyPendingSeek(),
      }),
      ...createLayoutSlice(ctx()),
      ...createNavigationSlice(ctx(), {
        arrived: ({ episode, frame, kind }) => {
          for (const e of get().project?.events.values() ?? []) {
            if (e.episode === episode && e.frame === frame && e.kind === kind) {
              get().selectEvent(e.id)
              break
            }
          }
        },
      }),
      ...createPlotFeaturesSlice(ctx(), { stateKeyChanged: () => void get().loadCameraMap() }),
      ...createAnnotationsSlice(ctx(), { applySuggestionStep: (step) => get().applySuggestionStep(step) }),
      ...createModelsSlice(ctx(), { modelChanged: () => get().clearScoreRefused() }),
      ...createMetricsSlice(ctx()),
      ...createTriageSlice(ctx()),
      ...createCurvesSlice(ctx(), {
        analysisCurveChanged: () => {
          get().selectCandidate(null)
          get().resetAdvantages()
        },
        seriesMissing: (series) => get().refuseLink(`episode ${get().episode?.index ?? ''} has no curve ${series.join(', ')} (the others are shown)`),
      }),
      ...createJobsSlice(ctx(), { curvesMayHaveChanged: (datasetId, episodes) => get().reloadIfShowing(datasetId, episodes) }),
      ...createDetectorSlice(ctx()),
      ...createAdvantagesSlice(ctx()),
      ...createRenderSlice(ctx()),
      ...createLinksSlice(ctx()),
      ...createShortcutsSlice(ctx()),
    }
  })

  client.on('annotations.changed', ({ datasetId, origin }) => {
    const s = store.getState()
    // Another window or an import changed the project: show it. Undo history starts over, since its edits were
    // made against a state that no longer holds.
    if (s.currentDatasetId === datasetId && origin !== s.clientId) void s.loadProject(datasetId)
  })
  client.on('score.progress', (job) => store.getState().applyJob(job))
  client.on('score.chunk', (chunk) => store.getState().applyChunk(chunk))
  client.on('render.progress', (p) => store.getState().applyRenderProgress(p))
  client.on('curves.changed', ({ datasetId, episode }) => {
    store.getState().curvesChanged(datasetId, episode)
    store.getState().episodeCurvesChanged(datasetId)
  })
  // Commands from the desktop shell's menu, second launches and the restored session.
  client.on('app.command', (cmd) => {
    const s = store.getState()
    if (cmd.command === 'undo') void s.undo()
    else if (cmd.command === 'redo') void s.redo()
    else if (cmd.command === 'modelsChanged') void s.loadModels()
    else if (cmd.command === 'showShortcuts') s.setShortcutsOpen(true)
    else if (cmd.command === 'openLink') void s.followLink(cmd.location)
    else if (cmd.command === 'badLink') s.refuseLink(cmd.problem)
    else if (cmd.command === 'showDataset') {
      void (async () => {
        try {
          if (!store.getState().datasets.some((d) => d.id === cmd.datasetId)) await store.getState().refreshDatasets()
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
