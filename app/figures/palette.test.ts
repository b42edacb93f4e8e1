import { describe, expect, it } from 'vitest'
import { deltaE, EVENT_COLORS, hexToLab, SERIES_COLORS, seriesColor, THEME_COLORS } from './palette'

describe('palette', () => {
  it('has at least 20 series colours, every pair at least 15 ΔE apart', () => {
    expect(SERIES_COLORS.length).toBeGreaterThanOrEqual(20)
    let closest = Infinity
    for (let i = 0; i < SERIES_COLORS.length; i++) {
      for (let j = i + 1; j < SERIES_COLORS.length; j++) closest = Math.min(closest, deltaE(SERIES_COLORS[i]!, SERIES_COLORS[j]!))
    }
    expect(closest).toBeGreaterThanOrEqual(15)
  })

  it('keeps every series colour readable on both backgrounds (L* 30–82)', () => {
    for (const c of SERIES_COLORS) {
      const [l] = hexToLab(c)
      expect(l).toBeGreaterThanOrEqual(30)
      expect(l).toBeLessThanOrEqual(82)
    }
  })

  it('gives the cursor a colour far from both event colours in each theme', () => {
    for (const theme of Object.values(THEME_COLORS)) {
      for (const ev of Object.values(EVENT_COLORS)) expect(deltaE(theme.cursor, ev)).toBeGreaterThan(40)
    }
  })

  it('cycles past the end without repeating a neighbour', () => {
    expect(seriesColor(0)).toBe(SERIES_COLORS[0])
    expect(seriesColor(SERIES_COLORS.length)).toBe(SERIES_COLORS[0])
    expect(seriesColor(-1)).toBe(SERIES_COLORS[SERIES_COLORS.length - 1])
    expect(new Set(Array.from({ length: 20 }, (_, i) => seriesColor(i))).size).toBe(20)
  })
})
