// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest'
import { createAppStore } from '../../state/store'
import { fakeClient } from '../../testing/fakeClient'
import { clampPane, defaultPaneSizes, LAYOUT_PREFERENCE, parsePaneSizes } from './layout'

beforeEach(() => localStorage.clear())

describe('pane sizes', () => {
  it('default plot heights leave room for the cameras in small windows, and stop growing in large ones', () => {
    const small = defaultPaneSizes(800)
    expect(small.valuePlotHeight + small.statePlotHeight).toBeLessThanOrEqual(0.4 * 800)
    expect(defaultPaneSizes(2000)).toEqual({ sidePanelWidth: 360, valuePlotHeight: 200, statePlotHeight: 240 })
  })

  it('clamps to each pane\'s range; reads only known panes with numbers from storage', () => {
    expect(clampPane('sidePanelWidth', 10)).toBe(260)
    expect(clampPane('statePlotHeight', 5000)).toBe(800)
    expect(parsePaneSizes({ sidePanelWidth: 500.4, statePlotHeight: 'big', other: 3 })).toEqual({ sidePanelWidth: 500 })
    expect(parsePaneSizes([1, 2])).toBeNull()
  })

  it('a size the user sets is remembered for the next session; the others keep following the window', () => {
    const store = createAppStore(fakeClient({}).client)
    store.getState().setPaneSize('sidePanelWidth', 480)
    store.getState().setPaneSize('valuePlotHeight', 20)
    expect(JSON.parse(localStorage.getItem(LAYOUT_PREFERENCE)!)).toEqual({ sidePanelWidth: 480, valuePlotHeight: 90 })
    const again = createAppStore(fakeClient({}).client)
    expect(again.getState().paneSizes).toEqual({ ...defaultPaneSizes(window.innerHeight), sidePanelWidth: 480, valuePlotHeight: 90 })
  })
})
