import { describe, expect, it } from 'vitest'
import {
  checkLocation,
  formatLocationHash,
  formatVivaLink,
  MAX_LINK_CURVES,
  parseLocationHash,
  parseVivaLink,
  type AppLocation,
  type LocatedDataset,
} from './location'

const loc = (datasetId: string, episode: number | null, frame: number | null, curves: string[] | null = null): AppLocation => ({
  datasetId,
  episode,
  frame,
  curves,
})

// Series keys as app/curves.ts makes them: colons, commas (camera lists), slashes and spaces in names.
const SERIES = ['m:viva-small:4:0:observation.images.cam_high,observation.images.cam_left_wrist', 'i:abc123:value & more/100%', 'i:plain']

describe('a location in the URL hash', () => {
  it('round-trips dataset, episode, frame and the curves shown', () => {
    for (const l of [
      loc('a1b2c3d4e5f6', null, null),
      loc('a1b2c3d4e5f6', 12, null),
      loc('a1b2c3d4e5f6', 12, 0),
      loc('odd/id with space', 3, 1234),
      loc('a1b2c3d4e5f6', 3, 7, SERIES),
      loc('a1b2c3d4e5f6', 3, 7, []),
    ]) {
      expect(parseLocationHash(formatLocationHash(l))).toEqual({ ok: true, location: l, root: null })
    }
    expect(formatLocationHash(loc('abc', 2, 7))).toBe('#/dataset/abc/episode/2/frame/7')
    expect(formatLocationHash(loc('abc', 2, 7, ['i:a,b', 'i:c']))).toBe('#/dataset/abc/episode/2/frame/7?curves=i%3Aa%2Cb,i%3Ac')
  })

  it('an empty hash asks for nothing', () => {
    for (const hash of ['', '#', '#/']) expect(parseLocationHash(hash)).toBeNull()
  })

  it('says why anything else is not a location', () => {
    for (const [hash, problem] of [
      ['#/dataset/', 'is not a place'],
      ['#/other/a', 'is not a place'],
      ['#/dataset/a/episode/x', 'episode "x" is not a whole number'],
      ['#/dataset/a/episode/-1', 'episode "-1" is not a whole number'],
      ['#/dataset/a/episode/1/frame/1.5', 'frame "1.5" is not a whole number'],
      ['#/dataset/a/episode/1/frame/99999999999999999999', 'frame "99999999999999999999" is not a whole number'],
      ['#/dataset/%E0%A4%A/episode/1', 'is not a dataset id'],
      ['#/dataset/a/episode/1?curves=%E0%A4%A', 'not a list of percent-encoded series keys'],
      ['#/dataset/a/episode/1?curves=a,,b', 'not a list of percent-encoded series keys'],
      ['#/dataset/a/episode/1?curves=a&curves=b', 'curves is given twice'],
      [`#/dataset/a/episode/1?curves=${Array.from({ length: MAX_LINK_CURVES + 1 }, (_, i) => `k${i}`).join(',')}`, 'at most 64'],
      [`#/dataset/${'a'.repeat(20_000)}`, 'characters long'],
    ] as const) {
      const out = parseLocationHash(hash)
      expect(out, hash).toEqual({ ok: false, problem: expect.stringContaining(problem) as string })
    }
  })

  it('ignores query parameters it does not know (a later version may add some)', () => {
    expect(parseLocationHash('#/dataset/a/episode/1/frame/2?zoom=3')).toEqual({ ok: true, location: loc('a', 1, 2), root: null })
  })
})

describe('a viva:// link', () => {
  it('carries the same location and the dataset folder', () => {
    const l = loc('a1b2c3d4e5f6', 4, 17, SERIES)
    const root = '/home/me/data/my set (v2)/ä&?#'
    const link = formatVivaLink(l, root)
    expect(link.startsWith('viva://open/dataset/a1b2c3d4e5f6/episode/4/frame/17?curves=')).toBe(true)
    expect(parseVivaLink(link)).toEqual({ ok: true, location: l, root })
    expect(parseVivaLink(formatVivaLink(loc('x', 1, 2), 'C:\\data\\set'))).toEqual({ ok: true, location: loc('x', 1, 2), root: 'C:\\data\\set' })
    expect(parseVivaLink(formatVivaLink(loc('x', 1, 2), null))).toEqual({ ok: true, location: loc('x', 1, 2), root: null })
    // As some OSes hand it: another case for the scheme, a trailing slash.
    expect(parseVivaLink('VIVA://open/dataset/x/episode/1/')).toEqual({ ok: true, location: loc('x', 1, null), root: null })
  })

  it('refuses what is not one, saying why', () => {
    expect(parseVivaLink('https://example.com/dataset/x')).toEqual({ ok: false, problem: expect.stringContaining('is not a viva:// link') as string })
    expect(parseVivaLink('viva://delete/dataset/x')).toEqual({ ok: false, problem: expect.stringContaining('does not start with viva://open/dataset/') as string })
    expect(parseVivaLink('viva://open/dataset/x/episode/one')).toEqual({ ok: false, problem: expect.stringContaining('episode "one"') as string })
    expect(parseVivaLink('viva://open/dataset/x?root=%00')).toEqual({ ok: false, problem: expect.stringContaining('not a folder path') as string })
  })
})

describe('checking a location against a dataset (refused, never clamped)', () => {
  const ds: LocatedDataset = {
    id: 'd',
    name: 'bimanual',
    episodes: [
      { index: 0, length: 50, present: true },
      { index: 1, length: 40, present: false },
      { index: 2, length: 30, present: true },
    ],
  }

  it('takes a valid place as it is', () => {
    expect(checkLocation(loc('d', 2, 29), ds)).toEqual({ episode: 2, frame: 29, problem: null })
    expect(checkLocation(loc('d', 0, null), ds)).toEqual({ episode: 0, frame: 0, problem: null })
    expect(checkLocation(loc('d', null, null), ds)).toEqual({ episode: null, frame: null, problem: null })
  })

  it('an episode the dataset does not have: the episode list, and why', () => {
    expect(checkLocation(loc('d', 7, 3), ds)).toEqual({ episode: null, frame: null, problem: 'bimanual has no episode 7 (its episodes are 0–2)' })
    expect(checkLocation(loc('d', 1, 3), ds)).toEqual({ episode: null, frame: null, problem: 'Episode 1 of bimanual has no data file on disk' })
  })

  it('a frame past the episode: its first frame, and why', () => {
    expect(checkLocation(loc('d', 2, 30), ds)).toEqual({
      episode: 2,
      frame: 0,
      problem: 'Frame 30 is past the end of episode 2 of bimanual (frames 0–29); showing frame 0',
    })
  })
})
