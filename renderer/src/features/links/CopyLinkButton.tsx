import { useEffect, useRef, useState, type ReactNode } from 'react'
import { keepFocus } from '../../components/keepFocus'
import { useAppStore } from '../../state/StoreContext'
import { shareableLink } from './state'
import './links.css'

/** How long the copied link stays shown. */
const SHOWN_MS = 8000

type Copied = { link: string; status: 'copied' | 'manual' }

/**
 * Copy link (player top bar): the link to this dataset, episode, frame and the curves shown (a URL of this page in
 * browser mode, a viva:// link on the desktop). It goes to the clipboard where the page may write it, and is shown
 * selected in a field either way, so it can be copied by hand where the clipboard is refused.
 */
export function CopyLinkButton(): ReactNode {
  const store = useAppStore()
  const [copied, setCopied] = useState<Copied | null>(null)
  const field = useRef<HTMLInputElement>(null)
  const box = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!copied) return
    // Copied: shown for a moment, keys stay with the player. Not copied: the field takes the keyboard, selected,
    // for Ctrl+C; Esc or Enter gives the keyboard back.
    if (copied.status === 'manual') field.current?.select()
    const timer = copied.status === 'copied' ? window.setTimeout(() => setCopied(null), SHOWN_MS) : null
    const onDown = (e: MouseEvent): void => {
      if (!box.current?.contains(e.target as Node)) setCopied(null)
    }
    window.addEventListener('mousedown', onDown)
    return () => {
      window.removeEventListener('mousedown', onDown)
      if (timer !== null) window.clearTimeout(timer)
    }
  }, [copied])

  const copy = async (): Promise<void> => {
    const link = shareableLink(store.getState(), window.location)
    if (link === null) return
    try {
      if (!navigator.clipboard) throw new Error('no clipboard')
      await navigator.clipboard.writeText(link)
      setCopied({ link, status: 'copied' })
    } catch {
      setCopied({ link, status: 'manual' })
    }
  }

  return (
    <div className="copy-link" ref={box}>
      <button
        type="button"
        onMouseDown={keepFocus}
        onClick={() => void copy()}
        data-testid="copy-link"
        title="Copy a link to this dataset, episode, frame and the curves shown"
      >
        Copy link
      </button>
      {copied ? (
        <div className="copy-link-popover" role="status" data-testid="copy-link-popover" data-status={copied.status}>
          <span>{copied.status === 'copied' ? 'Link copied to the clipboard:' : 'The clipboard is not available here: copy the link below (Ctrl+C).'}</span>
          <input
            ref={field}
            readOnly
            value={copied.link}
            aria-label="Link to this view"
            data-testid="copied-link"
            onFocus={(e) => e.target.select()}
            onKeyDown={(e) => {
              if (e.key === 'Escape' || e.key === 'Enter') {
                e.preventDefault()
                setCopied(null)
                e.currentTarget.blur()
              }
            }}
          />
        </div>
      ) : null}
    </div>
  )
}
