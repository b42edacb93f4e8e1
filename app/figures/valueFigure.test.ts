// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { EVENT_COLORS, SERIES_COLORS, THEME_COLORS } from './palette'
import { FIGURE_LIMITS, niceTicks, parseFigureSize, valueFigure } from './valueFigure'

const parser = new DOMParser()

function parse(svg: string): Document {
  const doc = parser.parseFromString(svg, 'image/svg+xml')
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0)
  return doc
}

const ramp = Float64Array.from({ length: 101 }, (_, i) => i / 100)
const dip = Float64Array.from({ length: 101 }, (_, i) => (i < 60 ? 0.5 : i < 70 ? Number.NaN : 0.2))

describe('valueFigure', () => {
  it('draws each curve, each event in range with its label, a legend and the asked size on a light background', () => {
    const fig = valueFigure(
      [{ name: 'viva <ref> & co', values: ramp }, { name: 'baseline', values: dip }],
      [
        { kind: 'milestone', frame: 40, label: 'grasp' },
        { kind: 'error', frame: 65, label: 'drop' },
        { kind: 'milestone', frame: 200, label: 'outside' },
      ],
      { width: 900, height: 420, title: 'Episode 3' },
    )
    const doc = parse(fig.svg)
    const svg = doc.documentElement
    expect([svg.getAttribute('width'), svg.getAttribute('height')]).toEqual(['900', '420'])
    expect(doc.querySelector('rect')?.getAttribute('fill')).toBe(THEME_COLORS.light.background)
    const paths = [...doc.querySelectorAll('path')]
    expect(paths.map((p) => p.getAttribute('stroke'))).toEqual([SERIES_COLORS[0], SERIES_COLORS[1]])
    // the NaN gap splits the second curve into two pieces
    expect((paths[1]?.getAttribute('d')?.match(/M/g) ?? []).length).toBe(2)
    const texts = [...doc.querySelectorAll('text')].map((t) => t.textContent)
    expect(texts).toEqual(expect.arrayContaining(['viva <ref> & co', 'baseline', 'milestone', 'error', 'grasp', 'drop', 'Episode 3', 'frame', 'value']))
    expect(texts).not.toContain('outside')
    const dashed = [...doc.querySelectorAll('line[stroke-dasharray="5 4"]')]
    expect(dashed.map((l) => [l.getAttribute('stroke'), Number(l.getAttribute('x1'))])).toEqual([
      [EVENT_COLORS.milestone, Number(fig.xOf(40).toFixed(2))],
      [EVENT_COLORS.error, Number(fig.xOf(65).toFixed(2))],
    ])
  })

  it('maps the first and last frame of the range to the plot edges and values to its height', () => {
    const fig = valueFigure([{ name: 'v', values: ramp }], [], { width: 640, height: 240, from: 20, to: 80 })
    expect(fig.xOf(20)).toBeCloseTo(fig.plot.left)
    expect(fig.xOf(80)).toBeCloseTo(fig.plot.left + fig.plot.width)
    expect(fig.yOf(0)).toBeGreaterThan(fig.yOf(1))
    expect(fig.yOf(0)).toBeLessThanOrEqual(fig.plot.top + fig.plot.height)
    expect(fig.yOf(1)).toBeGreaterThanOrEqual(fig.plot.top)
    // points only inside the range: 61 frames
    const d = parse(fig.svg).querySelector('path')?.getAttribute('d') ?? ''
    expect(d.match(/[ML]/g)).toHaveLength(61)
  })

  it('uses the dark theme when asked and omits the legend when asked', () => {
    const fig = valueFigure([{ name: 'only', values: ramp }], [], { width: 400, height: 200, theme: 'dark', legend: false })
    const doc = parse(fig.svg)
    expect(doc.querySelector('rect')?.getAttribute('fill')).toBe(THEME_COLORS.dark.background)
    expect([...doc.querySelectorAll('text')].map((t) => t.textContent)).not.toContain('only')
  })

  it('refuses sizes outside the limits and a figure too small for its legend, naming the problem', () => {
    expect(() => valueFigure([], [], { width: 50, height: 200 })).toThrow(/width must be a whole number of pixels from 160/)
    expect(() => valueFigure([], [], { width: 400, height: 200.5 })).toThrow(/height/)
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `a fairly long series name ${i}`, values: ramp }))
    expect(() => valueFigure(many, [], { width: 300, height: 160 })).toThrow(/no room for the plot with 40 legend entries/)
  })
})

describe('valueFigure markup', () => {
  it('marks the legend entries and each event (kind, frame) so a reader of the file can find them', () => {
    const fig = valueFigure(
      [{ name: 'viva', values: ramp }, { name: 'baseline', values: dip }],
      [
        { kind: 'milestone', frame: 40, label: 'grasp' },
        { kind: 'error', frame: 65, label: 'drop' },
      ],
      { width: 900, height: 420 },
    )
    const doc = parse(fig.svg)
    const legend = [...doc.querySelectorAll('g.legend g.legend-item')].map((g) => [g.getAttribute('data-mark'), g.querySelector('text')?.textContent])
    expect(legend).toEqual([
      ['line', 'viva'],
      ['line', 'baseline'],
      ['milestone', 'milestone'],
      ['error', 'error'],
    ])
    const events = [...doc.querySelectorAll('g.events g.event')].map((g) => [g.getAttribute('data-kind'), g.getAttribute('data-frame'), g.querySelector('text')?.textContent])
    expect(events).toEqual([
      ['milestone', '40', 'grasp'],
      ['error', '65', 'drop'],
    ])
    expect(doc.querySelectorAll('g.event polygon')).toHaveLength(2)
  })
})

describe('parseFigureSize', () => {
  it('reads width × height in pixels, written with ×, x, X or *', () => {
    expect(parseFigureSize('1200×600')).toEqual({ width: 1200, height: 600 })
    expect(parseFigureSize(' 800 x 400 ')).toEqual({ width: 800, height: 400 })
    expect(parseFigureSize('640X360')).toEqual({ width: 640, height: 360 })
    expect(parseFigureSize('640*360 px')).toEqual({ width: 640, height: 360 })
  })

  it('says what is wrong with a size it cannot use', () => {
    expect(() => parseFigureSize('')).toThrow(/Type the figure size as width×height in pixels, e\.g\. 1200×600/)
    expect(() => parseFigureSize('1200')).toThrow(/width×height/)
    expect(() => parseFigureSize('12.5×600')).toThrow(/width×height/)
    expect(() => parseFigureSize('-5×600')).toThrow(/width×height/)
    expect(() => parseFigureSize(`${FIGURE_LIMITS.maxWidth + 1}×600`)).toThrow(`Figure width must be a whole number of pixels from 160 to 8000 (got ${FIGURE_LIMITS.maxWidth + 1})`)
    expect(() => parseFigureSize('600×100')).toThrow('Figure height must be a whole number of pixels from 120 to 8000 (got 100)')
  })
})

describe('niceTicks', () => {
  it('gives round steps covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(0, 437, 5)).toEqual([0, 100, 200, 300, 400])
    expect(niceTicks(3, 3, 5)).toEqual([3])
  })
})
