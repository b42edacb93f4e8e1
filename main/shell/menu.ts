/**
 * The application menu as plain data: main/electron/main.ts hands the template to Menu.buildFromTemplate and
 * supplies the actions. Kept here so its rules (no reload in production, devtools only in development, recent
 * list, accelerators that do not steal the player's keys) are unit-tested without Electron. The File and Help
 * accelerators come from the shortcut registry (app/shortcuts.ts), which the page's `?` overlay lists.
 */
import { menuAccelerator } from '../../app/shortcuts'

/** The Electron menu roles this menu uses (a subset of MenuItemConstructorOptions['role']). */
export type MenuRole =
  | 'about'
  | 'services'
  | 'hide'
  | 'hideOthers'
  | 'unhide'
  | 'quit'
  | 'close'
  | 'cut'
  | 'copy'
  | 'paste'
  | 'delete'
  | 'selectAll'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'
  | 'minimize'
  | 'zoom'
  | 'front'
  | 'windowMenu'

/** Structurally a MenuItemConstructorOptions, without importing Electron. */
export interface MenuItemSpec {
  id?: string
  label?: string
  role?: MenuRole
  type?: 'normal' | 'separator' | 'submenu'
  accelerator?: string
  /** false: show the accelerator but let the key reach the page (Linux/Windows; macOS menus always take it). */
  registerAccelerator?: boolean
  enabled?: boolean
  click?: () => void
  submenu?: MenuItemSpec[]
}

export interface MenuActions {
  openDataset(): void
  openRecent(root: string): void
  clearRecent(): void
  openModelFolder(): void
  exportAnnotations(): void
  backupData(): void
  undo(): void
  redo(): void
  about(): void
  /** Help › Keyboard shortcuts: the page shows its overlay (the one `?` opens). */
  shortcuts(): void
  openLink(url: string): void
}

export interface MenuOptions {
  appName: string
  /** Development build (not packaged): adds reload and developer tools. */
  isDev: boolean
  platform: NodeJS.Platform
  /** File › Open recent, newest first. */
  recent: readonly string[]
  /** Help links: label and URL. Their URLs must be registered with ExternalLinks by the caller. */
  links: ReadonlyArray<{ label: string; url: string }>
}

/** Menu labels treat `&` as a mnemonic marker on Windows/Linux: show a path's own `&` literally. */
export function escapeMenuLabel(text: string): string {
  return text.replace(/&/g, '&&')
}

const separator: MenuItemSpec = { type: 'separator' }

export function buildMenuTemplate(opts: MenuOptions, actions: MenuActions): MenuItemSpec[] {
  const isMac = opts.platform === 'darwin'
  const recentItems: MenuItemSpec[] =
    opts.recent.length === 0
      ? [{ id: 'recent-empty', label: 'No recent datasets', enabled: false }]
      : [
          ...opts.recent.map((root, i) => ({
            id: `recent-${i}`,
            label: escapeMenuLabel(root),
            click: () => actions.openRecent(root),
          })),
          separator,
          { id: 'recent-clear', label: 'Clear recent', click: () => actions.clearRecent() },
        ]

  const file: MenuItemSpec = {
    id: 'file',
    label: '&File',
    submenu: [
      { id: 'open-dataset', label: 'Open dataset…', accelerator: menuAccelerator('menu.openDataset'), click: () => actions.openDataset() },
      { id: 'open-recent', label: 'Open recent', submenu: recentItems },
      separator,
      { id: 'open-model-folder', label: 'Open model folder…', click: () => actions.openModelFolder() },
      separator,
      {
        id: 'export-annotations',
        label: 'Export annotations…',
        accelerator: menuAccelerator('menu.exportAnnotations'),
        click: () => actions.exportAnnotations(),
      },
      { id: 'backup-data', label: 'Back up annotations and data…', click: () => actions.backupData() },
      separator,
      isMac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
    ],
  }

  // Undo/redo act on annotations (every kind of edit) through the renderer. On Linux/Windows the keys are not
  // registered with the menu, so they still reach the page: its own Ctrl+Z handler and text fields' native undo
  // work as before; the menu items (and macOS, whose menus always take their keys) send the command instead.
  const edit: MenuItemSpec = {
    id: 'edit',
    label: '&Edit',
    submenu: [
      { id: 'undo', label: 'Undo', accelerator: 'CmdOrCtrl+Z', registerAccelerator: false, click: () => actions.undo() },
      {
        id: 'redo',
        label: 'Redo',
        accelerator: isMac ? 'Shift+Cmd+Z' : 'CmdOrCtrl+Y',
        registerAccelerator: false,
        click: () => actions.redo(),
      },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'delete' },
      separator,
      { role: 'selectAll' },
    ],
  }

  const view: MenuItemSpec = {
    id: 'view',
    label: '&View',
    submenu: [
      // Production: no reload (a reload would drop the renderer's state mid-edit) and no developer tools.
      ...(opts.isDev ? [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, separator] : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  }

  const help: MenuItemSpec = {
    id: 'help',
    label: '&Help',
    submenu: [
      { id: 'shortcuts', label: 'Keyboard shortcuts', accelerator: menuAccelerator('menu.shortcuts'), click: () => actions.shortcuts() },
      ...opts.links.map((link, i) => ({ id: `link-${i}`, label: link.label, click: () => actions.openLink(link.url) })),
      ...(isMac ? [] : [separator, { id: 'about', label: `About ${opts.appName}`, click: () => actions.about() }]),
    ],
  }

  const template: MenuItemSpec[] = []
  if (isMac) {
    template.push({
      label: opts.appName,
      submenu: [
        { id: 'about', label: `About ${opts.appName}`, click: () => actions.about() },
        separator,
        { role: 'services' },
        separator,
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        separator,
        { role: 'quit' },
      ],
    })
  }
  template.push(file, edit, view)
  if (isMac) template.push({ role: 'windowMenu' })
  template.push(help)
  return template
}

/** Depth-first search of a template by id (tests and main.ts use it to reach items). */
export function findMenuItem(items: readonly MenuItemSpec[], id: string): MenuItemSpec | undefined {
  for (const item of items) {
    if (item.id === id) return item
    const inner = item.submenu ? findMenuItem(item.submenu, id) : undefined
    if (inner) return inner
  }
  return undefined
}
