import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyEdits, emptyProject } from '../../app/annotationEdits'
import { CURVE_CONVENTIONS } from '../../app/curves'
import type { ErrorCode } from '../../app/errors'
import { VivaError } from '../../app/errors'
import { checkAgainstDataset, parseImportDocument, planImport } from '../../app/exchange'
import type { CurveImportTarget } from '../curves/importCurves'
import { importCurveFile } from '../curves/importCurves'
import { openLeRobotDataset } from '../datasets/lerobot/lerobot'
import { isFrameCount, MAX_FPS, MAX_STATE_DIM, parseInfo } from '../datasets/lerobot/lerobotInfo'
import { parseManifest } from '../inference/manifest'
import type { CellKind, CorpusFixtures, FlatColumn } from './badInputs'
import { deeplyNestedJson, FIXTURE_CAMERAS, V21, V30, writeCorpusFixtures, writeFlatParquet } from './badInputs'

/**
 * Property-based fuzzing of the metadata parsers and importers: arbitrary JSON, valid documents with keys deleted,
 * types swapped, huge numbers and NaN strings, and arbitrary bytes must give either a result that keeps the
 * parser's own guarantees or a VivaError with the parser's code; never a raw exception or a hang.
 *
 * app/exchange.test.ts fuzzes JSON error location and the export → import round trip of valid projects; here the
 * import side gets invalid documents. Seeds are fixed so CI runs the same inputs every time; run counts keep the file
 * at a few seconds on a 2-core machine.
 */

const SEED = 20_260_701

let tmp = ''
let fixtures: CorpusFixtures
let infoText = ''

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-fuzz-')))
  fixtures = await writeCorpusFixtures(tmp)
  infoText = await readFile(path.join(fixtures.v21, V21.info), 'utf8')
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Run `fn`; a VivaError with one of `codes` is an accepted outcome (returned), anything else thrown fails the run. */
function outcome<T>(fn: () => T, codes: readonly ErrorCode[]): T | VivaError {
  try {
    return fn()
  } catch (err) {
    if (err instanceof VivaError && codes.includes(err.code)) return err
    throw err
  }
}

async function outcomeAsync<T>(fn: () => Promise<T>, codes: readonly ErrorCode[]): Promise<T | VivaError> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof VivaError && codes.includes(err.code)) return err
    throw err
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutating valid documents

/** Values that break parsers: wrong types, boundaries, huge and non-finite numbers, numbers as text. */
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null, true, false, 0, -1, 0.5, -0, 1e15, 1e300, -1e300, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER,
    '', ' ', 'NaN', 'nan', 'Infinity', '-Infinity', '1e400', '-5', 'thirty', '0x1f', '1,5', [], {}, [[[]]], [null], { '': null },
    // Shapes and path templates that size arrays and strings.
    [1e9, 1e9], [-3], [0], [2.5], ['48', 64, 3], '{episode_index:99999999999d}', '../{episode_index}.parquet', '/abs/{episode_index}', '{unknown}',
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2 }),
)

type MutationKind = 'delete' | 'replace' | 'wrap' | 'stringify' | 'numberize' | 'duplicate'

interface Mutation {
  /** Which child to enter at each level (modulo the number of children). */
  path: number[]
  kind: MutationKind
  value: unknown
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  kind: fc.constantFrom<MutationKind>('delete', 'replace', 'replace', 'wrap', 'stringify', 'numberize', 'duplicate'),
  value: weirdValue,
})

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null
}

function changed(old: unknown, m: Mutation): unknown {
  switch (m.kind) {
    case 'replace':
      return m.value
    case 'wrap':
      return [old]
    case 'stringify':
      return typeof old === 'string' ? old : (JSON.stringify(old) ?? 'undefined')
    case 'numberize':
      return Number(old)
    default:
      return old
  }
}

/** Apply one mutation to a JSON document (in place where possible); returns the (possibly new) root. */
function mutate(root: unknown, m: Mutation): unknown {
  if (m.path.length === 0 || !isContainer(root)) return m.kind === 'delete' ? null : changed(root, m)
  let parent: Record<string, unknown> | unknown[] = root
  for (let depth = 0; depth < m.path.length; depth++) {
    const keys = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent)
    if (keys.length === 0) {
      if (Array.isArray(parent)) parent.push(m.value)
      else parent['added'] = m.value
      return root
    }
    const key = keys[(m.path[depth] ?? 0) % keys.length] as string | number
    const child: unknown = (parent as Record<string | number, unknown>)[key]
    if (depth + 1 < m.path.length && isContainer(child)) {
      parent = child
      continue
    }
    if (Array.isArray(parent)) {
      const i = key as number
      if (m.kind === 'delete') parent.splice(i, 1)
      else if (m.kind === 'duplicate') parent.splice(i, 0, structuredClone(child))
      else parent[i] = changed(child, m)
    } else {
      const k = key as string
      if (m.kind === 'delete') delete parent[k]
      else if (m.kind === 'duplicate') parent[`${k}_copy`] = structuredClone(child)
      else parent[k] = changed(child, m)
    }
    return root
  }
  return root
}

/** Text-level damage JSON.stringify cannot produce: NaN/Infinity tokens, huge exponents, truncation. */
type TextDamage = { kind: 'none' } | { kind: 'token'; token: string; at: number } | { kind: 'truncate'; at: number }

const textDamageArb: fc.Arbitrary<TextDamage> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<TextDamage>({ kind: 'none' }) },
  fc.record({
    kind: fc.constant('token' as const),
    // Nesting deeper than the call stack: JSON.parse takes it, recursive code does not.
    token: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '1e-400', deeplyNestedJson(50_000, '1')),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
)

function damageText(text: string, d: TextDamage): string {
  if (d.kind === 'none') return text
  if (d.kind === 'truncate') return text.slice(0, d.at % (text.length + 1))
  // Replace the n-th number in the text by the token.
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)]
  const hit = numbers[d.at % Math.max(1, numbers.length)]
  if (!hit || hit.index === undefined) return text
  return text.slice(0, hit.index) + d.token + text.slice(hit.index + hit[0].length)
}

/** A valid document with mutations and text damage applied, as the text a parser reads. */
function mutatedText(base: () => unknown): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), textDamageArb)
    .map(([mutations, damage]) => damageText(JSON.stringify(mutations.reduce(mutate, base())) ?? '', damage))
}

/** Arbitrary text: any JSON value, any string, and any bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
const arbitraryText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')),
)

// ---------------------------------------------------------------------------------------------------------------
// meta/info.json

describe('parseInfo (meta/info.json)', () => {
  const check = (text: string): void => {
    const result = outcome(() => parseInfo(text, null), ['DATASET_INVALID'])
    if (result instanceof VivaError) {
      expect(result.message.startsWith('meta/info.json')).toBe(true)
      expect(result.file).toBe('meta/info.json')
      return
    }
    // What it returns is safe to size arrays and paths with.
    expect(result.fps > 0 && result.fps <= MAX_FPS).toBe(true)
    expect(Number.isSafeInteger(result.chunksSize) && result.chunksSize > 0).toBe(true)
    if (result.state) {
      expect(Number.isSafeInteger(result.state.dim) && result.state.dim >= 0 && result.state.dim <= MAX_STATE_DIM).toBe(true)
      expect(result.state.names).toHaveLength(result.state.dim)
    }
    for (const c of result.cameras) expect(c.key).not.toMatch(/[\\/\0]|^\.\.?$/)
    for (const w of result.warnings) expect(typeof w.message).toBe('string')
  }

  it('gives a usable result or DATASET_INVALID for mutated info.json files', () => {
    fc.assert(fc.property(mutatedText(() => JSON.parse(infoText)), check), { seed: SEED, numRuns: 600 })
  })

  it('gives DATASET_INVALID (or a result) for arbitrary text', () => {
    fc.assert(fc.property(arbitraryText, check), { seed: SEED, numRuns: 400 })
  })

  it('survives any value in any top-level field', () => {
    const keys = Object.keys(JSON.parse(infoText) as object)
    fc.assert(
      fc.property(fc.constantFrom(...keys), weirdValue, (key, value) => {
        const doc = JSON.parse(infoText) as Record<string, unknown>
        doc[key] = value
        check(JSON.stringify(doc))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('survives any value in any feature field', () => {
    const featureField = fc.constantFrom('dtype', 'shape', 'names', 'info', 'video_info')
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURE_CAMERAS, 'observation.state'), featureField, weirdValue, (feature, field, value) => {
        const doc = JSON.parse(infoText) as { features: Record<string, Record<string, unknown>> }
        ;(doc.features[feature] as Record<string, unknown>)[field] = value
        check(JSON.stringify(doc))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------
// meta/episodes.jsonl and meta/tasks.jsonl

describe('v2 metadata (episodes.jsonl, tasks.jsonl)', () => {
  const validEpisodeLine = (): Record<string, unknown> => ({ episode_index: 1, tasks: ['Insert the peg into the socket'], length: 12 })
  const validTaskLine = (): Record<string, unknown> => ({ task_index: 1, task: 'Insert the peg into the socket' })

  /** One line of a JSONL file: a mutated valid record, any JSON value, or arbitrary bytes. */
  const line = (valid: () => Record<string, unknown>): fc.Arbitrary<Buffer> =>
    fc.oneof(
      mutatedText(valid).map((t) => Buffer.from(t)),
      fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))),
      fc.constant(Buffer.from(JSON.stringify(valid()))),
    )
  const jsonl = (valid: () => Record<string, unknown>): fc.Arbitrary<Buffer> =>
    fc.array(line(valid), { maxLength: 6 }).map((lines) => Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])))

  it('always opens, listing only episodes with sane indices and frame counts', async () => {
    const root = path.join(tmp, 'v2-jsonl')
    await cp(fixtures.v21, root, { recursive: true })
    await fc.assert(
      fc.asyncProperty(jsonl(validEpisodeLine), jsonl(validTaskLine), async (episodes, tasks) => {
        await writeFile(path.join(root, V21.episodes), episodes)
        await writeFile(path.join(root, V21.tasks), tasks)
        // Both files are regular files: whatever they hold, lines are skipped with a warning, never fatal.
        const source = await openLeRobotDataset(root)
        for (const e of source.summary.episodes) {
          expect(Number.isSafeInteger(e.index) && e.index >= 0).toBe(true)
          expect(isFrameCount(e.length)).toBe(true)
          for (const t of e.tasks) expect(typeof t).toBe('string')
        }
        expect(new Set(source.summary.episodes.map((e) => e.index)).size).toBe(source.summary.episodes.length)
      }),
      { seed: SEED, numRuns: 120 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------
// meta/episodes/*.parquet (v3.0)

describe('v3 metadata (meta/episodes parquet)', () => {
  const COLUMNS = [
    'episode_index',
    'length',
    'data/chunk_index',
    'data/file_index',
    'dataset_from_index',
    'dataset_to_index',
    `videos/${FIXTURE_CAMERAS[0]}/chunk_index`,
    `videos/${FIXTURE_CAMERAS[0]}/file_index`,
    `videos/${FIXTURE_CAMERAS[0]}/from_timestamp`,
    `videos/${FIXTURE_CAMERAS[0]}/to_timestamp`,
  ] as const

  const int64Cell = fc.oneof(
    fc.constantFrom<bigint | null>(0n, 1n, 2n, 8n, 10n, 12n, 22n, 30n, -1n, -5n, 10n ** 15n, 2n ** 63n - 1n, -(2n ** 63n), null),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  )
  const doubleCell = fc.oneof(fc.constantFrom<number | null>(Number.NaN, Infinity, -Infinity, 0.5, 1e300, -0, 1, 2.2, null), fc.double())
  const stringCell = fc.oneof(fc.constantFrom<string | null>('12', '0', 'NaN', '-3', '1e400', '', null), fc.string({ maxLength: 8 }))
  const cellsOf = (kind: CellKind, rows: number): fc.Arbitrary<unknown[]> => {
    const cell: fc.Arbitrary<unknown> = kind === 'int64' ? int64Cell : kind === 'double' ? doubleCell : stringCell
    return fc.array(cell, { minLength: rows, maxLength: rows })
  }
  /** Every column present (mostly INT64 as LeRobot writes), some with another type or missing. */
  const tableArb: fc.Arbitrary<FlatColumn[]> = fc.integer({ min: 0, max: 5 }).chain((rows) =>
    fc
      .tuple(
        ...COLUMNS.map((name) =>
          fc
            .constantFrom<CellKind | 'absent'>('int64', 'int64', 'int64', 'double', 'string', 'absent')
            .chain((kind): fc.Arbitrary<FlatColumn | null> =>
              kind === 'absent' ? fc.constant(null) : cellsOf(kind, rows).map((data) => ({ name, kind, data })),
            ),
        ),
      )
      .map((cols) => cols.filter((c): c is FlatColumn => c !== null)),
  )

  it('opens or refuses with DATASET_INVALID; listed episodes load or are refused the same way', async () => {
    const root = path.join(tmp, 'v3-episodes')
    await cp(fixtures.v30, root, { recursive: true })
    await fc.assert(
      fc.asyncProperty(tableArb, async (columns) => {
        await writeFlatParquet(path.join(root, V30.episodes), columns)
        const source = await outcomeAsync(() => openLeRobotDataset(root), ['DATASET_INVALID'])
        if (source instanceof VivaError) {
          expect(source.message).toContain('meta/episodes')
          return
        }
        for (const e of source.summary.episodes) {
          expect(Number.isSafeInteger(e.index) && e.index >= 0).toBe(true)
          expect(isFrameCount(e.length)).toBe(true)
        }
        for (const e of source.summary.episodes.filter((x) => x.present).slice(0, 3)) {
          const data = await outcomeAsync(() => source.loadEpisode(e.index), ['DATASET_INVALID', 'EPISODE_UNAVAILABLE'])
          if (!(data instanceof VivaError)) expect(isFrameCount(data.length)).toBe(true)
        }
      }),
      { seed: SEED, numRuns: 80 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Annotation import (app/exchange.ts)

describe('annotation import (parseImportDocument, checkAgainstDataset, planImport)', () => {
  const T = '2026-01-01T00:00:00.000Z'
  const dataset = { episodes: [{ index: 0, length: 10, tasks: ['fold'] }, { index: 1, length: 5, tasks: ['fold'] }] }
  const validDoc = (): unknown => ({
    schema: 'viva-studio/annotations',
    version: 1,
    exportedAt: T,
    dataset: { name: 'd', root: '/d', format: 'v2.1', fps: 30, episodes: dataset.episodes },
    filters: { episodeRange: [0, 1] },
    taxonomies: [{ task: 'fold', version: 1, milestones: ['Grasp', 'Fold'], errorTypes: ['Drop'], preset: null, createdAt: T }],
    episodes: [{ episode: 1, outcome: 'failure', status: 'done', note: 'n', updatedAt: T }],
    events: [
      { id: 'a', episode: 0, frame: 3, kind: 'milestone', direction: 1, label: 'Grasp', note: '', annotator: 'x', taxonomyVersion: 1, createdAt: T, updatedAt: T },
      { id: 'b', episode: 1, frame: 4, kind: 'error', direction: -1, label: 'Drop', note: 'q', annotator: 'x', taxonomyVersion: 1, createdAt: T, updatedAt: T },
    ],
  })

  const check = (text: string): void => {
    const doc = outcome(() => parseImportDocument(text), ['IMPORT_INVALID'])
    if (doc instanceof VivaError) {
      expect(doc.message.length).toBeGreaterThan(0)
      return
    }
    const fits = outcome(() => checkAgainstDataset(doc, dataset), ['IMPORT_INVALID'])
    if (fits instanceof VivaError) return
    const plan = outcome(() => planImport(emptyProject(), doc, 'replace', T), ['IMPORT_INVALID'])
    if (plan instanceof VivaError) return
    // A plan that was accepted applies, and replacing an empty project yields exactly the file's events.
    expect(applyEdits(emptyProject(), plan.edits).events.size).toBe(doc.events.length)
  }

  it('starts from a document that imports', () => {
    const doc = parseImportDocument(JSON.stringify(validDoc()))
    checkAgainstDataset(doc, dataset)
    expect(planImport(emptyProject(), doc, 'replace', T).summary.eventsAdded).toBe(2)
  })

  it('imports or refuses with IMPORT_INVALID, for mutated documents', () => {
    fc.assert(fc.property(mutatedText(validDoc), check), { seed: SEED, numRuns: 800 })
  })

  it('refuses arbitrary text with IMPORT_INVALID', () => {
    fc.assert(fc.property(arbitraryText, check), { seed: SEED, numRuns: 400 })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Curve import (JSON and CSV)

describe('curve import (importCurveFile, JSON and CSV)', () => {
  const TARGET: CurveImportTarget = { episodes: [{ index: 0, length: 5 }, { index: 1, length: 4 }, { index: 3, length: 6 }] }
  const lengthOf = new Map(TARGET.episodes.map((e) => [e.index, e.length]))
  let counter = 0

  async function check(ext: '.json' | '.csv', content: string | Buffer): Promise<void> {
    const file = path.join(tmp, `curve-${++counter}${ext}`)
    await writeFile(file, content)
    const result = await outcomeAsync(() => importCurveFile(file, TARGET), ['IMPORT_INVALID'])
    await rm(file)
    if (result instanceof VivaError) {
      // Every refusal names the file.
      expect(result.message.startsWith(path.basename(file))).toBe(true)
      expect(result.file).toBe(file)
      return
    }
    expect(result.curves.length).toBeGreaterThan(0)
    for (const c of result.curves) {
      expect(c.values.length).toBe(lengthOf.get(c.episode))
      expect(CURVE_CONVENTIONS).toContain(c.convention)
      for (const v of c.values) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true)
    }
  }

  const rowsDoc = (): unknown => ({
    name: 'v',
    convention: 'progress',
    rows: [
      { episode: 0, frame: 0, value: 0.1 },
      { episode: 0, frame: 1, value: 0.2 },
      { episode: 1, frame: 3, value: 0.9, name: 'w', convention: 'remaining' },
      { episode: 2, frame: 0, value: 0.5 },
    ],
  })
  const curvesDoc = (): unknown => ({ curves: [{ episode: 3, name: 'c', values: [0.1, null, 0.3] }, { episode_index: 0, values: [1, 2] }] })
  const arrayDoc = (): unknown => [{ episode_index: 0, frame_index: 4, prediction: 3 }, { episode_index: 1, frame_index: 0, prediction: 2 }]

  it('imports or refuses with IMPORT_INVALID naming the file, for mutated JSON curve files', async () => {
    const text = fc.oneof(mutatedText(rowsDoc), mutatedText(curvesDoc), mutatedText(arrayDoc), arbitraryText)
    await fc.assert(fc.asyncProperty(text, (t) => check('.json', t)), { seed: SEED, numRuns: 400 })
  })

  it('imports or refuses with IMPORT_INVALID naming the file, for arbitrary CSV', async () => {
    const header = fc.subarray(['episode', 'frame', 'value', 'name', 'convention', 'prediction', 'episode_index', 'junk', 'frame'], { minLength: 1 })
    const cell = fc.oneof(
      fc.constantFrom('0', '1', '3', '4', '0.5', '-1', '1e400', 'NaN', 'inf', '', ' ', '"', '"a,b"', '"x""y"', 'progress', 'remaining', '0x1f', '1e15'),
      fc.integer({ min: -2, max: 8 }).map(String),
      fc.string({ unit: 'binary', maxLength: 6 }),
    )
    const csv = fc.tuple(header, fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 8 }), fc.constantFrom(',', ';', '\t'), fc.constantFrom('\n', '\r\n', '\r'))
    const text = fc.oneof(
      { weight: 4, arbitrary: csv.map(([h, rows, sep, nl]) => [h, ...rows].map((r) => r.join(sep)).join(nl)) },
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
    )
    await fc.assert(fc.asyncProperty(text, (t) => check('.csv', t)), { seed: SEED, numRuns: 400 })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Model manifests (main/inference/manifest.ts)

describe('model manifest (parseManifest)', () => {
  const FILE = '/pkg/viva-model.json'
  let manifest = ''
  beforeAll(async () => {
    const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'inference', 'fixtures')
    manifest = await readFile(path.join(fixtures, 'nan-value', 'viva-model.json'), 'utf8')
  })

  it('parses or refuses with MODEL_INVALID naming viva-model.json', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedText(() => JSON.parse(manifest)), arbitraryText), (text) => {
        const result = outcome(() => parseManifest(text, FILE), ['MODEL_INVALID'])
        if (result instanceof VivaError) {
          expect(result.message.startsWith(`${FILE}: `)).toBe(true)
          return
        }
        expect(result.state.min).toHaveLength(result.state.dim)
        expect(result.state.max).toHaveLength(result.state.dim)
      }),
      { seed: SEED, numRuns: 500 },
    )
  })
})
