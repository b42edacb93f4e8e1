/**
 * What the shell learns from the renderer's contract calls (which dataset is current, which episode was opened,
 * which datasets were opened) and the gate that holds commands for the renderer until it listens.
 */

export interface CallFacts {
  /** The dataset the call concerns (its params' datasetId, or the id dataset.open returned). */
  datasetId: string | null
  /** dataset.open succeeded: the folder it opened (for File › Open recent). */
  openedRoot: string | null
  /** episode.open succeeded: the episode now on screen (restored on the next start). */
  episode: number | null
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}

/** Facts from one successful call (params already validated by dispatch; result as the handler returned it). */
export function callFacts(method: string, params: unknown, result: unknown): CallFacts {
  const facts: CallFacts = { datasetId: null, openedRoot: null, episode: null }
  if (method === 'dataset.open') {
    const id = field(result, 'id')
    const root = field(result, 'root')
    if (typeof id === 'string') facts.datasetId = id
    if (typeof root === 'string') facts.openedRoot = root
    return facts
  }
  const datasetId = field(params, 'datasetId')
  if (typeof datasetId === 'string') facts.datasetId = datasetId
  if (method === 'episode.open') {
    const episode = field(params, 'episode')
    if (typeof episode === 'number' && Number.isSafeInteger(episode) && episode >= 0) facts.episode = episode
  }
  return facts
}

/** Calls after whose answers the renderer has subscribed to events and chosen its first screen (App.tsx). */
export const RENDERER_READY_AFTER: readonly string[] = ['app.info', 'dataset.list']

/**
 * Commands for the renderer (menu undo, show a dataset…) wait until the page is ready for them: its store
 * subscribes to events before its first call, and its first screen is set once app.info and dataset.list are
 * answered; a command sent earlier would be lost or overridden. A reload resets the gate; queued commands stay.
 */
export class RendererGate<T> {
  private readonly answered = new Set<string>()
  private pending: T[] = []
  private open = false

  constructor(
    private readonly send: (command: T) => void,
    private readonly readyAfter: readonly string[] = RENDERER_READY_AFTER,
  ) {}

  get isOpen(): boolean {
    return this.open
  }

  /** The renderer's call to `method` has been answered. */
  callAnswered(method: string): void {
    if (this.open) return
    this.answered.add(method)
    if (this.readyAfter.every((m) => this.answered.has(m))) {
      this.open = true
      const queued = this.pending
      this.pending = []
      for (const c of queued) this.send(c)
    }
  }

  push(command: T): void {
    if (this.open) this.send(command)
    else this.pending.push(command)
  }

  /** A new page load: wait for its readiness again. */
  reset(): void {
    this.open = false
    this.answered.clear()
  }
}
