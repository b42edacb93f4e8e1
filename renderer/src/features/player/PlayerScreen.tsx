import { useEffect, useMemo, useState, type ReactNode } from 'react'
import type { EpisodeView } from '../../../../app/contract'
import { formatDuration, formatFrameTime, frameTime } from '../../../../app/dataset'
import { useApp, useAppStore } from '../../state/StoreContext'
import { currentDataset } from '../datasets/state'
import { SPEEDS } from './state'
import { WarningList } from '../datasets/DatasetScreen'
import { episodeWarnings } from '../datasets/episodeChecks'
import { StatePlot } from '../plots/StatePlot'
import { ValuePlot } from '../plots/ValuePlot'
import { ValueTools } from '../plots/ValueTools'
import { AdvantageStrip } from '../advantages/AdvantagesControl'
import { ModelsPanel } from '../models/ModelsPanel'
import { PlaybackController } from './playbackController'
import { usePlayerKeys } from './playerKeys'
import { Scrubber } from './Scrubber'
import { Icon } from '../../components/Icon'
import { AnnotationPanel } from '../annotations/AnnotationPanel'
import { LabelPicker } from '../annotations/LabelPicker'
import { TaxonomyEditor } from '../annotations/TaxonomyEditor'
import { MetricsButton } from '../metrics/MetricsButton'
import { RenderVideoButton } from '../figures/RenderVideo'
import { TriageBadge } from '../triage/TriageView'
import { keepFocus } from '../../components/keepFocus'
import { CopyLinkButton } from '../links/CopyLinkButton'
import { ThemeSelect } from '../../components/ThemeSelect'
import { Splitter } from '../../components/Splitter'
import { CameraViews } from './CameraViews'
import { PANES } from './layout'

/**
 * The current frame's time: the recorded timestamp from the episode table when it has one (what LeRobot calls the
 * frame's time; it may start late or drift), with frame / fps beside it when the two differ by a millisecond or more.
 */
function FrameTime(props: { frame: number; episode: EpisodeView }): ReactNode {
  const { frame, episode } = props
  const t = frameTime(frame, episode.fps, episode.timestamps)
  if (!t.recorded) {
    return <span className="time"> · {formatDuration(frame, episode.fps)} / {formatDuration(episode.length - 1, episode.fps)}</span>
  }
  const fromFrame = frame / episode.fps
  const differs = Math.abs(fromFrame - t.seconds) >= 0.001
  return (
    <span className="time" data-testid="frame-time" title="Recorded timestamp of this frame (the episode table's timestamp column)">
      {' '}
      · t = {formatFrameTime(frame, episode.fps, episode.timestamps)}
      {differs ? <span className="muted"> (frame/fps {fromFrame.toFixed(3)} s)</span> : null}
    </span>
  )
}

function Transport(props: { episode: EpisodeView }): ReactNode {
  const frame = useApp((s) => s.frame)
  const playing = useApp((s) => s.playing)
  const speed = useApp((s) => s.speed)
  const { seek, step, togglePlay, setSpeed } = useApp((s) => s)
  const [typed, setTyped] = useState('')
  const { episode } = props
  return (
    <div className="transport">
      <button type="button" onMouseDown={keepFocus} onClick={() => seek(0)} title="First frame (Home)" aria-label="First frame"><Icon name="first" /></button>
      <button type="button" onMouseDown={keepFocus} onClick={() => step(-1)} title="Previous frame (←, Shift+← for 10)" aria-label="Previous frame"><Icon name="prev" /></button>
      <button type="button" onMouseDown={keepFocus} onClick={togglePlay} title="Play / pause (Space)" aria-label={playing ? 'Pause' : 'Play'} className="play">
        <Icon name={playing ? 'pause' : 'play'} />
      </button>
      <button type="button" onMouseDown={keepFocus} onClick={() => step(1)} title="Next frame (→, Shift+→ for 10)" aria-label="Next frame"><Icon name="next" /></button>
      <button type="button" onMouseDown={keepFocus} onClick={() => seek(episode.length - 1)} title="Last frame (End)" aria-label="Last frame"><Icon name="last" /></button>
      <span className="frame-readout" data-testid="frame-readout">
        frame <strong data-testid="current-frame">{frame}</strong> / {episode.length - 1}
        <FrameTime frame={frame} episode={episode} />
      </span>
      <form
        className="goto"
        onSubmit={(e) => {
          e.preventDefault()
          const n = Number(typed)
          if (typed.trim() !== '' && Number.isInteger(n)) seek(n)
          setTyped('')
          ;(document.activeElement as HTMLElement | null)?.blur()
        }}
      >
        <input
          aria-label="Go to frame"
          placeholder="go to frame (G)"
          inputMode="numeric"
          value={typed}
          onChange={(e) => setTyped(e.target.value.replace(/[^0-9]/g, ''))}
          onKeyDown={(e) => {
            if (e.key === 'Escape') (e.target as HTMLInputElement).blur()
          }}
        />
      </form>
      <label className="speed">
        speed
        <select
          aria-label="Playback speed"
          value={speed}
          onChange={(e) => {
            setSpeed(Number(e.target.value))
            // Hand the keyboard back to the player (Space, arrows) once a speed is picked.
            e.target.blur()
          }}
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
      </label>
    </div>
  )
}

export function PlayerScreen(): ReactNode {
  const store = useAppStore()
  const episode = useApp((s) => s.episode)
  const loading = useApp((s) => s.episodeLoading)
  const summary = useApp((s) => currentDataset(s))
  const progress = useApp((s) => s.mediaProgress)
  const closeEpisode = useApp((s) => s.closeEpisode)

  const controller = useMemo(() => {
    if (!episode) return null
    return new PlaybackController(episode.length, {
      onFrame: (f) => store.getState().reportFrame(f),
      onPlayingChange: (p) => store.getState().reportPlaying(p),
      onFrameReady: (f, ms) => {
        store.getState().reportFrameReady(f, ms)
        performance.mark('viva:frame-ready', { detail: { frame: f, latencyMs: ms } })
      },
    })
  }, [episode?.datasetId, episode?.index, episode?.length, store])

  useEffect(() => {
    if (!controller) return
    store.getState().attachDriver(controller)
    return () => {
      store.getState().attachDriver(null)
      controller.dispose()
    }
  }, [controller, store])

  if (!episode || !controller) {
    return (
      <div className="player-screen loading">
        <p>{loading ? 'Loading episode…' : 'No episode open.'}</p>
      </div>
    )
  }
  return (
    <PlayerBody
      episode={episode}
      controller={controller}
      datasetName={summary?.name ?? ''}
      progress={progress}
      loading={loading}
      onBack={closeEpisode}
    />
  )
}

function PlayerBody(props: {
  episode: EpisodeView
  controller: PlaybackController
  datasetName: string
  progress: Record<string, number>
  loading: boolean
  onBack: () => void
}): ReactNode {
  const { episode, controller } = props
  usePlayerKeys(episode)
  // This episode's checks (black or frozen cameras, and the rest): run once per episode, shown with its warnings.
  const checkEpisodes = useApp((s) => s.checkEpisodes)
  const checked = useApp((s) => s.episodeChecks[episode.datasetId]?.[episode.index])
  useEffect(() => {
    void checkEpisodes(episode.datasetId, [episode.index])
  }, [checkEpisodes, episode.datasetId, episode.index])
  const warnings = useMemo(() => episodeWarnings(episode, checked), [episode, checked])
  const sideWidth = useApp((s) => s.paneSizes.sidePanelWidth)
  const setPaneSize = useApp((s) => s.setPaneSize)
  return (
    <div className="player-screen" data-episode={episode.index}>
      <header className="topbar">
        <button type="button" onClick={props.onBack} title="Back to episodes (Esc)">
          ← Episodes
        </button>
        <h1>
          {props.datasetName} · episode {episode.index}
        </h1>
        <span className="task">{episode.tasks.join(' · ')}</span>
        {props.loading ? <span className="loading-badge">loading…</span> : null}
        <TriageBadge />
        <RenderVideoButton />
        <MetricsButton />
        <CopyLinkButton />
        <ThemeSelect />
      </header>
      <div className="player-main" style={{ gridTemplateColumns: `minmax(0, 1fr) 6px ${sideWidth}px` }}>
      <div className="player-left">
      <CameraViews cameras={episode.cameras} controller={controller} progress={props.progress} />
      <Transport episode={episode} />
      <AdvantageStrip length={episode.length} />
      <Scrubber length={episode.length} fps={episode.fps} timestamps={episode.timestamps} />
      <ValuePlot episode={episode} />
      <FeaturePlotOrNote episode={episode} />
      {/* Under the plots (the views are sized so that the plots fit above this; the column scrolls to it). */}
      <div className="below-plots">
        <ValueTools />
        <WarningList warnings={warnings} title="Episode warnings" />
      </div>
      </div>
      <Splitter
        label={PANES.sidePanelWidth.label}
        axis="x"
        grow={-1}
        value={sideWidth}
        min={PANES.sidePanelWidth.min}
        max={PANES.sidePanelWidth.max}
        onChange={(px) => setPaneSize('sidePanelWidth', px)}
        testId="side-panel-splitter"
      />
      <SidePanel />
      </div>
      <LabelPicker />
      <TaxonomyEditor />
    </div>
  )
}

/** The numeric features' plot (state, action, ...), or why there is none. */
function FeaturePlotOrNote(props: { episode: EpisodeView }): ReactNode {
  const hasFeatures = useApp((s) => (currentDataset(s)?.features.length ?? 0) > 0)
  if (hasFeatures || props.episode.state) return <StatePlot />
  return <p className="no-state">No state, action or other numeric feature in this dataset&apos;s meta/info.json.</p>
}

/** The right-hand column: annotations, or models and scoring jobs. */
function SidePanel(): ReactNode {
  const panel = useApp((s) => s.sidePanel)
  const setPanel = useApp((s) => s.setSidePanel)
  return (
    <div className="side-column">
      <div className="view-tabs side-tabs" role="tablist" aria-label="Side panel">
        <button type="button" role="tab" aria-selected={panel === 'annotations'} onMouseDown={keepFocus} onClick={() => setPanel('annotations')}>
          Annotations
        </button>
        <button type="button" role="tab" aria-selected={panel === 'models'} onMouseDown={keepFocus} onClick={() => setPanel('models')}>
          Models
        </button>
      </div>
      {/* Kept mounted while hidden: a note being typed is committed when its field is left, not lost. */}
      <div hidden={panel !== 'annotations'}>
        <AnnotationPanel />
      </div>
      {panel === 'models' ? <ModelsPanel /> : null}
    </div>
  )
}
