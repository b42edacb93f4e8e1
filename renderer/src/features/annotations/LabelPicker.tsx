import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { latestTaxonomy } from '../../../../app/annotationEdits'
import { matchShortcut, pickedDigit, type ShortcutIn } from '../../../../app/shortcuts'
import { TAXONOMY_PRESETS, type TaxonomyPreset } from '../../../../app/taxonomy'
import { useApp } from '../../state/StoreContext'

/**
 * The second keystroke of "mark an event": a digit picks the n-th label, typing filters (type-ahead), Enter takes
 * the highlighted one, Esc cancels. With no taxonomy for the task yet, the same keys pick a preset first. Keys are
 * taken at the window (capture phase) while the picker is open, so nothing typed right after M or E is lost to
 * focus moving, and the preset's labels show at once, before its save has been acknowledged.
 */
export function LabelPicker(): ReactNode {
  const picker = useApp((s) => s.picker)
  const task = useApp((s) => s.episode?.tasks[0] ?? '')
  const taxonomy = useApp((s) => (s.project ? latestTaxonomy(s.project, task) : null))
  const { pickLabel, closePicker, usePreset } = useApp((s) => s)
  const [filter, setFilter] = useState('')
  const [highlight, setHighlight] = useState(0)
  const [chosenPreset, setChosenPreset] = useState<TaxonomyPreset | null>(null)

  useEffect(() => {
    setFilter('')
    setHighlight(0)
    setChosenPreset(null)
  }, [picker])

  const lists = taxonomy ?? chosenPreset
  const choosingPreset = lists === null
  const options = useMemo(() => {
    if (!picker) return []
    if (lists === null) return TAXONOMY_PRESETS.map((p) => p.name)
    return picker.kind === 'milestone' ? lists.milestones : lists.errorTypes
  }, [picker, lists])
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase()
    return options.map((label, i) => ({ label, n: i + 1 })).filter((o) => f === '' || o.label.toLowerCase().includes(f))
  }, [options, filter])

  const choose = (label: string | undefined): void => {
    if (label === undefined) return
    if (choosingPreset) {
      const preset = TAXONOMY_PRESETS.find((p) => p.name === label)
      if (!preset) return
      setChosenPreset(preset)
      setFilter('')
      setHighlight(0)
      void usePreset([...preset.milestones], [...preset.errorTypes], preset.id)
      return
    }
    void pickLabel(label)
  }

  const live = useRef({ filter, shown, options, highlight, choose, closePicker })
  live.current = { filter, shown, options, highlight, choose, closePicker }

  useEffect(() => {
    if (!picker) return
    const onKey = (e: KeyboardEvent): void => {
      const l = live.current
      if (e.ctrlKey || e.metaKey || e.altKey) return
      // Keys by position (a digit on the AZERTY row that types &, é…); typed characters filter the labels.
      const actions: Record<ShortcutIn<'picker'>, () => boolean | void> = {
        'picker.cancel': () => l.closePicker(),
        'picker.pick': () => {
          const digit = pickedDigit(e)
          // While a filter is typed, digits filter too.
          if (digit === null || l.filter !== '') return false
          l.choose(l.options[digit - 1])
        },
        'picker.choose': () => l.choose(l.shown[l.highlight]?.label),
        'picker.down': () => setHighlight(Math.min(l.shown.length - 1, l.highlight + 1)),
        'picker.up': () => setHighlight(Math.max(0, l.highlight - 1)),
        'picker.erase': () => setFilter(l.filter.slice(0, -1)),
      }
      const id = matchShortcut(e, 'picker')
      let handled = id !== null && actions[id]() !== false
      if (!handled && e.key.length === 1) {
        setFilter(l.filter + e.key)
        setHighlight(0)
        handled = true
      }
      if (handled) {
        e.preventDefault()
        e.stopImmediatePropagation()
      }
    }
    window.addEventListener('keydown', onKey, { capture: true })
    return () => window.removeEventListener('keydown', onKey, { capture: true })
  }, [picker])

  if (!picker) return null

  const title = choosingPreset
    ? `No taxonomy for “${task || 'this task'}” yet — pick a preset (edit it later with T)`
    : picker.eventId
      ? `Relabel ${picker.kind} at frame ${picker.frame}`
      : `${picker.kind === 'milestone' ? 'Milestone' : 'Error'} at frame ${picker.frame}`

  return (
    <div className="picker-backdrop" onMouseDown={() => closePicker()}>
      <div
        className={`picker picker-${picker.kind}`}
        role="dialog"
        aria-label={choosingPreset ? 'Choose a taxonomy preset' : `Choose ${picker.kind} label`}
        onMouseDown={(e) => e.stopPropagation()}
      >
        <div className="picker-title">{title}</div>
        <div className="picker-filter" aria-label="Label filter" aria-live="polite">
          {filter === '' ? <span className="muted">press a digit, or type to filter…</span> : filter}
        </div>
        <ol className="picker-options">
          {shown.map((o, i) => (
            <li key={o.label} aria-selected={i === highlight} onMouseDown={() => choose(o.label)}>
              <kbd>{o.n <= 9 ? o.n : ' '}</kbd> {o.label}
            </li>
          ))}
          {shown.length === 0 ? <li className="picker-empty">No label matches “{filter}”</li> : null}
        </ol>
      </div>
    </div>
  )
}
