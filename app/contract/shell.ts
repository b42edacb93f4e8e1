/** Contract, desktop shell domain: what the shell (menu, launcher) asks the renderer to do. */

/**
 * What the desktop shell asks the renderer to do: undo/redo from the Edit menu; show a dataset (opened from the
 * File menu, a second launch or the restored last session) at an episode, or at its own choice when null; reload
 * the model list after a model folder was added from the menu.
 */
export type AppCommand =
  | { command: 'undo' }
  | { command: 'redo' }
  | { command: 'showDataset'; datasetId: string; episode: number | null }
  | { command: 'modelsChanged' }
