import { describe, expect, it } from 'vitest'
import { defaultK } from './advantages'
import { thrown } from './testing/thrown'
import { DEFAULT_ERS_WINDOW, describeSpan, framesForSeconds, parseSpan, resolveSpan } from './timeSpan'

describe('time spans', () => {
  it('resolve the paper window (5 frames at 30 fps) to the same duration at every frame rate', () => {
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 30)).toMatchObject({ frames: 5, fps: 30 })
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 30).seconds).toBeCloseTo(1 / 6, 12)
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 10).frames).toBe(2) // 1.67 → 2
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 50).frames).toBe(8) // 8.33 → 8
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 15).frames).toBe(3) // 2.5 → 3: halves round up
    expect(resolveSpan(DEFAULT_ERS_WINDOW, 1).frames).toBe(1) // 0.17 → at least 1
    expect(resolveSpan({ seconds: 0.5 }, 10)).toEqual({ frames: 5, seconds: 0.5, fps: 10, requested: { seconds: 0.5 } })
    expect(resolveSpan({ seconds: 0.5 }, 30)).toEqual({ frames: 15, seconds: 0.5, fps: 30, requested: { seconds: 0.5 } })
    expect(resolveSpan({ frames: 7 }, 10)).toEqual({ frames: 7, seconds: 0.7, fps: 10, requested: { frames: 7 } })
  })

  it('round halves up despite binary noise', () => {
    expect(1.15 * 50).not.toBe(57.5)
    expect(framesForSeconds(1.15, 50)).toBe(58)
    expect(framesForSeconds(2.05, 30)).toBe(62)
    expect(framesForSeconds(0.35, 10)).toBe(4)
    expect(framesForSeconds(0.25, 10)).toBe(3)
    expect(framesForSeconds(0.24, 10)).toBe(2)
    expect(framesForSeconds(1 / 3, 29.97)).toBe(10)
  })

  it('share the rounding with the advantage horizon K (50 frames at 30 fps)', () => {
    for (const fps of [1, 10, 15, 24, 25, 29.97, 30, 50, 60]) expect(defaultK(fps)).toBe(framesForSeconds(50 / 30, fps))
  })

  it('parse from the command line with a unit, and refuse a bare number', () => {
    expect(parseSpan('0.5s', '--window')).toEqual({ seconds: 0.5 })
    expect(parseSpan(' 15F ', '--window')).toEqual({ frames: 15 })
    expect(parseSpan('.2s', '--window')).toEqual({ seconds: 0.2 })
    expect(thrown(() => parseSpan('5', '--window')).message).toBe(
      '--window needs a unit: seconds like 0.2s (scaled by the dataset\'s fps) or frames like 5f (exact), got "5"',
    )
    expect(thrown(() => parseSpan('-1s', '--window')).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => resolveSpan(parseSpan('0s', '--window'), 30)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => resolveSpan(parseSpan('1.5f', '--window'), 30)).message).toMatch(/whole number/)
    expect(thrown(() => resolveSpan({ seconds: 1 }, 0)).code).toBe('INVALID_ARGUMENT')
  })

  it('describe the frames used', () => {
    expect(describeSpan(resolveSpan(DEFAULT_ERS_WINDOW, 30))).toBe('5 frames = 0.167 s at 30 fps')
    expect(describeSpan(resolveSpan({ frames: 1 }, 10))).toBe('1 frame = 0.1 s at 10 fps')
  })
})
