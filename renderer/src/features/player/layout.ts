/**
 * The player's pane sizes: the side panel's width and the heights of the value and feature plots, each dragged by
 * a splitter and remembered (state/preferences.ts). A size the user never set follows the window: the defaults
 * leave the plots on screen with the cameras above them at 1280×800 and larger (e2e/web/layout.spec.ts).
 */
import { isRecord, readPreference, writePreference } from '../../state/preferences'
import type { SliceContext } from '../../state/slice'

export const PANES = {
  sidePanelWidth: { min: 260, max: 760, label: 'Side panel width' },
  valuePlotHeight: { min: 90, max: 640, label: 'Value plot height' },
  statePlotHeight: { min: 100, max: 800, label: 'Feature plot height' },
} as const
export type Pane = keyof typeof PANES
export type PaneSizes = Record<Pane, number>

export const LAYOUT_PREFERENCE = 'viva.layout'

export function clampPane(pane: Pane, px: number): number {
  const { min, max } = PANES[pane]
  return Math.round(Math.min(max, Math.max(min, px)))
}

/** Sizes for a window `viewportHeight` px high: the plots share about 40 % of it, the rest goes to the cameras. */
export function defaultPaneSizes(viewportHeight: number): PaneSizes {
  const h = Number.isFinite(viewportHeight) && viewportHeight > 0 ? viewportHeight : 900
  return {
    sidePanelWidth: 360,
    valuePlotHeight: clampPane('valuePlotHeight', Math.min(200, 0.18 * h)),
    statePlotHeight: clampPane('statePlotHeight', Math.min(240, 0.21 * h)),
  }
}

/** The sizes the user set, from storage: only known panes with numbers, clamped. */
export function parsePaneSizes(v: unknown): Partial<PaneSizes> | null {
  if (!isRecord(v)) return null
  const out: Partial<PaneSizes> = {}
  for (const pane of Object.keys(PANES) as Pane[]) {
    const px = v[pane]
    if (typeof px === 'number' && Number.isFinite(px)) out[pane] = clampPane(pane, px)
  }
  return out
}

export interface LayoutSlice {
  paneSizes: PaneSizes
  /** Set a pane's size (clamped to its range) and remember it. */
  setPaneSize(pane: Pane, px: number): void
}

export function createLayoutSlice({ set, get }: SliceContext<LayoutSlice>): LayoutSlice {
  const chosen = readPreference(LAYOUT_PREFERENCE, parsePaneSizes, {})
  return {
    paneSizes: { ...defaultPaneSizes(globalThis.window?.innerHeight ?? 900), ...chosen },
    setPaneSize(pane, px) {
      const size = clampPane(pane, px)
      if (get().paneSizes[pane] === size) return
      chosen[pane] = size
      writePreference(LAYOUT_PREFERENCE, chosen)
      set((s) => ({ paneSizes: { ...s.paneSizes, [pane]: size } }))
    },
  }
}
