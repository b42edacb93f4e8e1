import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Edit, Taxonomy } from '../../app/annotations'
import { VivaError } from '../../app/errors'
import type { ErrorCode } from '../../app/errors'
import { defaultProjectFile, openAnnotationStore } from './annotationStore'
import type { AnnotationStore } from './annotationStore'
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations'
import type { Migration } from './migrations'
import { makeEvent, T0, TEST_IDENTITY } from './testing/fixtures'
import { thrown } from '../../app/testing/thrown'

let dir: string
let file: string
const open: AnnotationStore[] = []

function openStore(identity = TEST_IDENTITY, at = file): AnnotationStore {
  const store = openAnnotationStore(at, identity)
  open.push(store)
  return store
}

function expectError(fn: () => unknown, code: ErrorCode, message?: RegExp): VivaError {
  const err = thrown(fn)
  expect(err.code, err.message).toBe(code)
  if (message) expect(err.message).toMatch(message)
  return err
}

const T1 = '2025-01-02T00:00:00.000Z'
const T2 = '2025-01-03T00:00:00.000Z'

function taxonomy(version: number, overrides: Partial<Taxonomy> = {}): Taxonomy {
  return { task: 'fold', version, milestones: ['grasp', 'fold'], errorTypes: ['drop'], preset: null, createdAt: T0, ...overrides }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'viva-store-'))
  file = path.join(dir, 'nested', 'projects', 'p.viva.sqlite')
})

afterEach(() => {
  for (const store of open.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('opening', () => {
  it('creates the folder and the schema, and keeps data across reopen', () => {
    const store = openStore()
    expect(store.file).toBe(file)
    expect(store.identityNote).toBeNull()
    store.apply([{ op: 'event.add', event: makeEvent('a') }])
    store.close()

    const raw = new Database(file, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    const tables = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all()
    expect(tables).toEqual(['episodes', 'events', 'meta', 'taxonomies'])
    const meta = Object.fromEntries(raw.prepare('SELECT key, value FROM meta').all().map((r) => {
      const row = r as { key: string; value: string }
      return [row.key, row.value]
    }))
    expect(meta).toMatchObject({ dataset_root: path.resolve(TEST_IDENTITY.datasetRoot), dataset_name: 'viva-test', format: 'lerobot-v3.0', fps: '30' })
    raw.close()

    const again = openStore()
    expect([...again.load().events.keys()]).toEqual(['a'])
    expect(again.integrityCheck()).toBe('ok')
  })

  it('turns an empty (0-byte) file into a project', () => {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, '')
    const store = openStore()
    expect(store.load().events.size).toBe(0)
  })

  it('runs only the pending migrations, each once', () => {
    const runs: number[] = []
    const m2: Migration = (db) => {
      runs.push(2)
      db.exec('ALTER TABLE events ADD COLUMN extra TEXT')
    }
    openStore().close()
    const raw = new Database(file)
    migrate(raw, file, [...MIGRATIONS, m2])
    migrate(raw, file, [...MIGRATIONS, m2])
    expect(runs).toEqual([2])
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1)
    raw.close()
  })

  it('rolls back a failing migration as a whole', () => {
    openStore().close()
    const raw = new Database(file)
    const bad: Migration = (db) => {
      db.exec('CREATE TABLE half (x)')
      throw new Error('boom')
    }
    expect(() => migrate(raw, file, [...MIGRATIONS, bad])).toThrow('boom')
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(raw.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).pluck().get()).toBe(0)
    raw.close()
  })

  it('refuses a file written by a newer schema, without touching it', () => {
    openStore().close()
    const raw = new Database(file)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.close()
    const bytes = readFileSync(file)
    const err = expectError(
      () => openStore(),
      'DATASET_INVALID',
      new RegExp(`newer ViVa Studio \\(schema ${SCHEMA_VERSION + 1}\\); this version reads up to ${SCHEMA_VERSION}`),
    )
    expect(err.message).toContain(file)
    expect(err.file).toBe(file)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('refuses a file that is not SQLite, naming it', () => {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, Buffer.alloc(8192, 'not a database. '))
    const err = expectError(() => openStore(), 'DATASET_INVALID')
    expect(err.message).toContain(file)
    expect(readFileSync(file, 'utf8').startsWith('not a database')).toBe(true)
  })

  it("refuses another program's SQLite database", () => {
    mkdirSync(path.dirname(file), { recursive: true })
    const raw = new Database(file)
    raw.exec('CREATE TABLE stuff (x)')
    raw.close()
    expectError(() => openStore(), 'DATASET_INVALID', /another program/)
  })

  it('refuses a damaged project file', () => {
    const store = openStore()
    const edits: Edit[] = []
    for (let i = 0; i < 2000; i++) edits.push({ op: 'event.add', event: makeEvent(`ev-${i}`, { note: 'x'.repeat(100), frame: i }) })
    store.apply(edits)
    store.close()
    const raw = new Database(file)
    const pageSize = raw.pragma('page_size', { simple: true }) as number
    const pages = raw.pragma('page_count', { simple: true }) as number
    raw.close()
    // Scribble over a b-tree page in the middle of the events table.
    const bytes = readFileSync(file)
    bytes.fill(0xa5, Math.floor(pages / 2) * pageSize, Math.floor(pages / 2) * pageSize + 200)
    writeFileSync(file, bytes)
    const err = expectError(() => openStore(), 'DATASET_INVALID')
    expect(err.message).toContain(file)
  })

  it('refuses a folder in place of the file', () => {
    mkdirSync(file, { recursive: true })
    expectError(() => openStore(), 'INVALID_ARGUMENT', /folder/)
  })

  it('names the default project file after the dataset id', () => {
    expect(defaultProjectFile('/data/projects', 'abc-123')).toBe(path.join('/data/projects', 'abc-123.viva.sqlite'))
    expectError(() => defaultProjectFile('/data', '../evil'), 'INVALID_ARGUMENT')
  })

  it('keeps using a project where version 0.1.0 put it (one folder deeper)', () => {
    const projectsDir = path.join(path.dirname(file), 'legacy-projects')
    const legacy = path.join(projectsDir, 'projects', 'abc.viva.sqlite')
    mkdirSync(path.dirname(legacy), { recursive: true })
    writeFileSync(legacy, '')
    expect(defaultProjectFile(projectsDir, 'abc')).toBe(legacy)
    writeFileSync(path.join(projectsDir, 'abc.viva.sqlite'), '')
    expect(defaultProjectFile(projectsDir, 'abc')).toBe(path.join(projectsDir, 'abc.viva.sqlite'))
  })
})

describe('dataset identity', () => {
  it('follows a moved dataset (same name, format, fps) and notes it once', () => {
    openStore().close()
    const moved = { ...TEST_IDENTITY, datasetRoot: '/elsewhere/viva-test' }
    const store = openStore(moved)
    expect(store.identityNote).toMatch(/created for the dataset at .*viva-test; it is now opened at .*elsewhere/)
    store.close()
    expect(openStore(moved).identityNote).toBeNull()
  })

  it('refuses a project of another dataset', () => {
    openStore().close()
    expectError(
      () => openStore({ datasetRoot: '/other', datasetName: 'other', format: 'lerobot-v3.0', fps: 30 }),
      'INVALID_ARGUMENT',
      /holds annotations of dataset "viva-test"/,
    )
  })

  it('opens a changed dataset at the same path with a note', () => {
    openStore().close()
    const store = openStore({ ...TEST_IDENTITY, fps: 15 })
    expect(store.identityNote).toMatch(/changed since this project was created \(fps 30 → 15\)/)
  })
})

describe('apply', () => {
  let store: AnnotationStore
  beforeEach(() => {
    store = openStore()
  })

  it('adds, updates and deletes events', () => {
    const ev = makeEvent('a', { episode: 2, frame: 10 })
    store.apply([{ op: 'event.add', event: ev }])
    expect(store.load().events.get('a')).toEqual(ev)

    store.apply([{ op: 'event.update', id: 'a', episode: 2, before: { frame: 10, note: '' }, after: { frame: 12, note: 'late' }, at: T1, beforeAt: T0 }])
    const updated = { ...ev, frame: 12, note: 'late', updatedAt: T1 }
    expect(store.load().events.get('a')).toEqual(updated)
    expect(store.eventsOfEpisode(2)).toEqual([updated])
    expect(store.eventsOfEpisode(3)).toEqual([])

    store.apply([{ op: 'event.delete', event: updated }])
    expect(store.load().events.size).toBe(0)
  })

  it('rejects a duplicate id, and the whole batch with it', () => {
    store.apply([{ op: 'event.add', event: makeEvent('a') }])
    expectError(
      () => store.apply([{ op: 'event.add', event: makeEvent('b') }, { op: 'event.add', event: makeEvent('a', { frame: 5 }) }]),
      'CONFLICT',
      /^edit 2 of 2 \(event\.add\): event "a" already exists \(episode 0, frame 0\)/,
    )
    expect([...store.load().events.keys()]).toEqual(['a'])
  })

  it('checks event.update against the stored values', () => {
    store.apply([{ op: 'event.add', event: makeEvent('a', { note: 'n1', episode: 1 }) }])
    const update = (patch: Partial<Extract<Edit, { op: 'event.update' }>>): void =>
      store.apply([{ op: 'event.update', id: 'a', episode: 1, before: { note: 'n1' }, after: { note: 'x' }, at: T1, ...patch }])
    expectError(() => update({ before: { note: 'old' } }), 'CONFLICT', /event "a" changed since the edit was made: note is "n1" here, the edit expected "old"/)
    expectError(() => update({ id: 'zz' }), 'CONFLICT', /event "zz" does not exist/)
    expectError(() => update({ episode: 4 }), 'CONFLICT', /is in episode 1, the edit expected episode 4/)
    expectError(() => update({ after: { label: 'x' } }), 'INVALID_ARGUMENT', /before names fields \[note\] but after names \[label\]/)
    expectError(() => update({ before: { kind: 'milestone' }, after: { kind: 'bogus' as 'error' } }), 'INVALID_ARGUMENT', /kind must be one of/)
    expectError(() => update({ before: { label: 'grasp' }, after: { label: '  ' } }), 'INVALID_ARGUMENT', /non-empty label/)
    expectError(() => update({ at: 'yesterday' }), 'INVALID_ARGUMENT', /ISO 8601/)
    expect(store.load().events.get('a')?.note).toBe('n1')
  })

  it('checks event.delete against the whole stored event; an undone update restores updatedAt', () => {
    const ev = makeEvent('a', { label: 'grasp' })
    store.apply([{ op: 'event.add', event: ev }])
    expectError(() => store.apply([{ op: 'event.delete', event: makeEvent('b') }]), 'CONFLICT', /event "b" does not exist/)
    expectError(() => store.apply([{ op: 'event.delete', event: { ...ev, label: 'fold' } }]), 'CONFLICT', /label is "grasp" here, the edit expected "fold"/)
    store.apply([{ op: 'event.update', id: 'a', episode: 0, before: { note: '' }, after: { note: 'x' }, at: T1, beforeAt: T0 }])
    expectError(() => store.apply([{ op: 'event.delete', event: ev }]), 'CONFLICT', /note is "x" here.*updatedAt is "2025-01-02/)
    // The inverse of the update (as invertEdit makes it) puts back the old updatedAt, so undoing the add works.
    store.apply([{ op: 'event.update', id: 'a', episode: 0, before: { note: 'x' }, after: { note: '' }, at: T0, beforeAt: T1 }])
    store.apply([{ op: 'event.delete', event: ev }])
    expect(store.load().events.size).toBe(0)
  })

  it('rejects malformed events', () => {
    expectError(() => store.apply([{ op: 'event.add', event: makeEvent('a', { frame: -1 }) }]), 'INVALID_ARGUMENT', /frame/)
    expectError(() => store.apply([{ op: 'event.add', event: makeEvent('') }]), 'INVALID_ARGUMENT', /id/)
    expectError(() => store.apply([{ op: 'event.add', event: makeEvent('a', { kind: 'oops' as 'error' }) }]), 'INVALID_ARGUMENT', /kind/)
    expectError(() => store.apply([{ op: 'event.add', event: makeEvent('a', { taxonomyVersion: 0 }) }]), 'INVALID_ARGUMENT', /taxonomyVersion/)
    expectError(() => store.apply([{ op: 'event.add', event: makeEvent('a', { createdAt: 'now' }) }]), 'INVALID_ARGUMENT', /createdAt/)
    expect(store.load().events.size).toBe(0)
  })

  it('updates episode labels from the defaults on, and stores none that equal the defaults', () => {
    store.apply([{ op: 'episode.update', episode: 3, before: { outcome: 'unknown', status: 'todo' }, after: { outcome: 'success', status: 'done' }, at: T1 }])
    expect(store.episodeLabels().get(3)).toEqual({ episode: 3, outcome: 'success', status: 'done', note: '', updatedAt: T1 })
    expectError(
      () => store.apply([{ op: 'episode.update', episode: 3, before: { outcome: 'unknown' }, after: { outcome: 'failure' }, at: T2 }]),
      'CONFLICT',
      /episode 3 changed since the edit was made: outcome is "success" here, the edit expected "unknown"/,
    )
    expectError(
      () => store.apply([{ op: 'episode.update', episode: 4, before: { note: 'something' }, after: { note: 'x' }, at: T2 }]),
      'CONFLICT',
      /note is "" here, the edit expected "something"/,
    )
    expectError(
      () => store.apply([{ op: 'episode.update', episode: 3, before: { outcome: 'success' }, after: { outcome: 'great' as 'success' }, at: T2 }]),
      'INVALID_ARGUMENT',
    )
    store.apply([{ op: 'episode.update', episode: 3, before: { note: '' }, after: { note: 'wobbly' }, at: T2, beforeAt: T1 }])
    expect(store.load().episodes.get(3)).toEqual({ episode: 3, outcome: 'success', status: 'done', note: 'wobbly', updatedAt: T2 })
    store.apply([
      { op: 'episode.update', episode: 3, before: { outcome: 'success', status: 'done', note: 'wobbly' }, after: { outcome: 'unknown', status: 'todo', note: '' }, at: T2 },
    ])
    expect(store.episodeLabels().has(3)).toBe(false)
  })

  it('saves taxonomy versions only on top of the latest', () => {
    store.apply([{ op: 'taxonomy.save', before: null, after: taxonomy(1) }])
    expectError(
      () => store.apply([{ op: 'taxonomy.save', before: null, after: taxonomy(1) }]),
      'CONFLICT',
      /taxonomy "fold": the latest version is version 1 here, the edit expected none/,
    )
    expectError(
      () => store.apply([{ op: 'taxonomy.save', before: taxonomy(1, { milestones: ['x'] }), after: taxonomy(2) }]),
      'CONFLICT',
      /version 1 differs from the one the edit expected: its milestones differ/,
    )
    expectError(() => store.apply([{ op: 'taxonomy.save', before: taxonomy(1), after: taxonomy(3) }]), 'INVALID_ARGUMENT', /next version is 2, the edit saves version 3/)
    expectError(
      () => store.apply([{ op: 'taxonomy.save', before: taxonomy(1), after: taxonomy(2, { milestones: [] }) }]),
      'INVALID_ARGUMENT',
      /at least one milestone/,
    )
    const v2 = taxonomy(2, { milestones: ['grasp', 'fold', 'stack'], createdAt: T1 })
    store.apply([{ op: 'taxonomy.save', before: taxonomy(1), after: v2 }])
    expectError(
      () => store.apply([{ op: 'taxonomy.save', before: taxonomy(1), after: taxonomy(2) }]),
      'CONFLICT',
      /the latest version is version 2 here, the edit expected version 1/,
    )
    store.apply([{ op: 'taxonomy.save', before: null, after: taxonomy(1, { task: 'stack' }) }])
    expect(store.load().taxonomies).toEqual(
      new Map([
        ['fold', [taxonomy(1), v2]],
        ['stack', [taxonomy(1, { task: 'stack' })]],
      ]),
    )
  })

  it('removes only the latest taxonomy version, on top of the expected one', () => {
    const v2 = taxonomy(2, { milestones: ['grasp', 'fold', 'stack'] })
    store.apply([
      { op: 'taxonomy.save', before: null, after: taxonomy(1) },
      { op: 'taxonomy.save', before: taxonomy(1), after: v2 },
    ])
    expectError(() => store.apply([{ op: 'taxonomy.delete', taxonomy: taxonomy(1), previous: null }]), 'CONFLICT', /only the latest version .* \(2\) can be removed, not version 1/)
    expectError(() => store.apply([{ op: 'taxonomy.delete', taxonomy: taxonomy(3), previous: v2 }]), 'CONFLICT', /only the latest version/)
    expectError(() => store.apply([{ op: 'taxonomy.delete', taxonomy: { ...v2, preset: 'p' }, previous: taxonomy(1) }]), 'CONFLICT', /preset is null here/)
    expectError(() => store.apply([{ op: 'taxonomy.delete', taxonomy: v2, previous: null }]), 'CONFLICT', /version below it is version 1 here, the edit expected none/)
    expectError(() => store.apply([{ op: 'taxonomy.delete', taxonomy: taxonomy(1, { task: 'nope' }), previous: null }]), 'CONFLICT', /"nope" has no taxonomy/)
    store.apply([
      { op: 'taxonomy.delete', taxonomy: v2, previous: taxonomy(1) },
      { op: 'taxonomy.delete', taxonomy: taxonomy(1), previous: null },
    ])
    expect(store.load().taxonomies.size).toBe(0)
  })

  it('refuses to remove a taxonomy version events still use, judged on the whole batch', () => {
    const v2 = taxonomy(2, { milestones: ['grasp', 'fold', 'stack'] })
    store.apply([
      { op: 'taxonomy.save', before: null, after: taxonomy(1) },
      { op: 'taxonomy.save', before: taxonomy(1), after: v2 },
    ])
    const ev = makeEvent('a', { label: 'stack', taxonomyVersion: 2, episode: 5, frame: 7 })
    store.apply([{ op: 'event.add', event: ev }])
    const remove: Edit = { op: 'taxonomy.delete', taxonomy: v2, previous: taxonomy(1) }
    expectError(() => store.apply([remove]), 'CONFLICT', /version 2 is still used: event "a" \(episode 5, frame 7\) is labelled "stack"/)
    expectError(
      () => store.apply([remove, { op: 'event.add', event: makeEvent('b') }]),
      'CONFLICT',
      /^edit 1 of 2 \(taxonomy\.delete\): .*still used/,
    )
    // Removed and saved again in one batch (an import replacing the version): nothing dangles.
    const v2b = { ...v2, createdAt: T1 }
    store.apply([remove, { op: 'taxonomy.save', before: taxonomy(1), after: v2b }])
    // Removed together with the events using it, in the order an import plans it (taxonomies first).
    store.apply([{ op: 'taxonomy.delete', taxonomy: v2b, previous: taxonomy(1) }, { op: 'event.delete', event: ev }])
    // An event of the same version number labelled from another vocabulary (another task) does not count.
    store.apply([
      { op: 'taxonomy.save', before: taxonomy(1), after: v2 },
      { op: 'event.add', event: makeEvent('c', { label: 'wipe', taxonomyVersion: 2 }) },
    ])
    store.apply([remove])
    expect(store.load().taxonomies.get('fold')).toEqual([taxonomy(1)])
  })

  it('is all or nothing across edit kinds', () => {
    store.apply([{ op: 'event.add', event: makeEvent('a') }])
    const before = store.load()
    expectError(
      () =>
        store.apply([
          { op: 'event.add', event: makeEvent('b') },
          { op: 'episode.update', episode: 0, before: { status: 'todo' }, after: { status: 'done' }, at: T1 },
          { op: 'taxonomy.save', before: null, after: taxonomy(1) },
          { op: 'event.update', id: 'a', episode: 0, before: { note: 'stale' }, after: { note: 'x' }, at: T1 },
        ]),
      'CONFLICT',
      /^edit 4 of 4 \(event\.update\)/,
    )
    expect(store.load()).toEqual(before)
  })

  it('counts events per episode', () => {
    store.apply([
      { op: 'event.add', event: makeEvent('a', { episode: 1 }) },
      { op: 'event.add', event: makeEvent('b', { episode: 1, kind: 'error', label: 'drop' }) },
      { op: 'event.add', event: makeEvent('c', { episode: 1 }) },
      { op: 'event.add', event: makeEvent('d', { episode: 4, kind: 'error', label: 'drop' }) },
    ])
    expect(store.eventCountsByEpisode()).toEqual(
      new Map([
        [1, { milestones: 2, errors: 1 }],
        [4, { milestones: 0, errors: 1 }],
      ]),
    )
  })

  it('answers LOCKED when another instance holds the write lock too long', () => {
    const quick = openAnnotationStore(file, TEST_IDENTITY, { busyTimeoutMs: 100 })
    open.push(quick)
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    try {
      expectError(() => quick.apply([{ op: 'event.add', event: makeEvent('a') }]), 'LOCKED', /busy/)
      // Readers are not blocked by a writer (WAL).
      expect(quick.load().events.size).toBe(0)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    quick.apply([{ op: 'event.add', event: makeEvent('a') }])
    expect(store.load().events.has('a')).toBe(true)
  })
})
