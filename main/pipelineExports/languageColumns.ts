/**
 * LeRobot's two language columns for the rows of one data file (huggingface/lerobot src/lerobot/datasets/language.py:
 * language_persistent_row_arrow_type, language_event_row_arrow_type): every frame of an episode carries the episode's
 * persistent rows (the writer's broadcast, steerable_pipeline/writer.py LanguageColumnsWriter._rewrite_one), and
 * `language_events` holds nothing here, since subtasks are persistent rows only.
 */
import { VivaError } from '../../app/errors'
import { asNumber, type ParquetTable } from '../formats/parquetRead'
import type { ParquetColumn, ParquetStructField } from '../formats/parquetWrite'
import type { LanguagePersistentRow } from './lerobotLanguage'

const PERSISTENT_ROW: ParquetStructField[] = [
  { name: 'role', type: 'STRING', nullable: false },
  { name: 'content', type: 'STRING', nullable: true },
  { name: 'style', type: 'STRING', nullable: true },
  { name: 'timestamp', type: 'FLOAT', nullable: false },
  { name: 'camera', type: 'STRING', nullable: true },
  { name: 'tool_calls', type: 'JSON_LIST', nullable: true },
]
const EVENT_ROW: ParquetStructField[] = PERSISTENT_ROW.filter((f) => f.name !== 'timestamp')

export async function languageColumns(table: ParquetTable, rows: ReadonlyMap<number, readonly LanguagePersistentRow[]>): Promise<ParquetColumn[]> {
  if (!table.has('episode_index')) throw new VivaError('DATASET_INVALID', `${table.relPath} has no episode_index column`, table.relPath)
  const episodes = (await table.read(['episode_index'])).get('episode_index') as unknown[]
  const persistent = episodes.map((value, r) => {
    const episode = asNumber(value)
    const found = episode === null ? undefined : rows.get(episode)
    if (!found) throw new VivaError('DATASET_INVALID', `${table.relPath}: row ${r} belongs to episode ${String(value)}, which the dataset's episode table does not list`, table.relPath)
    return found.map((row): Record<string, unknown> => ({ ...row }))
  })
  return [
    { name: 'language_persistent', type: 'STRUCT_LIST', fields: PERSISTENT_ROW, data: persistent },
    { name: 'language_events', type: 'STRUCT_LIST', fields: EVENT_ROW, data: episodes.map(() => []) },
  ]
}
