import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { AnnotationEvent, EventKind, Outcome, ReviewStatus } from '../../../../app/annotations'
import type { Candidate } from '../../../../app/detector'
import { OUTCOMES, REVIEW_STATUSES } from '../../../../app/annotations'
import { episodeLabels, latestTaxonomy } from '../../../../app/annotationEdits'
import { noteDraft, type NoteStatus, type NoteTarget } from './notes'
import { useApp, useEpisodeEvents } from '../../state/StoreContext'
import { candidateKey, MAX_SHOWN_CANDIDATES } from '../detector/candidates'
import { hiddenCandidateCount } from '../detector/state'
import { CandidateRow } from '../detector/CandidateRow'
import { useShownCandidates } from '../detector/useCandidateDetection'
import { keepFocus } from '../../components/keepFocus'

export const OUTCOME_KEYS: Record<Outcome, string> = { success: 'S', failure: 'F', unknown: 'U' }
export const STATUS_NAMES: Record<ReviewStatus, string> = {
  todo: 'to do',
  in_progress: 'in progress',
  done: 'done',
  needs_review: 'needs review',
}

const NOTE_STATUS_TEXT: Record<NoteStatus, string> = { unsaved: 'unsaved', saving: 'saving…', failed: 'unsaved · retrying', saved: 'saved' }

/**
 * A note (episode or event): shown as typed, saved when typing pauses or the field is left (Enter in a one-line
 * note and Esc leave it too). Beside it, whether the project holds it yet: unsaved, saving…, or saved once the main
 * side acknowledged it; a failed save stays "unsaved" (with the reason) and is retried.
 */
function NoteField(props: { target: NoteTarget; value: string; label: string; multiline?: boolean; placeholder?: string; testId: string }): ReactNode {
  const draft = useApp((s) => noteDraft(s, props.target))
  const editNote = useApp((s) => s.editNote)
  const saveNote = useApp((s) => s.saveNote)
  const text = draft && draft.status !== 'saved' ? draft.text : props.value
  const common = {
    'aria-label': props.label,
    placeholder: props.placeholder,
    value: text,
    onBlur: () => void saveNote(props.target),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === 'Escape' || (e.key === 'Enter' && !props.multiline)) {
        e.preventDefault()
        ;(e.target as HTMLElement).blur()
      }
    },
  }
  const status = draft ? (
    <span
      className={`note-status note-${draft.status}`}
      data-testid={props.testId}
      data-status={draft.status}
      role="status"
      title={draft.error && draft.status !== 'saved' ? `Not saved: ${draft.error.message}` : undefined}
    >
      {NOTE_STATUS_TEXT[draft.status]}
    </span>
  ) : null
  return (
    <span className="note-field">
      {props.multiline ? (
        <textarea {...common} rows={2} onChange={(e) => editNote(props.target, e.target.value)} />
      ) : (
        <input {...common} onChange={(e) => editNote(props.target, e.target.value)} />
      )}
      {status}
    </span>
  )
}

/**
 * An event's frame, typed: the event moves once, when the value is committed (Enter, Tab, or a press anywhere else,
 * as leaving any form field commits it), so a move is one undo step; Esc reverts. Either way the field lets go of
 * the keyboard, so the next key is a player shortcut again and never a digit appended to the frame.
 */
function EventFrameField(props: { event: AnnotationEvent }): ReactNode {
  const { event } = props
  const selectEvent = useApp((s) => s.selectEvent)
  const seek = useApp((s) => s.seek)
  const setEventFrame = useApp((s) => s.setEventFrame)
  const [draft, setDraft] = useState<string | null>(null)
  const revert = useRef(false)
  const release = useRef<(() => void) | null>(null)
  useEffect(() => () => release.current?.(), [])
  return (
    <input
      className="event-frame"
      aria-label="Event frame"
      inputMode="numeric"
      value={draft ?? String(event.frame)}
      onFocus={(e) => {
        const input = e.currentTarget
        setDraft(String(event.frame))
        selectEvent(event.id)
        seek(event.frame)
        // Scrubber markers and tracks prevent the default of their pointerdown (to drag), which would keep the
        // focus here: let go of the field on any press outside it, before their handlers run.
        const onPress = (ev: PointerEvent): void => {
          if (ev.target !== input) input.blur()
        }
        release.current?.()
        document.addEventListener('pointerdown', onPress, true)
        release.current = () => document.removeEventListener('pointerdown', onPress, true)
      }}
      onChange={(e) => setDraft(e.target.value.replace(/[^0-9]/g, ''))}
      onKeyDown={(e) => {
        if (e.key !== 'Enter' && e.key !== 'Escape') return
        // Handled here: Esc must not also close the episode.
        e.preventDefault()
        revert.current = e.key === 'Escape'
        e.currentTarget.blur()
      }}
      onBlur={() => {
        release.current?.()
        release.current = null
        const typed = draft
        setDraft(null)
        if (revert.current) revert.current = false
        else if (typed !== null) void setEventFrame(event.id, typed)
      }}
    />
  )
}

function EventRow(props: { event: AnnotationEvent; labels: Record<EventKind, string[]>; selected: boolean }): ReactNode {
  const { event } = props
  const { selectEvent, seek, relabelEvent, deleteEvent } = useApp((s) => s)
  const options = props.labels[event.kind].includes(event.label) ? props.labels[event.kind] : [event.label, ...props.labels[event.kind]]
  const rowRef = useRef<HTMLLIElement>(null)
  useEffect(() => {
    if (props.selected) rowRef.current?.scrollIntoView({ block: 'nearest' })
  }, [props.selected])
  return (
    <li
      ref={rowRef}
      className={`event-row event-${event.kind}`}
      aria-selected={props.selected}
      data-event-id={event.id}
      data-frame={event.frame}
      onClick={() => selectEvent(event.id)}
    >
      <span className="event-kind" title={event.kind === 'milestone' ? 'milestone (+1)' : 'error (−1)'}>
        {event.kind === 'milestone' ? '▲' : '▼'}
      </span>
      <EventFrameField event={event} />
      <button type="button" className="event-seek" onClick={() => seek(event.frame)} title="Go to this frame">
        ⤷
      </button>
      <select aria-label="Event label" className="event-label" title={event.label} value={event.label} onChange={(e) => void relabelEvent(event.id, event.kind, e.target.value)}>
        {options.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      <NoteField target={{ kind: 'event', id: event.id }} label="Event note" placeholder="note" value={event.note} testId={`note-status-${event.id}`} />
      <button type="button" className="event-delete" aria-label="Delete event" title="Delete (Del)" onClick={() => void deleteEvent(event.id)}>
        ×
      </button>
    </li>
  )
}

/** Events and suggested events in one list by frame (an event before a suggestion at the same frame). */
function byFrame(events: AnnotationEvent[], candidates: Candidate[]): (AnnotationEvent | Candidate)[] {
  if (candidates.length === 0) return events
  return [...events, ...candidates].sort((a, b) => a.frame - b.frame || ('id' in a ? 0 : 1) - ('id' in b ? 0 : 1))
}

export function AnnotationPanel(): ReactNode {
  useApp((s) => s.projectVersion)
  const project = useApp((s) => s.project)
  const episode = useApp((s) => s.episode)
  const selected = useApp((s) => s.selectedEventId)
  const annotator = useApp((s) => s.annotator)
  const projectFile = useApp((s) => s.projectFile)
  const identityNote = useApp((s) => s.identityNote)
  const { updateEpisode, setAnnotator, undo, redo, canUndo, canRedo, openPicker, setTaxonomyEditorOpen } = useApp((s) => s)
  const events = useEpisodeEvents()
  // Suggested events from the detector (value plot), listed among the events by frame; not saved.
  const candidates = useShownCandidates()
  const hiddenSuggestions = useApp(hiddenCandidateCount)
  const selectedCandidate = useApp((s) => s.selectedCandidate)
  if (!project || !episode) return <aside className="annotation-panel">Loading annotations…</aside>
  const task = episode.tasks[0] ?? ''
  const labels = episodeLabels(project, episode.index)
  const taxonomy = latestTaxonomy(project, task)
  const byKind = { milestone: taxonomy?.milestones ?? [], error: taxonomy?.errorTypes ?? [] }

  return (
    <aside className="annotation-panel" aria-label="Annotations">
      <section className="episode-labels">
        <div className="row">
          <span className="muted">Outcome</span>
          <div className="segmented" role="radiogroup" aria-label="Outcome">
            {OUTCOMES.map((o) => (
              <button
                key={o}
                type="button"
                role="radio"
                aria-checked={labels.outcome === o}
                className={`outcome-${o}`}
                onMouseDown={keepFocus}
                onClick={() => void updateEpisode({ outcome: o })}
                title={`${o} (${OUTCOME_KEYS[o]})`}
              >
                {o}
              </button>
            ))}
          </div>
        </div>
        <div className="row">
          <span className="muted">Review</span>
          <select
            aria-label="Review status"
            value={labels.status}
            onChange={(e) => {
              void updateEpisode({ status: e.target.value as ReviewStatus })
              e.target.blur()
            }}
          >
            {REVIEW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
        <NoteField
          target={{ kind: 'episode', episode: episode.index }}
          label="Episode note"
          placeholder="episode note"
          multiline
          value={labels.note}
          testId="note-status-episode"
        />
      </section>

      <section className="event-tools">
        <button type="button" onMouseDown={keepFocus} onClick={() => openPicker('milestone')} title="Add a milestone at the current frame (M)">
          ▲ milestone <kbd>M</kbd>
        </button>
        <button type="button" onMouseDown={keepFocus} onClick={() => openPicker('error')} title="Add an error at the current frame (E)">
          ▼ error <kbd>E</kbd>
        </button>
        <button type="button" onMouseDown={keepFocus} onClick={() => void undo()} disabled={!canUndo()} aria-label="Undo" title="Undo (Ctrl+Z)">
          ↶
        </button>
        <button type="button" onMouseDown={keepFocus} onClick={() => void redo()} disabled={!canRedo()} aria-label="Redo" title="Redo (Ctrl+Shift+Z)">
          ↷
        </button>
      </section>

      <ol className="event-list" aria-label="Events">
        {events.length === 0 ? <li className="muted">No events yet: M marks a milestone, E an error, at the current frame.</li> : null}
        {byFrame(events, candidates).map((item) =>
          'id' in item ? (
            <EventRow key={item.id} event={item} labels={byKind} selected={item.id === selected} />
          ) : (
            <CandidateRow key={candidateKey(item)} candidate={item} selected={candidateKey(item) === selectedCandidate} />
          ),
        )}
        {hiddenSuggestions > 0 ? (
          <li className="muted small" data-testid="hidden-suggestions">
            {hiddenSuggestions} weaker suggestion{hiddenSuggestions === 1 ? '' : 's'} not shown (the {MAX_SHOWN_CANDIDATES} strongest are): raise the detector's thresholds to narrow them down
          </li>
        ) : null}
      </ol>

      <section className="panel-footer">
        <div className="row">
          <span className="muted">Taxonomy</span>
          <span>{taxonomy ? `v${taxonomy.version} · ${taxonomy.milestones.length} milestones, ${taxonomy.errorTypes.length} error types` : 'none yet'}</span>
          <button type="button" onClick={() => setTaxonomyEditorOpen(true)} title="Edit taxonomy (T)">
            edit
          </button>
        </div>
        <div className="row">
          <span className="muted">Annotator</span>
          <input aria-label="Annotator name" placeholder="your name" value={annotator} onChange={(e) => setAnnotator(e.target.value)} />
        </div>
        {identityNote ? <p className="warning-inline">{identityNote}</p> : null}
        <p className="muted small" title={projectFile ?? ''}>
          Saved automatically to {projectFile ? projectFile.split(/[\\/]/).pop() : '…'}
        </p>
      </section>
    </aside>
  )
}
