/**
 * Opening a new project (or value cache) while another process holds a read lock on it: the moment two instances
 * race to create the same file. The lock is held by a separate process, as it is in the race.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { VivaError } from '../../app/errors'
import { openAnnotationStore } from './annotationStore'
import { CurveStore } from './curveStore'
import { TEST_IDENTITY } from './testing/fixtures'
import { enableWal } from './wal'

let dir: string
let file: string

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'viva-wal-'))
  file = path.join(dir, 'new.sqlite')
})

afterEach(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Another process opens `file` (creating it, still a rollback-journal file) and holds its write (RESERVED) lock for
 * `holdMs`, as the other instance does while it switches the same new file to WAL. Resolves once the lock is held;
 * `released` once the process has exited.
 */
async function holdWriteLock(holdMs: number): Promise<{ released: Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3')
    const db = new Database(process.argv[1])
    db.exec('BEGIN IMMEDIATE')
    process.stdout.write('held\\n')
    setTimeout(() => { db.exec('COMMIT'); db.close() }, Number(process.argv[2]))
  `
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const released = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code}: ${stderr}`)))),
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
    released.then(() => reject(new Error(`lock holder exited before holding: ${stderr}`)), reject)
  })
  return { released }
}

describe('enableWal', () => {
  it('waits out a write lock that makes the plain pragma fail at once, and gives up after its deadline', async () => {
    const { released } = await holdWriteLock(400)
    const db = new Database(file)
    try {
      db.pragma('busy_timeout = 5000')
      // Why the helper exists: SQLite does not call the busy handler for this switch (with it, this would wait the
      // lock's 400 ms out and succeed).
      expect(() => db.pragma('journal_mode = WAL')).toThrow(/locked/)
      expect(() => enableWal(db, 30)).toThrow(/locked/)
      enableWal(db, 5000)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      db.close()
    }
    await released
  })

  it('lets a project and a value cache open while another instance is creating the same file', async () => {
    const { released } = await holdWriteLock(300)
    const store = openAnnotationStore(file, TEST_IDENTITY)
    try {
      expect(store.integrityCheck()).toBe('ok')
    } finally {
      store.close()
    }
    await released

    const cacheFile = path.join(dir, 'cache.sqlite')
    file = cacheFile
    const again = await holdWriteLock(300)
    const cache = new CurveStore(cacheFile)
    cache.close()
    await again.released
    const db = new Database(cacheFile, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('still answers LOCKED, naming the file, when the other instance never lets go', async () => {
    const { released } = await holdWriteLock(600)
    let caught: unknown
    try {
      openAnnotationStore(file, TEST_IDENTITY, { busyTimeoutMs: 100 }).close()
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(VivaError)
    expect((caught as VivaError).code).toBe('LOCKED')
    expect((caught as VivaError).message).toContain(file)
    await released
  })
})
