import { expect } from 'vitest'
import { DEFAULT_PATTERN_TASKS } from '../../synth/patternDataset'
import { rewriteParquet, symlinkLoop, truncateTo, V30, zeroBytes } from '../badInputs'
import { call, open, openOnly, openReported, episodeReported, episodePlays, v30, at, badWindow, cameraFails, CAMERA_HIGH, CAMERA_WRIST, type Case } from '../corpus'

/** The bad-input corpus: v3 metadata and video windows. */
export const cases: Case[] = [
  // v3 metadata: meta/episodes, meta/tasks.parquet, shared data files --------------------------------------------------
  {
    name: 'zero-byte meta/episodes parquet',
    reader: 'v3 metadata',
    build: v30((r) => zeroBytes(at(r, V30.episodes))),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.episodes, 'not a readable parquet file', 'empty'] },
  },
  {
    name: 'truncated meta/episodes parquet',
    reader: 'v3 metadata',
    build: v30((r) => truncateTo(at(r, V30.episodes), 0.6)),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.episodes, 'not a readable parquet file'] },
  },
  {
    name: 'meta/episodes without data/chunk_index',
    reader: 'v3 metadata',
    build: v30((r) => rewriteParquet(at(r, V30.episodes), (rows) => rows.forEach((row) => delete row['data/chunk_index']))),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.episodes, 'no "data/chunk_index" column'] },
  },
  {
    name: 'negative episode length in meta/episodes',
    reader: 'v3 metadata',
    build: v30((r) => rewriteParquet(at(r, V30.episodes), (rows) => ((rows[1] as Record<string, unknown>).length = -5n))),
    act: openReported,
    expect: { reported: 'LENGTH_INVALID', messageIncludes: [V30.episodes, 'episode 1', 'length -5'] },
    after: async (r) => {
      expect((await open(r)).episodes.map((e) => e.length)).toEqual([10, 12, 8])
      await episodePlays(r, 1, 12)
    },
  },
  {
    name: 'episode length and dataset_to_index 1e15 in meta/episodes',
    reader: 'v3 metadata',
    build: v30((r) =>
      rewriteParquet(at(r, V30.episodes), (rows) => {
        const row = rows[1] as Record<string, unknown>
        row.length = 10n ** 15n
        row.dataset_to_index = 10n ** 15n
      }),
    ),
    act: openReported,
    expect: { reported: 'LENGTH_INVALID', messageIncludes: [V30.episodes, 'episode 1', 'length 1000000000000000', 'dataset_to_index 1000000000000000'] },
    after: async (r) => {
      await episodePlays(r, 1, 12)
      await episodePlays(r, 2, 8)
    },
  },
  {
    name: 'negative episode_index in meta/episodes',
    reader: 'v3 metadata',
    build: v30((r) => rewriteParquet(at(r, V30.episodes), (rows) => ((rows[1] as Record<string, unknown>).episode_index = -1n))),
    act: openReported,
    expect: { reported: 'METADATA_ROWS_SKIPPED', messageIncludes: [V30.episodes, 'skipped 1 row', 'row 1'] },
    after: async (r) => {
      expect((await open(r)).episodes.map((e) => e.index)).toEqual([0, 2])
      await episodePlays(r, 2, 8)
    },
  },
  {
    name: 'zero-byte meta/tasks.parquet',
    reader: 'v3 metadata',
    build: v30((r) => zeroBytes(at(r, V30.tasks))),
    act: openReported,
    expect: { reported: 'TASKS_MISSING', messageIncludes: [V30.tasks, 'not a readable parquet file'] },
    after: async (r) => {
      expect([...(await open(r)).tasks].sort()).toEqual([...DEFAULT_PATTERN_TASKS].sort())
      await episodePlays(r, 0, 10)
    },
  },
  {
    name: 'truncated meta/tasks.parquet',
    reader: 'v3 metadata',
    build: v30((r) => truncateTo(at(r, V30.tasks), 0.5)),
    act: openReported,
    expect: { reported: 'TASKS_MISSING', messageIncludes: [V30.tasks, 'not a readable parquet file'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'zero-byte shared v3 data file',
    reader: 'v3 metadata',
    build: v30((r) => zeroBytes(at(r, V30.data))),
    act: (r) => episodeReported(r, 1),
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.data, 'not a readable parquet file', 'empty'] },
    after: async (r) => expect((await open(r)).episodes).toHaveLength(3),
  },
  {
    name: 'truncated shared v3 data file',
    reader: 'v3 metadata',
    build: v30((r) => truncateTo(at(r, V30.data), 0.5)),
    act: (r) => episodeReported(r, 2),
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.data, 'not a readable parquet file'] },
  },
  {
    name: 'meta/episodes folder is a symlink loop',
    reader: 'v3 metadata',
    build: v30((r) => symlinkLoop(at(r, V30.episodesDir))),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: ['meta/episodes/', 'no parquet files'] },
  },

  // v3.0 video windows (meta/episodes videos/<camera>/from_timestamp, to_timestamp) that do not fit the shared file:
  // 30 frames of 0.1 s, 0.000–3.000 s; episode 1 is 1.000–2.200 s, episode 2 is 2.200–3.000 s.
  {
    name: 'v3 video window past the end of the file, asked for a playable copy',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 1, CAMERA_WRIST, { from: 3.5, to: 4.7 })),
    act: async (r) => {
      const summary = await open(r)
      await call('media.prepare', { datasetId: summary.id, episode: 1, camera: CAMERA_WRIST })
    },
    expect: { thrown: 'DATASET_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 1', '3.500–4.700 s', "starts past the file's last frame", 'lasts 3.000 s'] },
    after: async (r) => {
      await cameraFails(r, 1, CAMERA_WRIST, "starts past the file's last frame")
      await episodePlays(r, 1, 12, 1)
      await episodePlays(r, 2, 8)
    },
  },
  {
    name: 'v3 video window past the end of the file',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 1, CAMERA_WRIST, { from: 3.5, to: 4.7 })),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 1', '3.500–4.700 s', 'lasts 3.000 s (30 frames'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'v3 video window reversed (to < from)',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 1, CAMERA_WRIST, { from: 2.2, to: 1.0 })),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 1', '2.200–1.000 s', 'reversed', 'lasts 3.000 s'] },
    after: async (r) => {
      await cameraFails(r, 1, CAMERA_WRIST, 'reversed')
      await episodePlays(r, 1, 12, 1)
    },
  },
  {
    name: 'v3 video window with a NaN start',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 2, CAMERA_WRIST, { from: Number.NaN })),
    act: (r) => episodeReported(r, 2),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 2', 'NaN–3.000 s', 'its start is NaN'] },
    after: async (r) => {
      await cameraFails(r, 2, CAMERA_WRIST, 'its start is NaN')
      await episodePlays(r, 2, 8, 1)
      await episodePlays(r, 0, 10)
    },
  },
  {
    name: 'v3 video window starting at Infinity',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 1, CAMERA_HIGH, { from: Number.POSITIVE_INFINITY })),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_HIGH), 'episode 1', 'Infinity–2.200 s', 'its start is Infinity'] },
    after: async (r) => {
      await cameraFails(r, 1, CAMERA_HIGH, 'its start is Infinity')
      await episodePlays(r, 1, 12, 1)
    },
  },
  {
    name: 'v3 video window with a negative start',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 1, CAMERA_WRIST, { from: -1 })),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 1', '-1.000–2.200 s', 'negative start'] },
    after: (r) => episodePlays(r, 1, 12, 1),
  },
  {
    name: 'v3 video window ending a whole frame past the end of the file',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 2, CAMERA_WRIST, { to: 3.1 })),
    act: (r) => episodeReported(r, 2),
    expect: { reported: 'VIDEO_WINDOW_INVALID', messageIncludes: [V30.video(CAMERA_WRIST), 'episode 2', '2.200–3.100 s', "past the file's end"] },
    after: (r) => episodePlays(r, 2, 8, 1),
  },
  {
    name: 'v3 video window overrunning the end of the file by less than a frame',
    reader: 'v3 metadata',
    build: v30((r) => badWindow(r, 2, CAMERA_WRIST, { to: 3.09 })),
    act: (r) => episodeReported(r, 2),
    expect: { accepted: true },
    after: (r) => episodePlays(r, 2, 8),
  },
]
