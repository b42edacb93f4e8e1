/**
 * What the pipeline exports read from the app's state: the dataset's episodes (with the global index its data
 * files hold), the project's annotations after the export filters, and one value series from the curve store.
 */
import type { ProjectState } from '../../app/annotations'
import type { ExportFilters, PipelineSeries } from '../../app/contract'
import { seriesKey } from '../../app/curves'
import type { DatasetSummary } from '../../app/dataset'
import { VivaError } from '../../app/errors'
import { selectEpisodes } from '../../app/exchange'
import type { ParquetColumn } from '../formats/parquetWrite'
import type { CurveStore } from '../store/curveStore'
import type { ScannedEpisode } from './dataFiles'
import type { EpisodeValues } from './sarmProgress'
import type { ExportEpisode, Table } from './table'
import { withGlobalStarts } from './table'

/** Values of one series: its display name and one curve per episode that has a complete one. */
export interface SeriesValues {
  key: string
  name: string
  curves: EpisodeValues[]
}

/**
 * The dataset's present episodes in index order, each with its first task and, where the data files were scanned,
 * its global start and timestamps. Global starts are placed on the whole list before any filter, so an export of
 * some episodes keeps the dataset's `index` values.
 */
export function datasetEpisodes(summary: DatasetSummary, scanned: ReadonlyMap<number, ScannedEpisode> | null): ExportEpisode[] {
  const episodes = summary.episodes
    .filter((e) => e.present)
    .map((e): ExportEpisode => {
      const found = scanned?.get(e.index)
      return {
        index: e.index,
        length: e.length,
        task: e.tasks[0] ?? '',
        ...(found && found.fromIndex !== null ? { fromIndex: found.fromIndex } : {}),
        ...(found?.timestamps ? { timestamps: found.timestamps } : {}),
      }
    })
  return withGlobalStarts(episodes)
}

/** The episodes the export filters keep (the same selection as the annotation exports). */
export function filteredEpisodes(state: ProjectState, summary: DatasetSummary, episodes: readonly ExportEpisode[], filters: ExportFilters | undefined): ExportEpisode[] {
  if (!filters) return [...episodes]
  const kept = new Set(selectEpisodes(state, summary.episodes.filter((e) => e.present), filters).map((e) => e.index))
  return episodes.filter((e) => kept.has(e.index))
}

/** Filters that select anything at all (an empty filter object keeps every episode). */
export function filtersGiven(filters: ExportFilters | undefined): boolean {
  return !!filters && (!!filters.tasks?.length || !!filters.outcomes?.length || !!filters.statuses?.length || !!filters.episodeRange)
}

/** Every series with complete curves in the dataset, the most episodes first. */
export function listSeries(curves: CurveStore, datasetId: string): PipelineSeries[] {
  const bySeries = new Map<string, PipelineSeries>()
  for (const info of curves.listDataset(datasetId)) {
    if (!info.complete) continue
    const key = seriesKey(info)
    const s = bySeries.get(key) ?? { key, name: info.name, episodes: 0 }
    s.episodes++
    bySeries.set(key, s)
  }
  return [...bySeries.values()].sort((a, b) => b.episodes - a.episodes || a.name.localeCompare(b.name))
}

/** The complete curves of one series from the curve store (as the advantages of the value panel select them). */
export function storedSeries(curves: CurveStore, datasetId: string, series: string): SeriesValues {
  const infos = curves.listDataset(datasetId).filter((c) => c.complete && seriesKey(c) === series)
  const first = infos[0]
  if (!first) {
    const known = listSeries(curves, datasetId).map((s) => s.name)
    throw new VivaError('NOT_FOUND', `No complete curve of the series ${series} in this dataset${known.length ? ` (its series: ${known.join(', ')})` : ' (score it or import curves first)'}`)
  }
  return {
    key: series,
    name: first.name,
    curves: infos.map((info) => ({ episode: info.episode, values: curves.get(info.id).values, convention: info.convention })),
  }
}

/** A builder's table as parquet columns: every column REQUIRED, since the builders never leave a value out. */
export function tableColumns(table: Table): ParquetColumn[] {
  return table.columns.map((c): ParquetColumn => {
    switch (c.kind) {
      case 'int64':
        return { name: c.name, type: 'INT64', data: c.data, nullable: false }
      case 'float32':
        return { name: c.name, type: 'FLOAT', data: c.data, nullable: false }
      case 'float64':
        return { name: c.name, type: 'DOUBLE', data: c.data, nullable: false }
      case 'bool':
        return { name: c.name, type: 'BOOLEAN', data: c.data, nullable: false }
      case 'string':
        return { name: c.name, type: 'STRING', data: c.data, nullable: false }
    }
  })
}
