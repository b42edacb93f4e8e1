/**
 * Every keyboard shortcut, in one registry: the page's key handlers look their keys up here (matchShortcut), the
 * `?` overlay and the desktop menu's accelerators are drawn from it, so the list shown can never drift from what
 * the keys do. A handler takes an action for each id of its scope (a Record over ShortcutIn<scope>), so a shortcut
 * listed without a behaviour, or a behaviour without a listing, does not compile.
 *
 * Keys are matched by position, not by the character they type: `event.code` (KeyA is the key right of Tab on
 * every layout; see the UI Events KeyboardEvent code values, https://www.w3.org/TR/uievents-code/), so a French
 * AZERTY user presses the same physical keys as a QWERTY one, and the overlay names each key as the user's layout
 * labels it (the Keyboard Map API, https://wicg.github.io/keyboard-map/, where the browser has it). Two exceptions:
 *  - `?`, `<` and `>` are also matched by the character: that is how people find help on any layout (Shift+Slash
 *    on US, Shift+Comma on AZERTY), and `<` `>` have a key of their own on most European layouts (next to the left
 *    Shift); no layout types these at a place another shortcut holds;
 *  - Ctrl/⌘ chords (undo, redo) follow the character, as platforms do for editing commands and as the Edit menu
 *    shows them, falling back to the position when the layout types no Latin letter (Cyrillic, Greek…).
 */

export type ShortcutScope = 'anywhere' | 'help' | 'episodes' | 'player' | 'triage' | 'picker' | 'menu'

export interface Chord {
  /** KeyboardEvent.code of the key. */
  code: string
  /** true: only with Shift; false: only without; absent: either. */
  shift?: boolean
  /** Ctrl (⌘ on macOS) held. */
  mod?: boolean
  /** Also matched by this typed character, whatever key typed it. */
  key?: string
}

export interface ShortcutDef {
  id: string
  scopes: readonly ShortcutScope[]
  /** Heading it is listed under in the overlay. */
  group: string
  chords: readonly Chord[]
  does: string
}

const digitChords = (prefix: 'Digit' | 'Numpad'): Chord[] => Array.from({ length: 9 }, (_, i) => ({ code: `${prefix}${i + 1}` }))
const PLAYER = ['player'] as const

export const SHORTCUTS = [
  { id: 'help.toggle', scopes: ['anywhere'], group: 'Anywhere', chords: [{ code: 'Slash', shift: true, key: '?' }], does: 'show / hide this list of shortcuts' },
  { id: 'help.close', scopes: ['help'], group: 'Anywhere', chords: [{ code: 'Escape' }], does: 'close this list' },

  { id: 'list.up', scopes: ['episodes'], group: 'Episode list', chords: [{ code: 'ArrowUp' }], does: 'previous episode' },
  { id: 'list.down', scopes: ['episodes'], group: 'Episode list', chords: [{ code: 'ArrowDown' }], does: 'next episode' },
  { id: 'list.open', scopes: ['episodes'], group: 'Episode list', chords: [{ code: 'Enter' }, { code: 'NumpadEnter' }], does: 'open the selected episode' },
  { id: 'list.filter', scopes: ['episodes'], group: 'Episode list', chords: [{ code: 'Slash', shift: false }], does: 'type in the filter' },

  { id: 'play.toggle', scopes: PLAYER, group: 'Player', chords: [{ code: 'Space' }], does: 'play / pause' },
  { id: 'frame.prev', scopes: PLAYER, group: 'Player', chords: [{ code: 'ArrowLeft', shift: false }], does: 'one frame back' },
  { id: 'frame.next', scopes: PLAYER, group: 'Player', chords: [{ code: 'ArrowRight', shift: false }], does: 'one frame forward' },
  { id: 'frame.prev10', scopes: PLAYER, group: 'Player', chords: [{ code: 'ArrowLeft', shift: true }], does: '10 frames back' },
  { id: 'frame.next10', scopes: PLAYER, group: 'Player', chords: [{ code: 'ArrowRight', shift: true }], does: '10 frames forward' },
  { id: 'frame.first', scopes: PLAYER, group: 'Player', chords: [{ code: 'Home' }], does: 'first frame' },
  { id: 'frame.last', scopes: PLAYER, group: 'Player', chords: [{ code: 'End' }], does: 'last frame' },
  { id: 'frame.goto', scopes: PLAYER, group: 'Player', chords: [{ code: 'KeyG' }], does: 'go to a typed frame number (Enter jumps, Esc leaves)' },
  { id: 'speed.down', scopes: PLAYER, group: 'Player', chords: [{ code: 'BracketLeft' }], does: 'slower (down to 0.25×)' },
  { id: 'speed.up', scopes: PLAYER, group: 'Player', chords: [{ code: 'BracketRight' }], does: 'faster (up to 4×)' },
  { id: 'episode.prev', scopes: PLAYER, group: 'Player', chords: [{ code: 'PageUp' }], does: 'previous episode of the list as filtered and sorted' },
  { id: 'episode.next', scopes: PLAYER, group: 'Player', chords: [{ code: 'PageDown' }], does: 'next episode of the list as filtered and sorted' },
  { id: 'player.back', scopes: PLAYER, group: 'Player', chords: [{ code: 'Escape' }], does: 'unselect the selected event or suggestion, else back to the episode list' },

  { id: 'mark.milestone', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyM' }], does: 'mark a milestone at this frame, then pick its label' },
  { id: 'mark.error', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyE' }], does: 'mark an error at this frame, then pick its label' },
  { id: 'event.prev', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'Comma', shift: false }], does: 'previous event' },
  { id: 'event.next', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'Period', shift: false }], does: 'next event' },
  { id: 'event.relabel', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyL' }], does: 'relabel the selected event' },
  { id: 'event.delete', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'Delete' }, { code: 'Backspace' }], does: 'delete the selected event (or dismiss the selected suggestion)' },
  { id: 'outcome.success', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyS' }], does: 'episode outcome: success' },
  { id: 'outcome.failure', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyF' }], does: 'episode outcome: failure' },
  { id: 'outcome.unknown', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyU' }], does: 'episode outcome: unknown' },
  { id: 'taxonomy.edit', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyT' }], does: "edit the task's taxonomy" },
  { id: 'edit.undo', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyZ', mod: true, shift: false }], does: 'undo' },
  { id: 'edit.redo', scopes: PLAYER, group: 'Annotating', chords: [{ code: 'KeyZ', mod: true, shift: true }, { code: 'KeyY', mod: true }], does: 'redo' },

  { id: 'suggestion.prev', scopes: PLAYER, group: 'Suggestions and triage', chords: [{ code: 'Comma', shift: true, key: '<' }], does: 'previous suggested event' },
  { id: 'suggestion.next', scopes: PLAYER, group: 'Suggestions and triage', chords: [{ code: 'Period', shift: true, key: '>' }], does: 'next suggested event' },
  { id: 'suggestion.accept', scopes: PLAYER, group: 'Suggestions and triage', chords: [{ code: 'KeyA' }], does: 'accept the selected suggestion (then pick its label)' },
  { id: 'suggestion.dismiss', scopes: PLAYER, group: 'Suggestions and triage', chords: [{ code: 'KeyX' }], does: 'dismiss the selected suggestion' },
  { id: 'drop.next', scopes: ['player', 'triage'], group: 'Suggestions and triage', chords: [{ code: 'KeyN', shift: false }], does: "triage: the dataset's next value drop (opens its episode at its frame)" },
  { id: 'drop.prev', scopes: ['player', 'triage'], group: 'Suggestions and triage', chords: [{ code: 'KeyN', shift: true }], does: "triage: the dataset's previous value drop" },

  { id: 'picker.pick', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [...digitChords('Digit'), ...digitChords('Numpad')], does: 'pick the n-th label' },
  { id: 'picker.choose', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [{ code: 'Enter' }, { code: 'NumpadEnter' }], does: 'take the highlighted label' },
  { id: 'picker.up', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [{ code: 'ArrowUp' }], does: 'highlight the label above' },
  { id: 'picker.down', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [{ code: 'ArrowDown' }], does: 'highlight the label below' },
  { id: 'picker.erase', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [{ code: 'Backspace' }], does: 'erase the last filter character' },
  { id: 'picker.cancel', scopes: ['picker'], group: 'Label picker (after M or E; type to filter)', chords: [{ code: 'Escape' }], does: 'cancel' },

  { id: 'menu.openDataset', scopes: ['menu'], group: 'Desktop menu', chords: [{ code: 'KeyO', mod: true, shift: false }], does: 'open a dataset folder' },
  { id: 'menu.exportAnnotations', scopes: ['menu'], group: 'Desktop menu', chords: [{ code: 'KeyE', mod: true, shift: true }], does: 'export annotations' },
  { id: 'menu.shortcuts', scopes: ['menu'], group: 'Desktop menu', chords: [{ code: 'F1' }], does: 'this list of shortcuts' },
] as const satisfies readonly ShortcutDef[]

type Def = (typeof SHORTCUTS)[number]
export type ShortcutId = Def['id']
/** The ids a handler of `S` must act on. */
export type ShortcutIn<S extends ShortcutScope> = Def extends infer D ? (D extends { id: infer I; scopes: readonly (infer Sc)[] } ? (S extends Sc ? I : never) : never) : never

/** The part of a KeyboardEvent that matching reads (tests build these by hand). */
export interface KeyPress {
  code: string
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

const LATIN_LETTER = /^[a-z]$/i

function chordMatches(chord: Chord, e: KeyPress): boolean {
  const mod = e.ctrlKey || e.metaKey
  if (Boolean(chord.mod) !== mod) return false
  if (chord.shift !== undefined && chord.shift !== e.shiftKey) return false
  if (chord.mod && chord.code.startsWith('Key')) {
    const letter = chord.code.slice(3).toLowerCase()
    return LATIN_LETTER.test(e.key) ? e.key.toLowerCase() === letter : e.code === chord.code
  }
  return e.code === chord.code
}

/**
 * The shortcut of `scope` this key press is, or null. Alt never takes a shortcut (it types characters on many
 * layouts). A chord's typed character (`?`) wins over positions, so Shift+Comma on AZERTY (which types `?`) opens
 * help rather than doing what Shift+Comma does on a US layout.
 */
export function matchShortcut<S extends ShortcutScope>(e: KeyPress, scope: S): ShortcutIn<S> | null {
  if (e.altKey) return null
  // What works anywhere (help) is never also another scope's key, whichever listener sees the press first.
  if (scope !== 'anywhere' && matchShortcut(e, 'anywhere') !== null) return null
  const inScope = (SHORTCUTS as readonly ShortcutDef[]).filter((s) => s.scopes.includes(scope))
  const mod = e.ctrlKey || e.metaKey
  const byKey = inScope.find((s) => s.chords.some((c) => c.key !== undefined && c.key === e.key && Boolean(c.mod) === mod))
  if (byKey) return byKey.id as ShortcutIn<S>
  const byCode = inScope.find((s) => s.chords.some((c) => chordMatches(c, e)))
  return byCode ? (byCode.id as ShortcutIn<S>) : null
}

export function shortcutDef(id: ShortcutId): ShortcutDef {
  const def = (SHORTCUTS as readonly ShortcutDef[]).find((s) => s.id === id)
  if (!def) throw new Error(`unknown shortcut ${id}`)
  return def
}

/** The digit a picker.pick press means (1–9), or null. */
export function pickedDigit(e: KeyPress): number | null {
  const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code)
  return m ? Number(m[1]) : null
}

const NAMED: Record<string, string> = {
  Space: 'Space',
  ArrowLeft: '←',
  ArrowRight: '→',
  ArrowUp: '↑',
  ArrowDown: '↓',
  Home: 'Home',
  End: 'End',
  PageUp: 'PageUp',
  PageDown: 'PageDown',
  Escape: 'Esc',
  Enter: 'Enter',
  NumpadEnter: 'Enter',
  Delete: 'Delete',
  Backspace: 'Backspace',
}
/** What a US layout types at these positions, unshifted and shifted: the labels where the layout is not known. */
const US_PUNCTUATION: Record<string, readonly [string, string]> = {
  Comma: [',', '<'],
  Period: ['.', '>'],
  Slash: ['/', '?'],
  BracketLeft: ['[', '{'],
  BracketRight: [']', '}'],
  Semicolon: [';', ':'],
}

export interface LabelOptions {
  mac: boolean
  /** The character the user's layout types at a position (navigator.keyboard.getLayoutMap()), when known. */
  layout?: (code: string) => string | undefined
}

/** A chord as the user's keyboard labels it: `Ctrl+Z`, `⌘⇧Z`, `Shift+→`, `<`, `A` (or `Q` on AZERTY). */
export function chordLabel(chord: Chord, opts: LabelOptions): string {
  if (chord.key !== undefined) return chord.key
  const mod = chord.mod ? (opts.mac ? '⌘' : 'Ctrl+') : ''
  const shiftWord = opts.mac && chord.mod ? '⇧' : 'Shift+'
  const fromLayout = opts.layout?.(chord.code)
  const named = NAMED[chord.code]
  if (named !== undefined) return `${mod}${chord.shift ? shiftWord : ''}${named}`
  const digit = /^(?:Digit|Numpad)(\d)$/.exec(chord.code)
  if (digit) return `${mod}${chord.shift ? shiftWord : ''}${digit[1]}`
  const us = US_PUNCTUATION[chord.code]
  if (us && fromLayout === undefined) return `${mod}${chord.shift && !chord.mod ? us[1] : `${chord.shift ? shiftWord : ''}${us[0]}`}`
  const base = fromLayout ?? (chord.code.startsWith('Key') ? chord.code.slice(3) : chord.code)
  return `${mod}${chord.shift ? shiftWord : ''}${base.length === 1 ? base.toUpperCase() : base}`
}

/** A shortcut's keys for the overlay: each chord's label once, a run of digits as `1–9`. */
export function shortcutKeys(def: ShortcutDef, opts: LabelOptions): string[] {
  const labels = [...new Set(def.chords.map((c) => chordLabel(c, opts)))]
  const digits = labels.filter((l) => /^\d$/.test(l))
  if (digits.length < 3) return labels
  return [`${digits[0]}–${digits[digits.length - 1]}`, ...labels.filter((l) => !/^\d$/.test(l))]
}

/** The overlay's sections, in registry order; desktop menu keys only where there is a desktop menu. */
export function shortcutGroups(opts: { desktop: boolean }): { group: string; shortcuts: ShortcutDef[] }[] {
  const out: { group: string; shortcuts: ShortcutDef[] }[] = []
  for (const def of SHORTCUTS as readonly ShortcutDef[]) {
    if (def.scopes.includes('menu') && !opts.desktop) continue
    const section = out.find((g) => g.group === def.group)
    if (section) section.shortcuts.push(def)
    else out.push({ group: def.group, shortcuts: [def] })
  }
  return out
}

/** An Electron menu accelerator for a menu shortcut (https://www.electronjs.org/docs/latest/api/accelerator). */
export function menuAccelerator(id: ShortcutIn<'menu'>): string {
  const chord = shortcutDef(id).chords[0]
  if (!chord) throw new Error(`shortcut ${id} has no key`)
  const key = chord.code.startsWith('Key') ? chord.code.slice(3) : chord.code
  return `${chord.mod ? 'CmdOrCtrl+' : ''}${chord.shift ? 'Shift+' : ''}${key}`
}
