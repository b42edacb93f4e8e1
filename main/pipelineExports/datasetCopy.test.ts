import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { VivaError } from '../../app/errors'
import { tempDirHooks } from '../testing/tempDir'
import { WriteGuard } from '../writeGuard'
import { hostTag, writeDatasetCopy, type DatasetCopyPlan } from './datasetCopy'

let dir = ''
tempDirHooks('viva-dataset-copy-', (d) => (dir = d))

const guard = new WriteGuard([])
const plan: DatasetCopyPlan = {
  edits: {
    'meta/info.json': (existing) => `${existing ?? ''}!`,
    'meta/extra.json': (existing) => (existing === null ? 'new' : 'was there'),
  },
}

/** A small source tree: media, data, nested folders and a symbolic link back to a folder (a loop). */
function source(name: string): string {
  const root = path.join(dir, name)
  for (const sub of ['meta', 'videos/cam', 'data/chunk-000', 'x/y']) mkdirSync(path.join(root, sub), { recursive: true })
  writeFileSync(path.join(root, 'meta', 'info.json'), '{}')
  writeFileSync(path.join(root, 'videos', 'cam', 'a.mp4'), 'video')
  writeFileSync(path.join(root, 'data', 'chunk-000', 'notes.txt'), 'notes')
  writeFileSync(path.join(root, 'x', 'y', 'z.bin'), 'z')
  symlinkSync(path.join(root, 'x'), path.join(root, 'x', 'y', 'loop'))
  return root
}

/** Relative paths of every file under `root`. */
function files(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(root, path.join(rel, e.name)) : [path.join(rel, e.name)],
  )
}

/** A process id that no longer runs (a child that has exited). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid as number
}

describe('writeDatasetCopy', () => {
  it('reports progress from (0, total) one file at a time to (total, total), total being the files of the copy', async () => {
    const root = source('progress-src')
    const seen: [number, number][] = []
    const { dir: out } = await writeDatasetCopy(root, path.join(dir, 'progress-out'), guard, plan, { onProgress: (done, total) => seen.push([done, total]) })
    const written = files(out).sort()
    expect(written).toEqual(['data/chunk-000/notes.txt', 'meta/extra.json', 'meta/info.json', 'videos/cam/a.mp4', 'x/y/z.bin'])
    expect(seen).toEqual(written.map((_, i) => [i, written.length] as [number, number]).concat([[written.length, written.length]]))
    expect(readFileSync(path.join(out, 'meta', 'info.json'), 'utf8')).toBe('{}!')
    expect(readFileSync(path.join(out, 'meta', 'extra.json'), 'utf8')).toBe('new')
  })

  it('cancelled mid-way, leaves neither the output nor its temporary folder', async () => {
    const root = source('cancel-src')
    const out = path.join(dir, 'cancel-parent', 'out')
    mkdirSync(path.dirname(out))
    const abort = new AbortController()
    const copy = writeDatasetCopy(root, out, guard, plan, { signal: abort.signal, onProgress: (done) => done === 2 && abort.abort() })
    await expect(copy).rejects.toSatisfy((err) => err instanceof VivaError && err.code === 'CANCELLED' && err.message.includes(out))
    expect(readdirSync(path.dirname(out))).toEqual([])
  })

  it("removes what killed copies of this machine left, keeps a running copy's, another machine's and anything else", async () => {
    const root = source('leftover-src')
    const parent = path.join(dir, 'leftovers')
    const dead = deadPid()
    const host = hostTag()
    // Another process that runs (as a copy would while writing its folder).
    const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      const names = {
        killed: `.out.${dead}-0123abcd.${host}.partial`,
        killedOlderBuild: `.earlier.${dead}-89abcdef.partial`,
        // This process's id but none of its copies: an earlier run of a container that reuses the same pid.
        reusedPid: `.out.${process.pid}-11112222.${host}.partial`,
        running: `.out.${running.pid}-deadbeef.${host}.partial`,
        otherMachine: `.out.${dead}-cafef00d.${host}x.partial`,
        notOurs: '.cache.partial',
        userFolder: 'keep',
      }
      for (const name of Object.values(names)) {
        mkdirSync(path.join(parent, name, 'meta'), { recursive: true })
        writeFileSync(path.join(parent, name, 'meta', 'info.json'), 'half')
      }
      const result = await writeDatasetCopy(root, path.join(parent, 'out'), guard, plan)
      const removed = [names.killed, names.killedOlderBuild, names.reusedPid]
      expect(result.removedLeftovers.sort()).toEqual(removed.map((n) => path.join(parent, n)).sort())
      const kept = [names.running, names.otherMachine, names.notOurs, names.userFolder]
      expect(readdirSync(parent).sort()).toEqual([...kept, 'out'].sort())
      for (const name of kept) expect(existsSync(path.join(parent, name, 'meta', 'info.json'))).toBe(true)
    } finally {
      running.kill('SIGKILL')
    }
  })
})
