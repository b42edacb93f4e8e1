import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
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
import { copyDataset, deeplyNestedJson, editFeatures, editJson, FIXTURE_CAMERAS, rewriteParquet, V30, writeCorpusFixtures, type CorpusFixtures } from './badInputs'
/**
 * The harness of the bad-input corpus (issue 7; the cases are in cases/<input class>.ts): every reader and importer gets malformed files, and each must answer with a typed
 * error (or a warning, where the rest of the input is still usable) whose message names the file and the problem;
 * never a raw TypeError/RangeError, a hang or an unhandled rejection. After every case the app must still work:
 * a healthy dataset opens and plays an episode, its annotation project loads, the model registry lists.
 *
 * Service calls go through `dispatch`, the path every transport uses, so an untyped exception would surface here as
 * code INTERNAL and fail the case.
 */

export const CAMERA_HIGH = FIXTURE_CAMERAS[0]
export const CAMERA_WRIST = FIXTURE_CAMERAS[1]
const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'inference', 'fixtures')
/** Longer than the slowest real case (a model session on a loaded 2-core runner), far shorter than a hang. */
const ACT_TIMEOUT_MS = 20_000

export type Reader =
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
export interface Reported {
  code: string
  message: string
  /** The file, where the warning carries it as a field rather than in its message. */
  file?: string
}

export type Expectation =
  | { thrown: string; messageIncludes: string[] }
  | { reported: string; messageIncludes: string[] }
  /** Odd but meaningful input that must simply work (checked by `after`). */
  | { accepted: true }

export interface Case {
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

// Live bindings: set by runCorpus's beforeAll, read by the cases when they run.
export let tmp = ''
export let fixtures: CorpusFixtures
export let services: Services
export let tools: MediaTools
export let healthy: DatasetSummary
let caseCounter = 0
let uploadSession: UploadSession | undefined
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}

export async function call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
  uploadSession ??= services.uploads.session()
  const out = await dispatch(services.handlers, method, params, { signal: new AbortController().signal, uploads: uploadSession })
  if (!out.ok) throw fromWireError(out.error)
  return out.result as Result<M>
}

// ---------------------------------------------------------------------------------------------------------------
// Acts and checks shared by cases

export const open = (root: string): Promise<DatasetSummary> => call('dataset.open', { path: root })

export async function openOnly(root: string): Promise<void> {
  await open(root)
}

/** Everything opening reported: the dataset's warnings and those of each episode. */
export async function openReported(root: string): Promise<Reported[]> {
  const summary = await open(root)
  return [...summary.warnings, ...summary.episodes.flatMap((e) => e.warnings)]
}

export async function episodeReported(root: string, episode: number): Promise<Reported[]> {
  const summary = await open(root)
  return (await call('episode.open', { datasetId: summary.id, episode })).warnings
}

/** The episode opens with its table's length and every listed camera playable. */
export async function episodePlays(root: string, episode: number, length: number, cameras: number = FIXTURE_CAMERAS.length): Promise<void> {
  const summary = await open(root)
  const view = await call('episode.open', { datasetId: summary.id, episode })
  expect(view.length).toBe(length)
  expect(view.cameras.filter((c) => c.status === 'ready')).toHaveLength(cameras)
}

/** A copy of the v2.1 fixture, damaged by `damage` (given the copy's root). */
export function v21(damage: (root: string) => Promise<void>): (dir: string) => Promise<string> {
  return async (dir) => {
    const root = await copyDataset(fixtures.v21, path.join(dir, 'dataset'))
    await damage(root)
    return root
  }
}

export function v30(damage: (root: string) => Promise<void>): (dir: string) => Promise<string> {
  return async (dir) => {
    const root = await copyDataset(fixtures.v30, path.join(dir, 'dataset'))
    await damage(root)
    return root
  }
}

export const at = (root: string, rel: string): string => path.join(root, rel)

/** Give one episode's camera another video window in the v3.0 fixture's meta/episodes (a bound left out is kept). */
export async function badWindow(root: string, episode: number, camera: string, window: { from?: number; to?: number }): Promise<void> {
  await rewriteParquet(at(root, V30.episodes), (rows) => {
    const row = rows[episode] as Record<string, unknown>
    if (window.from !== undefined) row[`videos/${camera}/from_timestamp`] = window.from
    if (window.to !== undefined) row[`videos/${camera}/to_timestamp`] = window.to
  })
}

/** The camera's pane of that episode is an error with this text, not a video marked ready. */
export async function cameraFails(root: string, episode: number, camera: string, text: string): Promise<void> {
  const summary = await open(root)
  const view = await call('episode.open', { datasetId: summary.id, episode })
  const cam = view.cameras.find((c) => c.key === camera)
  expect(cam?.status).toBe('failed')
  expect(cam?.media).toBeNull()
  expect(cam?.statusMessage).toContain(text)
}

/** Set a top-level field of a JSON file to raw text (for values JSON.stringify cannot write, such as deep nesting). */
export async function rawJsonField(file: string, key: string, rawValue: string): Promise<void> {
  const placeholder = '__RAW_VALUE__'
  await editJson(file, (d) => (d[key] = placeholder))
  await writeFile(file, (await readFile(file, 'utf8')).replace(`"${placeholder}"`, rawValue))
}

/** Nest a feature's field 100,000 lists deep in info.json. */
export async function deepFeatureField(infoFile: string, feature: string, field: string): Promise<void> {
  const placeholder = '__DEEP_VALUE__'
  await editFeatures(infoFile, (f) => ((f[feature] as Record<string, unknown>)[field] = placeholder))
  await writeFile(infoFile, (await readFile(infoFile, 'utf8')).replace(`"${placeholder}"`, deeplyNestedJson(100_000)))
}

// Models ----------------------------------------------------------------------------------------------------------

export async function copyModel(fixture: 'nan-value' | 'shape-mismatch', dir: string): Promise<string> {
  const out = path.join(dir, fixture)
  await cp(path.join(FIXTURES_DIR, fixture), out, { recursive: true })
  return out
}

export async function editManifest(pkg: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  await editJson(path.join(pkg, MANIFEST_FILE), edit)
}

/** Load a package through the registry, open a CPU session and score one frame, as a scoring job does. */
export async function scoreOneFrame(pkg: string): Promise<void> {
  const loaded = await services.models.load(pkg)
  const runner = await services.models.runner(loaded, 'cpu', 1)
  // The fixtures take one 8 × 8 RGB camera and a 2-dimensional state.
  const features = await runner.features(new Uint8Array(8 * 8 * 3).fill(100), 1)
  await runner.predict(features, new Float32Array([0.25, -0.5]), 1, 0, { steps: 0, seed: 0, episode: 0, firstFrame: 0 })
}

// Annotations -----------------------------------------------------------------------------------------------------

const T = '2026-01-01T00:00:00.000Z'

/** A valid annotations file for the healthy dataset: one taxonomy, one milestone on episode 0. */
export function annotationDoc(): Record<string, unknown> & { events: Record<string, unknown>[] } {
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

export function docText(edit: (doc: ReturnType<typeof annotationDoc>) => void = () => undefined): string {
  const doc = annotationDoc()
  edit(doc)
  return JSON.stringify(doc, null, 2)
}

/** As the UI sends a file: inline when small, in chunks (upload.*) above the inline limit. */
export async function importAnnotations(text: string): Promise<void> {
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

export async function writeIn(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, content)
  return file
}

export async function importCurves(file: string): Promise<void> {
  await call('curves.import', { datasetId: healthy.id, path: file })
}

export const invalidInfo = (...messageIncludes: string[]): Expectation => ({ thrown: 'DATASET_INVALID', messageIncludes: ['meta/info.json', ...messageIncludes] })

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

/**
 * One input class of the corpus: each case in its own folder, then the app checked still usable. Every test file
 * gets its own services and fixtures, so the classes run apart.
 */
export function runCorpus(title: string, cases: Case[]): void {
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

  describe(title, () => {
    it('has cases of unique names', () => {
      expect(cases.length).toBeGreaterThan(0)
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
}
