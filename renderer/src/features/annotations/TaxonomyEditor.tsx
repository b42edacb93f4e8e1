import { useEffect, useState, type ReactNode } from 'react'
import { latestTaxonomy } from '../../../../app/annotationEdits'
import { TAXONOMY_PRESETS, validateTaxonomyLists } from '../../../../app/taxonomy'
import { useApp } from '../../state/StoreContext'

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)

/** Edit the current task's milestones and error types; saving makes a new version (old events keep theirs). */
export function TaxonomyEditor(): ReactNode {
  const open = useApp((s) => s.taxonomyEditorOpen)
  const task = useApp((s) => s.episode?.tasks[0] ?? '')
  const taxonomy = useApp((s) => (s.project ? latestTaxonomy(s.project, task) : null))
  const { setTaxonomyEditorOpen, saveTaxonomy } = useApp((s) => s)
  const [milestones, setMilestones] = useState('')
  const [errors, setErrors] = useState('')
  const [preset, setPreset] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    if (!open) return
    setMilestones((taxonomy?.milestones ?? []).join('\n'))
    setErrors((taxonomy?.errorTypes ?? []).join('\n'))
    setPreset(taxonomy?.preset ?? null)
    setProblem(null)
  }, [open, taxonomy])

  if (!open) return null
  const close = (): void => setTaxonomyEditorOpen(false)
  return (
    <div className="picker-backdrop" onMouseDown={close}>
      <div
        className="taxonomy-editor"
        role="dialog"
        aria-label="Edit taxonomy"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') close()
          e.stopPropagation()
        }}
      >
        <h2>Taxonomy · {task || '(no task)'}</h2>
        <p className="muted">
          {taxonomy ? `Version ${taxonomy.version}. Saving creates version ${taxonomy.version + 1}; events keep the version they were labelled with.` : 'No taxonomy yet.'}
        </p>
        <label>
          Start from a preset{' '}
          <select
            aria-label="Preset"
            value=""
            onChange={(e) => {
              const p = TAXONOMY_PRESETS.find((x) => x.id === e.target.value)
              if (!p) return
              setMilestones(p.milestones.join('\n'))
              setErrors(p.errorTypes.join('\n'))
              setPreset(p.id)
            }}
          >
            <option value="">choose…</option>
            {TAXONOMY_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <div className="taxonomy-columns">
          <label>
            Milestones, in task order (one per line)
            <textarea aria-label="Milestones" rows={8} value={milestones} onChange={(e) => setMilestones(e.target.value)} />
          </label>
          <label>
            Error types (one per line)
            <textarea aria-label="Error types" rows={8} value={errors} onChange={(e) => setErrors(e.target.value)} />
          </label>
        </div>
        {problem ? <p className="form-error" role="alert">{problem}</p> : null}
        <div className="dialog-buttons">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => {
              const m = lines(milestones)
              const e = lines(errors)
              try {
                validateTaxonomyLists(m, e)
              } catch (err) {
                setProblem(err instanceof Error ? err.message : String(err))
                return
              }
              void saveTaxonomy(task, m, e, preset).then(close)
            }}
          >
            Save
          </button>
        </div>
      </div>
    </div>
  )
}
