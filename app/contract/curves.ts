/** Contract, curves domain: value curves of episodes (listed, fetched, imported, deleted). */
import { z } from 'zod'
import type { CurveData, CurveInfo } from '../curves'
import { curveId, datasetId, episodeIndex, filePath } from './common'

export interface CurveImportResult {
  curves: CurveInfo[]
  warnings: string[]
}

export const curveMethodSchemas = {
  'curves.list': z.object({ datasetId, episode: episodeIndex }).strict(),
  'curves.get': z.object({ datasetId, curveId }).strict(),
  'curves.import': z.object({ datasetId, path: filePath }).strict(),
  'curves.delete': z.object({ datasetId, curveId }).strict(),
} as const

export interface CurveMethodResults {
  'curves.list': CurveInfo[]
  'curves.get': CurveData
  'curves.import': CurveImportResult
  'curves.delete': { deleted: boolean }
}
