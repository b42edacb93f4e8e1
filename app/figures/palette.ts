/**
 * Colours shared by the plots, figures and rendered videos. Series colours: 24 categorical colours picked greedily
 * for the largest smallest CIE76 distance (16 ΔE between the closest pair, well above the ≈ 2 ΔE a viewer notices)
 * among colours of mid lightness (L* 30–82), so each reads on both the dark and the light background.
 * palette.test.ts measures both properties. Event colours are the annotation kinds'; the frame cursor is neutral
 * (white on dark, near-black on light) so it is never mistaken for an error marker.
 */
export const SERIES_COLORS = [
  '#1f77b4', '#f3c300', '#be0032', '#008856', '#e377c2', '#654522', '#ff7f0e', '#f99379',
  '#17becf', '#8db600', '#c2b280', '#7f7f7f', '#2ca02c', '#604e97', '#a1caf1', '#882d17',
  '#b3446c', '#e68fac', '#e25822', '#8c564b', '#f6a600', '#bcbd22', '#9467bd', '#d62728',
] as const

export const EVENT_COLORS = { milestone: '#2fbf71', error: '#ff4d4f' } as const

export type Theme = 'light' | 'dark'

export interface ThemeColors {
  background: string
  text: string
  muted: string
  grid: string
  axis: string
  cursor: string
}

export const THEME_COLORS: Record<Theme, ThemeColors> = {
  dark: { background: '#15171c', text: '#c9ced6', muted: '#8b93a1', grid: '#2a2e36', axis: '#4a505c', cursor: '#ffffff' },
  light: { background: '#ffffff', text: '#1d2129', muted: '#5c6370', grid: '#e3e6eb', axis: '#9aa1ad', cursor: '#111111' },
}

export function seriesColor(i: number): string {
  const n = SERIES_COLORS.length
  return SERIES_COLORS[((i % n) + n) % n] ?? SERIES_COLORS[0]
}

/** CIE L*a*b* (D65) of an sRGB hex colour, for the palette's distinctness checks. */
export function hexToLab(hex: string): [number, number, number] {
  const ch = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  const lin = ch.map((c) => (c > 0.04045 ? ((c + 0.055) / 1.055) ** 2.4 : c / 12.92))
  const [r, g, b] = lin as [number, number, number]
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116)
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))]
}

export function deltaE(a: string, b: string): number {
  const [l1, a1, b1] = hexToLab(a)
  const [l2, a2, b2] = hexToLab(b)
  return Math.hypot(l1 - l2, a1 - a2, b1 - b2)
}
