import { readFile, writeFile } from 'node:fs/promises'
import { expect } from 'vitest'
import { deeplyNestedJson, editFeatures, editJson, replaceWithFolder, symlinkLoop, truncateTo, V21, zeroBytes } from '../badInputs'
import { call, open, openOnly, openReported, episodePlays, v21, at, rawJsonField, deepFeatureField, invalidInfo, CAMERA_HIGH, type Case } from '../corpus'

/** The bad-input corpus: info.json. */
export const cases: Case[] = [
  // info.json ------------------------------------------------------------------------------------------------------
  { name: 'zero-byte info.json', reader: 'info.json', build: v21((r) => zeroBytes(at(r, V21.info))), act: openOnly, expect: invalidInfo('not valid JSON') },
  { name: 'truncated info.json', reader: 'info.json', build: v21((r) => truncateTo(at(r, V21.info), 0.5)), act: openOnly, expect: invalidInfo('not valid JSON') },
  {
    name: 'info.json saved as UTF-16',
    reader: 'info.json',
    build: v21(async (r) => {
      const text = await readFile(at(r, V21.info), 'utf8')
      await writeFile(at(r, V21.info), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    }),
    act: openOnly,
    expect: invalidInfo('not valid JSON'),
  },
  { name: 'info.json holding a list', reader: 'info.json', build: v21((r) => writeFile(at(r, V21.info), '[1, 2]')), act: openOnly, expect: invalidInfo('must hold a JSON object') },
  { name: 'fps "thirty"', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.fps = 'thirty'))), act: openOnly, expect: invalidInfo('field "fps"', '"thirty"') },
  { name: 'fps 0', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.fps = 0))), act: openOnly, expect: invalidInfo('field "fps"', 'positive', '(got 0)') },
  { name: 'negative fps', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.fps = -30))), act: openOnly, expect: invalidInfo('field "fps"', '(got -30)') },
  { name: 'fps 1e12', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.fps = 1e12))), act: openOnly, expect: invalidInfo('field "fps"', 'at most 10000', '(got 1000000000000)') },
  {
    name: 'fps nested 100,000 lists deep',
    reader: 'info.json',
    build: v21((r) => rawJsonField(at(r, V21.info), 'fps', deeplyNestedJson(100_000, '30'))),
    act: openOnly,
    expect: invalidInfo('field "fps"', 'deeply nested'),
  },
  {
    name: 'total_episodes 1e15',
    reader: 'info.json',
    build: v21((r) => editJson(at(r, V21.info), (d) => (d.total_episodes = 1e15))),
    act: openReported,
    expect: { reported: 'TOTAL_EPISODES_MISMATCH', messageIncludes: ['meta/info.json', 'total_episodes 1000000000000000', 'has 3'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  { name: 'negative total_episodes', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.total_episodes = -1))), act: openOnly, expect: invalidInfo('field "total_episodes"', 'non-negative integer') },
  { name: 'total_frames as text', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.total_frames = 'lots'))), act: openOnly, expect: invalidInfo('field "total_frames"', '"lots"') },
  { name: 'features a string', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.features = 'cameras'))), act: openOnly, expect: invalidInfo('field "features"', 'must be an object') },
  { name: 'features a list', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.features = [1, 2]))), act: openOnly, expect: invalidInfo('field "features"', 'must be an object') },
  { name: 'chunks_size "1e400" (infinite)', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.chunks_size = '1e400'))), act: openOnly, expect: invalidInfo('field "chunks_size"', 'positive integer') },
  { name: 'chunks_size 0.5', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.chunks_size = 0.5))), act: openOnly, expect: invalidInfo('field "chunks_size"', '(got 0.5)') },
  { name: 'huge chunks_size (1e300)', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.chunks_size = 1e300))), act: openOnly, expect: invalidInfo('field "chunks_size"', 'positive integer', '(got 1e+300)') },
  {
    name: 'large but exact chunks_size (2^53 - 1: every episode in chunk 0)',
    reader: 'info.json',
    build: v21((r) => editJson(at(r, V21.info), (d) => (d.chunks_size = Number.MAX_SAFE_INTEGER))),
    act: openOnly,
    expect: { accepted: true },
    after: (r) => episodePlays(r, 2, 8),
  },
  { name: 'codebase_version a number', reader: 'info.json', build: v21((r) => editJson(at(r, V21.info), (d) => (d.codebase_version = 42))), act: openOnly, expect: invalidInfo('field "codebase_version"', 'string') },
  {
    name: 'data_path padding to 10^12 characters',
    reader: 'info.json',
    build: v21((r) => editJson(at(r, V21.info), (d) => (d.data_path = 'data/episode_{episode_index:999999999999d}.parquet'))),
    act: openOnly,
    expect: invalidInfo('field "data_path"', 'pads to 999999999999 characters'),
  },
  {
    name: 'data_path leaving the dataset folder',
    reader: 'info.json',
    build: v21((r) => editJson(at(r, V21.info), (d) => (d.data_path = '../../elsewhere/episode_{episode_index:06d}.parquet'))),
    act: openOnly,
    expect: invalidInfo('field "data_path"', 'inside the dataset folder'),
  },
  {
    name: 'video_path naming an unknown field',
    reader: 'info.json',
    build: v21((r) => editJson(at(r, V21.info), (d) => (d.video_path = 'videos/{camera_name}/episode_{episode_index:06d}.mp4'))),
    act: openOnly,
    expect: invalidInfo('field "video_path"', 'unknown field "{camera_name}"'),
  },
  {
    name: 'a camera key that climbs out of the dataset (../)',
    reader: 'info.json',
    build: v21((r) =>
      editFeatures(at(r, V21.info), (f) => {
        f['../../../escape'] = { dtype: 'video', shape: [48, 64, 3], names: ['height', 'width', 'channel'] }
      }),
    ),
    act: openReported,
    expect: { reported: 'FEATURE_INVALID', messageIncludes: ['meta/info.json', '"../../../escape"', 'path separator'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'a camera key longer than a file name (300 bytes)',
    reader: 'info.json',
    build: v21((r) =>
      editFeatures(at(r, V21.info), (f) => {
        f[`observation.images.${'x'.repeat(300)}`] = { dtype: 'video', shape: [48, 64, 3] }
      }),
    ),
    act: openReported,
    expect: { reported: 'FEATURE_INVALID', messageIncludes: ['meta/info.json', 'longer than a file name'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'state shape [1e9, 1e9]',
    reader: 'info.json',
    build: v21((r) => editFeatures(at(r, V21.info), (f) => ((f['observation.state'] as Record<string, unknown>).shape = [1e9, 1e9]))),
    act: openReported,
    expect: { reported: 'STATE_SHAPE_INVALID', messageIncludes: ['meta/info.json', 'observation.state', '[1000000000,1000000000]'] },
    after: async (r) => {
      const summary = await open(r)
      // The 14 names still give the dimension, and the table agrees.
      expect(summary.state?.dim).toBe(14)
      expect((await call('episode.open', { datasetId: summary.id, episode: 1 })).state?.values.length).toBe(12 * 14)
    },
  },
  {
    name: 'negative state shape',
    reader: 'info.json',
    build: v21((r) => editFeatures(at(r, V21.info), (f) => ((f['observation.state'] as Record<string, unknown>).shape = [-3]))),
    act: openReported,
    expect: { reported: 'STATE_SHAPE_INVALID', messageIncludes: ['meta/info.json', 'observation.state', '[-3]'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'camera names nested 100,000 lists deep',
    reader: 'info.json',
    build: v21((r) => deepFeatureField(at(r, V21.info), CAMERA_HIGH, 'names')),
    act: openOnly,
    // The names only hint which axis of `shape` is the height; without them the HWC default applies.
    expect: { accepted: true },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'state names nested 100,000 lists deep',
    reader: 'info.json',
    build: v21((r) => deepFeatureField(at(r, V21.info), 'observation.state', 'names')),
    act: openReported,
    expect: { reported: 'STATE_NAMES_MISMATCH', messageIncludes: ['meta/info.json', 'observation.state has 1 names for dimension 14'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  { name: 'info.json is a folder', reader: 'info.json', build: v21((r) => replaceWithFolder(at(r, V21.info))), act: openOnly, expect: invalidInfo('could not be read', 'a folder, not a file') },
  { name: 'info.json is a symlink loop', reader: 'info.json', build: v21((r) => symlinkLoop(at(r, V21.info))), act: openOnly, expect: invalidInfo('could not be read', 'loops back on itself') },
]
