import { useRef, type ReactNode } from 'react'
import type { Data, LegendClickEvent, PlotlyHTMLElement } from 'plotly.js'
import type { EpisodeState } from '../../../../app/contract'
import type { DatasetSummary, NumericFeatureInfo } from '../../../../app/dataset'
import { episodeFeature, plottedFeatureKeys } from './state'
import { useApp, useAppStore } from '../../state/StoreContext'
import type { AppState } from '../../state/store'
import { currentDataset } from '../datasets/state'
import type { PlotCaches } from './plotCaches'
import { THEME_COLORS } from '../../../../app/figures/palette'
import { baseLayout, frames, seriesColor, type PlotSpec } from './plotShared'
import { PlotFrame } from './PlotFrame'
import { PlotHeightSplitter } from './PlotHeightSplitter'
import { useLivePlot } from './useLivePlot'

/** Per-joint value arrays of a feature, made once per episode (stable arrays: no recompute on redraws). */
function jointValues(caches: PlotCaches, state: EpisodeState, length: number): Float32Array[] {
  const jointCache = caches.joints
  const cached = jointCache.get(state)
  if (cached && cached.length === length) return cached.ys
  const ys = state.names.map((_, j) => {
    const y = new Float32Array(length)
    for (let i = 0; i < length; i++) y[i] = state.values[i * state.dim + j] ?? NaN
    return y
  })
  jointCache.set(state, { length, ys })
  return ys
}

/** A feature key as the legend shows it beside a joint: its last part (`observation.velocity` → `velocity`). */
function shortKey(key: string): string {
  const parts = key.split('.')
  return parts[parts.length - 1] || key
}

/** What the plot draws: every joint of every shown feature whose values are here, with its legend name. */
function plotted(s: AppState): { name: string; feature: EpisodeState; joint: number }[] {
  const keys = plottedFeatureKeys(s, currentDataset(s))
  const several = keys.length > 1
  return keys.flatMap((key) => {
    const feature = episodeFeature(s, key)
    if (!feature) return []
    return feature.names.map((n, joint) => ({ name: several ? `${shortKey(key)} · ${n}` : n, feature, joint }))
  })
}

function buildState(s: AppState): PlotSpec {
  const length = s.episode?.length ?? 1
  const hidden = new Set(s.hiddenJoints)
  const x = frames(s.plotCaches, length)
  const data = plotted(s).map(
    ({ name, feature, joint }, i) =>
      ({
        type: 'scattergl',
        mode: 'lines',
        name,
        x,
        y: jointValues(s.plotCaches, feature, length)[joint],
        visible: hidden.has(name) ? 'legendonly' : true,
        hovertemplate: `${name}: %{y:.4f}<extra>frame %{x}</extra>`,
        line: { width: 1.2, color: seriesColor(i) },
      }) as Data,
  )
  return {
    data,
    layout: {
      ...baseLayout(s.paneSizes.statePlotHeight, length, s.theme),
      showlegend: true,
      legend: { orientation: 'v', x: 1.0, xanchor: 'left', font: { size: 10, color: THEME_COLORS[s.theme].text } },
      uirevision: 'state',
    },
  }
}

function featureLabel(f: NumericFeatureInfo, summary: DatasetSummary): string {
  const role = f.key === summary.state?.key ? 'state' : /(^|[^a-z])(action|actions)([^a-z]|$)/i.test(f.key) ? 'action' : null
  return `${f.key} (${f.dim})${role && role !== f.key ? ` · ${role}` : ''}`
}

/** Checkboxes for the numeric features to plot, and which one is the state (what models read; saved per dataset). */
function FeaturePicker(props: { summary: DatasetSummary }): ReactNode {
  const { summary } = props
  // Joined: a selector must return something comparable by value, not a fresh array per call.
  const shown = useApp((s) => plottedFeatureKeys(s, currentDataset(s)).join('\n')).split('\n')
  const setPlotFeatures = useApp((s) => s.setPlotFeatures)
  const setStateKey = useApp((s) => s.setStateKey)
  const toggle = (key: string, on: boolean): void => {
    // Kept in the dataset's order, so the legend does not reshuffle.
    const next = summary.features.map((f) => f.key).filter((k) => (k === key ? on : shown.includes(k)))
    void setPlotFeatures(next)
  }
  return (
    <div className="feature-picker" role="group" aria-label="Plotted features" data-testid="feature-picker">
      {summary.features.map((f) => (
        <label key={f.key} className="feature-toggle" title={`${f.dtype}, ${f.dim} values: ${f.names.slice(0, 6).join(', ')}${f.names.length > 6 ? ', …' : ''}`}>
          <input
            type="checkbox"
            data-testid={`feature-toggle-${f.key}`}
            checked={shown.includes(f.key)}
            onChange={(e) => {
              toggle(f.key, e.target.checked)
              e.target.blur()
            }}
          />
          {featureLabel(f, summary)}
        </label>
      ))}
      <label className="field state-key" title={summary.stateChoice.reason}>
        <span className="muted">state</span>
        <select
          aria-label="State vector"
          data-testid="state-key-select"
          value={summary.stateChoice.by === 'saved' ? (summary.stateChoice.key ?? '') : ''}
          onChange={(e) => {
            void setStateKey(e.target.value === '' ? null : e.target.value)
            e.target.blur()
          }}
        >
          <option value="">automatic{summary.stateChoice.by !== 'saved' ? ` (${summary.stateChoice.key ?? 'none'})` : ''}</option>
          {summary.features.map((f) => (
            <option key={f.key} value={f.key}>
              {f.key}
            </option>
          ))}
        </select>
      </label>
    </div>
  )
}

/**
 * Numeric features of the episode (state, action, effort, velocities… as info.json names them; WebGL traces), a
 * feature picker, a cursor on the current frame, click to seek, legend toggles joints (through the store, so the
 * choice survives a redraw), zoom shared with the value plot.
 */
export function StatePlot(): ReactNode {
  const divRef = useRef<HTMLDivElement>(null)
  const cursorRef = useRef<HTMLDivElement>(null)
  const store = useAppStore()
  const summary = useApp((s) => currentDataset(s))
  const hidden = useApp((s) => s.hiddenJoints)
  const setHidden = useApp((s) => s.setHiddenJoints)
  const series = useApp((s) => plotted(s).length)
  const height = useApp((s) => s.paneSizes.statePlotHeight)

  useLivePlot(divRef, buildState, (s) => [s.hiddenJoints, s.plotFeatures, s.extraFeatures, s.episode, s.datasets, s.paneSizes.statePlotHeight], {
    cursorRef,
    onInit: (el: PlotlyHTMLElement) => {
      const nameOf = (ev: LegendClickEvent): string | undefined => (ev.data[ev.curveNumber] as { name?: string } | undefined)?.name
      const namesNow = (): string[] => plotted(store.getState()).map((p) => p.name)
      el.on('plotly_legendclick', (ev) => {
        const name = nameOf(ev)
        if (name === undefined || !namesNow().includes(name)) return true
        const now = store.getState().hiddenJoints
        store.getState().setHiddenJoints(now.includes(name) ? now.filter((n) => n !== name) : [...now, name])
        return false
      })
      el.on('plotly_legenddoubleclick', (ev) => {
        const name = nameOf(ev)
        const names = namesNow()
        if (name === undefined || !names.includes(name)) return true
        const now = store.getState().hiddenJoints
        const alone = names.every((n) => n === name || now.includes(n)) && !now.includes(name)
        store.getState().setHiddenJoints(alone ? [] : names.filter((n) => n !== name))
        return false
      })
    },
  })

  return (
    <section className="state-plot" aria-label="Numeric features" data-testid="feature-plot" data-series={series}>
      <div className="state-plot-bar">
        <span>
          {series} series{hidden.length > 0 ? ` (${hidden.length} hidden)` : ''}
        </span>
        <button type="button" onClick={() => setHidden([])}>
          show all
        </button>
        <button type="button" onClick={() => setHidden(plotted(store.getState()).map((p) => p.name))}>
          hide all
        </button>
      </div>
      {summary ? <FeaturePicker summary={summary} /> : null}
      <PlotFrame plotRef={divRef} cursorRef={cursorRef} className="state-plot-canvas" testId="state-plot" height={height} />
      <PlotHeightSplitter pane="statePlotHeight" testId="state-plot-splitter" />
    </section>
  )
}
