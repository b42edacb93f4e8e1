import { parquetWriteBuffer } from 'hyparquet-writer'
import type { ColumnSource, SchemaElement } from 'hyparquet-writer'

/**
 * The one way the app writes parquet (curve exports, the LeRobot sidecar, advantages, the synthetic datasets), on
 * hyparquet-writer. The schema is always spelled out, as pyarrow writes it: hyparquet-writer's inference cannot
 * describe lists (it would store them as JSON) and would pick the column types from the first values.
 */
export type ParquetColumn =
  | { name: string; type: 'INT64'; data: readonly bigint[] | BigInt64Array; nullable?: boolean }
  | { name: string; type: 'INT32' | 'FLOAT' | 'DOUBLE'; data: readonly (number | null)[] | Float32Array | Float64Array | Int32Array; nullable?: boolean }
  | { name: string; type: 'BOOLEAN'; data: readonly (boolean | null)[]; nullable?: boolean }
  | { name: string; type: 'STRING'; data: readonly (string | null)[]; nullable?: boolean }
  | { name: string; type: 'FLOAT_LIST' | 'DOUBLE_LIST'; data: readonly (readonly number[])[] }
  | { name: string; type: 'STRING_LIST'; data: readonly (readonly string[])[] }

export interface ParquetWriteOptions {
  /** File key/value metadata (each value a string, JSON where it is structured). */
  metadata?: Readonly<Record<string, string>>
  /** FileMetaData created_by; hyparquet-writer's own name when absent. */
  createdBy?: string
}

const STRING = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } } as const

/** A list column as pyarrow writes it: three levels, the list and its elements OPTIONAL. */
function listSchema(name: string, element: SchemaElement): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    element,
  ]
}

function columnSchema(c: ParquetColumn): SchemaElement[] {
  if (c.type === 'FLOAT_LIST' || c.type === 'DOUBLE_LIST') {
    return listSchema(c.name, { name: 'element', type: c.type === 'FLOAT_LIST' ? 'FLOAT' : 'DOUBLE', repetition_type: 'OPTIONAL' })
  }
  if (c.type === 'STRING_LIST') return listSchema(c.name, { name: 'element', ...STRING, repetition_type: 'OPTIONAL' })
  // Nullable unless said otherwise, as pyarrow writes every column.
  const repetition_type = 'nullable' in c && c.nullable === false ? 'REQUIRED' : 'OPTIONAL'
  return c.type === 'STRING' ? [{ name: c.name, ...STRING, repetition_type }] : [{ name: c.name, type: c.type, repetition_type }]
}

/** One parquet file's bytes: the columns in order, all of one length. */
export function encodeParquet(columns: readonly ParquetColumn[], options: ParquetWriteOptions = {}): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(columnSchema)]
  // The schema above says what each column is; hyparquet-writer takes the values as they are.
  const columnData = columns.map((c) => ({ name: c.name, data: c.data }) as ColumnSource)
  const kvMetadata = options.metadata === undefined ? undefined : Object.entries(options.metadata).map(([key, value]) => ({ key, value }))
  return new Uint8Array(parquetWriteBuffer({ columnData, schema, kvMetadata, createdBy: options.createdBy }))
}
