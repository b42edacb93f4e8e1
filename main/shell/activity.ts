/**
 * What the shell knows of the page, from the page's own typed notices (contract: shellNoticeSchemas), and the gate
 * that holds commands for the page until it says it listens. Nothing here guesses from the page's calls.
 */
import type { ShellNoticeMessage } from '../../app/contract'

/**
 * Commands for the renderer (menu undo, show a dataset…) wait until the page is ready for them: it subscribes to
 * events and chooses its first screen, then sends 'shell.ready'; a command sent earlier would be lost or
 * overridden. A reload resets the gate; queued commands stay.
 */
export class RendererGate<T> {
  private pending: T[] = []
  private open = false

  constructor(private readonly send: (command: T) => void) {}

  get isOpen(): boolean {
    return this.open
  }

  /** The page said it listens ('shell.ready'): queued commands go out, in order. */
  ready(): void {
    if (this.open) return
    this.open = true
    const queued = this.pending
    this.pending = []
    for (const c of queued) this.send(c)
  }

  push(command: T): void {
    if (this.open) this.send(command)
    else this.pending.push(command)
  }

  /** A new page load: wait for its readiness again. */
  reset(): void {
    this.open = false
  }
}

/** What the shell does with what it learns: kept as plain callbacks so the rules are tested without Electron. */
export interface ActivityEffects {
  /** The folder of an open dataset; null when the id is not (or no longer) open. */
  rootOf(datasetId: string): string | null
  /** File › Open recent gains this folder. */
  addRecent(root: string): void
  /** The episode on screen, restored at the next start. */
  rememberEpisode(root: string, episode: number): void
  /** The page listens: commands may go out. */
  ready(): void
}

/** The page's state as its notices told it: the dataset on screen (File › Export annotations acts on it). */
export class PageActivity {
  constructor(
    private readonly effects: ActivityEffects,
    /** The dataset shown first (command line, last session or demo) until the page says otherwise. */
    public currentDatasetId: string | null = null,
  ) {}

  onNotice(notice: ShellNoticeMessage): void {
    switch (notice.name) {
      case 'shell.ready':
        this.effects.ready()
        return
      case 'shell.showing': {
        const { datasetId, episode } = notice.payload
        if (datasetId === null) return
        this.currentDatasetId = datasetId
        const root = this.effects.rootOf(datasetId)
        if (root !== null && episode !== null) this.effects.rememberEpisode(root, episode)
        return
      }
      case 'shell.datasetOpened': {
        this.currentDatasetId = notice.payload.datasetId
        const root = this.effects.rootOf(notice.payload.datasetId)
        if (root !== null) this.effects.addRecent(root)
        return
      }
    }
  }
}
