import type { ReactNode } from 'react'
import type { DatasetSummary } from '../../../../app/dataset'
import { shortCameraName } from '../../../../app/dataset'

/**
 * Declared cameras with no video files anywhere cannot feed a model slot: say which, where they were expected and
 * what to do, rather than leave the mapping with nothing to pick and no reason.
 */
export function MissingCameras(props: { summary: DatasetSummary | null }): ReactNode {
  const missing = props.summary?.missingCameras ?? []
  if (missing.length === 0) return null
  return (
    <div className="warning-inline" data-testid="missing-cameras">
      {missing.length === 1 ? 'A camera of this dataset has' : `${missing.length} cameras of this dataset have`} no video files and
      cannot be mapped:
      <ul>
        {missing.map((c) => (
          <li key={c.key} data-camera={c.key}>
            <strong>{shortCameraName(c.key)}</strong>: {c.message}
          </li>
        ))}
      </ul>
    </div>
  )
}
