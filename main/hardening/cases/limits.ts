import { readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import type { Params } from '../../../app/contract'
import { VivaError } from '../../../app/errors'
import { MANIFEST_FILE } from '../../inference/manifest'
import { declareRows, prependBom, replaceWithEndless, V21, V30 } from '../badInputs'
import { call, open, openOnly, openReported, episodeReported, episodePlays, v21, v30, at, copyModel, scoreOneFrame, annotationDoc, docText, importAnnotations, writeIn, importCurves, invalidInfo, tmp, services, healthy, fixtures, type Case } from '../corpus'

/** The bad-input corpus: unbounded reads, BOM, limits, export guard (issue 13). */
export const cases: Case[] = [
  // issue 13: unbounded reads, BOM, limits, export guard --------------------------------------------------------------
  {
    name: 'info.json that is a symlink to /dev/urandom',
    reader: 'info.json',
    build: v21((r) => replaceWithEndless(at(r, V21.info), 'urandom')),
    act: openOnly,
    expect: invalidInfo('could not be read', 'character device', 'not a regular file'),
  },
  {
    name: 'info.json that is a FIFO nobody writes to',
    reader: 'info.json',
    build: v21((r) => replaceWithEndless(at(r, V21.info), 'fifo')),
    act: openOnly,
    expect: invalidInfo('could not be read', 'named pipe (FIFO)'),
  },
  {
    name: 'info.json of 17 MB (padding)',
    reader: 'info.json',
    build: v21(async (r) => writeFile(at(r, V21.info), (await readFile(at(r, V21.info), 'utf8')) + ' '.repeat(17 * 1024 * 1024))),
    act: openOnly,
    expect: invalidInfo('could not be read', 'is 17.0 MB, more than the 16.0 MB allowed for an info.json'),
  },
  {
    name: 'info.json, episodes.jsonl and tasks.jsonl saved with a UTF-8 BOM',
    reader: 'info.json',
    build: v21(async (r) => {
      for (const rel of [V21.info, V21.episodes, V21.tasks]) await prependBom(at(r, rel))
    }),
    act: openReported,
    expect: { accepted: true },
    after: async (r) => {
      const summary = await open(r)
      expect(summary.tasks).toEqual(healthy.tasks)
      expect(summary.episodes.map((e) => e.tasks)).toEqual(healthy.episodes.map((e) => e.tasks))
      expect(summary.warnings).toEqual(healthy.warnings)
      await episodePlays(r, 1, 12)
    },
  },
  {
    name: 'episodes.jsonl that is a FIFO nobody writes to',
    reader: 'v2 metadata',
    build: v21((r) => replaceWithEndless(at(r, V21.episodes), 'fifo')),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: ['meta/episodes.jsonl', 'could not be read', 'named pipe (FIFO)'] },
  },
  {
    name: 'episode table that is a symlink to /dev/urandom',
    reader: 'episode parquet',
    build: v21((r) => replaceWithEndless(at(r, V21.data(1)), 'urandom')),
    act: (r) => episodeReported(r, 1),
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V21.data(1), 'could not be read', 'character device'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'episode table of a few KB whose footer declares 50,000,000 rows',
    reader: 'episode parquet',
    build: v21((r) => declareRows(at(r, V21.data(2)), 50_000_000n)),
    act: (r) => episodeReported(r, 2),
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V21.data(2), 'declares 50,000,000 rows', 'the footer is corrupt'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'shared v3 data file whose footer declares 50,000,000 rows',
    reader: 'v3 metadata',
    build: v30((r) => declareRows(at(r, V30.data), 50_000_000n)),
    act: (r) => episodeReported(r, 0),
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.data, 'declares 50,000,000 rows'] },
  },
  {
    name: 'meta/episodes parquet whose footer declares 50,000,000 rows',
    reader: 'v3 metadata',
    build: v30((r) => declareRows(at(r, V30.episodes), 50_000_000n)),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.episodes, 'declares 50,000,000 rows'] },
  },
  {
    name: 'model manifest saved with a UTF-8 BOM',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await prependBom(path.join(pkg, MANIFEST_FILE))
      return pkg
    },
    act: async (pkg) => {
      await services.models.load(pkg)
    },
    expect: { accepted: true },
  },
  {
    name: 'model manifest that is a FIFO nobody writes to',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await replaceWithEndless(path.join(pkg, MANIFEST_FILE), 'fifo')
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'cannot read', 'named pipe (FIFO)'] },
  },
  {
    name: 'annotations file saved with a UTF-8 BOM',
    reader: 'annotation import',
    build: async () => `\uFEFF${docText()}`,
    act: async (text) => {
      expect((await call('annotations.importPreview', { datasetId: healthy.id, text, mode: 'merge' })).eventsAdded).toBe(1)
    },
    expect: { accepted: true },
  },
  ...(
    [
      [
        'annotations with 1,001 events on one episode',
        () => docText((d) => (d.events = Array.from({ length: 1_001 }, (_, i) => ({ ...(d.events[0] as Record<string, unknown>), id: `e-${i}`, frame: i % 10 })))),
        ['events: episode 0 has 1,001 events', 'at most 1,000 per episode'],
      ],
      [
        'annotations with 100,001 events',
        () => docText((d) => (d.events = Array.from({ length: 100_001 }, (_, i) => ({ ...(d.events[0] as Record<string, unknown>), id: `e-${i}`, episode: i % 3, frame: i % 8 })))),
        ['the file holds 100,001 events', 'at most 100,000'],
      ],
      [
        'annotations with a 1 MB label',
        () => docText((d) => ((d.events[0] as Record<string, unknown>).label = 'L'.repeat(1_048_576))),
        ['events[0].label: must be at most 120 characters', `"${'L'.repeat(80)}"… (1,048,576 characters)`],
      ],
      [
        'annotations with a 1 MB note',
        () => docText((d) => ((d.events[0] as Record<string, unknown>).note = 'n'.repeat(1_048_576))),
        ['events[0].note: must be at most 10000 characters', '… (1,048,576 characters)'],
      ],
    ] as const
  ).map(
    ([name, text, messageIncludes]): Case => ({
      name,
      reader: 'annotation import',
      build: async () => text(),
      act: async (t) => {
        try {
          await importAnnotations(t)
        } catch (err) {
          // The reason is one short paragraph, never the megabyte it was given.
          if (err instanceof VivaError) expect(err.message.length).toBeLessThan(1_000)
          throw err
        }
      },
      expect: { thrown: 'IMPORT_INVALID', messageIncludes: [...messageIncludes] },
      after: async () => expect((await call('annotations.load', { datasetId: healthy.id })).events).toEqual([]),
    }),
  ),
  {
    name: 'an edit whose field name is a megabyte long (annotations.apply)',
    reader: 'annotation import',
    build: async () => 'k'.repeat(1_048_576),
    act: async (key) => {
      const event = { ...(annotationDoc().events[0] as Record<string, unknown>), [key]: 1 }
      delete event.direction
      try {
        await call('annotations.apply', { datasetId: healthy.id, edits: [{ op: 'event.add', event }] } as unknown as Params<'annotations.apply'>)
      } catch (err) {
        if (err instanceof VivaError) expect(err.message.length).toBeLessThan(1_000)
        throw err
      }
    },
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['Invalid parameters for annotations.apply', '… (1,048,'] },
    after: async () => expect((await call('annotations.load', { datasetId: healthy.id })).events).toEqual([]),
  },
  {
    name: 'curve file that is a FIFO nobody writes to',
    reader: 'curve import',
    build: async (dir) => {
      const file = path.join(dir, 'values.csv')
      await replaceWithEndless(file, 'fifo')
      return file
    },
    act: importCurves,
    expect: { thrown: 'IMPORT_INVALID', messageIncludes: ['values.csv', 'could not be read', 'named pipe (FIFO)'] },
  },
  {
    name: 'curve parquet that is a symlink to /dev/urandom',
    reader: 'curve import',
    build: async (dir) => {
      const file = path.join(dir, 'values.parquet')
      await replaceWithEndless(file, 'urandom')
      return file
    },
    act: importCurves,
    expect: { thrown: 'IMPORT_INVALID', messageIncludes: ['values.parquet', 'could not be read', 'character device'] },
  },
  {
    name: 'curve JSON saved with a UTF-8 BOM',
    reader: 'curve import',
    build: (dir) => writeIn(dir, 'bom.json', '\uFEFF[{"episode": 0, "frame": 1, "value": 0.5}]'),
    act: importCurves,
    expect: { accepted: true },
    after: async () => {
      const imported = await call('curves.list', { datasetId: healthy.id, episode: 0 })
      expect(imported.map((c) => c.name)).toEqual(['bom'])
      for (const c of imported) await call('curves.delete', { datasetId: healthy.id, curveId: c.id })
    },
  },
  {
    name: 'export to LINK/meta/info.json where LINK is a symlink to the dataset',
    reader: 'export',
    build: v21(async (r) => {
      await symlink(r, path.join(path.dirname(r), 'link'))
    }),
    act: async (r) => {
      const summary = await open(r)
      await call('annotations.exportTo', { datasetId: summary.id, format: 'json', filters: {}, outPath: path.join(path.dirname(r), 'link', 'meta', 'info.json') })
    },
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['Refusing to write', 'meta/info.json: it is inside the dataset', 'resolves to'] },
    after: async (r) => {
      expect(await readFile(at(r, V21.info), 'utf8')).toBe(await readFile(at(fixtures.v21, V21.info), 'utf8'))
      await episodePlays(r, 0, 10)
    },
  },
  {
    name: 'LeRobot sidecar written inside the dataset through a symlinked folder',
    reader: 'export',
    build: v21(async (r) => {
      await symlink(at(r, 'meta'), path.join(path.dirname(r), 'meta-link'))
    }),
    act: async (r) => {
      const summary = await open(r)
      await call('annotations.exportTo', { datasetId: summary.id, format: 'lerobot', filters: {}, outPath: path.join(path.dirname(r), 'meta-link', 'viva') })
    },
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['Refusing to write', 'it is inside the dataset'] },
    after: async (r) => expect((await readdir(at(r, 'meta'))).sort()).toEqual((await readdir(at(fixtures.v21, 'meta'))).sort()),
  },
  {
    name: '"Write to path" onto the annotation project file',
    reader: 'export',
    build: async () => (await call('annotations.load', { datasetId: healthy.id })).projectFile,
    act: async (projectFile) => {
      await call('annotations.exportTo', { datasetId: healthy.id, format: 'csv', filters: {}, outPath: projectFile })
    },
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['Refusing to write', '.viva.sqlite: it is the annotation project file'] },
  },
  {
    name: '"Write to path" into the data folder',
    reader: 'export',
    build: async () => path.join(tmp, 'app-data', 'values.sqlite'),
    act: async (outPath) => {
      await call('annotations.exportTo', { datasetId: healthy.id, format: 'json', filters: {}, outPath })
    },
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['Refusing to write', 'values.sqlite: it is inside the data folder'] },
  },
]
