/**
 * Contract, desktop shell domain: what the shell (menu, launcher) asks the renderer to do, and what the renderer
 * tells the shell about itself (the menu, the window's memory of the last episode and the command gate need it).
 */
import { z } from 'zod'
import type { AppLocation } from '../location'
import { datasetId, episodeIndex } from './common'

/**
 * What the desktop shell asks the renderer to do: undo/redo from the Edit menu; show a dataset (opened from the
 * File menu, a second launch or the restored last session) at an episode, or at its own choice when null; reload
 * the model list after a model folder was added from the menu; show the keyboard shortcuts (Help menu); go where a
 * viva:// link says (its dataset open by now, main/shell/deepLink.ts), or say why a link cannot be followed.
 */
export type AppCommand =
  | { command: 'undo' }
  | { command: 'redo' }
  | { command: 'showDataset'; datasetId: string; episode: number | null }
  | { command: 'modelsChanged' }
  | { command: 'showShortcuts' }
  | { command: 'openLink'; location: AppLocation }
  | { command: 'badLink'; problem: string }

/**
 * Notices the renderer sends the shell (no answer; browser mode has no shell and ignores them). Explicit, so the
 * shell never has to guess the page's state from the calls it makes.
 */
export const shellNoticeSchemas = {
  /** The page listens for events and has chosen its first screen: app.command may reach it from now on. */
  'shell.ready': z.object({}).strict(),
  /** What the page shows: the dataset (File › Export annotations) and the episode on screen (restored next start). */
  'shell.showing': z.object({ datasetId: datasetId.nullable(), episode: episodeIndex.nullable() }).strict(),
  /** The user opened a dataset folder from the page: it joins File › Open recent. */
  'shell.datasetOpened': z.object({ datasetId }).strict(),
} as const

export type ShellNotice = keyof typeof shellNoticeSchemas
export type ShellNoticePayloads = { [N in ShellNotice]: z.infer<(typeof shellNoticeSchemas)[N]> }
/** One notice, as the shell receives it after validation. */
export type ShellNoticeMessage = { [N in ShellNotice]: { name: N; payload: ShellNoticePayloads[N] } }[ShellNotice]

export function isShellNotice(name: unknown): name is ShellNotice {
  return typeof name === 'string' && Object.hasOwn(shellNoticeSchemas, name)
}
