import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parquetMetadata, parquetReadObjects, type SchemaElement } from 'hyparquet'
import { describe, expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../paths'
import { tempDirHooks } from '../testing/tempDir'
import { withParquet } from './parquetRead'
import { withAddedColumns } from './parquetRewrite'
import { encodeParquet, type ParquetStructField } from './parquetWrite'

const viva = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')
let dir = ''
tempDirHooks('viva-parquet-rewrite-', (d) => (dir = d))

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

// LeRobot's persistent language row (huggingface/lerobot src/lerobot/datasets/language.py).
const ROW: ParquetStructField[] = [
  { name: 'role', type: 'STRING', nullable: false },
  { name: 'content', type: 'STRING', nullable: true },
  { name: 'style', type: 'STRING', nullable: true },
  { name: 'timestamp', type: 'FLOAT', nullable: false },
  { name: 'camera', type: 'STRING', nullable: true },
  { name: 'tool_calls', type: 'JSON_LIST', nullable: true },
]

describe('STRUCT_LIST columns', () => {
  it('write list<struct> with required and nullable fields that hyparquet reads back', async () => {
    const row = (content: string, timestamp: number) => ({ role: 'assistant', content, style: 'subtask', timestamp, camera: null, tool_calls: null })
    const bytes = encodeParquet([
      { name: 'frame_index', type: 'INT64', data: [0n, 1n, 2n] },
      { name: 'language_persistent', type: 'STRUCT_LIST', fields: ROW, data: [[row('grasp', 0)], [row('grasp', 0), row('lift', 0.5)], []] },
    ])
    const meta = parquetMetadata(arrayBuffer(bytes))
    expect(meta.schema.slice(2).map((e) => [e.name, e.type ?? null, e.repetition_type, e.converted_type ?? null])).toEqual([
      ['language_persistent', null, 'OPTIONAL', 'LIST'],
      ['list', null, 'REPEATED', null],
      ['element', null, 'OPTIONAL', null],
      ['role', 'BYTE_ARRAY', 'REQUIRED', 'UTF8'],
      ['content', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['style', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['timestamp', 'FLOAT', 'REQUIRED', null],
      ['camera', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['tool_calls', null, 'OPTIONAL', 'LIST'],
      ['list', null, 'REPEATED', null],
      ['element', 'BYTE_ARRAY', 'OPTIONAL', 'JSON'],
    ])
    const rows = await parquetReadObjects({ file: arrayBuffer(bytes) })
    // hyparquet reads a null list inside a struct as undefined.
    const read = rows.map((r) => (r.language_persistent as Record<string, unknown>[]).map((x) => ({ ...x, tool_calls: x.tool_calls ?? null })))
    expect(read).toEqual([[row('grasp', 0)], [row('grasp', 0), row('lift', 0.5)], []])
  })

  it('refuses a missing required field instead of writing a null', () => {
    expect(() => encodeParquet([{ name: 'l', type: 'STRUCT_LIST', fields: ROW, data: [[{ content: 'x', timestamp: 0 }]] }])).toThrow('column l, row 0, item 0: the required field role has no value')
  })
})

describe('withAddedColumns', () => {
  for (const format of ['v2.1', 'v3.0']) {
    it(`keeps every column of a LeRobot ${format} data file and adds the new ones`, async () => {
      const root = path.join(dir, format)
      execFileSync('node', [viva, 'fixture', '--out', root, '--format', format, '--episodes', '2', '--frames', '6', '--width', '64', '--height', '48'])
      const rel = format === 'v3.0' ? 'data/chunk-000/file-000.parquet' : 'data/chunk-000/episode_000001.parquet'
      const file = path.join(root, rel)
      const before = await parquetReadObjects({ file: arrayBuffer(readFileSync(file)) })
      const out = await withParquet(file, rel, (table) =>
        withAddedColumns(table, [{ name: 'is_success', type: 'BOOLEAN', data: before.map((_, i) => i === before.length - 1), nullable: false }]),
      )
      writeFileSync(path.join(dir, `${format}.parquet`), out)
      const after = await parquetReadObjects({ file: arrayBuffer(out) })
      expect(after).toEqual(before.map((r, i) => ({ ...r, is_success: i === before.length - 1 })))
      const meta = parquetMetadata(arrayBuffer(out))
      const original = parquetMetadata(arrayBuffer(readFileSync(file)))
      // The original columns' schema exactly as it was, the new one after it.
      expect(meta.schema.slice(1, -1)).toEqual(original.schema.slice(1))
      expect(meta.schema.at(-1)).toMatchObject({ name: 'is_success', type: 'BOOLEAN', repetition_type: 'REQUIRED' })
      expect((meta.key_value_metadata ?? []).map((kv) => kv.key)).not.toContain('ARROW:schema')
    })
  }

  it("keeps a v3.0 episodes table's nested stats columns (LeRobot's per-camera list<list<list<double>>>) when adding list columns", async () => {
    const list = (name: string, child: SchemaElement[]): SchemaElement[] => [
      { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      ...child,
    ]
    const schema = list('stats/observation.images.top/mean', list('element', list('element', [{ name: 'element', type: 'DOUBLE', repetition_type: 'OPTIONAL' }])))
    const mean = [
      [[[0.1]], [[0.2]], [[0.3]]],
      [[[0.4]], [[0.5]], [[0.6]]],
    ]
    const file = path.join(dir, 'episodes.parquet')
    writeFileSync(file, encodeParquet([{ name: 'episode_index', type: 'INT64', data: [0n, 1n], nullable: false }, { name: 'stats/observation.images.top/mean', type: 'COPIED', schema, data: mean }]))
    const out = await withParquet(file, 'meta/episodes/chunk-000/file-000.parquet', (table) =>
      withAddedColumns(table, [{ name: 'dense_subtask_names', type: 'STRING_LIST', data: [['grasp', 'lift'], null] }]),
    )
    const rows = await parquetReadObjects({ file: arrayBuffer(out) })
    expect(rows.map((r) => r['stats/observation.images.top/mean'])).toEqual(mean)
    expect(rows.map((r) => r.dense_subtask_names ?? null)).toEqual([['grasp', 'lift'], null])
  })
})
