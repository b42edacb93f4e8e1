import type { ReactNode } from 'react'
import { useApp } from '../../state/StoreContext'

/** Opens the metrics view of the current dataset (from the player: closes the episode first). */
export function MetricsButton(): ReactNode {
  const openMetrics = useApp((s) => s.openMetrics)
  return (
    <button type="button" data-testid="metrics-open" onClick={openMetrics} title="The paper's metrics of every scored curve of this dataset">
      Metrics
    </button>
  )
}
