import type { ReactNode, RefObject } from 'react'

/**
 * A Plotly chart with its frame cursor: the cursor is a plain element over the plot, positioned by useLivePlot
 * with a transform (never a Plotly relayout), so it follows playback at the display's rate whatever the data.
 */
export function PlotFrame(props: {
  plotRef: RefObject<HTMLDivElement | null>
  cursorRef: RefObject<HTMLDivElement | null>
  className: string
  testId: string
}): ReactNode {
  return (
    <div className="plot-frame">
      <div ref={props.plotRef} className={props.className} data-testid={props.testId} />
      <div ref={props.cursorRef} className="plot-cursor" data-testid={`${props.testId}-cursor`} aria-hidden="true" />
    </div>
  )
}
