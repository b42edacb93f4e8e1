import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary } from '../../app/dataset'
import { MAX_INLINE_IMPORT_CHARS, UPLOAD_CHUNK_BYTES, type Method, type Params, type Result } from '../../app/contract'
import { fromWireError, isErrorCode, VivaError } from '../../app/errors'
import { composeServices, type Services } from '../compose'
import { DEFAULT_PATTERN_TASKS } from '../synth/patternDataset'
import { MANIFEST_FILE } from '../inference/manifest'
import { dispatch } from '../rpc/dispatch'
import type { UploadSession } from '../rpc/uploads'
import { resolveMediaTools } from '../video/tools'
import type { MediaTools } from '../video/tools'
import {
  claimRowCount,
  copyDataset,
  cutTail,
  declareRows,
  deeplyNestedJson,
  editFeatures,
  editJson,
  editJsonl,
  FIXTURE_CAMERAS,
  INVALID_UTF8,
  invalidUtf8Name,
  moveToBytePath,
  prependBom,
  replaceWithEndless,
  replaceWithFolder,
  rewriteParquet,
  symlinkLoop,
  truncateTo,
  V21,
  V30,
  writeAudioOnlyMp4,
  writeCorpusFixtures,
  writeForeignParquet,
  writeQuirkyDataset,
  zeroBytes,
  type CorpusFixtures,
} from './badInputs'

/**
 * The bad-input corpus (issue 7): every reader and importer gets malformed files, and each must answer with a typed
 * error (or a warning, where the rest of the input is still usable) whose message names the file and the problem;
 * never a raw TypeError/RangeError, a hang or an unhandled rejection. After every case the app must still work:
 * a healthy dataset opens and plays an episode, its annotation project loads, the model registry lists.
 *
 * Service calls go through `dispatch`, the path every transport uses, so an untyped exception would surface here as
 * code INTERNAL and fail the case.
 */

const CAMERA_HIGH = FIXTURE_CAMERAS[0]
const CAMERA_WRIST = FIXTURE_CAMERAS[1]
const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'inference', 'fixtures')
/** Longer than the slowest real case (a model session on a loaded 2-core runner), far shorter than a hang. */
const ACT_TIMEOUT_MS = 20_000

type Reader =
  | 'info.json'
  | 'v2 metadata'
  | 'episode parquet'
  | 'v3 metadata'
  | 'video'
  | 'paths'
  | 'models'
  | 'annotation import'
  | 'curve import'
  | 'export'

/** A problem reported without failing the call: a warning of the dataset, episode or model list. */
interface Reported {
  code: string
  message: string
  /** The file, where the warning carries it as a field rather than in its message. */
  file?: string
}

type Expectation =
  | { thrown: string; messageIncludes: string[] }
  | { reported: string; messageIncludes: string[] }
  /** Odd but meaningful input that must simply work (checked by `after`). */
  | { accepted: true }

interface Case {
  name: string
  reader: Reader
  /** Make the bad input inside `dir` (the case's own empty folder); returns what `act` works on. */
  build(dir: string): Promise<string>
  /** What the user does with it; returns what was reported when the call succeeds. */
  act(target: string): Promise<readonly Reported[] | void>
  expect: Expectation
  /** What must still work in the same input (other episodes of the same dataset, ...). */
  after?(target: string): Promise<void>
}

let tmp = ''
let fixtures: CorpusFixtures
let services: Services
let tools: MediaTools
let healthy: DatasetSummary
let caseCounter = 0
let uploadSession: UploadSession | undefined
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}

async function call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
  uploadSession ??= services.uploads.session()
  const out = await dispatch(services.handlers, method, params, { signal: new AbortController().signal, uploads: uploadSession })
  if (!out.ok) throw fromWireError(out.error)
  return out.result as Result<M>
}

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-badinputs-')))
  tools = resolveMediaTools()
  fixtures = await writeCorpusFixtures(tmp, tools)
  const noModels = path.join(tmp, 'no-bundled-models')
  await mkdir(noModels)
  services = composeServices({ mode: 'browser', version: 'test', dataDir: path.join(tmp, 'app-data'), tools, bundledModelDirs: [noModels] })
  healthy = await call('dataset.open', { path: fixtures.v21 })
  process.on('unhandledRejection', onUnhandled)
})

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  await services?.dispose()
  await rm(tmp, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------------------------
// Acts and checks shared by cases

const open = (root: string): Promise<DatasetSummary> => call('dataset.open', { path: root })

async function openOnly(root: string): Promise<void> {
  await open(root)
}

/** Everything opening reported: the dataset's warnings and those of each episode. */
async function openReported(root: string): Promise<Reported[]> {
  const summary = await open(root)
  return [...summary.warnings, ...summary.episodes.flatMap((e) => e.warnings)]
}

async function episodeReported(root: string, episode: number): Promise<Reported[]> {
  const summary = await open(root)
  return (await call('episode.open', { datasetId: summary.id, episode })).warnings
}

/** The episode opens with its table's length and every listed camera playable. */
async function episodePlays(root: string, episode: number, length: number, cameras: number = FIXTURE_CAMERAS.length): Promise<void> {
  const summary = await open(root)
  const view = await call('episode.open', { datasetId: summary.id, episode })
  expect(view.length).toBe(length)
  expect(view.cameras.filter((c) => c.status === 'ready')).toHaveLength(cameras)
}

/** A copy of the v2.1 fixture, damaged by `damage` (given the copy's root). */
function v21(damage: (root: string) => Promise<void>): (dir: string) => Promise<string> {
  return async (dir) => {
    const root = await copyDataset(fixtures.v21, path.join(dir, 'dataset'))
    await damage(root)
    return root
  }
}

function v30(damage: (root: string) => Promise<void>): (dir: string) => Promise<string> {
  return async (dir) => {
    const root = await copyDataset(fixtures.v30, path.join(dir, 'dataset'))
    await damage(root)
    return root
  }
}

const at = (root: string, rel: string): string => path.join(root, rel)

/** Give one episode's camera another video window in the v3.0 fixture's meta/episodes (a bound left out is kept). */
async function badWindow(root: string, episode: number, camera: string, window: { from?: number; to?: number }): Promise<void> {
  await rewriteParquet(at(root, V30.episodes), (rows) => {
    const row = rows[episode] as Record<string, unknown>
    if (window.from !== undefined) row[`videos/${camera}/from_timestamp`] = window.from
    if (window.to !== undefined) row[`videos/${camera}/to_timestamp`] = window.to
  })
}

/** The camera's pane of that episode is an error with this text, not a video marked ready. */
async function cameraFails(root: string, episode: number, camera: string, text: string): Promise<void> {
  const summary = await open(root)
  const view = await call('episode.open', { datasetId: summary.id, episode })
  const cam = view.cameras.find((c) => c.key === camera)
  expect(cam?.status).toBe('failed')
  expect(cam?.media).toBeNull()
  expect(cam?.statusMessage).toContain(text)
}

/** Set a top-level field of a JSON file to raw text (for values JSON.stringify cannot write, such as deep nesting). */
async function rawJsonField(file: string, key: string, rawValue: string): Promise<void> {
  const placeholder = '__RAW_VALUE__'
  await editJson(file, (d) => (d[key] = placeholder))
  await writeFile(file, (await readFile(file, 'utf8')).replace(`"${placeholder}"`, rawValue))
}

/** Nest a feature's field 100,000 lists deep in info.json. */
async function deepFeatureField(infoFile: string, feature: string, field: string): Promise<void> {
  const placeholder = '__DEEP_VALUE__'
  await editFeatures(infoFile, (f) => ((f[feature] as Record<string, unknown>)[field] = placeholder))
  await writeFile(infoFile, (await readFile(infoFile, 'utf8')).replace(`"${placeholder}"`, deeplyNestedJson(100_000)))
}

// Models ----------------------------------------------------------------------------------------------------------

async function copyModel(fixture: 'nan-value' | 'shape-mismatch', dir: string): Promise<string> {
  const out = path.join(dir, fixture)
  await cp(path.join(FIXTURES_DIR, fixture), out, { recursive: true })
  return out
}

async function editManifest(pkg: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  await editJson(path.join(pkg, MANIFEST_FILE), edit)
}

/** Load a package through the registry, open a CPU session and score one frame, as a scoring job does. */
async function scoreOneFrame(pkg: string): Promise<void> {
  const loaded = await services.models.load(pkg)
  const runner = await services.models.runner(loaded, 'cpu', 1)
  // The fixtures take one 8 × 8 RGB camera and a 2-dimensional state.
  const features = await runner.features(new Uint8Array(8 * 8 * 3).fill(100), 1)
  await runner.predict(features, new Float32Array([0.25, -0.5]), 1, 0, { steps: 0, seed: 0, episode: 0, firstFrame: 0 })
}

// Annotations -----------------------------------------------------------------------------------------------------

const T = '2026-01-01T00:00:00.000Z'

/** A valid annotations file for the healthy dataset: one taxonomy, one milestone on episode 0. */
function annotationDoc(): Record<string, unknown> & { events: Record<string, unknown>[] } {
  const task = DEFAULT_PATTERN_TASKS[0] ?? ''
  return {
    schema: 'viva-studio/annotations',
    version: 1,
    exportedAt: T,
    dataset: {
      name: healthy.name,
      root: healthy.root,
      format: healthy.format,
      fps: healthy.fps,
      episodes: healthy.episodes.map((e) => ({ index: e.index, length: e.length, tasks: e.tasks })),
    },
    filters: {},
    taxonomies: [{ task, version: 1, milestones: ['Grasp'], errorTypes: ['Drop'], preset: null, createdAt: T }],
    episodes: [],
    events: [
      {
        id: 'e-1',
        episode: 0,
        frame: 3,
        kind: 'milestone',
        direction: 1,
        label: 'Grasp',
        note: '',
        annotator: 'corpus',
        taxonomyVersion: 1,
        createdAt: T,
        updatedAt: T,
      },
    ],
  }
}

function docText(edit: (doc: ReturnType<typeof annotationDoc>) => void = () => undefined): string {
  const doc = annotationDoc()
  edit(doc)
  return JSON.stringify(doc, null, 2)
}

/** As the UI sends a file: inline when small, in chunks (upload.*) above the inline limit. */
async function importAnnotations(text: string): Promise<void> {
  if (text.length <= MAX_INLINE_IMPORT_CHARS) {
    await call('annotations.import', { datasetId: healthy.id, text, mode: 'merge' })
    return
  }
  const bytes = new TextEncoder().encode(text)
  const { uploadId } = await call('upload.begin', { name: 'annotations.json', size: bytes.byteLength })
  for (let offset = 0; offset < bytes.byteLength; offset += UPLOAD_CHUNK_BYTES) {
    await call('upload.append', { uploadId, offset, data: bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES) })
  }
  await call('annotations.import', { datasetId: healthy.id, uploadId, mode: 'merge' })
}

// Curves ----------------------------------------------------------------------------------------------------------

async function writeIn(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, content)
  return file
}

async function importCurves(file: string): Promise<void> {
  await call('curves.import', { datasetId: healthy.id, path: file })
}

// ---------------------------------------------------------------------------------------------------------------
// The corpus

const invalidInfo = (...messageIncludes: string[]): Expectation => ({ thrown: 'DATASET_INVALID', messageIncludes: ['meta/info.json', ...messageIncludes] })

const cases: Case[] = [
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

  // Models ------------------------------------------------------------------------------------------------------------
  {
    name: 'ONNX graph whose value is NaN',
    reader: 'models',
    build: (dir) => copyModel('nan-value', dir),
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_FAILED', messageIncludes: [path.join('nan-value', 'model.onnx'), 'NaN'] },
  },
  {
    name: 'ONNX graph whose input shape differs from the manifest',
    reader: 'models',
    build: (dir) => copyModel('shape-mismatch', dir),
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [path.join('shape-mismatch', 'model.onnx'), 'input "state"', 'dimension 1 is 3 in the graph, 2 in the manifest'] },
  },
  {
    name: '.onnx file of random bytes (hash updated)',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      const bytes = randomBytes(4096)
      bytes[0] = 0xff
      bytes[1] = 0xff
      await writeFile(path.join(pkg, 'model.onnx'), bytes)
      await editManifest(pkg, (m) => {
        const model = (m.files as { model: { sha256: string; bytes: number } }).model
        model.sha256 = createHash('sha256').update(bytes).digest('hex')
        model.bytes = bytes.length
      })
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: ['model.onnx', 'onnxruntime cannot load it'] },
  },
  {
    name: 'truncated .onnx file',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await truncateTo(path.join(pkg, 'model.onnx'), 0.5)
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: ['model.onnx', 'size 219 bytes, the manifest says 438', 'truncated'] },
  },
  {
    name: 'model folder that is a symlink loop',
    reader: 'models',
    build: async (dir) => {
      const loop = path.join(dir, 'models-loop')
      await symlinkLoop(loop)
      return loop
    },
    act: async (folder) => {
      await call('models.addFolder', { path: folder })
    },
    expect: { thrown: 'NOT_FOUND', messageIncludes: ['models-loop', 'loops back on itself'] },
  },
  {
    name: 'zero-byte manifest',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await zeroBytes(path.join(pkg, MANIFEST_FILE))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'not valid JSON'] },
  },
  {
    name: 'manifest whose state.min/max disagree with state.dim',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.state as { dim: number }).dim = 3))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'state.min has 2 entries, state.dim is 3'] },
  },
  {
    name: 'manifest with an image height of 1e12',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.image as { height: number }).height = 1e12))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'image.height'] },
  },
  {
    name: 'manifest with a zero tensor dimension',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => ((m.files as { model: { inputs: { shape: unknown[] }[] } }).model.inputs[1] = { name: 'state', shape: ['batch', 0], dtype: 'float32' } as never))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'files.model.inputs.1.shape'] },
  },
  {
    name: 'manifest that is a symlink loop',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await symlinkLoop(path.join(pkg, MANIFEST_FILE))
      return pkg
    },
    act: scoreOneFrame,
    expect: { thrown: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'cannot read', 'too many symbolic links'] },
  },
  {
    name: 'model folder added whose only package is broken',
    reader: 'models',
    build: async (dir) => {
      const pkg = await copyModel('nan-value', dir)
      await editManifest(pkg, (m) => (m.kind = 'mystery'))
      return pkg
    },
    act: async (pkg) => {
      const info = await call('models.addFolder', { path: pkg })
      return info.error ? [info.error] : []
    },
    expect: { reported: 'MODEL_INVALID', messageIncludes: [MANIFEST_FILE, 'kind "mystery" is not supported'] },
    after: async (pkg) => expect((await call('models.list', {})).find((m) => m.dir === pkg)?.error?.code).toBe('MODEL_INVALID'),
  },

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

// ---------------------------------------------------------------------------------------------------------------
// Running the corpus

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ACT_TIMEOUT_MS} ms (a hang)`)), ACT_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The healthy dataset opens and plays, its project loads, the model registry lists: the app is still usable. */
async function appStillUsable(): Promise<void> {
  const summary = await open(fixtures.v21)
  expect(summary.id).toBe(healthy.id)
  await episodePlays(fixtures.v21, 0, 10)
  expect((await call('annotations.load', { datasetId: healthy.id })).events).toEqual([])
  expect(Array.isArray(await call('models.list', {}))).toBe(true)
  expect(unhandled).toEqual([])
}

describe('bad-input corpus', () => {
  it(`holds at least 40 malformed inputs that must fail or warn (has ${cases.filter((c) => !('accepted' in c.expect)).length})`, () => {
    expect(cases.filter((c) => !('accepted' in c.expect)).length).toBeGreaterThanOrEqual(40)
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length)
  })

  it('starts from inputs that are valid', async () => {
    await episodePlays(fixtures.v21, 1, 12)
    await episodePlays(fixtures.v30, 1, 12)
    expect((await call('annotations.importPreview', { datasetId: healthy.id, text: docText(), mode: 'merge' })).eventsAdded).toBe(1)
  })

  for (const c of cases) {
    it(`${c.reader}: ${c.name}`, async () => {
      const dir = path.join(tmp, `case-${++caseCounter}`)
      await mkdir(dir)
      const target = await c.build(dir)
      let outcome: readonly Reported[] | void = undefined
      let error: unknown = null
      try {
        outcome = await withTimeout(c.act(target), c.name)
      } catch (err) {
        error = err
      }

      if ('thrown' in c.expect) {
        // A raw exception (TypeError, RangeError, a timeout) fails here, with its own message for the reader.
        if (!(error instanceof VivaError)) throw error ?? new Error(`${c.name}: expected ${c.expect.thrown}, the call succeeded`)
        expect(isErrorCode(error.code)).toBe(true)
        expect(error.code).toBe(c.expect.thrown)
        for (const part of c.expect.messageIncludes) expect(error.message).toContain(part)
      } else {
        if (error !== null) throw error
        if ('reported' in c.expect) {
          const { reported, messageIncludes } = c.expect
          const matching = (outcome ?? []).filter((r) => r.code === reported)
          expect(matching.map((r) => r.code), JSON.stringify(outcome, null, 1)).toContain(reported)
          expect(
            matching.some((r) => messageIncludes.every((part) => `${r.file ?? ''}: ${r.message}`.includes(part))),
            `no ${reported} mentions ${JSON.stringify(messageIncludes)}: ${JSON.stringify(matching.map((r) => r.message))}`,
          ).toBe(true)
        }
      }
      if (c.after) await withTimeout(c.after(target), `${c.name} (after)`)
      await appStillUsable()
    })
  }
})
