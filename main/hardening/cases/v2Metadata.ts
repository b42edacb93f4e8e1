import { readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { DEFAULT_PATTERN_TASKS } from '../../synth/patternDataset'
import { claimRowCount, cutTail, editJsonl, INVALID_UTF8, replaceWithFolder, symlinkLoop, truncateTo, V21, writeForeignParquet, zeroBytes } from '../badInputs'
import { open, openOnly, openReported, episodeReported, episodePlays, v21, at, type Case } from '../corpus'

/** The bad-input corpus: v2 metadata and episode tables. */
export const cases: Case[] = [
  // v2 metadata: episodes.jsonl, tasks.jsonl --------------------------------------------------------------------------
  {
    name: 'zero-byte episodes.jsonl',
    reader: 'v2 metadata',
    build: v21((r) => zeroBytes(at(r, V21.episodes))),
    act: openReported,
    expect: { reported: 'EPISODES_DERIVED', messageIncludes: ['meta/episodes.jsonl', 'lists no episodes', 'found 3 episodes'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'episodes.jsonl cut in the middle of its last line',
    reader: 'v2 metadata',
    build: v21(async (r) => {
      const text = await readFile(at(r, V21.episodes), 'utf8')
      await writeFile(at(r, V21.episodes), text.slice(0, text.length - 20))
    }),
    act: openReported,
    expect: { reported: 'METADATA_LINES_SKIPPED', messageIncludes: ['meta/episodes.jsonl', 'line 3', 'not valid JSON'] },
    after: (r) => episodePlays(r, 1, 12),
  },
  {
    name: 'episodes.jsonl with a line of binary garbage',
    reader: 'v2 metadata',
    build: v21(async (r) => {
      const bytes = await readFile(at(r, V21.episodes))
      await writeFile(at(r, V21.episodes), Buffer.concat([bytes, INVALID_UTF8, randomBytes(64).filter((b) => b !== 0x0a), Buffer.from('\n')]))
    }),
    act: openReported,
    expect: { reported: 'METADATA_LINES_SKIPPED', messageIncludes: ['meta/episodes.jsonl', 'line 4'] },
    after: (r) => episodePlays(r, 2, 8),
  },
  {
    name: 'negative episode length',
    reader: 'v2 metadata',
    build: v21((r) => editJsonl(at(r, V21.episodes), (lines) => ((lines[1] as Record<string, unknown>).length = -5))),
    act: openReported,
    expect: { reported: 'METADATA_LINES_SKIPPED', messageIncludes: ['meta/episodes.jsonl', 'line 2', '"length"'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'episode length 1e15',
    reader: 'v2 metadata',
    build: v21((r) => editJsonl(at(r, V21.episodes), (lines) => ((lines[1] as Record<string, unknown>).length = 1e15))),
    act: openReported,
    expect: { reported: 'LENGTH_INVALID', messageIncludes: ['meta/episodes.jsonl', 'episode 1 length 1000000000000000', 'using the 12 rows'] },
    after: async (r) => {
      expect((await open(r)).episodes.map((e) => e.length)).toEqual([10, 12, 8])
      await episodePlays(r, 1, 12)
    },
  },
  {
    name: 'episode_index 1e300',
    reader: 'v2 metadata',
    build: v21((r) => editJsonl(at(r, V21.episodes), (lines) => ((lines[1] as Record<string, unknown>).episode_index = 1e300))),
    act: openReported,
    expect: { reported: 'METADATA_LINES_SKIPPED', messageIncludes: ['meta/episodes.jsonl', 'line 2', '"episode_index"'] },
    after: (r) => episodePlays(r, 2, 8),
  },
  {
    name: 'zero-byte tasks.jsonl',
    reader: 'v2 metadata',
    build: v21((r) => zeroBytes(at(r, V21.tasks))),
    act: openReported,
    expect: { reported: 'TASKS_MISSING', messageIncludes: ['meta/tasks.jsonl', 'lists no tasks'] },
    after: async (r) => expect([...(await open(r)).tasks].sort()).toEqual([...DEFAULT_PATTERN_TASKS].sort()),
  },
  {
    name: 'tasks.jsonl with wrong types',
    reader: 'v2 metadata',
    build: v21((r) => writeFile(at(r, V21.tasks), '{"task_index": "first", "task": 5}\n{"task_index": 1, "task": "Insert the peg into the socket"}\n')),
    act: openReported,
    expect: { reported: 'METADATA_LINES_SKIPPED', messageIncludes: ['meta/tasks.jsonl', 'line 1', '"task_index"'] },
    after: (r) => episodePlays(r, 0, 10),
  },
  {
    name: 'episodes.jsonl is a symlink loop',
    reader: 'v2 metadata',
    build: v21((r) => symlinkLoop(at(r, V21.episodes))),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: ['meta/episodes.jsonl', 'could not be read', 'loops back on itself'] },
  },
  {
    name: 'episodes.jsonl is a folder',
    reader: 'v2 metadata',
    build: v21((r) => replaceWithFolder(at(r, V21.episodes))),
    act: openOnly,
    expect: { thrown: 'DATASET_INVALID', messageIncludes: ['meta/episodes.jsonl', 'a folder, not a file'] },
  },

  // Episode tables (v2 data parquet) --------------------------------------------------------------------------------
  ...(
    [
      ['zero-byte episode table', (f: string) => zeroBytes(f), 'empty'],
      ['truncated episode table', (f: string) => truncateTo(f, 0.5), 'not a readable parquet file'],
      ['episode table without its footer magic', (f: string) => cutTail(f, 4), 'not a readable parquet file'],
      ['text file named .parquet', (f: string) => writeFile(f, 'episode_index,frame_index\n0,0\n'), 'not a readable parquet file'],
      ['episode table whose footer claims 10^15 rows', (f: string) => claimRowCount(f, 10n ** 15n), '1000000000000000 rows'],
      ['episode table that is a symlink loop', (f: string) => symlinkLoop(f), 'loops back on itself'],
      ['episode table that is a folder', (f: string) => replaceWithFolder(f), 'a folder, not a file'],
    ] as const
  ).map(
    ([name, damage, problem]): Case => ({
      name,
      reader: 'episode parquet',
      build: v21((r) => damage(at(r, V21.data(1)))),
      act: (r) => episodeReported(r, 1),
      expect: { thrown: 'DATASET_INVALID', messageIncludes: ['episode_000001.parquet', problem] },
      // The dataset's other episodes are untouched and still play.
      after: async (r) => {
        await episodePlays(r, 0, 10)
        await episodePlays(r, 2, 8)
      },
    }),
  ),
  {
    name: 'episode table with none of the expected columns',
    reader: 'episode parquet',
    build: v21((r) => writeForeignParquet(at(r, V21.data(1)), 5)),
    act: (r) => episodeReported(r, 1),
    expect: { reported: 'STATE_COLUMN_MISSING', messageIncludes: ['episode_000001.parquet', 'observation.state'] },
    after: async (r) => {
      const warnings = await episodeReported(r, 1)
      expect(warnings.find((w) => w.code === 'LENGTH_MISMATCH')?.message).toContain('metadata says 12 frames but data/chunk-000/episode_000001.parquet has 5 rows')
      await episodePlays(r, 0, 10)
    },
  },
]
