import { describe, expect, it } from 'vitest'
import { thrown } from '../../app/testing/thrown'
import { buildLabelStudioTasks, parseLabelStudioTimeline } from './labelStudio'
import { annotations, milestone, TASK, threeEpisodes } from './testing'

const FILE = '/tmp/project-7-at-2026.json'
const options = { fps: 30, videoUrl: (e: number) => `/data/local-files/?d=episodes/${e}.mp4` }

describe('buildLabelStudioTasks', () => {
  it('exports one task per episode with 1-based inclusive ranges ending at the milestones', () => {
    const { episodes, annotations: ann } = threeEpisodes()
    const { tasks, config } = buildLabelStudioTasks(episodes, ann, options)
    expect(tasks).toHaveLength(3)
    const [t0, t1, t2] = tasks
    expect(t0?.data).toEqual({ video: '/data/local-files/?d=episodes/0.mp4', fps: 30, episode_index: 0, task: TASK })
    expect(t0?.annotations[0]?.result.map((r) => [r.value.ranges, r.value.timelinelabels, r.type, r.from_name, r.to_name])).toEqual([
      [[{ start: 1, end: 4 }], ['grasp'], 'timelinelabels', 'videoLabels', 'video'],
      [[{ start: 5, end: 6 }], ['lift'], 'timelinelabels', 'videoLabels', 'video'],
      [[{ start: 7, end: 10 }], ['place'], 'timelinelabels', 'videoLabels', 'video'],
    ])
    expect(t1?.annotations[0]?.result.map((r) => r.value.ranges[0])).toEqual([{ start: 1, end: 3 }])
    expect(t2?.annotations[0]?.result).toEqual([])
    expect(config).toContain('<Video name="video" value="$video" frameRate="$fps" />')
    expect(config).toContain('<Label value="lift" />')
  })
})

describe('parseLabelStudioTimeline', () => {
  const lengths = new Map([
    [0, 10],
    [1, 6],
    [2, 4],
  ])

  it('round-trips: export → JSON → import gives the same milestones', () => {
    const { episodes } = threeEpisodes()
    const ann = annotations([milestone(0, 3, 'grasp'), milestone(0, 5, 'lift'), milestone(0, 5, 'place'), milestone(1, 0, 'grasp'), milestone(2, 3, 'lift')])
    const text = JSON.stringify(buildLabelStudioTasks(episodes, ann, options).tasks)
    const imported = parseLabelStudioTimeline(FILE, text, lengths)
    const key = (m: { episode: number; frame: number; label: string }) => `${m.episode}:${m.frame}:${m.label}`
    expect(imported.milestones.map(key).sort()).toEqual(ann.events.map(key).sort())
    expect(imported.ignoredResults).toBe(0)
  })

  it('reads a Label Studio export: skips other result types, cancelled annotations and tasks without annotations', () => {
    const text = JSON.stringify([
      {
        id: 11,
        data: { video: 'x.mp4', episode_index: 1 },
        annotations: [
          { id: 1, was_cancelled: true, result: [{ type: 'timelinelabels', value: { ranges: [{ start: 1, end: 6 }], timelinelabels: ['lift'] } }] },
          {
            id: 2,
            result: [
              { id: 'a', type: 'choices', value: { choices: ['ok'] } },
              { id: 'b', type: 'timelinelabels', from_name: 'videoLabels', to_name: 'video', value: { ranges: [{ start: 2, end: 3 }], timelinelabels: ['grasp'] } },
            ],
          },
        ],
        predictions: [],
      },
      { id: 12, data: { episode_index: 2 }, annotations: [] },
    ])
    const imported = parseLabelStudioTimeline(FILE, text, lengths)
    expect(imported.milestones).toEqual([{ episode: 1, frame: 2, label: 'grasp' }])
    expect(imported.ignoredResults).toBe(1)
    expect(imported.unannotatedTasks).toBe(1)
  })

  it('refuses bad files whole, naming the file, the task and the problem', () => {
    const cases: [unknown, RegExp][] = [
      [[{ id: 5, data: { video: 'x.mp4' }, annotations: [] }], /task \[0\]\.data\.episode_index: missing: each task names its episode/],
      [[{ data: { episode_index: 9 }, annotations: [] }], /task \[0\]: episode 9 is not an episode of this dataset/],
      [
        [{ id: 3, data: { episode_index: 1 }, annotations: [{ result: [{ type: 'timelinelabels', value: { ranges: [{ start: 2, end: 7 }], timelinelabels: ['lift'] } }] }] }],
        /task \[0\] \(id 3\)\.annotations\.result\[0\]: the range ends at Label Studio frame 7, past episode 1's 6 frames/,
      ],
      [
        [{ data: { episode_index: 1 }, annotations: [{ result: [{ type: 'timelinelabels', value: { ranges: [{ start: 0, end: 2 }], timelinelabels: ['lift'] } }] }] }],
        /task \[0\]\.annotations\.result\[0\]\.value\.ranges\[0\]\.start: /,
      ],
      [
        [{ data: { episode_index: 1 }, annotations: [{ result: [{ type: 'timelinelabels', value: { ranges: [{ start: 1, end: 2 }], timelinelabels: ['a', 'b'] } }] }] }],
        /exactly one label/,
      ],
      [
        [{ data: { episode_index: 1 }, annotations: [{ result: [] }, { result: [] }] }],
        /task \[0\]: 2 annotations; export one annotation per task/,
      ],
      [
        [
          { data: { episode_index: 1 }, annotations: [] },
          { data: { episode_index: 1 }, annotations: [] },
        ],
        /task \[1\] and task \[0\] are both episode 1/,
      ],
      [42, /expected a Label Studio JSON export/],
    ]
    for (const [doc, message] of cases) {
      const e = thrown(() => parseLabelStudioTimeline(FILE, JSON.stringify(doc), lengths))
      expect(e.code).toBe('IMPORT_INVALID')
      expect(e.file).toBe(FILE)
      expect(e.message.startsWith(`${FILE}: `)).toBe(true)
      expect(e.message).toMatch(message)
    }
    expect(thrown(() => parseLabelStudioTimeline(FILE, '[{"data": ', lengths)).message).toMatch(/^\/tmp\/project-7-at-2026\.json: not JSON/)
  })
})
