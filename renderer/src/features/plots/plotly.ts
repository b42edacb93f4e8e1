type PlotlyModule = typeof import('plotly.js-strict-dist-min').default
export type { PlotlyModule }

// Plotly is large: load it once, after the first screen is up.
let plotlyPromise: Promise<PlotlyModule> | null = null
export function loadPlotly(): Promise<PlotlyModule> {
  plotlyPromise ??= import('plotly.js-strict-dist-min').then((m) => m.default)
  return plotlyPromise
}
