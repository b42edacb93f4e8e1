import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { addRecent, MAX_RECENT, parseRecent, RECENT_FILE, RecentDatasets, removeRecent } from './recent'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-recent-'))
  dirs.push(dir)
  return dir
}
const abs = (p: string): string => path.resolve('/data', p)

describe('recent list', () => {
  it('puts the newest first without duplicates, at most 10', () => {
    let list: string[] = []
    for (let i = 0; i < 12; i++) list = addRecent(list, abs(`ds${i}`))
    expect(list).toHaveLength(MAX_RECENT)
    expect(list[0]).toBe(abs('ds11'))
    expect(list.at(-1)).toBe(abs('ds2'))
    list = addRecent(list, abs('ds5'))
    expect(list[0]).toBe(abs('ds5'))
    expect(list.filter((p) => p === abs('ds5'))).toHaveLength(1)
    expect(list).toHaveLength(MAX_RECENT)
    expect(addRecent([abs('a')], `${abs('a')}/`)).toEqual([abs('a')]) // same folder, trailing slash
    expect(removeRecent(list, abs('ds5'))).not.toContain(abs('ds5'))
  })

  it('cleans what it reads', () => {
    expect(parseRecent({ datasets: [abs('a'), 'relative/b', 3, abs('a'), '', abs('c')] })).toEqual([abs('a'), abs('c')])
    expect(parseRecent([abs('a')])).toEqual([abs('a')])
    expect(parseRecent('nope')).toEqual([])
    expect(parseRecent({ datasets: Array.from({ length: 30 }, (_, i) => abs(`d${i}`)) })).toHaveLength(MAX_RECENT)
  })

  it('persists in the data folder', async () => {
    const dir = tempDir()
    const recent = await RecentDatasets.open(dir)
    expect(recent.list).toEqual([])
    await recent.add(abs('one'))
    await recent.add(abs('two'))
    expect(JSON.parse(readFileSync(path.join(dir, RECENT_FILE), 'utf8'))).toEqual({ datasets: [abs('two'), abs('one')] })
    expect((await RecentDatasets.open(dir)).list).toEqual([abs('two'), abs('one')])
    await recent.remove(abs('two'))
    expect((await RecentDatasets.open(dir)).list).toEqual([abs('one')])
    await recent.clear()
    expect((await RecentDatasets.open(dir)).list).toEqual([])
  })

  it('reads a corrupt file as empty', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, RECENT_FILE), '[[[')
    expect((await RecentDatasets.open(dir)).list).toEqual([])
  })
})
