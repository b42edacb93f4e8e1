import { describe, expect, it } from 'vitest'
import { chromiumProcessType, descendants, linearSlope, medianAround, parseKbField, parseStatPpid, peakMean, processMemory } from './procMem'

describe('procMem parsers', () => {
  it('reads kB fields of /proc status and smaps_rollup text as bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200 kB\nVmRSS:\t  345678 kB\nRssAnon:\t 1 kB\n'
    expect(parseKbField(status, 'VmRSS')).toBe(345678 * 1024)
    const rollup = '55d0-7ffd ---p 00000000 00:00 0   [rollup]\nRss:   1612 kB\nPss:    293 kB\nPss_Dirty:  108 kB\n'
    expect(parseKbField(rollup, 'Pss')).toBe(293 * 1024)
    expect(parseKbField(rollup, 'Pss_Dirty')).toBe(108 * 1024)
    expect(parseKbField(status, 'VmSwap')).toBeNull()
  })

  it('takes the parent pid after the last parenthesis, whatever the command name holds', () => {
    expect(parseStatPpid('4242 (node) S 17 4242 17 0 -1')).toBe(17)
    expect(parseStatPpid('99 (Web Content (x)) R 98 99 1')).toBe(98)
    expect(parseStatPpid('garbage')).toBeNull()
  })

  it('names Chromium processes by their --type', () => {
    expect(chromiumProcessType(['/usr/lib/chromium/chromium', '--headless'])).toBe('browser')
    expect(chromiumProcessType(['/usr/lib/chromium/chromium', '--type=renderer', '--no-sandbox'])).toBe('renderer')
    expect(chromiumProcessType(['chromium', '--type=utility', '--utility-sub-type=network.mojom.NetworkService'])).toBe('utility:network.mojom.NetworkService')
    // A rewritten process title: one string.
    expect(chromiumProcessType(['/usr/lib/chromium/chromium --type=gpu-process --no-sandbox --headless'])).toBe('gpu-process')
    expect(chromiumProcessType(['/usr/lib/chromium/chromium --no-sandbox --disable-features=X,Y'])).toBe('browser')
  })

  it('walks a process tree', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 11],
      [13, 10],
      [20, 1],
    ])
    expect(descendants(parents, 10)).toEqual([11, 12, 13])
    expect(descendants(parents, 20)).toEqual([])
  })

  it('reads this process and gives null for one that does not exist', () => {
    const me = processMemory(process.pid)
    expect(me?.rss).toBeGreaterThan(1024 * 1024)
    expect(processMemory(2 ** 30)).toBeNull()
  })
})

describe('procMem statistics', () => {
  it('fits a least-squares slope', () => {
    expect(linearSlope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2)
    expect(linearSlope([0, 1, 2, 3], [5, 5, 5, 5])).toBe(0)
    expect(linearSlope([1, 1], [0, 9])).toBe(0)
    expect(linearSlope([1], [1])).toBe(0)
  })

  it('gives peak and mean in MB', () => {
    expect(peakMean([1024 * 1024, 3 * 1024 * 1024])).toEqual({ peakMB: 3, meanMB: 2 })
    expect(peakMean([])).toEqual({ peakMB: null, meanMB: null })
  })

  it('takes the median of the samples around a progress fraction', () => {
    const s = [0, 0.04, 0.08, 0.1, 0.12, 0.16, 0.5, 0.96, 1, 1].map((progress, i) => ({ progress, bytes: i * 10 }))
    // 0.1 ± 0.05: progress 0.08, 0.1, 0.12 → bytes 20, 30, 40
    expect(medianAround(s, 0.1)).toBe(30)
    // 1 − 0.05: 0.96, 1, 1 → 70, 80, 90
    expect(medianAround(s, 1)).toBe(80)
    // an even count averages the middle two: 0.04, 0.08 → 10, 20
    expect(medianAround(s, 0.05, 0.03)).toBe(15)
    expect(medianAround(s, 0.3)).toBeNull()
  })
})
