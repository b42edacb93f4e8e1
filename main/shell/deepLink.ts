import path from 'node:path'
import type { AppCommand } from '../../app/contract'
import { isVivaLink, parseVivaLink, unknownDatasetProblem } from '../../app/location'

/**
 * viva:// links on the desktop (app/location.ts says what one holds). The OS hands a link to the app as an argument
 * (Windows and Linux, on the first launch or to the running instance through the single-instance lock) or as
 * macOS's open-url event (https://www.electronjs.org/docs/latest/tutorial/launch-app-from-url-in-another-app).
 * Here, without Electron: which arguments are links, and what the page is told to do with one (its dataset open
 * by then), or why it cannot be followed. The episode and frame are checked by the page, against the summary.
 */

/** The viva:// links among a launch's arguments (launchPaths leaves them out of the paths to open). */
export function vivaLinksIn(args: readonly string[]): string[] {
  return args.filter(isVivaLink)
}

/** What resolving a link needs of the app: its open datasets, the recent list, and opening a folder. */
export interface LinkTargets {
  open(): ReadonlyArray<{ id: string; name: string; root: string }>
  /** File › Open recent's folders, newest first. */
  recent: readonly string[]
  /** The id the folder would open with (main/datasets/lerobot datasetIdOfFolder). */
  idOf(root: string): Promise<string>
  exists(root: string): Promise<boolean>
  /** Open the folder as a dataset (it joins the open datasets and the recent list). */
  openFolder(root: string): Promise<{ id: string }>
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * The page command for a link: go there (its dataset open by now: already open, else the folder the link carries,
 * else a recent folder with that id), or say why not. Never throws.
 */
export async function resolveVivaLink(link: string, targets: LinkTargets): Promise<AppCommand> {
  const parsed = parseVivaLink(link)
  if (!parsed.ok) return { command: 'badLink', problem: parsed.problem }
  const { location, root } = parsed
  const go: AppCommand = { command: 'openLink', location }
  if (targets.open().some((d) => d.id === location.datasetId)) return go

  let rootProblem: string | null = null
  const candidates = [...(root !== null && path.isAbsolute(root) ? [root] : []), ...targets.recent.filter((r) => r !== root)]
  if (root !== null && !path.isAbsolute(root)) rootProblem = `its folder "${root}" is not an absolute path`
  for (const candidate of candidates) {
    try {
      if (!(await targets.exists(candidate))) {
        if (candidate === root) rootProblem = `its folder ${root} does not exist`
        continue
      }
      if ((await targets.idOf(candidate)) !== location.datasetId) {
        if (candidate === root) rootProblem = `its folder ${root} is another dataset now (moved or replaced)`
        continue
      }
      const opened = await targets.openFolder(candidate)
      // A folder whose id matched opens under that id; anything else would be a bug worth saying so.
      if (opened.id !== location.datasetId) return { command: 'badLink', problem: `${candidate} opened as dataset ${opened.id}, not ${location.datasetId}` }
      return go
    } catch (err) {
      return { command: 'badLink', problem: `${candidate} cannot be opened: ${message(err)}` }
    }
  }
  const unknown = unknownDatasetProblem(location.datasetId, targets.open())
  return { command: 'badLink', problem: rootProblem === null ? unknown : `${unknown}, and ${rootProblem}` }
}
