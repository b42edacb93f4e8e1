/**
 * Deep links (app/location.ts): where the user is, as a link to copy, and going where a link says (the URL's hash
 * in browser mode, a viva:// link the desktop shell forwards). The top feature: it reads the datasets, the player,
 * the navigation and the curves, and calls their actions. A refusal is an error toast that says what was refused.
 */
import { checkLocation, formatLocationHash, formatVivaLink, linkProblem, unknownDatasetProblem, type AppLocation } from '../../../../app/location'
import { VivaError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import type { AnnotationsSlice } from '../annotations/state'
import type { SliceContext } from '../../state/slice'
import { curveSeriesKey, curveVisible, episodeKey } from '../curves/curves'
import type { CurvesSlice } from '../curves/state'
import { currentDataset, type DatasetsSlice } from '../datasets/state'
import type { NavigationSlice } from '../player/navigation'
import type { PlayerSlice } from '../player/state'

export interface LinksSlice {
  /** Which links this app makes: URLs of this page (browser mode) or viva:// links (desktop). */
  appMode: 'browser' | 'electron'
  setAppMode(mode: 'browser' | 'electron'): void
  /**
   * Go where `location` says, as deep as it is valid, and say what was refused (see app/location.ts). False when
   * nothing of it could be followed (a dataset this app has not opened).
   */
  followLink(location: AppLocation): Promise<boolean>
  /** A link that is not a location at all: say so. */
  refuseLink(problem: string): void
}

type Reads = DatasetsSlice & PlayerSlice & NavigationSlice & CurvesSlice & ErrorsSlice & Pick<AnnotationsSlice, 'project' | 'loadProject'>
export type LocationState = Pick<Reads, 'currentDatasetId' | 'screen' | 'episode' | 'frame' | 'curvesKey' | 'curveList' | 'hiddenSeries' | 'wantedSeries'>

/** The value curves shown, as series keys in the legend's order; null while the open episode's list is unknown. */
function shownSeries(s: LocationState): string[] | null {
  const ep = s.episode
  if (!ep) return null
  const key = episodeKey(ep.datasetId, ep.index)
  if (s.wantedSeries?.episodeKey === key) return s.wantedSeries.series
  if (s.curvesKey !== key || s.curveList.length === 0) return null
  return [...new Set(s.curveList.filter((c) => curveVisible(s, c)).map(curveSeriesKey))]
}

/** Where the user is; `frame` replaces the store's (the hash writes the last settled one while playing). */
export function currentLocation(s: LocationState, frame: number | null = s.frame): AppLocation | null {
  if (s.currentDatasetId === null) return null
  const open = s.screen === 'player' && s.episode !== null && s.episode.datasetId === s.currentDatasetId
  if (!open || !s.episode) return { datasetId: s.currentDatasetId, episode: null, frame: null, curves: null }
  return { datasetId: s.currentDatasetId, episode: s.episode.index, frame, curves: shownSeries(s) }
}

/** The link to copy: this page's URL with the location as its hash, or the desktop's viva:// link. */
export function shareableLink(s: LocationState & Pick<Reads, 'datasets'> & Pick<LinksSlice, 'appMode'>, page: { origin: string; pathname: string; search: string }): string | null {
  const location = currentLocation(s)
  if (!location) return null
  if (s.appMode === 'electron') return formatVivaLink(location, currentDataset(s)?.root ?? null)
  return `${page.origin}${page.pathname}${page.search}${formatLocationHash(location)}`
}

export function createLinksSlice({ set, get }: SliceContext<LinksSlice, Reads>): LinksSlice {
  const refuse = (code: 'NOT_FOUND' | 'INVALID_ARGUMENT', problem: string): void => get().pushError(new VivaError(code, linkProblem(problem)))
  return {
    appMode: 'browser',
    setAppMode(mode) {
      set({ appMode: mode })
    },
    refuseLink(problem) {
      refuse('INVALID_ARGUMENT', problem)
    },
    async followLink(location) {
      let summary = get().datasets.find((d) => d.id === location.datasetId)
      if (!summary) {
        // The desktop shell may just have opened it for this link.
        await get().refreshDatasets().catch(() => undefined)
        summary = get().datasets.find((d) => d.id === location.datasetId)
      }
      if (!summary) {
        refuse('NOT_FOUND', unknownDatasetProblem(location.datasetId, get().datasets))
        return false
      }
      if (get().currentDatasetId !== summary.id) get().selectDataset(summary.id)
      else if (get().project === null) void get().loadProject(summary.id)
      const target = checkLocation(location, summary)
      if (target.episode === null) {
        if (get().screen === 'player') get().closeEpisode()
        if (location.episode === null) get().selectEpisode(summary.episodes.find((e) => e.present)?.index ?? null)
      } else {
        if (location.curves !== null) get().showOnlySeries(summary.id, target.episode, location.curves)
        get().selectEpisode(target.episode)
        await get().openEpisodeAt(target.episode, target.frame ?? 0)
      }
      // After the move: arriving clears the toasts about what was on screen before.
      if (target.problem !== null) refuse('NOT_FOUND', target.problem)
      return true
    },
  }
}
