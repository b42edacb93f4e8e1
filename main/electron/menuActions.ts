// What the menu, a second launch and Finder's open-file do: open a dataset or a model folder, export the current
// dataset's annotations, back up the data folder, and rebuild the application menu. Errors are shown in dialogs.
import { app, dialog, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { AppCommand } from '../../app/contract'
import type { Services } from '../compose'
import { datasetIdOfFolder } from '../datasets/lerobot/lerobot'
import { resolveVivaLink } from '../shell/deepLink'
import { backupDataDir } from '../store/backup'
import type { PageActivity } from '../shell/activity'
import { exportFormatForPath, type LaunchTarget } from '../shell/launch'
import { buildMenuTemplate } from '../shell/menu'
import type { RecentDatasets } from '../shell/recent'

export interface ShellContext {
  appName: string
  version: string
  isDev: boolean
  dataDir: string
  win: BrowserWindow
  services: Services
  recent: RecentDatasets
  helpLinks: { label: string; url: string }[]
  openExternalLink(url: unknown): void
  /** A command for the page, held until it listens. */
  command(command: AppCommand): void
  /** What the page shows, as its notices said; a dataset opened here becomes the current one. */
  page: PageActivity
}

export interface ShellActions {
  openDataset(root: string, episode?: number | null): Promise<void>
  /** A viva:// link (macOS open-url, or an argument of a launch): its dataset opened if needed, then the page goes there. */
  openLink(url: string): Promise<void>
  openTargets(list: LaunchTarget[]): Promise<void>
  refreshMenu(): void
  showError(title: string, err: unknown): void
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function createShellActions(ctx: ShellContext): ShellActions {
  const { win, services, recent } = ctx

  const showError = (title: string, err: unknown): void => {
    void dialog.showMessageBox(win, { type: 'error', title, message: title, detail: message(err) })
  }

  async function openDataset(root: string, episode: number | null = null): Promise<void> {
    try {
      const summary = await services.datasets.open(root)
      ctx.page.currentDatasetId = summary.id
      await recent.add(summary.root)
      refreshMenu()
      ctx.command({ command: 'showDataset', datasetId: summary.id, episode })
    } catch (err) {
      if (!existsSync(root)) {
        await recent.remove(root)
        refreshMenu()
      }
      showError('Could not open the dataset', err)
    }
  }

  async function openLink(url: string): Promise<void> {
    const command = await resolveVivaLink(url, {
      open: () => services.datasets.list(),
      recent: recent.list,
      idOf: datasetIdOfFolder,
      exists: async (root) => (await stat(root).catch(() => null))?.isDirectory() ?? false,
      openFolder: async (root) => {
        const summary = await services.datasets.open(root)
        ctx.page.currentDatasetId = summary.id
        await recent.add(summary.root)
        refreshMenu()
        return summary
      },
    })
    ctx.command(command)
  }

  async function addModelFolder(folder: string): Promise<void> {
    try {
      const model = await services.models.addFolder(folder)
      ctx.command({ command: 'modelsChanged' })
      void dialog.showMessageBox(win, { type: 'info', title: 'Model added', message: `Model ${model.name} added`, detail: folder })
    } catch (err) {
      showError('Could not add the model folder', err)
    }
  }

  async function openTargets(list: LaunchTarget[]): Promise<void> {
    for (const t of list) {
      if (t.kind === 'dataset') await openDataset(t.root)
      else if (t.kind === 'model') await addModelFolder(t.folder)
      else showError('Cannot open', `${t.path}: ${t.reason}`)
    }
  }

  async function exportAnnotations(): Promise<void> {
    const current = ctx.page.currentDatasetId
    const summary = current ? services.datasets.list().find((d) => d.id === current) : undefined
    if (!summary) {
      await dialog.showMessageBox(win, { type: 'info', title: 'Export annotations', message: 'Open a dataset first.' })
      return
    }
    const choice = await dialog.showSaveDialog(win, {
      title: 'Export annotations',
      defaultPath: path.join(app.getPath('documents'), `${summary.name}-annotations.json`),
      filters: [
        { name: 'Canonical JSON (re-importable)', extensions: ['json'] },
        { name: 'CSV, one row per event', extensions: ['csv'] },
      ],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    })
    if (choice.canceled || !choice.filePath) return
    const { format, path: out } = exportFormatForPath(choice.filePath)
    try {
      const { paths } = await services.projects.exportTo(summary.id, format, {}, out)
      void dialog.showMessageBox(win, { type: 'info', title: 'Export annotations', message: 'Annotations exported', detail: paths.join('\n') })
    } catch (err) {
      showError('Export failed', err)
    }
  }

  /** A new dated folder inside the one chosen, so a backup never overwrites an earlier one. */
  async function backupData(): Promise<void> {
    const choice = await dialog.showOpenDialog(win, {
      title: 'Back up annotations and data into…',
      defaultPath: app.getPath('documents'),
      properties: ['openDirectory', 'createDirectory'],
    })
    const parent = choice.filePaths[0]
    if (choice.canceled || !parent) return
    const out = path.join(parent, `viva-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    try {
      const { files } = await backupDataDir({ dataDir: ctx.dataDir, out, version: ctx.version, writeGuard: services.writeGuard })
      void dialog.showMessageBox(win, { type: 'info', title: 'Backup', message: `Backed up ${files.length} files`, detail: out })
    } catch (err) {
      showError('Backup failed', err)
    }
  }

  function refreshMenu(): void {
    const template = buildMenuTemplate(
      { appName: ctx.appName, isDev: ctx.isDev, platform: process.platform, recent: recent.list, links: ctx.helpLinks },
      {
        openDataset: () => {
          void dialog.showOpenDialog(win, { title: 'Open dataset', properties: ['openDirectory'] }).then((r) => {
            const root = r.filePaths[0]
            if (!r.canceled && root) void openDataset(root)
          })
        },
        openRecent: (root) => void openDataset(root),
        clearRecent: () => void recent.clear().then(refreshMenu),
        openModelFolder: () => {
          void dialog.showOpenDialog(win, { title: 'Open model folder', properties: ['openDirectory'] }).then((r) => {
            const folder = r.filePaths[0]
            if (!r.canceled && folder) void addModelFolder(folder)
          })
        },
        exportAnnotations: () => void exportAnnotations(),
        backupData: () => void backupData(),
        undo: () => ctx.command({ command: 'undo' }),
        redo: () => ctx.command({ command: 'redo' }),
        about: () => {
          void dialog.showMessageBox(win, {
            type: 'info',
            title: `About ${ctx.appName}`,
            message: `${ctx.appName} ${ctx.version}`,
            detail: [
              'Play, annotate and evaluate value models on robot-learning episodes.',
              '',
              `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
              `Data folder: ${ctx.dataDir}`,
            ].join('\n'),
          })
        },
        shortcuts: () => ctx.command({ command: 'showShortcuts' }),
        openLink: ctx.openExternalLink,
      },
    )
    Menu.setApplicationMenu(Menu.buildFromTemplate(template as MenuItemConstructorOptions[]))
  }

  return { openDataset, openLink, openTargets, refreshMenu, showError }
}
