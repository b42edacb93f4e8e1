import { rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import { copyDataset, invalidUtf8Name, moveToBytePath, symlinkLoop, truncateTo, V21, V30, writeAudioOnlyMp4, writeQuirkyDataset, zeroBytes } from '../badInputs'
import { call, open, openOnly, openReported, episodeReported, episodePlays, v21, v30, at, CAMERA_HIGH, CAMERA_WRIST, tools, fixtures, type Case } from '../corpus'

/** The bad-input corpus: video files, names and paths. */
export const cases: Case[] = [
  // Video -------------------------------------------------------------------------------------------------------------
  {
    name: 'zero-byte mp4',
    reader: 'video',
    build: v21((r) => zeroBytes(at(r, V21.video(1, CAMERA_HIGH)))),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: [V21.video(1, CAMERA_HIGH), 'empty (0 bytes)'] },
    after: async (r) => {
      // The other camera of the same episode still plays, and so do the other episodes.
      await episodePlays(r, 1, 12, 1)
      await episodePlays(r, 0, 10)
    },
  },
  {
    name: 'truncated mp4',
    reader: 'video',
    build: v21((r) => truncateTo(at(r, V21.video(1, CAMERA_HIGH)), 0.5)),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: [V21.video(1, CAMERA_HIGH), 'Cannot read video'] },
    after: (r) => episodePlays(r, 1, 12, 1),
  },
  {
    name: 'truncated mp4, asked for a playable copy',
    reader: 'video',
    build: v21((r) => truncateTo(at(r, V21.video(1, CAMERA_HIGH)), 0.5)),
    act: async (r) => {
      const summary = await open(r)
      await call('media.prepare', { datasetId: summary.id, episode: 1, camera: CAMERA_HIGH })
    },
    expect: { thrown: 'MEDIA_FAILED', messageIncludes: [V21.video(1, CAMERA_HIGH), 'Cannot read video'] },
    after: (r) => episodePlays(r, 2, 8),
  },
  {
    name: 'text file named .mp4',
    reader: 'video',
    build: v21((r) => writeFile(at(r, V21.video(1, CAMERA_WRIST)), 'not a video\n'.repeat(100))),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: [V21.video(1, CAMERA_WRIST), 'Cannot read video'] },
    after: (r) => episodePlays(r, 1, 12, 1),
  },
  {
    name: 'mp4 with audio and no video stream',
    reader: 'video',
    build: v21((r) => writeAudioOnlyMp4(tools.ffmpeg, at(r, V21.video(1, CAMERA_WRIST)))),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: ['No video stream', V21.video(1, CAMERA_WRIST)] },
    after: (r) => episodePlays(r, 1, 12, 1),
  },
  {
    name: 'one camera 3 frames shorter than the table',
    reader: 'video',
    build: (dir) => writeQuirkyDataset(path.join(dir, 'dataset'), { videoFrameDelta: { episode: 1, camera: CAMERA_HIGH, delta: -3 } }, tools),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_FRAMES_MISMATCH', messageIncludes: [V21.video(1, CAMERA_HIGH), 'cam_high: video has 9 frames', 'table has 12 rows'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'one camera 4 frames longer than the table',
    reader: 'video',
    build: (dir) => writeQuirkyDataset(path.join(dir, 'dataset'), { videoFrameDelta: { episode: 0, camera: CAMERA_WRIST, delta: 4 } }, tools),
    act: (r) => episodeReported(r, 0),
    expect: { reported: 'VIDEO_FRAMES_MISMATCH', messageIncludes: [V21.video(0, CAMERA_WRIST), 'video has 14 frames', 'extra video frames are ignored'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'mp4 that is a symlink loop',
    reader: 'video',
    build: v21((r) => symlinkLoop(at(r, V21.video(1, CAMERA_HIGH)))),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: [V21.video(1, CAMERA_HIGH), 'loops back on itself'] },
    after: (r) => episodePlays(r, 1, 12, 1),
  },
  {
    name: "a camera's video folder is a symlink to itself",
    reader: 'video',
    build: v21((r) => symlinkLoop(at(r, V21.videoDir(CAMERA_WRIST)))),
    act: openReported,
    expect: { reported: 'CAMERA_MISSING', messageIncludes: ['meta/info.json', `"${CAMERA_WRIST}"`, 'no video files on disk'] },
    after: (r) => episodePlays(r, 0, 10, 1),
  },
  {
    name: 'videos/ is a symlink to itself',
    reader: 'video',
    build: v21((r) => symlinkLoop(at(r, 'videos'))),
    act: openReported,
    expect: { reported: 'CAMERA_MISSING', messageIncludes: [`"${CAMERA_HIGH}"`, 'no video files on disk'] },
    after: async (r) => {
      const summary = await open(r)
      expect(summary.cameras).toEqual([])
      expect((await call('episode.open', { datasetId: summary.id, episode: 2 })).length).toBe(8)
    },
  },
  {
    name: 'zero-byte shared v3 video',
    reader: 'video',
    build: v30((r) => zeroBytes(at(r, V30.video(CAMERA_WRIST)))),
    act: (r) => episodeReported(r, 2),
    expect: { reported: 'VIDEO_UNREADABLE', messageIncludes: [V30.video(CAMERA_WRIST), 'empty (0 bytes)'] },
    after: (r) => episodePlays(r, 0, 10, 1),
  },

  // Names and paths ---------------------------------------------------------------------------------------------------
  {
    name: 'dataset folder whose name is not UTF-8',
    reader: 'paths',
    build: async (dir) => {
      const root = await copyDataset(fixtures.v21, path.join(dir, 'staging'))
      const bytePath = await moveToBytePath(root, dir, invalidUtf8Name('dataset-'))
      // A symlink with a valid name is how such a folder can still be reached from a string path.
      await symlink(bytePath, path.join(dir, 'reachable'))
      // What a string-based caller (a dialog, the command line) gets for it: the bytes decoded, lossily.
      return bytePath.toString('utf8')
    },
    act: openOnly,
    expect: { thrown: 'NOT_FOUND', messageIncludes: ['dataset-', 'does not exist'] },
    after: (lossy) => episodePlays(path.join(path.dirname(lossy), 'reachable'), 1, 12),
  },
  {
    name: 'dataset folder with a 255-byte name',
    reader: 'paths',
    build: (dir) => copyDataset(fixtures.v21, path.join(dir, 'd'.repeat(255))),
    act: openOnly,
    expect: { accepted: true },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'dataset folder name longer than the file system allows',
    reader: 'paths',
    build: async (dir) => path.join(dir, 'd'.repeat(300)),
    act: openOnly,
    expect: { thrown: 'NOT_FOUND', messageIncludes: ['cannot be opened', 'too long'] },
  },
  {
    name: 'dataset path longer than PATH_MAX',
    reader: 'paths',
    build: async (dir) => path.join(dir, ...Array.from({ length: 30 }, () => 'p'.repeat(200))),
    act: openOnly,
    expect: { thrown: 'INVALID_ARGUMENT', messageIncludes: ['dataset.open', 'path'] },
  },
  {
    name: 'dataset folder that is a symlink loop',
    reader: 'paths',
    build: async (dir) => {
      const root = path.join(dir, 'dataset')
      await symlinkLoop(root)
      return root
    },
    act: openOnly,
    expect: { thrown: 'NOT_FOUND', messageIncludes: ['dataset', 'cannot be opened', 'loops back on itself'] },
  },
  {
    name: 'data/ holding symlink loops, episodes found from disk',
    reader: 'paths',
    build: v21(async (r) => {
      await rm(at(r, V21.episodes))
      await symlink('..', at(r, 'data/chunk-000/up'))
      await symlink('self', at(r, 'data/chunk-000/self'))
    }),
    act: openReported,
    expect: { reported: 'EPISODES_DERIVED', messageIncludes: ['meta/episodes.jsonl', 'not found', 'found 3 episodes'] },
    after: (r) => episodePlays(r, 2, 8),
  },
]
