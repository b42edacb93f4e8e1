import { describe, expect, it } from 'vitest'
import { buildSubtaskLanguage, LANGUAGE_FEATURES } from './lerobotLanguage'
import { annotations, milestone, TASK, threeEpisodes } from './testing'

/** Timestamps as a recording stores them: float32, started late, not frame / fps. */
function recorded(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => 0.4 + i * 0.0334)
}

describe('buildSubtaskLanguage', () => {
  it('writes one subtask row per stage, at the parquet timestamp of its first frame', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const withTimes = episodes.map((ep) => ({ ...ep, timestamps: recorded(ep.length) }))
    const rows = buildSubtaskLanguage(withTimes, ann)
    const t = recorded(10)
    expect(rows.get(0)).toEqual([
      { role: 'assistant', content: 'grasp', style: 'subtask', timestamp: t[0], camera: null, tool_calls: null },
      { role: 'assistant', content: 'lift', style: 'subtask', timestamp: t[4], camera: null, tool_calls: null },
      { role: 'assistant', content: 'place', style: 'subtask', timestamp: t[6], camera: null, tool_calls: null },
    ])
    // Every timestamp is bit-equal to one of the episode's float32 timestamps.
    for (const r of rows.get(0) ?? []) expect(Array.from(t)).toContain(r.timestamp)
    // Failed after grasp: the episode was in "lift" from frame 3 on.
    expect(rows.get(1)?.map((r) => [r.content, r.timestamp])).toEqual([
      ['grasp', recorded(6)[0]],
      ['lift', recorded(6)[3]],
    ])
    // No milestone: the first stage from frame 0.
    expect(rows.get(2)?.map((r) => r.content)).toEqual(['grasp'])
    expect(LANGUAGE_FEATURES.language_persistent).toEqual({ dtype: 'language', shape: [1], names: null })
  })

  it('keeps timestamps increasing when two milestones share a frame', () => {
    const ann = annotations([milestone(0, 0, 'grasp'), milestone(0, 0, 'lift')])
    const rows = buildSubtaskLanguage([{ index: 0, length: 5, task: TASK, timestamps: recorded(5) }], ann)
    expect(rows.get(0)?.map((r) => [r.content, r.timestamp])).toEqual([
      ['lift', recorded(5)[0]],
      ['place', recorded(5)[1]],
    ])
  })

  it('refuses an episode without timestamps', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    expect(() => buildSubtaskLanguage(episodes, ann)).toThrow('episode 0: its table has no timestamp column')
  })
})
