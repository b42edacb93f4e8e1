import { useEffect, useRef } from 'react'
import type { VivaClient } from '../../../app/contract'

/** Quiet time after the last change before recomputing: a scoring job streams many changes in a row. */
const REFRESH_DELAY_MS = 800

/**
 * Run `refresh` shortly after the dataset's curves or annotations change (a scoring job finishing, an import, another
 * window), once per burst. The views computed over a whole dataset (metrics, triage) share it.
 */
export function useRefreshOnChange(client: VivaClient, datasetId: string | null, refresh: () => void): void {
  const latest = useRef(refresh)
  latest.current = refresh
  useEffect(() => {
    if (datasetId === null) return
    let timer: ReturnType<typeof setTimeout> | null = null
    const later = (changed: string): void => {
      if (changed !== datasetId) return
      if (timer !== null) clearTimeout(timer)
      timer = setTimeout(() => latest.current(), REFRESH_DELAY_MS)
    }
    const offs = [client.on('curves.changed', (p) => later(p.datasetId)), client.on('annotations.changed', (p) => later(p.datasetId))]
    return () => {
      for (const off of offs) off()
      if (timer !== null) clearTimeout(timer)
    }
  }, [client, datasetId])
}
