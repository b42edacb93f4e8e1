import type { ReactNode } from 'react'

/** The options of a value-series choice (triage, training-pipeline exports): its name and how many episodes it covers. */
export function SeriesOptions(props: { series: readonly { key: string; name: string; episodes: number }[] }): ReactNode {
  return props.series.map((s) => (
    <option key={s.key} value={s.key}>
      {s.name} ({s.episodes} episodes)
    </option>
  ))
}
