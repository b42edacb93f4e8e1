import type { SchemaElement } from 'hyparquet'
import { VivaError } from '../../app/errors'
import type { ParquetTable } from './parquetRead'
import { encodeParquet, type ParquetColumn } from './parquetWrite'

/**
 * A parquet file written again with columns added (or replaced): what a copy of a LeRobot dataset needs to carry
 * per-frame flags or language rows in its data files. Every other column keeps its schema subtree exactly as the
 * footer lists it and the values hyparquet reads (hyparquet-writer converts them back by the same schema).
 *
 * Key/value metadata is kept except what would describe the old column set: `ARROW:schema` (pyarrow would apply a
 * stored schema of other columns) and `huggingface` (the `datasets` library casts to the features it lists). LeRobot
 * does the same when it adds columns: huggingface/lerobot src/lerobot/annotations/steerable_pipeline/writer.py
 * LanguageColumnsWriter._materialize_table rebuilds the table with `pa.Table.from_arrays`, which carries no schema
 * metadata, and LeRobot reads features from meta/info.json, not from the file.
 */
const STALE_METADATA = new Set(['ARROW:schema', 'huggingface'])

/** The top-level columns of a flat schema list: each one's element and its descendants. */
function schemaSubtrees(schema: readonly SchemaElement[]): Map<string, SchemaElement[]> {
  const out = new Map<string, SchemaElement[]>()
  let at = 1
  const take = (): SchemaElement[] => {
    const element = schema[at++]
    if (!element) throw new Error('the schema ends before its declared children')
    const subtree = [element]
    for (let i = 0; i < (element.num_children ?? 0); i++) subtree.push(...take())
    return subtree
  }
  for (let i = 0; i < ((schema[0]?.num_children as number | undefined) ?? 0); i++) {
    const subtree = take()
    out.set((subtree[0] as SchemaElement).name, subtree)
  }
  return out
}

/** Nested values as the writer walks them: lists as arrays (hyparquet may give typed arrays), bytes kept as bytes. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>)
  if (Array.isArray(value)) return value.map(plain)
  if (value instanceof Date) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
}

/**
 * The bytes of `table` with `added` columns appended (a column of the same name is replaced). Every added column
 * must have one value per row of the table.
 */
export async function withAddedColumns(table: ParquetTable, added: readonly ParquetColumn[]): Promise<Uint8Array> {
  for (const c of added) {
    if (c.data.length !== table.numRows) {
      throw new VivaError('INTERNAL', `${table.relPath}: column ${c.name} has ${c.data.length} values for ${table.numRows} rows`)
    }
  }
  const replaced = new Set(added.map((c) => c.name))
  const subtrees = schemaSubtrees(table.metadata.schema)
  const kept = table.columns.filter((name) => !replaced.has(name))
  const values = await table.read(kept)
  const columns: ParquetColumn[] = kept.map((name) => ({
    name,
    type: 'COPIED',
    schema: subtrees.get(name) as SchemaElement[],
    data: (values.get(name) as unknown[]).map(plain),
  }))
  const metadata = Object.fromEntries((table.metadata.key_value_metadata ?? []).filter((kv) => !STALE_METADATA.has(kv.key)).map((kv) => [kv.key, kv.value ?? '']))
  try {
    return encodeParquet([...columns, ...added], { metadata })
  } catch (err) {
    throw new VivaError('DATASET_INVALID', `${table.relPath}: cannot write its columns again (${err instanceof Error ? err.message : String(err)})`, table.relPath)
  }
}
