import type { ReactNode } from 'react'
import { Splitter } from '../../components/Splitter'
import { useApp } from '../../state/StoreContext'
import { PANES } from '../player/layout'

/** The bar under a plot that drags its height (remembered; the plot redraws at the new height). */
export function PlotHeightSplitter(props: { pane: 'valuePlotHeight' | 'statePlotHeight'; testId: string }): ReactNode {
  const value = useApp((s) => s.paneSizes[props.pane])
  const setPaneSize = useApp((s) => s.setPaneSize)
  const { min, max, label } = PANES[props.pane]
  return <Splitter label={label} axis="y" value={value} min={min} max={max} onChange={(px) => setPaneSize(props.pane, px)} testId={props.testId} />
}
