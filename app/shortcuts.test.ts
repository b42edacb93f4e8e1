import { describe, expect, it } from 'vitest'
import {
  chordLabel,
  matchShortcut,
  menuAccelerator,
  pickedDigit,
  shortcutGroups,
  shortcutKeys,
  SHORTCUTS,
  type KeyPress,
  type ShortcutDef,
  type ShortcutScope,
} from './shortcuts'

const press = (code: string, key: string, mods: Partial<Pick<KeyPress, 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>> = {}): KeyPress => ({
  code,
  key,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
})

describe('shortcuts follow the key position, not the layout', () => {
  it('French AZERTY: the key right of Tab (code KeyA) types q and accepts a suggestion; the key typing a does not', () => {
    expect(matchShortcut(press('KeyA', 'q'), 'player')).toBe('suggestion.accept')
    expect(matchShortcut(press('KeyQ', 'a'), 'player')).toBeNull()
    // M's position types , on AZERTY; the key that types m (code Semicolon) is not a shortcut.
    expect(matchShortcut(press('KeyM', ','), 'player')).toBe('mark.milestone')
    expect(matchShortcut(press('Semicolon', 'm'), 'player')).toBeNull()
    // The digit row types & é " … unshifted: the label picker still takes 1–9 by position.
    expect(matchShortcut(press('Digit1', '&'), 'picker')).toBe('picker.pick')
    expect(pickedDigit(press('Digit1', '&'))).toBe(1)
    expect(pickedDigit(press('Numpad7', '7'))).toBe(7)
    expect(pickedDigit(press('Digit0', 'à'))).toBeNull()
  })

  it('QWERTY works as before: letters with or without Shift (Caps Lock), Shift+N goes back', () => {
    expect(matchShortcut(press('KeyM', 'm'), 'player')).toBe('mark.milestone')
    expect(matchShortcut(press('KeyM', 'M', { shiftKey: true }), 'player')).toBe('mark.milestone')
    expect(matchShortcut(press('KeyN', 'n'), 'player')).toBe('drop.next')
    expect(matchShortcut(press('KeyN', 'N', { shiftKey: true }), 'player')).toBe('drop.prev')
    expect(matchShortcut(press('KeyN', 'N', { shiftKey: true }), 'triage')).toBe('drop.prev')
    expect(matchShortcut(press('Comma', ','), 'player')).toBe('event.prev')
    expect(matchShortcut(press('Comma', '<', { shiftKey: true }), 'player')).toBe('suggestion.prev')
    // German and French keyboards type < and > on their own key (IntlBackslash); Shift+Comma still works there.
    expect(matchShortcut(press('IntlBackslash', '>', { shiftKey: true }), 'player')).toBe('suggestion.next')
    expect(matchShortcut(press('Comma', '.', { shiftKey: true }), 'player')).toBe('suggestion.prev')
    expect(matchShortcut(press('ArrowRight', 'ArrowRight', { shiftKey: true }), 'player')).toBe('frame.next10')
    expect(matchShortcut(press('Space', ' '), 'player')).toBe('play.toggle')
    expect(matchShortcut(press('KeyS', 's', { altKey: true }), 'player')).toBeNull()
    expect(matchShortcut(press('KeyS', 's', { ctrlKey: true }), 'player')).toBeNull()
  })

  it('? opens help wherever it is typed, and is then no other key', () => {
    expect(matchShortcut(press('Slash', '?', { shiftKey: true }), 'anywhere')).toBe('help.toggle')
    // AZERTY types ? with Shift+Comma (code KeyM): help, not a milestone.
    expect(matchShortcut(press('KeyM', '?', { shiftKey: true }), 'anywhere')).toBe('help.toggle')
    expect(matchShortcut(press('KeyM', '?', { shiftKey: true }), 'player')).toBeNull()
    expect(matchShortcut(press('Slash', '/'), 'episodes')).toBe('list.filter')
    expect(matchShortcut(press('Slash', '?', { shiftKey: true }), 'episodes')).toBeNull()
  })

  it('Ctrl/⌘ chords follow the character (AZERTY Ctrl+Z is the key labelled Z), the position on non-Latin layouts', () => {
    expect(matchShortcut(press('KeyW', 'z', { ctrlKey: true }), 'player')).toBe('edit.undo')
    expect(matchShortcut(press('KeyZ', 'w', { ctrlKey: true }), 'player')).toBeNull()
    expect(matchShortcut(press('KeyZ', 'я', { ctrlKey: true }), 'player')).toBe('edit.undo')
    expect(matchShortcut(press('KeyZ', 'Z', { metaKey: true, shiftKey: true }), 'player')).toBe('edit.redo')
    expect(matchShortcut(press('KeyY', 'y', { ctrlKey: true }), 'player')).toBe('edit.redo')
  })
})

describe('the registry', () => {
  const scopes: ShortcutScope[] = ['help', 'episodes', 'player', 'triage', 'picker']

  it('no key press means two things in one place (a scope plus what works anywhere)', () => {
    const codes = new Set((SHORTCUTS as readonly ShortcutDef[]).flatMap((s) => s.chords.map((c) => c.code)))
    for (const scope of scopes) {
      const defs = (SHORTCUTS as readonly ShortcutDef[]).filter((s) => s.scopes.includes(scope) || s.scopes.includes('anywhere'))
      for (const code of codes) {
        for (const shiftKey of [false, true]) {
          for (const ctrlKey of [false, true]) {
            const e = press(code, code.startsWith('Key') ? code.slice(3).toLowerCase() : code, { shiftKey, ctrlKey })
            const hits = defs.filter((d) => d.chords.some((c) => c.code === code && Boolean(c.mod) === ctrlKey && (c.shift === undefined || c.shift === shiftKey)))
            expect(hits.map((h) => h.id), `${scope} ${code} shift=${shiftKey} ctrl=${ctrlKey}`).toHaveLength(Math.min(1, hits.length))
            if (hits.length === 1 && !hits[0]?.scopes.includes('anywhere')) expect(matchShortcut(e, scope)).toBe(hits[0]?.id)
          }
        }
      }
    }
  })

  it('ids are unique and every shortcut has a key and says what it does', () => {
    const ids = SHORTCUTS.map((s) => s.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const s of SHORTCUTS as readonly ShortcutDef[]) {
      expect(s.chords.length, s.id).toBeGreaterThan(0)
      expect(s.does.length, s.id).toBeGreaterThan(3)
    }
  })

  it('labels keys as a US keyboard does, or as the user layout does when known', () => {
    const us = { mac: false }
    const label = (id: string, opts: Parameters<typeof chordLabel>[1] = us): string[] =>
      shortcutKeys((SHORTCUTS as readonly ShortcutDef[]).find((s) => s.id === id) as ShortcutDef, opts)
    expect(label('help.toggle')).toEqual(['?'])
    expect(label('suggestion.prev')).toEqual(['<'])
    expect(label('frame.next10')).toEqual(['Shift+→'])
    expect(label('mark.milestone')).toEqual(['M'])
    expect(label('edit.redo')).toEqual(['Ctrl+Shift+Z', 'Ctrl+Y'])
    expect(label('edit.redo', { mac: true })).toEqual(['⌘⇧Z', '⌘Y'])
    expect(label('picker.pick')).toEqual(['1–9'])
    expect(label('player.back')).toEqual(['Esc'])
    const azerty: Record<string, string> = { KeyA: 'q', KeyQ: 'a', KeyM: ',', Comma: ';', Period: ':' }
    const fr = { mac: false, layout: (code: string) => azerty[code] }
    expect(label('suggestion.accept', fr)).toEqual(['Q'])
    expect(label('mark.milestone', fr)).toEqual([','])
    expect(label('suggestion.prev', fr)).toEqual(['<'])
    expect(label('event.next', fr)).toEqual([':'])
  })

  it('lists the desktop menu keys only on the desktop, and gives the menu its accelerators', () => {
    const groups = (desktop: boolean): string[] => shortcutGroups({ desktop }).map((g) => g.group)
    expect(groups(false)).not.toContain('Desktop menu')
    expect(groups(true)).toContain('Desktop menu')
    expect(groups(false)).toEqual(expect.arrayContaining(['Anywhere', 'Episode list', 'Player', 'Annotating', 'Suggestions and triage']))
    expect(menuAccelerator('menu.openDataset')).toBe('CmdOrCtrl+O')
    expect(menuAccelerator('menu.exportAnnotations')).toBe('CmdOrCtrl+Shift+E')
    expect(menuAccelerator('menu.shortcuts')).toBe('F1')
  })
})
