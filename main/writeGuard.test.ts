import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, lstatSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { VivaError } from '../app/errors'
import { rejected } from '../app/testing/thrown'
import { composeWriteGuard } from './compose'
import { resolveWritePath } from './writeGuard'

const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'viva-writeguard-')))
const dataset = path.join(dir, 'ds')
const dataDir = path.join(dir, 'data')
mkdirSync(path.join(dataset, 'meta'), { recursive: true })
writeFileSync(path.join(dataset, 'meta', 'info.json'), '{"fps": 30}')
mkdirSync(dataDir)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const guard = composeWriteGuard({ dataDir, datasets: () => [dataset], projectFiles: () => [path.join(dir, 'mine.viva.sqlite')] })

describe('resolveWritePath', () => {
  it('resolves the nearest existing ancestor and keeps the names that do not exist yet', async () => {
    const link = path.join(dir, 'link-a')
    symlinkSync(dataset, link)
    expect(await resolveWritePath(path.join(link, 'new', 'deeper', 'x.json'))).toBe(path.join(dataset, 'new', 'deeper', 'x.json'))
    expect(await resolveWritePath(path.join(dir, 'absent', 'x.json'))).toBe(path.join(dir, 'absent', 'x.json'))
  })
})

describe('WriteGuard', () => {
  it('allows a path beside the dataset, even one whose name starts the same, and returns where it lands', async () => {
    expect(await guard.check(path.join(dir, 'ds-annotations', 'a.json'))).toBe(path.join(dir, 'ds-annotations', 'a.json'))
    expect(await guard.check(path.join(dir, 'out.json'))).toBe(path.join(dir, 'out.json'))
  })

  it('refuses the dataset itself, anything inside it, and the same through a symlinked folder', async () => {
    const link = path.join(dir, 'link-b')
    symlinkSync(dataset, link)
    for (const target of [dataset, path.join(dataset, 'meta', 'info.json'), path.join(link, 'meta', 'info.json'), path.join(link, 'new', 'x.json')]) {
      const err = await rejected(() => guard.check(target))
      expect(err.code).toBe('INVALID_ARGUMENT')
      expect(err.message).toContain(`Refusing to write ${target}: it is inside the dataset ${dataset}`)
    }
  })

  it('refuses a final name that is a symlink into the dataset, and writing through it leaves the dataset file alone', async () => {
    const link = path.join(dir, 'innocent.json')
    symlinkSync(path.join(dataset, 'meta', 'info.json'), link)
    const err = await rejected(() => guard.writeFile(link, 'overwritten'))
    expect(err.message).toBe(
      `Refusing to write ${link}: it is inside the dataset ${dataset} (datasets are never modified) (${link} is a symbolic link to ${path.join(dataset, 'meta', 'info.json')}). Choose a path outside it.`,
    )
    expect(readFileSync(path.join(dataset, 'meta', 'info.json'), 'utf8')).toBe('{"fps": 30}')
  })

  it('replaces a final name that is a symlink to an unprotected file instead of writing through it', async () => {
    const target = path.join(dir, 'target.txt')
    writeFileSync(target, 'kept')
    const link = path.join(dir, 'link-to-target.txt')
    symlinkSync(target, link)
    await guard.writeFile(link, 'new')
    expect(lstatSync(link).isSymbolicLink()).toBe(false)
    expect(readFileSync(link, 'utf8')).toBe('new')
    expect(readFileSync(target, 'utf8')).toBe('kept')
  })

  it('refuses the data folder and a project file with its journal files, naming what they are', async () => {
    expect((await rejected(() => guard.check(path.join(dataDir, 'projects', 'x.viva.sqlite')))).message).toContain(`it is inside the annotation projects folder ${path.join(dataDir, 'projects')}`)
    expect((await rejected(() => guard.check(path.join(dataDir, 'values.sqlite')))).message).toContain(`it is inside the data folder ${dataDir}`)
    for (const name of ['mine.viva.sqlite', 'mine.viva.sqlite-wal', 'mine.viva.sqlite-shm']) {
      expect((await rejected(() => guard.check(path.join(dir, name)))).message).toContain(`it is the annotation project file ${path.join(dir, 'mine.viva.sqlite')}`)
    }
    expect(await guard.check(path.join(dir, 'mine.viva.sqlite.json'))).toBe(path.join(dir, 'mine.viva.sqlite.json'))
  })

  it('refuses to replace a folder that holds a dataset or the data folder', async () => {
    const err = await rejected(() => guard.check(dir, { replacesFolder: true }))
    expect(err.message).toMatch(/^Refusing to replace .*: it holds the (annotation project file|dataset|data folder) /)
    expect(await guard.check(path.join(dir, 'cache'), { replacesFolder: true })).toBe(path.join(dir, 'cache'))
  })

  it('covers what is opened after it was made, and what `with` adds', async () => {
    const later: string[] = []
    const dynamic = composeWriteGuard({ dataDir, datasets: () => later })
    const other = path.join(dir, 'other-ds')
    expect(await dynamic.check(path.join(other, 'x'))).toBe(path.join(other, 'x'))
    later.push(other)
    expect(await rejected(() => dynamic.check(path.join(other, 'x')))).toBeInstanceOf(VivaError)
    const extra = composeWriteGuard({ dataDir }).with([{ path: other, kind: 'dataset' }])
    expect((await rejected(() => extra.check(path.join(other, 'y')))).message).toContain('inside the dataset')
  })
})
