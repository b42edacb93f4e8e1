import type { ReactNode } from 'react'

// Inline SVG: media-control glyphs are missing from many system fonts.
const PATHS = {
  first: 'M3 3h2v10H3zM13 3v10L6 8z',
  prev: 'M3 3h2v10H3zM6 8l7-5v10z',
  play: 'M4 2.5v11L13.5 8z',
  pause: 'M4 3h3v10H4zM9 3h3v10H9z',
  next: 'M11 3h2v10h-2zM10 8L3 13V3z',
  last: 'M11 3h2v10h-2zM3 3l7 5-7 5z',
} as const

export function Icon(props: { name: keyof typeof PATHS }): ReactNode {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={PATHS[props.name]} fill="currentColor" />
    </svg>
  )
}
