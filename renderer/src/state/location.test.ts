import { describe, expect, it } from 'vitest'
import { formatLocation, parseLocation } from './location'

describe('the location in the URL hash', () => {
  it('round-trips dataset, episode and frame', () => {
    for (const loc of [
      { datasetId: 'a1b2c3d4e5f6', episode: null, frame: null },
      { datasetId: 'a1b2c3d4e5f6', episode: 12, frame: null },
      { datasetId: 'a1b2c3d4e5f6', episode: 12, frame: 0 },
      { datasetId: 'odd/id with space', episode: 3, frame: 1234 },
    ]) {
      expect(parseLocation(formatLocation(loc))).toEqual(loc)
    }
    expect(formatLocation({ datasetId: 'abc', episode: 2, frame: 7 })).toBe('#/dataset/abc/episode/2/frame/7')
  })

  it('ignores anything else', () => {
    for (const hash of ['', '#', '#/', '#/dataset/', '#/dataset/a/episode/x', '#/dataset/a/episode/-1', '#/dataset/%E0%A4%A/episode/1', '#/other/a']) {
      expect(parseLocation(hash)).toBeNull()
    }
  })
})
