import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { describe, expect, it } from 'vitest'
import { encodeParquet } from './parquetWrite'

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

describe('encodeParquet', () => {
  it('writes every column type so that hyparquet reads the same values back', async () => {
    const bytes = encodeParquet([
      { name: 'episode_index', type: 'INT64', data: [0n, 1n, 2n], nullable: false },
      { name: 'direction', type: 'INT32', data: [1, -1, 1] },
      { name: 'value', type: 'FLOAT', data: Float32Array.from([0.5, 0.25, 1]) },
      { name: 'timestamp', type: 'DOUBLE', data: [0.1, null, 2.5] },
      { name: 'positive', type: 'BOOLEAN', data: [true, false, true], nullable: false },
      { name: 'label', type: 'STRING', data: ['a,b', 'say "hi"', 'é ✓ 😀\nline'] },
      { name: 'state', type: 'FLOAT_LIST', data: [[1, 2], [], [0.5]] },
      { name: 'names', type: 'STRING_LIST', data: [['x'], ['y', 'z'], null] },
      { name: 'frames', type: 'INT64_LIST', data: [[0n, 9n], null, []] },
    ])
    // hyparquet reads a null list as undefined.
    const rows = (await parquetReadObjects({ file: arrayBuffer(bytes) })).map((r) => ({ ...r, names: r.names ?? null, frames: r.frames ?? null }))
    expect(rows).toEqual([
      { episode_index: 0n, direction: 1, value: 0.5, timestamp: 0.1, positive: true, label: 'a,b', state: [1, 2], names: ['x'], frames: [0n, 9n] },
      { episode_index: 1n, direction: -1, value: 0.25, timestamp: null, positive: false, label: 'say "hi"', state: [], names: ['y', 'z'], frames: null },
      { episode_index: 2n, direction: 1, value: 1, timestamp: 2.5, positive: true, label: 'é ✓ 😀\nline', state: [0.5], names: null, frames: [] },
    ])
  })

  it('spells out the schema: required only where asked, strings as UTF-8, lists in three levels', () => {
    const meta = parquetMetadata(
      arrayBuffer(
        encodeParquet(
          [
            { name: 'frame_index', type: 'INT64', data: [0n], nullable: false },
            { name: 'note', type: 'STRING', data: [''] },
            { name: 'state', type: 'FLOAT_LIST', data: [[1]] },
          ],
          { metadata: { 'viva-studio': '{"k":1}' }, createdBy: 'ViVa Studio' },
        ),
      ),
    )
    expect(meta.schema.map((e) => [e.name, e.type, e.repetition_type, e.converted_type])).toEqual([
      ['schema', undefined, undefined, undefined],
      ['frame_index', 'INT64', 'REQUIRED', undefined],
      ['note', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
      ['state', undefined, 'OPTIONAL', 'LIST'],
      ['list', undefined, 'REPEATED', undefined],
      ['element', 'FLOAT', 'OPTIONAL', undefined],
    ])
    expect(meta.key_value_metadata).toEqual([{ key: 'viva-studio', value: '{"k":1}' }])
    expect(meta.created_by).toBe('ViVa Studio')
    expect(Number(meta.num_rows)).toBe(1)
  })
})
