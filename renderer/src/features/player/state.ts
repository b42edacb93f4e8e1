/**
 * The player: the open episode, its frame and playback, and the driver behind the video elements. Reads the
 * datasets (which one is current); what must follow opening or closing an episode (its curves, pending notes, the
 * features the plot shows) is the store's hooks.
 */
import type { CameraView, EpisodeState, EpisodeView } from '../../../../app/contract'
import { toWireError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'

/** What the player needs from whatever drives the video elements (see playbackController.ts). */
export interface PlayerDriver {
  seek(frame: number, startedAt?: number): void
  play(): void
  pause(): void
  setSpeed(speed: number): void
}

export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const

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
  /** Show the dataset screen (a dataset was opened); the episode stays loaded. */
  showDatasetScreen(): void
  attachDriver(driver: PlayerDriver | null): void
  seek(frame: number, startedAt?: number): void
  step(delta: number, startedAt?: number): void
  togglePlay(): void
  setSpeed(speed: number): void
  setHiddenJoints(names: string[]): void
  prepareCamera(key: string): Promise<void>
  /** The open episode's state is now `state` (the dataset's state key changed), if it is still that episode. */
  replaceEpisodeState(datasetId: string, episode: number, state: EpisodeState | null): void
  /** Called by the driver: the frame the views show (or are playing). */
  reportFrame(frame: number): void
  reportPlaying(playing: boolean): void
  reportFrameReady(frame: number, latencyMs: number): void
}

/** What the store does around the player. */
export interface PlayerHooks {
  /** Before another episode opens or the player closes (save the notes typed for this one). */
  leaving(): void
  /** Feature keys to load with the episode (the plot's). */
  featuresToLoad(): string[]
  /** An episode is open: load what the views show of it. */
  opened(): void
  /** The player closed: forget what the views showed of the episode. */
  closed(): void
  /** A driver is attached: the views can follow a seek. */
  driverAttached(): void
}

const sameEpisode = (a: EpisodeView | null, datasetId: string, index: number): a is EpisodeView =>
  a !== null && a.datasetId === datasetId && a.index === index

export function createPlayerSlice({ client, set, get }: SliceContext<PlayerSlice, DatasetsSlice & ErrorsSlice>, hooks: PlayerHooks): PlayerSlice {
  let driver: PlayerDriver | null = null
  const requests = createRequests()

  const patchCamera = (datasetId: string, index: number, key: string, camera: (c: CameraView) => CameraView): void => {
    const current = get().episode
    if (sameEpisode(current, datasetId, index)) {
      set({ episode: { ...current, cameras: current.cameras.map((c) => (c.key === key ? camera(c) : c)) } })
    }
  }

  return {
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
      driver?.pause()
      // Notes typed for the episode being left are saved now, not when the typing pause would have ended.
      hooks.leaving()
      get().selectEpisode(index)
      set({ episodeLoading: true, screen: 'player' })
      // The features the plot shows come with the episode (binary, frame-indexed), not in a second round trip.
      const features = hooks.featuresToLoad()
      const out = await requests.run('episode', (signal) =>
        client.call('episode.open', { datasetId, episode: index, ...(features.length > 0 ? { features } : {}) }, signal),
      )
      if (out.status === 'stale') return
      if (out.status === 'ok') {
        const episode = out.value
        set({ episode, frame: 0, playing: false, mediaProgress: {}, lastFrameLatencyMs: null })
        client.notify?.('shell.showing', { datasetId, episode: index })
        hooks.opened()
        for (const cam of episode.cameras) {
          if (cam.status === 'needs-proxy') void get().prepareCamera(cam.key)
        }
      } else {
        get().pushError(out.error)
        set({ screen: get().episode ? 'player' : 'datasets' })
      }
      set({ episodeLoading: false })
    },
    closeEpisode() {
      driver?.pause()
      hooks.leaving()
      requests.abort('episode')
      set({ screen: 'datasets', episode: null, playing: false, episodeLoading: false })
      hooks.closed()
    },
    showDatasetScreen() {
      set({ screen: 'datasets' })
    },
    attachDriver(d) {
      driver = d
      d?.setSpeed(get().speed)
      // e.g. the metrics view opened this episode at its worst event: seek once the views can follow.
      if (d) hooks.driverAttached()
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
        const view: CameraView = await client.call('media.prepare', { datasetId: episode.datasetId, episode: episode.index, camera: key })
        patchCamera(episode.datasetId, episode.index, key, () => view)
      } catch (err) {
        get().pushError(err)
        // The pane says why too (a video window that does not fit its file, an unreadable file), rather than
        // waiting on a transcode that will never come.
        const wire = toWireError(err)
        if (wire.code !== 'CANCELLED') {
          patchCamera(episode.datasetId, episode.index, key, (c) => ({ ...c, media: null, status: 'failed', statusMessage: wire.message }))
        }
      } finally {
        off()
        set((s) => {
          const { [key]: _done, ...rest } = s.mediaProgress
          return { mediaProgress: rest }
        })
      }
    },
    replaceEpisodeState(datasetId, index, state) {
      const now = get().episode
      if (sameEpisode(now, datasetId, index)) set({ episode: { ...now, state } })
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
  }
}
