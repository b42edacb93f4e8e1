import { parquetWriteBuffer } from 'hyparquet-writer'
import type { ColumnSource, SchemaElement } from 'hyparquet-writer'

/**
 * The one way the app writes parquet (curve exports, the LeRobot sidecar, advantages, the synthetic datasets), on
 * hyparquet-writer. The schema is always spelled out, as pyarrow writes it: hyparquet-writer's inference cannot
 * describe lists (it would store them as JSON) and would pick the column types from the first values. Lists of structs
 * (LeRobot's language columns) and columns copied from another file with their own schema (parquetRewrite.ts) go
 * through hyparquet-writer's nested (Dremel) encoder like the plain lists.
 */
export type ParquetColumn =
  | { name: string; type: 'INT64'; data: readonly bigint[] | BigInt64Array; nullable?: boolean }
  | { name: string; type: 'INT32' | 'FLOAT' | 'DOUBLE'; data: readonly (number | null)[] | Float32Array | Float64Array | Int32Array; nullable?: boolean }
  | { name: string; type: 'BOOLEAN'; data: readonly (boolean | null)[]; nullable?: boolean }
  | { name: string; type: 'STRING'; data: readonly (string | null)[]; nullable?: boolean }
  | { name: string; type: 'FLOAT_LIST' | 'DOUBLE_LIST'; data: readonly (readonly number[] | null)[] }
  | { name: string; type: 'INT64_LIST'; data: readonly (readonly bigint[] | null)[] }
  | { name: string; type: 'STRING_LIST'; data: readonly (readonly string[] | null)[] }
  | { name: string; type: 'STRUCT_LIST'; fields: readonly ParquetStructField[]; data: readonly (readonly Readonly<Record<string, unknown>>[] | null)[] }
  | { name: string; type: 'COPIED'; schema: readonly SchemaElement[]; data: ArrayLike<unknown> }

/**
 * A field of a STRUCT_LIST column: a list of structs, as pyarrow writes `pa.list_(pa.struct([...]))` (LeRobot's
 * language columns). JSON_LIST is a list of JSON values (pyarrow's `pa.list_(pa.json_())`), each stored with
 * parquet's JSON logical type (UTF-8 bytes), which readers without the JSON type read as strings.
 */
export interface ParquetStructField {
  name: string
  type: 'STRING' | 'FLOAT' | 'DOUBLE' | 'INT64' | 'BOOLEAN' | 'JSON_LIST'
  /** pyarrow's `nullable`: false writes the field REQUIRED. */
  nullable: boolean
}

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

const JSON_ELEMENT = { type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } } as const

function structFieldSchema(f: ParquetStructField): SchemaElement[] {
  const repetition_type = f.nullable ? 'OPTIONAL' : 'REQUIRED'
  if (f.type === 'JSON_LIST') {
    const [list, ...rest] = listSchema(f.name, { name: 'element', ...JSON_ELEMENT, repetition_type: 'OPTIONAL' })
    return [{ ...(list as SchemaElement), repetition_type }, ...rest]
  }
  return f.type === 'STRING' ? [{ name: f.name, ...STRING, repetition_type }] : [{ name: f.name, type: f.type, repetition_type }]
}

function columnSchema(c: ParquetColumn): SchemaElement[] {
  // A column read from another file keeps its schema exactly (its subtree, as the file's footer lists it).
  if (c.type === 'COPIED') return [...c.schema]
  if (c.type === 'STRUCT_LIST') {
    const [list, repeated] = listSchema(c.name, { name: 'element', repetition_type: 'OPTIONAL' })
    return [list as SchemaElement, repeated as SchemaElement, { name: 'element', repetition_type: 'OPTIONAL', num_children: c.fields.length }, ...c.fields.flatMap(structFieldSchema)]
  }
  if (c.type === 'FLOAT_LIST' || c.type === 'DOUBLE_LIST' || c.type === 'INT64_LIST') {
    const type = c.type === 'FLOAT_LIST' ? 'FLOAT' : c.type === 'DOUBLE_LIST' ? 'DOUBLE' : 'INT64'
    return listSchema(c.name, { name: 'element', type, repetition_type: 'OPTIONAL' })
  }
  if (c.type === 'STRING_LIST') return listSchema(c.name, { name: 'element', ...STRING, repetition_type: 'OPTIONAL' })
  // Nullable unless said otherwise, as pyarrow writes every column.
  const repetition_type = 'nullable' in c && c.nullable === false ? 'REQUIRED' : 'OPTIONAL'
  return c.type === 'STRING' ? [{ name: c.name, ...STRING, repetition_type }] : [{ name: c.name, type: c.type, repetition_type }]
}

/** A required struct field left out would surface as an obscure encoder error: name the column, row and field. */
function checkRequiredFields(c: Extract<ParquetColumn, { type: 'STRUCT_LIST' }>): void {
  const required = c.fields.filter((f) => !f.nullable).map((f) => f.name)
  c.data.forEach((items, row) =>
    items?.forEach((item, i) => {
      const missing = required.find((name) => item[name] === null || item[name] === undefined)
      if (missing !== undefined) throw new Error(`column ${c.name}, row ${row}, item ${i}: the required field ${missing} has no value`)
    }),
  )
}

/** One parquet file's bytes: the columns in order, all of one length. */
export function encodeParquet(columns: readonly ParquetColumn[], options: ParquetWriteOptions = {}): Uint8Array {
  for (const c of columns) if (c.type === 'STRUCT_LIST') checkRequiredFields(c)
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(columnSchema)]
  // The schema above says what each column is; hyparquet-writer takes the values as they are.
  const columnData = columns.map((c) => ({ name: c.name, data: c.data }) as ColumnSource)
  const kvMetadata = options.metadata === undefined ? undefined : Object.entries(options.metadata).map(([key, value]) => ({ key, value }))
  return new Uint8Array(parquetWriteBuffer({ columnData, schema, kvMetadata, createdBy: options.createdBy }))
}
