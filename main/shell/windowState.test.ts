import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_SIZE,
  defaultWindowState,
  loadWindowState,
  MIN_SIZE,
  parseWindowState,
  restoreBounds,
  saveWindowState,
  WINDOW_STATE_FILE,
  WindowStateStore,
  type Rect,
} from './windowState'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-window-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const FHD: Rect = { x: 0, y: 0, width: 1920, height: 1040 } // work area under a 40 px taskbar
const RIGHT: Rect = { x: 1920, y: 0, width: 2560, height: 1400 }

describe('restoreBounds', () => {
  it('centers the default size on the primary display when nothing is saved', () => {
    expect(restoreBounds(null, [FHD])).toEqual({ x: 210, y: 20, width: 1500, height: 1000 })
  })

  it('never opens larger than the display', () => {
    const small: Rect = { x: 0, y: 0, width: 1280, height: 720 }
    expect(restoreBounds(null, [small])).toEqual({ x: 0, y: 0, width: 1280, height: 720 })
    expect(restoreBounds({ x: 0, y: 0, width: 3000, height: 2000 }, [small])).toEqual({ x: 0, y: 0, width: 1280, height: 720 })
  })

  it('keeps a visible saved position, on whichever display it was', () => {
    expect(restoreBounds({ x: 100, y: 50, width: 1200, height: 800 }, [FHD, RIGHT])).toEqual({ x: 100, y: 50, width: 1200, height: 800 })
    expect(restoreBounds({ x: 2100, y: 100, width: 1600, height: 1000 }, [FHD, RIGHT])).toEqual({ x: 2100, y: 100, width: 1600, height: 1000 })
  })

  it('re-centers a window whose monitor is gone', () => {
    expect(restoreBounds({ x: 2100, y: 100, width: 1600, height: 1000 }, [FHD])).toEqual({ x: 160, y: 20, width: 1600, height: 1000 })
  })

  it('re-centers a window off screen (title bar unreachable)', () => {
    expect(restoreBounds({ x: -5000, y: -5000, width: 1000, height: 700 }, [FHD])).toEqual({ x: 460, y: 170, width: 1000, height: 700 })
    expect(restoreBounds({ x: 100, y: 1030, width: 1000, height: 700 }, [FHD])).toEqual({ x: 460, y: 170, width: 1000, height: 700 })
    expect(restoreBounds({ x: 1900, y: 100, width: 1000, height: 700 }, [FHD])).toEqual({ x: 460, y: 170, width: 1000, height: 700 })
  })

  it('pulls a partly visible window back inside its display', () => {
    expect(restoreBounds({ x: 1500, y: 10, width: 1000, height: 700 }, [FHD])).toEqual({ x: 920, y: 10, width: 1000, height: 700 })
    expect(restoreBounds({ x: -300, y: -10, width: 1000, height: 700 }, [FHD])).toEqual({ x: 0, y: 0, width: 1000, height: 700 })
  })

  it('shrinks a window to fit a display that got smaller, and grows tiny ones to the minimum', () => {
    const lowRes: Rect = { x: 0, y: 0, width: 1366, height: 728 }
    expect(restoreBounds({ x: 10, y: 10, width: 1500, height: 1000 }, [lowRes])).toEqual({ x: 0, y: 0, width: 1366, height: 728 })
    expect(restoreBounds({ x: 10, y: 10, width: 100, height: 100 }, [FHD])).toEqual({ x: 10, y: 10, ...MIN_SIZE })
  })

  it('handles displays left or above of the primary (negative coordinates)', () => {
    const left: Rect = { x: -1920, y: -200, width: 1920, height: 1080 }
    expect(restoreBounds({ x: -1800, y: -150, width: 1200, height: 800 }, [FHD, left])).toEqual({ x: -1800, y: -150, width: 1200, height: 800 })
  })

  it('falls back to the default size with no display information', () => {
    expect(restoreBounds(null, [])).toEqual({ x: 0, y: 0, ...DEFAULT_SIZE })
  })
})

describe('parseWindowState', () => {
  it('keeps valid fields and resets invalid ones', () => {
    const good = { bounds: { x: 1, y: 2, width: 900, height: 700 }, maximized: true, lastEpisode: { root: '/data/ds', episode: 4 } }
    expect(parseWindowState(good)).toEqual(good)
    expect(parseWindowState({ ...good, bounds: { x: 'a' }, extra: 1 })).toEqual({ ...good, bounds: null })
    expect(parseWindowState({ ...good, lastEpisode: { root: '/d', episode: -1 } })).toEqual({ ...good, lastEpisode: null })
    expect(parseWindowState({ ...good, bounds: { x: 0, y: 0, width: Infinity, height: 1 } }).bounds).toBeNull()
    expect(parseWindowState({ maximized: 'yes' })).toEqual(defaultWindowState())
    expect(parseWindowState(null)).toEqual(defaultWindowState())
    expect(parseWindowState([1, 2])).toEqual(defaultWindowState())
  })
})

describe('persistence', () => {
  it('round-trips through the data folder', async () => {
    const dir = tempDir()
    const state = { bounds: { x: 10, y: 20, width: 1000, height: 800 }, maximized: false, lastEpisode: { root: '/data/x', episode: 7 } }
    await saveWindowState(dir, state)
    expect(await loadWindowState(dir)).toEqual(state)
    expect(JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8'))).toEqual(state)
  })

  it('reads a missing or corrupt file as defaults', async () => {
    const dir = tempDir()
    expect(await loadWindowState(dir)).toEqual(defaultWindowState())
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"bounds": {"x": 1,')
    expect(await loadWindowState(dir)).toEqual(defaultWindowState())
  })

  it('debounces updates and writes on flush', async () => {
    const dir = tempDir()
    const store = await WindowStateStore.open(dir, 60_000)
    store.update({ bounds: { x: 1, y: 1, width: 900, height: 600 } })
    store.update({ maximized: true })
    store.update({ lastEpisode: { root: '/d', episode: 3 } })
    expect(await loadWindowState(dir)).toEqual(defaultWindowState()) // nothing written yet
    await store.flush()
    expect(await loadWindowState(dir)).toEqual({ bounds: { x: 1, y: 1, width: 900, height: 600 }, maximized: true, lastEpisode: { root: '/d', episode: 3 } })
    const again = await WindowStateStore.open(dir)
    expect(again.current.lastEpisode).toEqual({ root: '/d', episode: 3 })
  })

  it('writes by itself after the delay', async () => {
    const dir = tempDir()
    const store = await WindowStateStore.open(dir, 5)
    store.update({ maximized: true })
    await expect.poll(async () => (await loadWindowState(dir)).maximized, { timeout: 5_000 }).toBe(true)
  })
})
