import { describe, expect, it } from 'vitest'
import { exportTarget, withExtension } from './exportTarget'

describe('exportTarget', () => {
  it('adds the extension once, keeps one already typed (any case), leaves a LeRobot folder as typed', () => {
    expect(exportTarget('/tmp/ds.viva-annotations', 'json')).toBe('/tmp/ds.viva-annotations.json')
    expect(exportTarget('/tmp/labels.json', 'json')).toBe('/tmp/labels.json')
    expect(exportTarget('/tmp/labels.CSV', 'csv')).toBe('/tmp/labels.CSV')
    expect(exportTarget('/tmp/labels.json', 'csv')).toBe('/tmp/labels.json.csv')
    expect(exportTarget('/tmp/out.json', 'lerobot')).toBe('/tmp/out.json')
  })
})

describe('withExtension', () => {
  it('adds .mp4 once, whatever the case typed', () => {
    expect(withExtension('/tmp/episode 3', 'mp4')).toBe('/tmp/episode 3.mp4')
    expect(withExtension('/tmp/clip.MP4', 'mp4')).toBe('/tmp/clip.MP4')
    expect(withExtension('/tmp/clip.mp4.bak', 'mp4')).toBe('/tmp/clip.mp4.bak.mp4')
  })
})
