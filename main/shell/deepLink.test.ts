import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatVivaLink } from '../../app/location'
import { datasetIdOfFolder } from '../datasets/lerobot/lerobot'
import { resolveVivaLink, vivaLinksIn, type LinkTargets } from './deepLink'

const loc = { datasetId: 'id-a', episode: 3, frame: 40, curves: ['m:x:4:0:cam'] }

/** Folders /a (id-a), /b (id-b) and /moved (id-c); none open unless listed. */
function targets(open: { id: string; name: string; root: string }[] = [], recent: string[] = []) {
  const ids: Record<string, string> = { '/a': 'id-a', '/b': 'id-b', '/moved': 'id-c' }
  const opened: string[] = []
  const t: LinkTargets = {
    open: () => open,
    recent,
    idOf: async (root) => ids[root] ?? 'other',
    exists: async (root) => root in ids,
    openFolder: async (root) => {
      opened.push(root)
      return { id: ids[root] ?? 'other' }
    },
  }
  return { t, opened }
}

describe('viva:// links on the desktop', () => {
  it('finds links among launch arguments', () => {
    expect(vivaLinksIn(['/opt/viva', '--flag', 'viva://open/dataset/x', '/data/ds'])).toEqual(['viva://open/dataset/x'])
  })

  it('a dataset already open: go there', async () => {
    const { t, opened } = targets([{ id: 'id-a', name: 'A', root: '/a' }])
    expect(await resolveVivaLink(formatVivaLink(loc, '/a'), t)).toEqual({ command: 'openLink', location: loc })
    expect(opened).toEqual([])
  })

  it('not open: opens the folder the link carries, else the recent folder with its id', async () => {
    const first = targets()
    expect(await resolveVivaLink(formatVivaLink(loc, '/a'), first.t)).toEqual({ command: 'openLink', location: loc })
    expect(first.opened).toEqual(['/a'])
    const recent = targets([], ['/b', '/a'])
    expect(await resolveVivaLink(formatVivaLink(loc, null), recent.t)).toEqual({ command: 'openLink', location: loc })
    expect(recent.opened).toEqual(['/a'])
  })

  it('says why it cannot follow a link, and never opens another dataset in its place', async () => {
    const { t, opened } = targets([{ id: 'id-b', name: 'B', root: '/b' }], ['/b'])
    expect(await resolveVivaLink('viva://open/dataset/id-a/episode/x', t)).toEqual({ command: 'badLink', problem: 'episode "x" is not a whole number ≥ 0' })
    expect(await resolveVivaLink('viva://open/nothing', t)).toEqual({ command: 'badLink', problem: expect.stringContaining('"/nothing" is not a place in the app') })
    expect(await resolveVivaLink('viva://settings/dataset/id-a', t)).toEqual({ command: 'badLink', problem: expect.stringContaining('does not start with viva://open/dataset/') })
    expect(await resolveVivaLink(formatVivaLink(loc, '/moved'), t)).toEqual({
      command: 'badLink',
      problem: 'The link names dataset id-a, which is not open here (open: B), and its folder /moved is another dataset now (moved or replaced)',
    })
    expect(await resolveVivaLink(formatVivaLink(loc, '/gone'), t)).toEqual({
      command: 'badLink',
      problem: 'The link names dataset id-a, which is not open here (open: B), and its folder /gone does not exist',
    })
    expect(await resolveVivaLink(formatVivaLink(loc, 'relative/dir'), t)).toMatchObject({ command: 'badLink', problem: expect.stringContaining('not an absolute path') })
    expect(opened).toEqual([])
  })

  it('a folder that fails to open: its reason', async () => {
    const { t } = targets()
    t.openFolder = async () => {
      throw new Error('meta/info.json is missing')
    }
    expect(await resolveVivaLink(formatVivaLink(loc, '/a'), t)).toEqual({ command: 'badLink', problem: '/a cannot be opened: meta/info.json is missing' })
  })

  it('a folder reached through a symlink has the id of its target, as the dataset opens with', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-link-'))
    try {
      mkdirSync(path.join(dir, 'real'))
      symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'))
      expect(await datasetIdOfFolder(path.join(dir, 'link'))).toBe(await datasetIdOfFolder(path.join(dir, 'real')))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
