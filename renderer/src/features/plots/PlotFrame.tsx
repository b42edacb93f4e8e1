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
  /**
   * The plot's height (px), also the layout's: Plotly's responsive resize takes the height of this element, so it
   * must be the plot's, or a window resize squeezes the plot into whatever the element had.
   */
  height: number
}): ReactNode {
  return (
    <div className="plot-frame">
      <div ref={props.plotRef} className={props.className} data-testid={props.testId} style={{ height: props.height }} />
      <div ref={props.cursorRef} className="plot-cursor" data-testid={`${props.testId}-cursor`} aria-hidden="true" />
    </div>
  )
}
