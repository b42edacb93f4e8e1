import { describe, expect, it } from 'vitest'
import { countProgress, meter } from './progress'

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = []
  const stream = { isTTY, write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WriteStream
  return { stream, text: () => chunks.join('') }
}

describe('countProgress', () => {
  it('draws a live bar on a terminal and ends its line when finished', () => {
    const { stream, text } = fakeStream(true)
    const p = countProgress(stream, 'probed', 'video files')
    p.update(0, 4)
    p.update(2, 4)
    p.update(4, 4)
    p.finish()
    expect(text()).toContain(`\r${meter(0.5)} probed 2/4 video files\u001b[K`)
    expect(text().endsWith(`\r${meter(1)} probed 4/4 video files\u001b[K\n`)).toBe(true)
  })

  it('writes plain lines in logs, the total always, and nothing for an empty count', () => {
    const { stream, text } = fakeStream(false)
    const p = countProgress(stream, 'probed', 'video files')
    p.update(0, 0)
    p.update(0, 3)
    p.update(1, 3)
    p.update(3, 3)
    p.finish()
    expect(text().split('\n').filter(Boolean).at(-1)).toBe('probed 3/3 video files')
    expect(text()).not.toContain('\r')
    expect(text()).not.toContain('#')
  })
})
