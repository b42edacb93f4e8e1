import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { latestTaxonomy } from '../../../../app/annotationEdits'
import { TAXONOMY_PRESETS } from '../../../../app/taxonomy'
import { useApp } from '../../state/StoreContext'

/**
 * The second keystroke of "mark an event": a digit picks the n-th label, typing filters (type-ahead), Enter takes
 * the highlighted one, Esc cancels. With no taxonomy for the task yet, the same keys pick a preset first.
 */
export function LabelPicker(): ReactNode {
  const picker = useApp((s) => s.picker)
  const task = useApp((s) => s.episode?.tasks[0] ?? '')
  const taxonomy = useApp((s) => (s.project ? latestTaxonomy(s.project, task) : null))
  const { pickLabel, closePicker, usePreset } = useApp((s) => s)
  const [filter, setFilter] = useState('')
  const [highlight, setHighlight] = useState(0)
  const inputRef = useRef<HTMLInputElement>(null)

  const choosingPreset = taxonomy === null
  const options = useMemo(() => {
    if (!picker) return []
    if (choosingPreset) return TAXONOMY_PRESETS.map((p) => p.name)
    return picker.kind === 'milestone' ? taxonomy.milestones : taxonomy.errorTypes
  }, [picker, choosingPreset, taxonomy])
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase()
    return options.map((label, i) => ({ label, n: i + 1 })).filter((o) => f === '' || o.label.toLowerCase().includes(f))
  }, [options, filter])

  useEffect(() => {
    setFilter('')
    setHighlight(0)
    if (picker) inputRef.current?.focus()
  }, [picker, choosingPreset])

  if (!picker) return null

  const choose = (label: string | undefined): void => {
    if (label === undefined) return
    if (choosingPreset) {
      const preset = TAXONOMY_PRESETS.find((p) => p.name === label)
      if (preset) void usePreset(preset.milestones, preset.errorTypes, preset.id)
      return
    }
    void pickLabel(label)
  }

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
        <input
          ref={inputRef}
          aria-label="Type to filter labels"
          placeholder="digit, or type to filter…"
          value={filter}
          onChange={(e) => {
            setFilter(e.target.value)
            setHighlight(0)
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault()
              closePicker()
            } else if (/^[1-9]$/.test(e.key) && filter === '') {
              e.preventDefault()
              choose(options[Number(e.key) - 1])
            } else if (e.key === 'Enter') {
              e.preventDefault()
              choose(shown[highlight]?.label)
            } else if (e.key === 'ArrowDown') {
              e.preventDefault()
              setHighlight((h) => Math.min(shown.length - 1, h + 1))
            } else if (e.key === 'ArrowUp') {
              e.preventDefault()
              setHighlight((h) => Math.max(0, h - 1))
            }
            e.stopPropagation()
          }}
        />
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
