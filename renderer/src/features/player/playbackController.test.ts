import { describe, expect, it } from 'vitest'
import { expectedShown, frameAtTime } from './playbackController'

describe('frame/time mapping', () => {
  // 10 fps, frames at 0, 0.1, …; seek targets are midpoints.
  const ft = Float64Array.from({ length: 10 }, (_, i) => i / 10 + 0.05)

  it('maps a presented frame time back to its frame index', () => {
    for (let i = 0; i < 10; i++) expect(frameAtTime(ft, i / 10)).toBe(i)
    expect(frameAtTime(ft, 0.1 + 0.049)).toBe(1)
    expect(frameAtTime(ft, -1)).toBe(0)
    expect(frameAtTime(ft, 99)).toBe(9)
  })

  it('expects a seek to frame i to show frame i', () => {
    for (let i = 0; i < 10; i++) expect(expectedShown(ft, i)).toBe(i)
  })

  it('expects the held last frame when the video is shorter than the episode', () => {
    const held = Float64Array.from([0.05, 0.15, 0.25, 0.25, 0.25])
    expect(expectedShown(held, 4)).toBe(2)
    expect(frameAtTime(held, 0.2)).toBe(2)
  })

  it('works on a shared-file timeline that does not start at zero (v3.0)', () => {
    const shifted = Float64Array.from({ length: 5 }, (_, i) => 12.3 + i / 10 + 0.05)
    expect(frameAtTime(shifted, 12.3)).toBe(0)
    expect(frameAtTime(shifted, 12.5)).toBe(2)
    expect(expectedShown(shifted, 3)).toBe(3)
  })
})
