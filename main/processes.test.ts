import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { composeServices } from './compose'
import { ChildProcesses, processAlive, removeStaleFiles } from './processes'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-processes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid ?? 0
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10))
}

describe('child processes', () => {
  it('kills every child still running, and forgets those that ended', async () => {
    const children = new ChildProcesses()
    const quick = children.track(spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }))
    await new Promise((r) => quick.once('exit', r))
    const slow = children.track(spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' }))
    expect(children.pids).toEqual([slow.pid])
    const exited = new Promise((r) => slow.once('exit', (_code, signal) => r(signal)))
    children.killAll()
    expect(await exited).toBe('SIGKILL')
    expect(children.pids).toEqual([])
  })
})

describe('stale files of killed runs', () => {
  it('removes entries of processes that are gone, keeps those of live ones, and asks about its own', async () => {
    const d = path.join(dir, 'stale')
    mkdirSync(d)
    const dead = await deadPid()
    const live = process.ppid
    for (const name of [`a.${dead}.partial`, `b.${live}.partial`, `c.${process.pid}.partial`, `d.${process.pid}.partial`, 'e.partial', `f.${dead}.other`]) {
      writeFileSync(path.join(d, name), '')
    }
    mkdirSync(path.join(d, `g.${dead}.partial`))
    const removed = await removeStaleFiles(d, /^[a-z]\.(\d+)\.partial$/, (name) => name.startsWith('c.'))
    expect(removed.map((f) => path.basename(f)).sort()).toEqual([`a.${dead}.partial`, `c.${process.pid}.partial`, `g.${dead}.partial`])
    expect(readdirSync(d).sort()).toEqual([`b.${live}.partial`, `d.${process.pid}.partial`, 'e.partial', `f.${dead}.other`])
    expect(await removeStaleFiles(path.join(dir, 'absent'), /(\d+)/)).toEqual([])
    expect(processAlive(dead)).toBe(false)
    expect(processAlive(live)).toBe(true)
  })

  it('at start, the app removes partial proxies and half-written settings files that no live process owns', async () => {
    const dataDir = path.join(dir, 'data')
    const proxies = path.join(dataDir, 'proxies')
    mkdirSync(proxies, { recursive: true })
    const dead = await deadPid()
    const key = 'ab'.repeat(12)
    const stale = [
      path.join(proxies, `${key}.mp4.${dead}.partial.mp4`),
      path.join(proxies, `${key}.mp4.${process.pid}.partial.mp4`),
      path.join(dataDir, `.window-state.json.${dead}-0123abcd.partial`),
    ]
    const kept = [
      path.join(proxies, `${key}.mp4.${process.ppid}.partial.mp4`),
      path.join(proxies, `${key}.mp4`),
      path.join(dataDir, `.models.json.${process.ppid}-0123abcd.partial`),
      path.join(dataDir, 'models.json'),
    ]
    for (const f of [...stale, ...kept]) writeFileSync(f, 'x')
    const services = composeServices({ mode: 'browser', version: 'test', dataDir })
    try {
      await until(() => stale.every((f) => !existsSync(f)))
      expect(kept.filter((f) => !existsSync(f))).toEqual([])
    } finally {
      await services.dispose()
    }
  })
})
