import { memo, type ReactNode } from 'react'
import type { Candidate } from '../../../../app/detector'
import { keepFocus } from '../../components/keepFocus'
import { useApp } from '../../state/StoreContext'
import { candidateKey } from './candidates'

/**
 * A suggested event in the annotation list: not saved; A (or ✓) labels and adds it, X (or ×) dismisses it. Memoized:
 * the list re-renders often (the panel follows the store) and there may be hundreds of suggestions.
 */
export const CandidateRow = memo(function CandidateRow(props: { candidate: Candidate; selected: boolean }): ReactNode {
  const c = props.candidate
  const key = candidateKey(c)
  const selectCandidate = useApp((s) => s.selectCandidate)
  const acceptCandidate = useApp((s) => s.acceptCandidate)
  const dismissCandidate = useApp((s) => s.dismissCandidate)
  return (
    <li
      className={`candidate-row candidate-${c.kind}`}
      data-testid={`candidate-${c.frame}`}
      data-kind={c.kind}
      data-frame={c.frame}
      aria-selected={props.selected}
      onMouseDown={keepFocus}
      onClick={() => selectCandidate(key)}
      title={`Suggested ${c.kind} (detected, not saved): A accepts, X dismisses`}
    >
      <span className="event-kind">{c.kind === 'milestone' ? '△' : '▽'}</span>
      <span className="candidate-frame">{c.frame}</span>
      <span className="candidate-badge">suggested</span>
      <span className="muted candidate-meta">
        {c.kind} · {c.strength.toFixed(3)}
      </span>
      <button
        type="button"
        data-testid="accept-candidate"
        aria-label={`Accept suggested ${c.kind} at frame ${c.frame}`}
        title="Accept: pick a label and add the event (A)"
        onMouseDown={keepFocus}
        onClick={(e) => {
          e.stopPropagation()
          acceptCandidate(key)
        }}
      >
        ✓
      </button>
      <button
        type="button"
        data-testid="dismiss-candidate"
        aria-label={`Dismiss suggested ${c.kind} at frame ${c.frame}`}
        title="Dismiss (X): hidden for this episode and curve until the parameters change"
        onMouseDown={keepFocus}
        onClick={(e) => {
          e.stopPropagation()
          dismissCandidate(key)
        }}
      >
        ×
      </button>
    </li>
  )
})
