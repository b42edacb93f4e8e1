import { describe, expect, it, vi } from 'vitest'
import { buildMenuTemplate, escapeMenuLabel, findMenuItem, type MenuActions, type MenuItemSpec, type MenuOptions } from './menu'

function actions(): MenuActions & Record<string, ReturnType<typeof vi.fn>> {
  return {
    openDataset: vi.fn(),
    openRecent: vi.fn(),
    clearRecent: vi.fn(),
    openModelFolder: vi.fn(),
    exportAnnotations: vi.fn(),
    backupData: vi.fn(),
    undo: vi.fn(),
    redo: vi.fn(),
    about: vi.fn(),
    shortcuts: vi.fn(),
    openLink: vi.fn(),
  }
}

const base: MenuOptions = {
  appName: 'ViVa Studio',
  isDev: false,
  platform: 'linux',
  recent: [],
  links: [{ label: 'Project page', url: 'https://viva-value-model.github.io/' }],
}

function roles(items: readonly MenuItemSpec[]): string[] {
  return items.flatMap((i) => [...(i.role ? [i.role] : []), ...(i.submenu ? roles(i.submenu) : [])])
}

function top(template: MenuItemSpec[]): string[] {
  return template.map((m) => m.label ?? m.role ?? '?')
}

describe('application menu', () => {
  it('has File, Edit, View and Help', () => {
    expect(top(buildMenuTemplate(base, actions()))).toEqual(['&File', '&Edit', '&View', '&Help'])
    expect(top(buildMenuTemplate({ ...base, platform: 'darwin' }, actions()))).toEqual(['ViVa Studio', '&File', '&Edit', '&View', 'windowMenu', '&Help'])
  })

  it('File opens datasets, recent ones, model folders and exports annotations', () => {
    const a = actions()
    const t = buildMenuTemplate({ ...base, recent: ['/data/a&b', '/data/c'] }, a)
    findMenuItem(t, 'open-dataset')?.click?.()
    findMenuItem(t, 'open-model-folder')?.click?.()
    findMenuItem(t, 'export-annotations')?.click?.()
    findMenuItem(t, 'backup-data')?.click?.()
    findMenuItem(t, 'recent-1')?.click?.()
    findMenuItem(t, 'recent-clear')?.click?.()
    expect(a.openDataset).toHaveBeenCalledOnce()
    expect(a.openModelFolder).toHaveBeenCalledOnce()
    expect(a.exportAnnotations).toHaveBeenCalledOnce()
    expect(a.backupData).toHaveBeenCalledOnce()
    expect(a.openRecent).toHaveBeenCalledWith('/data/c')
    expect(a.clearRecent).toHaveBeenCalledOnce()
    expect(findMenuItem(t, 'recent-0')?.label).toBe('/data/a&&b')
    expect(findMenuItem(t, 'open-dataset')?.accelerator).toBe('CmdOrCtrl+O')
  })

  it('Open recent says so when empty', () => {
    const t = buildMenuTemplate(base, actions())
    expect(findMenuItem(t, 'open-recent')?.submenu).toEqual([{ id: 'recent-empty', label: 'No recent datasets', enabled: false }])
  })

  it('Undo/Redo go to the renderer and leave the keys to the page on Linux/Windows', () => {
    const a = actions()
    const t = buildMenuTemplate(base, a)
    const undo = findMenuItem(t, 'undo')
    const redo = findMenuItem(t, 'redo')
    undo?.click?.()
    redo?.click?.()
    expect(a.undo).toHaveBeenCalledOnce()
    expect(a.redo).toHaveBeenCalledOnce()
    expect(undo?.registerAccelerator).toBe(false)
    expect(redo?.registerAccelerator).toBe(false)
    expect(undo?.role).toBeUndefined() // not the text-field role: annotation undo
    expect(roles(t)).toEqual(expect.arrayContaining(['cut', 'copy', 'paste', 'selectAll']))
  })

  it('production: no reload, no developer tools; zoom and full screen stay', () => {
    const r = roles(buildMenuTemplate(base, actions()))
    expect(r).not.toContain('reload')
    expect(r).not.toContain('forceReload')
    expect(r).not.toContain('toggleDevTools')
    expect(r).toEqual(expect.arrayContaining(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']))
  })

  it('development: reload and developer tools', () => {
    expect(roles(buildMenuTemplate({ ...base, isDev: true }, actions()))).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']))
  })

  it('Help: keyboard shortcuts, the project page, About', () => {
    const a = actions()
    const t = buildMenuTemplate(base, a)
    findMenuItem(t, 'shortcuts')?.click?.()
    findMenuItem(t, 'link-0')?.click?.()
    findMenuItem(t, 'about')?.click?.()
    expect(a.shortcuts).toHaveBeenCalledOnce()
    expect(a.openLink).toHaveBeenCalledWith('https://viva-value-model.github.io/')
    expect(a.about).toHaveBeenCalledOnce()
    // macOS: About sits in the app menu.
    const mac = buildMenuTemplate({ ...base, platform: 'darwin' }, a)
    expect(mac[0]?.submenu?.some((i) => i.id === 'about')).toBe(true)
    expect(roles(mac)).toEqual(expect.arrayContaining(['hide', 'quit', 'close']))
  })

  it('no accelerator takes a player key (single letters, digits, arrows, space)', () => {
    const accelerators: string[] = []
    const walk = (items: readonly MenuItemSpec[]): void => {
      for (const i of items) {
        if (i.accelerator && i.registerAccelerator !== false) accelerators.push(i.accelerator)
        if (i.submenu) walk(i.submenu)
      }
    }
    walk(buildMenuTemplate(base, actions()))
    for (const acc of accelerators) expect(acc).toMatch(/^(CmdOrCtrl\+|F\d+$)/)
  })

  it('takes its File and Help keys from the shortcut registry the page lists with ?', () => {
    const t = buildMenuTemplate(base, actions())
    expect(findMenuItem(t, 'open-dataset')?.accelerator).toBe('CmdOrCtrl+O')
    expect(findMenuItem(t, 'export-annotations')?.accelerator).toBe('CmdOrCtrl+Shift+E')
    expect(findMenuItem(t, 'shortcuts')?.accelerator).toBe('F1')
    expect(escapeMenuLabel('a&b&&c')).toBe('a&&b&&&&c')
  })
})
