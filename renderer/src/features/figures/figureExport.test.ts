// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { EVENT_COLORS, SERIES_COLORS, THEME_COLORS } from '../../../../app/figures/palette'
import { datasetClient, openPlayer, testCurveData, testCurveInfo, testEvent } from '../../testing/builders'
import { createAppStore } from '../../state/store'
import { episodeFigure, figureEvents, figureFileName, figureSeries, zoomedFrames, type FigureChoice } from './figureExport'

const LENGTH = 50
const a = testCurveInfo('a', LENGTH, { name: 'viva', computed: LENGTH, complete: true })
const b = testCurveInfo('b', LENGTH, { name: 'remaining', computed: LENGTH, complete: true, convention: 'remaining' })
const c = testCurveInfo('c', LENGTH, { name: 'hidden one', computed: LENGTH, complete: true, modelId: 'm-c', params: { steps: 9, seed: 1, cameras: ['a'] } })

async function player() {
  const fake = datasetClient(
    { fps: 30, length: LENGTH, episodes: 2 },
    {
      'curves.list': () => [a, b, c],
      'curves.get': ({ curveId }) => testCurveData([a, b, c].find((x) => x.id === curveId)!, (f) => f / (LENGTH - 1)),
    },
    {},
    {
      events: [
        testEvent('e2', 0, 30, 'error', 'drop'),
        testEvent('e1', 0, 10, 'milestone', 'grasp'),
        testEvent('other', 1, 5, 'milestone', 'grasp'),
      ],
    },
  )
  const store = createAppStore(fake.client)
  await openPlayer(store)
  return store
}

const choice: FigureChoice = { width: 800, height: 360, theme: 'light', title: '', zoomed: false }

describe('figure export', () => {
  it('draws the visible curves in their plot colours with the display smoothing, and the episode’s events', async () => {
    const store = await player()
    store.getState().setCurveVisible('c', false)
    const series = figureSeries(store.getState())
    expect(series.map((s) => [s.name, s.color])).toEqual([
      ['viva', SERIES_COLORS[0]],
      ['remaining', SERIES_COLORS[1]],
    ])
    // "remaining" curves are drawn as progress (1 − v), as the plot shows them.
    expect(series[1]!.values[0]).toBeCloseTo(1)
    store.getState().setValueSmoothing(0.5)
    expect(figureSeries(store.getState())[0]!.values[1]).toBeCloseTo(0.5 * 0 + 0.5 * (1 / (LENGTH - 1)))
    expect(figureEvents(store.getState())).toEqual([
      { kind: 'milestone', frame: 10, label: 'grasp' },
      { kind: 'error', frame: 30, label: 'drop' },
    ])
  })

  it('makes an SVG of the asked size, light by default or dark, over the zoomed frames when asked', async () => {
    const store = await player()
    const doc = (svg: string): Document => new DOMParser().parseFromString(svg, 'image/svg+xml')
    const light = episodeFigure(store.getState(), choice)
    const root = doc(light.svg).documentElement
    expect([root.getAttribute('width'), root.getAttribute('height')]).toEqual(['800', '360'])
    expect(root.querySelector('rect')?.getAttribute('fill')).toBe(THEME_COLORS.light.background)
    expect([...root.querySelectorAll('g.legend text')].map((t) => t.textContent)).toEqual(['viva', 'remaining', 'hidden one', 'milestone', 'error'])
    expect([...root.querySelectorAll('g.event polygon')].map((p) => p.getAttribute('fill'))).toEqual([EVENT_COLORS.milestone, EVENT_COLORS.error])
    expect([light.from, light.to]).toEqual([0, LENGTH - 1])

    store.getState().setPlotRange([20.4, 40.7])
    const zoomed = episodeFigure(store.getState(), { ...choice, zoomed: true, theme: 'dark', title: ' Episode 0 ' })
    expect([zoomed.from, zoomed.to]).toEqual([21, 40])
    const dark = doc(zoomed.svg).documentElement
    expect(dark.querySelector('rect')?.getAttribute('fill')).toBe(THEME_COLORS.dark.background)
    expect([...dark.querySelectorAll('text')].map((t) => t.textContent)).toContain('Episode 0')
    // The error at frame 30 is in the zoomed range, the milestone at 10 is not.
    expect([...dark.querySelectorAll('g.event')].map((g) => g.getAttribute('data-frame'))).toEqual(['30'])
    // Not zoomed: the whole episode even with a zoom on the plot.
    expect(episodeFigure(store.getState(), choice).from).toBe(0)
  })

  it('refuses a size outside the figure bounds with the builder’s message', async () => {
    const store = await player()
    expect(() => episodeFigure(store.getState(), { ...choice, width: 100 })).toThrow('Figure width must be a whole number of pixels from 160 to 8000 (got 100)')
  })

  it('zoomedFrames keeps whole frames inside the episode, or none', () => {
    expect(zoomedFrames(50, null)).toBeNull()
    expect(zoomedFrames(50, [-3.2, 80])).toEqual([0, 49])
    expect(zoomedFrames(50, [10.5, 10.9])).toBeNull()
  })

  it('names the file after the dataset, episode and size, without characters a file system refuses', () => {
    expect(figureFileName('aloha: cups/open', 3, { width: 1200, height: 600 }, 'png')).toBe('aloha_cups_open-episode-3-value-1200x600.png')
    expect(figureFileName('..', 0, { width: 800, height: 400 }, 'svg')).toBe('figure-episode-0-value-800x400.svg')
  })
})
