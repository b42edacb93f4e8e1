import { describe, expect, it } from 'vitest'
import { aspectOf, placeTiles, splitRows, tileLayout, type TileBox } from './tileLayout'

const box = (width: number, height: number): TileBox => ({ width, height, gap: 6, chromeWidth: 2, chromeHeight: 22 })

describe('tileLayout', () => {
  it('three 4:3 cameras in a wide, low box: one row, as high as the width allows', () => {
    const l = tileLayout([4 / 3, 4 / 3, 4 / 3], box(900, 400))
    expect(l.rows).toEqual([[0, 1, 2]])
    // (900 − 2·6 − 3·2) / 4 = 220.5 → 220; the row is 220 + 22 high, under 400.
    expect(l.videoHeight).toBe(220)
  })

  it('three cameras in a tall box: two rows (2 + 1) when that makes them larger', () => {
    const l = tileLayout([4 / 3, 4 / 3, 4 / 3], box(700, 600))
    expect(l.rows).toEqual([[0, 1], [2]])
    expect(l.videoHeight).toBe(Math.floor((700 - 6 - 4) / (8 / 3)))
    // Taller still: one per row.
    expect(tileLayout([4 / 3, 4 / 3, 4 / 3], box(600, 900)).rows).toEqual([[0], [1], [2]])
  })

  it('bounded by the height: the tiles never overflow the box', () => {
    const aspects = [16 / 9, 4 / 3]
    for (const [w, h] of [[1200, 200], [300, 900], [800, 500], [400, 120]] as const) {
      const l = tileLayout(aspects, box(w, h))
      const rowsHeight = l.rows.length * (l.videoHeight + 22) + (l.rows.length - 1) * 6
      expect(rowsHeight).toBeLessThanOrEqual(h)
      for (const row of l.rows) {
        const width = row.reduce((a, i) => a + aspects[i]! * l.videoHeight + 2, 0) + (row.length - 1) * 6
        expect(width).toBeLessThanOrEqual(w)
      }
    }
  })

  it('nothing to place, or no room: zero height', () => {
    expect(tileLayout([], box(900, 400))).toEqual({ rows: [], videoHeight: 0 })
    expect(tileLayout([4 / 3], box(10, 10)).videoHeight).toBe(0)
  })
})

describe('splitRows and aspectOf', () => {
  it('splits evenly, the longer rows first', () => {
    expect(splitRows(5, 2)).toEqual([[0, 1, 2], [3, 4]])
    expect(splitRows(4, 3)).toEqual([[0, 1], [2], [3]])
  })

  it('falls back to 4:3 for an unknown or absurd size', () => {
    expect(aspectOf(640, 480)).toBeCloseTo(4 / 3)
    expect(aspectOf(1280, 720)).toBeCloseTo(16 / 9)
    expect(aspectOf(null, 480)).toBeCloseTo(4 / 3)
    expect(aspectOf(0, 0)).toBeCloseTo(4 / 3)
    expect(aspectOf(10000, 1)).toBeCloseTo(4 / 3)
  })
})

describe('placeTiles', () => {
  it('centres each row and the block; tiles do not overlap and stay in the box', () => {
    const aspects = [4 / 3, 16 / 9, 4 / 3]
    const b = box(700, 600)
    const layout = tileLayout(aspects, b)
    const rects = placeTiles(layout, aspects, b)
    expect(rects).toHaveLength(3)
    for (const [i, r] of rects.entries()) {
      expect(r.height).toBe(layout.videoHeight + 22)
      expect(r.width).toBe(Math.floor(aspects[i]! * layout.videoHeight) + 2)
      expect(r.left).toBeGreaterThanOrEqual(0)
      expect(r.left + r.width).toBeLessThanOrEqual(700)
      expect(r.top + r.height).toBeLessThanOrEqual(600)
    }
    const [a, c] = [rects[0]!, rects[1]!]
    if (a.top === c.top) expect(c.left).toBeGreaterThanOrEqual(a.left + a.width + 6)
  })
})
