import { writeJsonAtomic } from '../atomicWrite'
import { READ_LIMITS, readTextFile } from '../safeRead'
import path from 'node:path'
import { z } from 'zod'

/**
 * The desktop window's remembered state: size and position (restored only where still visible: monitors come
 * and go), maximized, and the last episode opened, so the next start shows it again. One JSON file in the data
 * folder, written atomically; a missing or malformed file means defaults, never an error.
 */

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface LastEpisode {
  /** Absolute dataset folder. */
  root: string
  episode: number
}

export interface WindowState {
  bounds: Rect | null
  maximized: boolean
  lastEpisode: LastEpisode | null
}

export const WINDOW_STATE_FILE = 'window-state.json'
export const DEFAULT_SIZE = { width: 1500, height: 1000 }
export const MIN_SIZE = { width: 800, height: 560 }
/** How much of a window must lie on some display (a grabbable piece of its title bar) to keep its position. */
const MIN_VISIBLE = { width: 120, height: 24 }

const finite = z.number().finite()
const rectSchema = z.object({ x: finite, y: finite, width: finite.positive(), height: finite.positive() })
const stateSchema = z.object({
  bounds: rectSchema.nullable().catch(null),
  maximized: z.boolean().catch(false),
  lastEpisode: z
    .object({ root: z.string().min(1), episode: z.number().int().nonnegative() })
    .nullable()
    .catch(null),
})

export function defaultWindowState(): WindowState {
  return { bounds: null, maximized: false, lastEpisode: null }
}

/** Whatever a file held, as a valid state: unknown fields dropped, invalid ones reset to their default. */
export function parseWindowState(value: unknown): WindowState {
  if (typeof value !== 'object' || value === null) return defaultWindowState()
  const parsed = stateSchema.safeParse({ bounds: null, maximized: false, lastEpisode: null, ...value })
  return parsed.success ? parsed.data : defaultWindowState()
}

export async function loadWindowState(dataDir: string): Promise<WindowState> {
  try {
    return parseWindowState(JSON.parse(await readTextFile(path.join(dataDir, WINDOW_STATE_FILE), READ_LIMITS.settings)))
  } catch {
    return defaultWindowState()
  }
}

export async function saveWindowState(dataDir: string, state: WindowState): Promise<void> {
  await writeJsonAtomic(path.join(dataDir, WINDOW_STATE_FILE), parseWindowState(state))
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  }
}

function centered(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.round(Math.min(size.width, area.width))
  const height = Math.round(Math.min(size.height, area.height))
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + (area.height - height) / 2),
    width,
    height,
  }
}

/**
 * Bounds to open the window with, given the saved ones and the work areas of the displays now connected (the
 * first is the primary). Saved bounds whose title bar strip is visible on a display keep their position, shrunk
 * to fit that display; otherwise (monitor unplugged, resolution lowered, nothing saved) the window is centered on
 * the primary display at its saved or default size, never larger than the display.
 */
export function restoreBounds(saved: Rect | null, workAreas: Rect[], defaults = DEFAULT_SIZE): Rect {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: defaults.width, height: defaults.height }
  if (!saved) return centered(defaults, primary)
  const size = { width: Math.max(MIN_SIZE.width, saved.width), height: Math.max(MIN_SIZE.height, saved.height) }
  const titleBar: Rect = { x: saved.x, y: saved.y, width: size.width, height: 2 * MIN_VISIBLE.height }
  let best: Rect | null = null
  let bestArea = 0
  for (const area of workAreas) {
    const o = overlap(titleBar, area)
    if (o.width >= Math.min(MIN_VISIBLE.width, size.width) && o.height >= Math.min(MIN_VISIBLE.height, area.height)) {
      if (o.width * o.height > bestArea) {
        best = area
        bestArea = o.width * o.height
      }
    }
  }
  if (!best) return centered(size, primary)
  const width = Math.round(Math.min(size.width, best.width))
  const height = Math.round(Math.min(size.height, best.height))
  // Keep the window inside the display it is on: the title bar never above or left of the work area.
  const x = Math.round(Math.min(Math.max(saved.x, best.x), best.x + best.width - width))
  const y = Math.round(Math.min(Math.max(saved.y, best.y), best.y + best.height - height))
  return { x, y, width, height }
}

/** Debounced saver: window moves and resizes come in bursts; write at most once per `delayMs`, and on flush. */
export class WindowStateStore {
  private state: WindowState
  private timer: ReturnType<typeof setTimeout> | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly dataDir: string,
    initial: WindowState,
    private readonly delayMs = 500,
  ) {
    this.state = parseWindowState(initial)
  }

  static async open(dataDir: string, delayMs?: number): Promise<WindowStateStore> {
    return new WindowStateStore(dataDir, await loadWindowState(dataDir), delayMs)
  }

  get current(): WindowState {
    return this.state
  }

  update(patch: Partial<WindowState>): void {
    this.state = parseWindowState({ ...this.state, ...patch })
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.flush(), this.delayMs)
  }

  /** Write now (and wait for earlier writes), e.g. before quitting. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    const snapshot = this.state
    this.writing = this.writing.then(() => saveWindowState(this.dataDir, snapshot)).catch(() => undefined)
    await this.writing
  }
}
