import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { expect } from 'vitest'
import { deeplyNestedJson, INVALID_UTF8, symlinkLoop } from '../badInputs'
import { call, docText, importAnnotations, writeIn, importCurves, healthy, type Case } from '../corpus'

/** The bad-input corpus: annotation and curve imports. */
export const cases: Case[] = [
  // Annotation import (canonical JSON, app/exchange.ts) ---------------------------------------------------------------
  ...(
    [
      ['empty annotations file', () => '', ['the file is empty']],
      ['truncated annotations file', () => docText().slice(0, 300), ['not valid JSON', 'truncated file?']],
      ['annotations file that is not UTF-8', () => INVALID_UTF8.toString('utf8') + docText(), ['not valid JSON', 'line 1, column 1']],
      ['another schema', () => docText((d) => (d.schema = 'labelstudio/tasks')), ['not a ViVa Studio annotations file', '"labelstudio/tasks"']],
      ['events not a list', () => docText((d) => ((d as Record<string, unknown>).events = { 0: 'e-1' })), ['events: expected a list, got an object']],
      ['a frame of 1e400 (Infinity)', () => docText().replace('"frame": 3', '"frame": 1e400'), ['events[0].frame', 'Infinity']],
      ['a frame past the episode', () => docText((d) => ((d.events[0] as Record<string, unknown>).frame = 99)), ["events[0].frame 99 is beyond episode 0's last frame 9"]],
      ['a negative episode', () => docText((d) => ((d.events[0] as Record<string, unknown>).episode = -1)), ['events[0].episode', '≥ 0, got -1']],
      ['a note nested 100,000 lists deep', () => docText().replace('"note": ""', `"note": ${deeplyNestedJson(100_000)}`), ['events[0].note', 'expected text, got a list']],
      ['a label outside the taxonomy', () => docText((d) => ((d.events[0] as Record<string, unknown>).label = 'Teleport')), ['events[0].label "Teleport"', 'not a milestone']],
    ] as const
  ).map(
    ([name, text, messageIncludes]): Case => ({
      name,
      reader: 'annotation import',
      build: async () => text(),
      act: importAnnotations,
      expect: { thrown: 'IMPORT_INVALID', messageIncludes: [...messageIncludes] },
      // Nothing half-imported: the project is as it was.
      after: async () => expect((await call('annotations.load', { datasetId: healthy.id })).events).toEqual([]),
    }),
  ),

  // Curve import (main/curves/importCurves.ts) -------------------------------------------------------------------------
  ...(
    [
      ['zero-byte curve parquet', 'values.parquet', () => new Uint8Array(0), ['values.parquet', 'empty (0 bytes)']],
      ['parquet magic and garbage', 'values.parquet', () => Buffer.concat([Buffer.from('PAR1'), randomBytes(200), Buffer.from('PAR1')]), ['values.parquet', 'unreadable parquet footer']],
      ['CSV without a frame column', 'values.csv', () => 'episode,value\n0,0.5\n', ['values.csv', 'no frame column']],
      ['CSV with a value that is not UTF-8', 'values.csv', () => Buffer.concat([Buffer.from('episode,frame,value\n0,0,'), INVALID_UTF8, Buffer.from('\n')]), ['values.csv', 'line 2', 'non-numeric value']],
      ['CSV saved as UTF-16', 'values.csv', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('episode,frame,value\n0,0,0.5\n', 'utf16le')]), ['values.csv', 'UTF-16']],
      ['JSON of another schema', 'values.json', () => '{"foo": 1}', ['values.json', 'not a curve file']],
      ['JSON with a NaN token', 'values.json', () => '[{"episode": 0, "frame": 0, "value": NaN}]', ['values.json', 'NaN', 'line 1']],
      ['JSON rows nested 100,000 lists deep', 'values.json', () => deeplyNestedJson(100_000), ['values.json', 'entry [0] is a list']],
      ['JSON curve for episode 1e300', 'values.json', () => '{"curves": [{"episode": 1e300, "values": [0.1, 0.2]}]}', ['values.json', 'gives no value for any episode']],
      ['curve file name longer than the file system allows', `${'v'.repeat(300)}.csv`, null, ['could not be read', 'name too long']],
    ] as const
  ).map(
    ([name, fileName, content, messageIncludes]): Case => ({
      name,
      reader: 'curve import',
      build: async (dir) => (content === null ? path.join(dir, fileName) : writeIn(dir, fileName, content())),
      act: importCurves,
      expect: { thrown: 'IMPORT_INVALID', messageIncludes: [...messageIncludes] },
      after: async () => expect(await call('curves.list', { datasetId: healthy.id, episode: 0 })).toEqual([]),
    }),
  ),
  {
    name: 'curve file that is a symlink loop',
    reader: 'curve import',
    build: async (dir) => {
      const file = path.join(dir, 'values.csv')
      await symlinkLoop(file)
      return file
    },
    act: importCurves,
    expect: { thrown: 'IMPORT_INVALID', messageIncludes: ['values.csv', 'could not be read', 'too many symbolic links'] },
  },
]
